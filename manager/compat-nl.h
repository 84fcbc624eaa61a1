/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control plane's differences between the kernels we build for (6.1
 * LTS .. 6.12 LTS): generic netlink and netlink policies. Feature flags
 * come from probes of the target tree's headers (Kbuild). The generated
 * netlink-gen.[ch] include it (the spec's kernel-family headers).
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_COMPAT_NL_H
#define VSC_COMPAT_NL_H

/*
 * 6.2 split a generic netlink command into a do and a dump entry (struct
 * genl_split_ops), the form the kernel's generator writes. Before, the
 * control plane's generated table (netlink-gen.c) is a struct genl_ops
 * one, which has every field it sets; its netlink.c folds each command's
 * two entries into one before registering.
 */
#include <net/genetlink.h>
#ifndef VSC_HAVE_GENL_SPLIT_OPS
#define genl_split_ops genl_ops
#endif

/*
 * 6.2 made a policy's pointer to a full u32 range const, and the generated
 * ranges are const. Before, the range (only ever read) goes in with the
 * qualifier cast away.
 */
#include <net/netlink.h>
#ifndef VSC_HAVE_NLA_CONST_RANGE
#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, r) {					\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),			\
	.validation_type = NLA_VALIDATE_RANGE_PTR,			\
	.range = (struct netlink_range_validation *)(r),		\
}
#endif

#endif /* VSC_COMPAT_NL_H */
