/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-virtqueue counters: the only input of the manager. Each counter has
 * one writer (the thread running the vq's handler, or for kicks the
 * eventfd wake-up, which is serialised by the eventfd's wait-queue lock)
 * and any number of lockless readers (READ_ONCE of a 64-bit value).
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_STATS_H
#define VSC_STATS_H

#include <linux/compiler.h>
#include <linux/types.h>

struct vsc_vq_stats {
	u64 packets;		/* frames moved (tx sent / rx delivered) */
	u64 bytes;		/* bytes moved, virtio-net header included */
	u64 kicks;		/* guest notifications received */
	u64 signals;		/* guest interrupts raised (call eventfd) */
	u64 runs;		/* handler runs */
	u64 run_ns;		/* time spent in the handler */
	u64 empty_runs;		/* runs that found nothing to do */
	u64 weight_exits;	/* runs cut short by the fairness weight */
	u64 drops;		/* frames dropped (send error, oversize rx) */
	u64 errors;		/* times the vq was marked broken */
	u64 handoffs;		/* sidecore runs handed to the worker */
	u64 run_ns_max;		/* longest handler run */
	u64 run_frames_max;	/* most frames handled in one run */
	u64 iotlb_misses;	/* translations asked of the VMM (vIOMMU) */
};

#define VSC_STAT_ADD(s, field, v) WRITE_ONCE((s)->field, (s)->field + (v))
#define VSC_STAT_INC(s, field) VSC_STAT_ADD(s, field, 1)

static inline void vsc_stats_read(const struct vsc_vq_stats *s,
				  struct vsc_vq_stats *out)
{
	out->packets = READ_ONCE(s->packets);
	out->bytes = READ_ONCE(s->bytes);
	out->kicks = READ_ONCE(s->kicks);
	out->signals = READ_ONCE(s->signals);
	out->runs = READ_ONCE(s->runs);
	out->run_ns = READ_ONCE(s->run_ns);
	out->empty_runs = READ_ONCE(s->empty_runs);
	out->weight_exits = READ_ONCE(s->weight_exits);
	out->drops = READ_ONCE(s->drops);
	out->errors = READ_ONCE(s->errors);
	out->handoffs = READ_ONCE(s->handoffs);
	out->run_ns_max = READ_ONCE(s->run_ns_max);
	out->run_frames_max = READ_ONCE(s->run_frames_max);
	out->iotlb_misses = READ_ONCE(s->iotlb_misses);
}

#endif /* VSC_STATS_H */
