/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The malformed rings a hostile guest can write, one maker each: used by
 * hostile.c (each must stop only its vq) and isolation.c (a victim on
 * the same executor must not notice).
 */
#ifndef VSC_HOSTILE_CASES_H
#define VSC_HOSTILE_CASES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/virtio_ring.h>

#include "vguest.h"

struct hostile {
	const char *name;
	bool rx;		/* fault in the rx ring (needs a frame to arrive) */
	const char *expect;	/* words of the log line */
	void (*make)(struct vg_dev *d, struct vg_vq *vq);
};

static char *buf_of(struct vg_vq *vq, int head)
{
	return vq->buf[head];
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

static uint64_t gpa(void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void make_loop(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 64, VRING_DESC_F_NEXT, h);
	vg_push_kick(vq, h);
}

static void make_head_range(struct vg_dev *d, struct vg_vq *vq)
{
	vg_push_kick(vq, vq->num + 3);
}

static void make_next_range(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 64, VRING_DESC_F_NEXT,
		 vq->num + 1);
	vg_push_kick(vq, h);
}

static void make_outside(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	/* Just past the only memory region. */
	set_desc(&vq->desc[h], gpa(d->mem) + d->mem_size, 64, 0, 0);
	vg_push_kick(vq, h);
}

static void make_straddle(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	/* Starts inside the region, ends past it. */
	set_desc(&vq->desc[h], gpa(d->mem) + d->mem_size - 32, 64, 0, 0);
	vg_push_kick(vq, h);
}

static void make_overflow(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], 0xfffffffffffff000ULL, 0x2000, 0, 0);
	vg_push_kick(vq, h);
}

static void make_nested(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);
	struct vring_desc *t = vq->ind[h];

	set_desc(&t[0], gpa(vq->ind[h]) + 32, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc(&vq->desc[h], gpa(t), 16, VRING_DESC_F_INDIRECT, 0);
	vg_push_kick(vq, h);
}

static void make_ind_len(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], gpa(vq->ind[h]), 24, VRING_DESC_F_INDIRECT, 0);
	vg_push_kick(vq, h);
}

static void make_ind_outside(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], 0x1000, 32, VRING_DESC_F_INDIRECT, 0);
	vg_push_kick(vq, h);
}

static void make_ind_loop(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);
	struct vring_desc *t = vq->ind[h];

	set_desc(&t[0], gpa(buf_of(vq, h)), 16, VRING_DESC_F_NEXT, 1);
	set_desc(&t[1], gpa(buf_of(vq, h)), 16, VRING_DESC_F_NEXT, 0);
	set_desc(&vq->desc[h], gpa(t), 32, VRING_DESC_F_INDIRECT, 0);
	vg_push_kick(vq, h);
}

static void make_avail_jump(struct vg_dev *d, struct vg_vq *vq)
{
	uint64_t one = 1;

	vq->avail_idx += vq->num + 1;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
		printf("# kick failed\n");
}

static void make_tx_writable(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 128, VRING_DESC_F_WRITE, 0);
	vg_push_kick(vq, h);
}

static void make_out_after_in(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 2);
	uint16_t second = vq->desc[h].next;

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 64,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, second);
	set_desc(&vq->desc[second], gpa(buf_of(vq, h)) + 64, 64, 0, 0);
	vg_push_kick(vq, h);
}

static void make_rx_readable(struct vg_dev *d, struct vg_vq *vq)
{
	/* The rx ring is full: spoil the buffer the device takes next. */
	uint16_t h = vq->avail->ring[vq->last_used & (vq->num - 1)];

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 256, 0, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static const struct hostile hostile_cases[] = {
	{ "descriptor loop", false, "descriptor loop", make_loop },
	{ "avail entry beyond the ring", false, "outside the ring", make_head_range },
	{ "next index beyond the ring", false, "links to", make_next_range },
	{ "buffer outside the memory table", false, "outside guest memory", make_outside },
	{ "buffer straddling the end of memory", false, "outside guest memory", make_straddle },
	{ "address + length overflow", false, "outside guest memory", make_overflow },
	{ "nested indirect table", false, "nested indirect", make_nested },
	{ "indirect length not a multiple of 16", false, "not a positive multiple", make_ind_len },
	{ "indirect table outside memory", false, "indirect table", make_ind_outside },
	{ "loop in an indirect table", false, "loop in indirect table", make_ind_loop },
	{ "avail index jump beyond the ring size", false, "avail index moved", make_avail_jump },
	{ "writable descriptor in a tx chain", false, "writable segments", make_tx_writable },
	{ "readable descriptor after a writable one", false, "readable descriptor", make_out_after_in },
	{ "readable descriptor in an rx chain", true, "readable and", make_rx_readable },
};

#define NHOSTILE (sizeof(hostile_cases) / sizeof(hostile_cases[0]))

#endif
