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

#endif /* VSC_COMPAT_H */
