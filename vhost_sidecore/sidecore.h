/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sidecores: kthreads bound to one CPU each that poll, round-robin, the
 * virtqueues assigned to them (of any device, any owner) with guest
 * notifications off. A sidecore with nothing to poll sleeps.
 *
 * The vq array belongs to the thread. Others change it only by posting a
 * request (add or remove one vq) and waiting for the thread to apply it
 * at a safe point between two handler runs; requests are serialised by
 * vsc_exec_lock, so one slot per sidecore is enough.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_SIDECORE_H
#define VSC_SIDECORE_H

#include <linux/completion.h>
#include <linux/types.h>

struct mm_struct;
struct task_struct;
struct vsc_vq;

/* Vqs one sidecore polls at most. */
#define VSC_SIDECORE_MAX_VQS	512

/* Counters of one sidecore: one writer (its thread), lockless readers. */
struct vsc_core_stats {
	u64 busy_ns;		/* passes that moved frames */
	u64 idle_ns;		/* passes that moved nothing */
	u64 passes;
	u64 empty_polls;	/* passes that moved nothing */
	u64 runs;		/* handler runs */
	u64 packets;
	u64 mm_switches;	/* owner address-space changes */
};

struct vsc_sidecore {
	int cpu;
	struct task_struct *task;
	unsigned int nassigned;		/* vqs given to it (vsc_exec_lock) */

	/* Thread-private: the vqs polled, grouped by owner mm. */
	struct vsc_vq **vqs;
	unsigned int nvqs;
	struct mm_struct *mm;		/* address space in use, or NULL */
	bool parked;			/* sleeping with nothing to poll */

	/* The request slot. */
	struct vsc_vq *req_vq;
	bool req_add;
	int req_pending;		/* READ_ONCE/WRITE_ONCE + barriers */
	struct completion req_done;

	struct vsc_core_stats stats;
};

struct vsc_sidecore *vsc_sidecore_create(int cpu);
/*
 * Stop the thread and free; nothing may be assigned any more. Returns
 * the CPU time the thread used in its life.
 */
u64 vsc_sidecore_destroy(struct vsc_sidecore *sc);
/* CPU time the thread used so far. */
u64 vsc_sidecore_cpu_ns(const struct vsc_sidecore *sc);
/* Add or remove @vq; returns once the thread has done it. */
void vsc_sidecore_request(struct vsc_sidecore *sc, struct vsc_vq *vq,
			  bool add);
/* Is the thread sleeping with nothing to poll? (a hint) */
bool vsc_sidecore_parked(const struct vsc_sidecore *sc);
void vsc_core_stats_read(const struct vsc_sidecore *sc,
			 struct vsc_core_stats *out);

#endif /* VSC_SIDECORE_H */
