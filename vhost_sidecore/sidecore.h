/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sidecores: kthreads bound to one CPU each that poll, round-robin, the
 * virtqueues assigned to them (of any device, any owner) with guest
 * notifications off. A sidecore with nothing to poll sleeps.
 *
 * Assignment never waits for the thread. vsc_exec_move() (under
 * vsc_exec_lock) puts a vq on or takes it off sc->assigned, under the
 * spinlock sc->lock, and marks the list dirty; the thread copies the
 * list into its private poll array at its next safe point, taking a
 * reference (vq->sc_refs) on each vq it polls and dropping those of the
 * array it replaces. A device's teardown waits, outside vsc_exec_lock,
 * for its vqs' references to drop to zero. Stopping is the same: a flag
 * the thread sees between two runs; the thread is then reaped by
 * vsc_exec_unlock().
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_SIDECORE_H
#define VSC_SIDECORE_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct mm_struct;
struct task_struct;
struct vsc_vq;

/* Vqs one sidecore polls at most. */
#define VSC_SIDECORE_MAX_VQS	512

/* Counters of one sidecore: one writer (its thread), lockless readers. */
struct vsc_core_stats {
	u64 busy_ns;		/* passes that moved frames */
	u64 idle_ns;		/* passes that moved nothing, back-off sleeps */
	u64 passes;
	u64 empty_polls;	/* passes that moved nothing */
	u64 runs;		/* handler runs */
	u64 packets;
	u64 mm_switches;	/* owner address-space changes */
	u64 sleeps;		/* idle back-off sleeps */
	u64 sleep_ns;		/* ... their length (part of idle_ns) */
};

struct vsc_sidecore {
	int cpu;
	struct task_struct *task;
	unsigned int nassigned;		/* vqs given to it (vsc_exec_lock) */
	struct list_head dying_node;	/* vsc_exec.c, after a stop */

	/* What it should poll: written under vsc_exec_lock and lock. */
	spinlock_t lock;
	struct list_head assigned;	/* vsc_vq.sc_node */
	bool dirty;			/* assigned changed since the copy */
	bool stopping;

	/* Thread-private: the vqs polled, grouped by owner mm. */
	struct vsc_vq **vqs;
	struct vsc_vq **next;		/* scratch for the next copy */
	unsigned int nvqs;
	struct mm_struct *mm;		/* address space in use, or NULL */
	bool parked;			/* sleeping with nothing to poll */
	u64 idle_since;			/* first of the empty passes, or 0 */
	u64 backoff_ns;			/* last idle sleep, 0 while spinning */

	struct vsc_core_stats stats;
};

struct vsc_sidecore *vsc_sidecore_create(int cpu);
/* Ask the thread to end (any context, vsc_exec_lock held); no wait. */
void vsc_sidecore_stop(struct vsc_sidecore *sc);
/*
 * Wait for the thread after vsc_sidecore_stop() and free; nothing may be
 * assigned any more. Returns the CPU time the thread used in its life.
 */
u64 vsc_sidecore_destroy(struct vsc_sidecore *sc);
/* CPU time the thread used so far. */
u64 vsc_sidecore_cpu_ns(const struct vsc_sidecore *sc);
/* Put @vq on / take it off the list the thread polls (no wait). */
void vsc_sidecore_assign(struct vsc_sidecore *sc, struct vsc_vq *vq);
void vsc_sidecore_unassign(struct vsc_sidecore *sc, struct vsc_vq *vq);
/* Is the thread sleeping with nothing to poll? (a hint) */
bool vsc_sidecore_parked(const struct vsc_sidecore *sc);
void vsc_core_stats_read(const struct vsc_sidecore *sc,
			 struct vsc_core_stats *out);

#endif /* VSC_SIDECORE_H */
