// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory table: validation and guest-physical to user translation.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/sort.h>

#include "memtable.h"

static int vsc_region_cmp(const void *a, const void *b)
{
	const struct vsc_mem_region *ra = a, *rb = b;

	if (ra->gpa < rb->gpa)
		return -1;
	return ra->gpa > rb->gpa;
}

int vsc_memtable_check(struct vsc_mem_region *r, u32 n, u64 uaddr_limit,
		       u32 *bad)
{
	u32 i;

	sort(r, n, sizeof(*r), vsc_region_cmp, NULL);
	for (i = 0; i < n; i++) {
		*bad = i;
		if (!r[i].size)
			return -EFAULT;
		if (r[i].gpa + r[i].size - 1 < r[i].gpa)
			return -EFAULT;
		if (r[i].uaddr > uaddr_limit ||
		    r[i].size > uaddr_limit - r[i].uaddr)
			return -EFAULT;
		if (i && r[i - 1].gpa + r[i - 1].size - 1 >= r[i].gpa)
			return -EINVAL;
	}
	return 0;
}

const struct vsc_mem_region *
vsc_memtable_find(const struct vsc_memtable *t, u64 gpa)
{
	u32 lo = 0, hi = t->nregions;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct vsc_mem_region *m = &t->r[mid];

		if (gpa < m->gpa)
			hi = mid;
		else if (gpa - m->gpa >= m->size)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

int vsc_memtable_translate(const struct vsc_memtable *t, u64 gpa, u64 len,
			   struct iovec *iov, int max)
{
	const struct vsc_mem_region *m;
	int n = 0;

	if (len && gpa + len - 1 < gpa)
		return -EFAULT;
	while (len) {
		u64 off, chunk;

		if (n >= max)
			return -ENOBUFS;
		m = vsc_memtable_find(t, gpa);
		if (!m)
			return -EFAULT;
		off = gpa - m->gpa;
		chunk = m->size - off;
		if (chunk > len)
			chunk = len;
		iov[n].iov_base = (void __user *)(uintptr_t)(m->uaddr + off);
		iov[n].iov_len = chunk;
		n++;
		gpa += chunk;
		len -= chunk;
	}
	return n;
}

u64 vsc_memtable_end(const struct vsc_memtable *t)
{
	u64 end = 0;
	u32 i;

	for (i = 0; i < t->nregions; i++) {
		u64 last = t->r[i].gpa + t->r[i].size - 1;

		if (last == U64_MAX)
			return U64_MAX;
		if (last + 1 > end)
			end = last + 1;
	}
	return end;
}
