// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the guest memory table (vhost_sidecore/memtable.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ktap.h"
#include "vhost_sidecore/memtable.h"

KTAP_DEFINE_STATE;

#define LIMIT 0x00007ffffffff000ULL	/* x86-64 TASK_SIZE_MAX */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct vsc_memtable *table(const struct vsc_mem_region *r, u32 n)
{
	struct vsc_memtable *t = malloc(sizeof(*t) + n * sizeof(*r));
	u32 bad;

	t->nregions = n;
	memcpy(t->r, r, n * sizeof(*r));
	if (vsc_memtable_check(t->r, n, LIMIT, &bad))
		abort();
	return t;
}

static int check(struct vsc_mem_region *r, u32 n, u32 *bad)
{
	return vsc_memtable_check(r, n, LIMIT, bad);
}

int main(void)
{
	struct vsc_mem_region ok[] = {
		{ .gpa = 0x100000, .size = 0x100000, .uaddr = 0x7f0000100000 },
		{ .gpa = 0, .size = 0xa0000, .uaddr = 0x7f0000000000 },
		{ .gpa = 0x200000, .size = 0x1000, .uaddr = 0x600000000000 },
	};
	struct vsc_mem_region r[2];
	struct vsc_memtable *t;
	struct iovec iov[4];
	u32 bad = 99;
	int n;

	ktap_header(0);

	KTAP_EXPECT(check(ok, 3, &bad) == 0 && ok[0].gpa == 0 &&
		    ok[1].gpa == 0x100000 && ok[2].gpa == 0x200000,
		    "valid table accepted and sorted by guest address");
	KTAP_EXPECT(check(ok, 0, &bad) == 0, "empty table accepted");

	r[0] = (struct vsc_mem_region){ 0x1000, 0x2000, 0x10000 };
	r[1] = (struct vsc_mem_region){ 0x2fff, 0x1000, 0x20000 };
	KTAP_EXPECT(check(r, 2, &bad) == -EINVAL && bad == 1,
		    "overlapping guest ranges refused (EINVAL)");
	r[1].gpa = 0x3000;
	KTAP_EXPECT(check(r, 2, &bad) == 0, "adjacent guest ranges accepted");
	r[1].uaddr = 0x10000;
	KTAP_EXPECT(check(r, 2, &bad) == 0,
		    "two guest ranges may map the same user memory");

	r[0] = (struct vsc_mem_region){ 0x1000, 0, 0x10000 };
	KTAP_EXPECT(check(r, 1, &bad) == -EFAULT, "empty region refused");
	r[0] = (struct vsc_mem_region){ ~0ULL - 0xfff, 0x2000, 0x10000 };
	KTAP_EXPECT(check(r, 1, &bad) == -EFAULT,
		    "guest range wrapping 2^64 refused");
	r[0] = (struct vsc_mem_region){ ~0ULL - 0xfff, 0x1000, 0x10000 };
	KTAP_EXPECT(check(r, 1, &bad) == 0,
		    "guest range ending at 2^64 accepted");
	r[0] = (struct vsc_mem_region){ 0, 0x1000, ~0ULL - 0xfff };
	KTAP_EXPECT(check(r, 1, &bad) == -EFAULT,
		    "user range ending at 2^64 refused");
	r[0] = (struct vsc_mem_region){ 0, 0x2000, LIMIT - 0x1000 };
	KTAP_EXPECT(check(r, 1, &bad) == -EFAULT,
		    "user range crossing the user address limit refused");
	r[0] = (struct vsc_mem_region){ 0, 0x1000, LIMIT - 0x1000 };
	KTAP_EXPECT(check(r, 1, &bad) == 0,
		    "user range ending at the user address limit accepted");

	t = table(ok, 3);
	KTAP_EXPECT(vsc_memtable_find(t, 0x9ffff) == &t->r[0] &&
		    vsc_memtable_find(t, 0xa0000) == NULL &&
		    vsc_memtable_find(t, 0x1fffff) == &t->r[1] &&
		    vsc_memtable_find(t, 0x200fff) == &t->r[2] &&
		    vsc_memtable_find(t, 0x201000) == NULL,
		    "lookup finds region edges and holes");

	n = vsc_memtable_translate(t, 0x1234, 100, iov, 4);
	KTAP_EXPECT(n == 1 && iov[0].iov_base == (void *)0x7f0000001234 &&
		    iov[0].iov_len == 100, "translate inside one region");
	n = vsc_memtable_translate(t, 0x1ffff0, 0x20, iov, 4);
	KTAP_EXPECT(n == 2 && iov[0].iov_len == 0x10 &&
		    iov[1].iov_base == (void *)0x600000000000 &&
		    iov[1].iov_len == 0x10,
		    "translate across adjacent regions gives one segment each");
	KTAP_EXPECT(vsc_memtable_translate(t, 0x1ffff0, 0x20, iov, 1) == -ENOBUFS,
		    "too few segments: ENOBUFS");
	KTAP_EXPECT(vsc_memtable_translate(t, 0x9fff0, 0x20, iov, 4) == -EFAULT,
		    "range running into a hole: EFAULT");
	KTAP_EXPECT(vsc_memtable_translate(t, 0xa0000, 1, iov, 4) == -EFAULT,
		    "range in a hole: EFAULT");
	KTAP_EXPECT(vsc_memtable_translate(t, ~0ULL - 4, 16, iov, 4) == -EFAULT,
		    "range wrapping 2^64: EFAULT");
	KTAP_EXPECT(vsc_memtable_translate(t, 0xa0000, 0, iov, 4) == 0,
		    "zero length gives no segment");
	KTAP_EXPECT(vsc_memtable_end(t) == 0x201000, "end of table");
	free(t);

	r[0] = (struct vsc_mem_region){ ~0ULL - 0xfff, 0x1000, 0x10000 };
	t = table(r, 1);
	KTAP_EXPECT(vsc_memtable_end(t) == ~0ULL, "end saturates at 2^64 - 1");
	free(t);
	return ktap_finish();
}
