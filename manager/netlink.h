/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family "vhost_sidecore" (netlink.c): commands, and
 * events for the monitor group.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_NETLINK_H
#define VSC_NETLINK_H

struct vsc_config;

int vsc_netlink_init(void);
void vsc_netlink_exit(void);
void vsc_nl_config_changed(const struct vsc_config *c);

#endif /* VSC_NETLINK_H */
