/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory table: guest-physical ranges mapped to owner virtual
 * addresses (VHOST_SET_MEM_TABLE). Pure code, no kernel calls: also built
 * into the host unit tests.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_MEMTABLE_H
#define VSC_MEMTABLE_H

#include <linux/types.h>
#include <linux/uio.h>

struct vsc_mem_region {
	u64 gpa;
	u64 size;
	u64 uaddr;
};

/* Regions sorted by gpa, non-overlapping, none empty. */
struct vsc_memtable {
	u32 nregions;
	struct vsc_mem_region r[];
};

/*
 * Sort @r by guest address and validate it: every region non-empty, no
 * wrap of gpa + size, [uaddr, uaddr + size) within [0, @uaddr_limit),
 * no two guest ranges overlapping. Returns 0, -EFAULT for a region that
 * cannot be mapped (empty, wrapping, beyond the user address space) or
 * -EINVAL for overlapping guest ranges. On error, *bad is the index (in
 * sorted order) of the offending region.
 */
int vsc_memtable_check(struct vsc_mem_region *r, u32 n, u64 uaddr_limit,
		       u32 *bad);

/* The region holding @gpa, or NULL. */
const struct vsc_mem_region *
vsc_memtable_find(const struct vsc_memtable *t, u64 gpa);

/*
 * Map guest range [gpa, gpa + len) to at most @max user segments, one per
 * region it crosses. Returns the number of segments (0 for len 0),
 * -EFAULT when part of the range is not in the table or it wraps, or
 * -ENOBUFS when more than @max segments would be needed.
 */
int vsc_memtable_translate(const struct vsc_memtable *t, u64 gpa, u64 len,
			   struct iovec *iov, int max);

/*
 * One past the highest guest address in the table (0 when empty, U64_MAX
 * when a region reaches the top of the address space).
 */
u64 vsc_memtable_end(const struct vsc_memtable *t);

#endif /* VSC_MEMTABLE_H */
