/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vhost_sidecore.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_VHOST_SIDECORE_GEN_H
#define _LINUX_VHOST_SIDECORE_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/vhost_sidecore.h>
#include <manager/compat-nl.h>

/* Ops table for vhost_sidecore */
extern const struct genl_split_ops vhost_sidecore_nl_ops[6];

int vhost_sidecore_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int vhost_sidecore_nl_dev_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb);
int vhost_sidecore_nl_core_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb);
int vhost_sidecore_nl_config_get_doit(struct sk_buff *skb,
				      struct genl_info *info);
int vhost_sidecore_nl_config_set_doit(struct sk_buff *skb,
				      struct genl_info *info);
int vhost_sidecore_nl_vq_move_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	VHOST_SIDECORE_NLGRP_MONITOR,
};

#endif /* _LINUX_VHOST_SIDECORE_GEN_H */
