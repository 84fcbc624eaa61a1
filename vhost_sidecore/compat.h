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

/* 6.12 has page_frag_cache_drain(); before, drain the page by hand. */
#include <linux/gfp.h>
#include <linux/mm.h>
static inline void vsc_page_frag_cache_drain(struct page_frag_cache *nc)
{
#ifdef VSC_HAVE_PAGE_FRAG_CACHE_DRAIN
	page_frag_cache_drain(nc);
#else
	if (nc->va)
		__page_frag_cache_drain(virt_to_head_page(nc->va),
					nc->pagecnt_bias);
	nc->va = NULL;
#endif
}

#endif /* VSC_COMPAT_H */
