/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /sys/kernel/debug/vhost_sidecore/: the counters of every vq and every
 * sidecore, one line each, for people and tests.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_DEBUGFS_H
#define VSC_DEBUGFS_H

/* Nothing to undo on failure: debugfs is optional. */
void vsc_debugfs_init(void);
void vsc_debugfs_exit(void);

#endif /* VSC_DEBUGFS_H */
