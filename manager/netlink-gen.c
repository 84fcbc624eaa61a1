// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vhost_sidecore.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/vhost_sidecore.h>
#include <manager/compat-nl.h>

/* Integer value ranges */
static const struct netlink_range_validation vhost_sidecore_a_config_busy_pps_range = {
	.min	= 1ULL,
	.max	= 100000000ULL,
};

static const struct netlink_range_validation vhost_sidecore_a_config_light_pps_range = {
	.max	= 100000000ULL,
};

static const struct netlink_range_validation vhost_sidecore_a_config_dwell_ms_range = {
	.max	= 600000ULL,
};

static const struct netlink_range_validation vhost_sidecore_a_config_grace_ms_range = {
	.max	= 600000ULL,
};

static const struct netlink_range_validation vhost_sidecore_a_config_pref_range = {
	.max	= 100000ULL,
};

static const struct netlink_range_validation vhost_sidecore_a_config_backoff_ms_range = {
	.min	= 1ULL,
	.max	= 600000ULL,
};

/* VHOST_SIDECORE_CMD_DEV_GET - do */
static const struct nla_policy vhost_sidecore_dev_get_nl_policy[VHOST_SIDECORE_A_DEV_ID + 1] = {
	[VHOST_SIDECORE_A_DEV_ID] = { .type = NLA_U32, },
};

/* VHOST_SIDECORE_CMD_CONFIG_SET - do */
static const struct nla_policy vhost_sidecore_config_set_nl_policy[VHOST_SIDECORE_A_CONFIG_BACKOFF_MS + 1] = {
	[VHOST_SIDECORE_A_CONFIG_POLICY] = NLA_POLICY_MAX(NLA_U32, 3),
	[VHOST_SIDECORE_A_CONFIG_CPUS] = { .type = NLA_NUL_STRING, .len = VHOST_SIDECORE_CPUS_MAX_LEN, },
	[VHOST_SIDECORE_A_CONFIG_SIDECORES] = { .type = NLA_U32, },
	[VHOST_SIDECORE_A_CONFIG_INTERVAL_MS] = NLA_POLICY_RANGE(NLA_U32, 1, 10000),
	[VHOST_SIDECORE_A_CONFIG_BUSY_LOAD] = NLA_POLICY_RANGE(NLA_U32, 1, 1000),
	[VHOST_SIDECORE_A_CONFIG_LIGHT_LOAD] = NLA_POLICY_MAX(NLA_U32, 1000),
	[VHOST_SIDECORE_A_CONFIG_BUSY_PPS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vhost_sidecore_a_config_busy_pps_range),
	[VHOST_SIDECORE_A_CONFIG_LIGHT_PPS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vhost_sidecore_a_config_light_pps_range),
	[VHOST_SIDECORE_A_CONFIG_CORE_BUSY] = NLA_POLICY_RANGE(NLA_U32, 1, 1000),
	[VHOST_SIDECORE_A_CONFIG_CORE_LIGHT] = NLA_POLICY_MAX(NLA_U32, 999),
	[VHOST_SIDECORE_A_CONFIG_BALANCE] = NLA_POLICY_MAX(NLA_U32, 1000),
	[VHOST_SIDECORE_A_CONFIG_DWELL_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vhost_sidecore_a_config_dwell_ms_range),
	[VHOST_SIDECORE_A_CONFIG_GRACE_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vhost_sidecore_a_config_grace_ms_range),
	[VHOST_SIDECORE_A_CONFIG_PREF] = NLA_POLICY_FULL_RANGE(NLA_U32, &vhost_sidecore_a_config_pref_range),
	[VHOST_SIDECORE_A_CONFIG_REGRET] = NLA_POLICY_MAX(NLA_U32, 999),
	[VHOST_SIDECORE_A_CONFIG_BACKOFF_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vhost_sidecore_a_config_backoff_ms_range),
};

/* VHOST_SIDECORE_CMD_VQ_MOVE - do */
static const struct nla_policy vhost_sidecore_vq_move_nl_policy[VHOST_SIDECORE_A_MOVE_CPU + 1] = {
	[VHOST_SIDECORE_A_MOVE_DEV] = { .type = NLA_U32, },
	[VHOST_SIDECORE_A_MOVE_VQ] = NLA_POLICY_MAX(NLA_U32, VHOST_SIDECORE_MAX_VQ_INDEX),
	[VHOST_SIDECORE_A_MOVE_CPU] = NLA_POLICY_MIN(NLA_S32, VHOST_SIDECORE_CPU_ONDEMAND),
};

/* Ops table for vhost_sidecore */
const struct genl_split_ops vhost_sidecore_nl_ops[6] = {
	{
		.cmd		= VHOST_SIDECORE_CMD_DEV_GET,
		.doit		= vhost_sidecore_nl_dev_get_doit,
		.policy		= vhost_sidecore_dev_get_nl_policy,
		.maxattr	= VHOST_SIDECORE_A_DEV_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= VHOST_SIDECORE_CMD_DEV_GET,
		.dumpit	= vhost_sidecore_nl_dev_get_dumpit,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= VHOST_SIDECORE_CMD_CORE_GET,
		.dumpit	= vhost_sidecore_nl_core_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= VHOST_SIDECORE_CMD_CONFIG_GET,
		.doit	= vhost_sidecore_nl_config_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VHOST_SIDECORE_CMD_CONFIG_SET,
		.doit		= vhost_sidecore_nl_config_set_doit,
		.policy		= vhost_sidecore_config_set_nl_policy,
		.maxattr	= VHOST_SIDECORE_A_CONFIG_BACKOFF_MS,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VHOST_SIDECORE_CMD_VQ_MOVE,
		.doit		= vhost_sidecore_nl_vq_move_doit,
		.policy		= vhost_sidecore_vq_move_nl_policy,
		.maxattr	= VHOST_SIDECORE_A_MOVE_CPU,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group vhost_sidecore_nl_mcgrps[] = {
	[VHOST_SIDECORE_NLGRP_MONITOR] = { "monitor", },
};
