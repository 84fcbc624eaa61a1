/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels we build for (6.1 LTS .. 6.12 LTS).
 * Feature flags come from probes of the target tree's headers (Kbuild);
 * the rest of the code stays free of version checks.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_COMPAT_H
#define VSC_COMPAT_H

#include <linux/eventfd.h>

/* 6.8 dropped the count argument of eventfd_signal(). */
#ifdef VSC_HAVE_EVENTFD_SIGNAL_NOCOUNT
#define vsc_eventfd_signal(ctx) eventfd_signal(ctx)
#else
#define vsc_eventfd_signal(ctx) eventfd_signal(ctx, 1)
#endif

#endif /* VSC_COMPAT_H */
