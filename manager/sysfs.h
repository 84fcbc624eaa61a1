/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /sys/kernel/vhost_sidecore/ (sysfs.c): the configuration, moves by
 * hand, and the manager's knobs and measurements.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_SYSFS_H
#define VSC_SYSFS_H

int vsc_sysfs_init(void);
void vsc_sysfs_exit(void);

#endif /* VSC_SYSFS_H */
