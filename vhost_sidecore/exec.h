/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a virtqueue's handler runs. Every vq has exactly one executor at a
 * time: its device's on-demand worker (a kthread that sleeps until a kick
 * or socket wake-up queues work) or a sidecore (a kthread pinned to one CPU
 * that polls many vqs, see sidecore.h). The data plane only ever calls
 * vsc_exec_queue() ("this vq has something to do"), vsc_exec_polled()
 * ("will someone look again without a notification?") and
 * vsc_exec_flush(); the handler itself does not care which thread runs it.
 *
 * Control (the manager, sysfs, hotplug) moves vqs with vsc_exec_move()
 * under vsc_exec_lock. Lock order: dev->mutex, vsc_exec_lock, vq->mutex.
 *
 * Tenant isolation: nothing one tenant controls decides how long
 * vsc_exec_lock is held. A move never waits for a handler run or for a
 * sidecore: it switches the executor (the vq mutex keeps runs apart and
 * each executor checks under it that the vq is still its own) and the
 * sidecore takes the change at its next safe point. Only the owner's
 * own teardown waits for a sidecore to let go of its vqs, outside the
 * lock, and a sidecore's runs are bounded by our weights and never
 * sleep in the owner's page faults (they hand the vq to its worker).
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_EXEC_H
#define VSC_EXEC_H

#include <linux/llist.h>
#include <linux/poll.h>
#include <linux/wait.h>

struct vsc_dev;
struct vsc_vq;
struct vsc_sidecore;
struct mm_struct;
struct mutex;

enum vsc_exec_mode {
	VSC_EXEC_ONDEMAND = 0,
	VSC_EXEC_SIDECORE = 1,
};

struct vsc_work;
typedef void (*vsc_work_fn_t)(struct vsc_work *work);

struct vsc_work {
	struct llist_node node;
	unsigned long flags;		/* VSC_WORK_QUEUED */
	vsc_work_fn_t fn;
};

/* The on-demand executor: one kthread per device, in the owner's mm. */
struct vsc_worker {
	struct task_struct *task;
	struct llist_head list;
	struct mm_struct *mm;
};

/* A wait-queue entry on a file (kick eventfd or backend socket). */
struct vsc_poll {
	wait_queue_entry_t wait;
	poll_table table;
	wait_queue_head_t *wqh;
	__poll_t mask;
	struct vsc_vq *vq;
	bool is_kick;			/* count wake-ups as guest kicks */
};

void vsc_work_init(struct vsc_work *work, vsc_work_fn_t fn);

int vsc_worker_start(struct vsc_worker *w, struct mm_struct *mm,
		     const char *name);
void vsc_worker_stop(struct vsc_worker *w);
void vsc_worker_queue(struct vsc_worker *w, struct vsc_work *work);
void vsc_worker_flush(struct vsc_worker *w);
bool vsc_worker_has_work(struct vsc_worker *w);

void vsc_poll_init(struct vsc_poll *p, struct vsc_vq *vq, __poll_t mask,
		   bool is_kick);
int vsc_poll_start(struct vsc_poll *p, struct file *file);
void vsc_poll_stop(struct vsc_poll *p);

/* A new vq starts on its device's on-demand worker. */
void vsc_exec_init_vq(struct vsc_vq *vq);

/*
 * Is the vq polled (no guest notifications, no socket wake-ups needed)?
 * vsc_exec_polled() is in vring.h, next to struct vsc_vq.
 */

/* The vq has work: have its current executor run the handler soon. */
void vsc_exec_queue(struct vsc_vq *vq);

/*
 * Every handler run ends at its weight or once it has run this long,
 * whichever comes first (checked between frames): on a sidecore no vq
 * keeps the others waiting longer, on a worker no vq holds its mutex
 * longer.
 */
#define VSC_EXEC_TURN_NS	(1 * NSEC_PER_MSEC)
/* Passes a sidecore's vq sits out at most after an overlong turn. */
#define VSC_EXEC_SKIP_MAX	64

/*
 * A sidecore's look at @vq (owner mm active): run the handler if it has
 * work, with page faults off. Frames moved, or -1 if nothing ran.
 */
int vsc_exec_poll(struct vsc_sidecore *sc, struct vsc_vq *vq);

/*
 * A handed-off vq goes back to its sidecore after its hold: 1 ms at
 * first, doubled on each hand-off within a second of the last one, up
 * to 1 s.
 */
#define VSC_HANDOFF_MIN_NS	(1 * NSEC_PER_MSEC)
#define VSC_HANDOFF_MAX_NS	(1 * NSEC_PER_SEC)

/* Should a handler that is busy-polling give the CPU back? */
bool vsc_exec_should_yield(struct vsc_vq *vq);

/* Wait until every handler run queued before this call has finished. */
void vsc_exec_flush(struct vsc_dev *dev);

/*
 * Devices whose vqs may run on sidecores: from SET_OWNER (dev->mm set)
 * until teardown. vsc_exec_dev_del() brings every vq back to its worker
 * before it returns, so a sidecore never touches a device without owner.
 * Both take vsc_exec_lock; the caller holds dev->mutex.
 */
extern struct mutex vsc_exec_lock;
extern struct list_head vsc_exec_devs;
/*
 * Release vsc_exec_lock, then stop and free the sidecores stopped under
 * it (their threads are waited for outside the lock).
 */
void vsc_exec_unlock(void);
void vsc_exec_dev_add(struct vsc_dev *dev);
void vsc_exec_dev_del(struct vsc_dev *dev);
/*
 * Set by the control plane, called under vsc_exec_lock: place a new
 * device's vqs; drop what it kept of a device that left (its vqs are on
 * the worker by then).
 */
extern void (*vsc_exec_dev_added)(struct vsc_dev *dev);
extern void (*vsc_exec_dev_removed)(struct vsc_dev *dev);
/* What a sidecore is doing, as vsc_exec_core_changed() reports it. */
enum vsc_core_state {
	VSC_CORE_POLLING,	/* it has vqs */
	VSC_CORE_PARKED,	/* started, or its last vq left */
	VSC_CORE_STOPPING,	/* its thread is about to go */
};

/*
 * Set by the control plane (netlink events): a vq moved (from/to CPU,
 * -1 on demand) and a sidecore changed state, both under vsc_exec_lock;
 * a vq was stopped by a guest fault (its handler's context, vq->mutex
 * held). Set and cleared only while no device exists or under
 * vsc_exec_lock.
 */
extern void (*vsc_exec_moved)(struct vsc_vq *vq, int from, int to, u64 ns);
extern void (*vsc_exec_core_changed)(struct vsc_sidecore *sc,
				     enum vsc_core_state state);
extern void (*vsc_exec_broken)(struct vsc_vq *vq);

/*
 * Sidecores, at most one per CPU, all under vsc_exec_lock. Stopping one
 * first moves what it still polls back to the on-demand workers; its
 * thread ends in vsc_exec_unlock(). vsc_exec_core_wait_gone() (no lock
 * held) returns once no sidecore thread of @cpu is left.
 */
struct vsc_sidecore *vsc_exec_core(int cpu);
int vsc_exec_core_start(int cpu);
void vsc_exec_core_stop(int cpu);
void vsc_exec_core_wait_gone(int cpu);
/* CPU time of every sidecore thread since load, stopped ones included. */
u64 vsc_exec_core_cpu_ns(void);

/*
 * Move @vq to sidecore @to, or to its on-demand worker when @to is NULL.
 * The switch is immediate; a run in progress on the old executor ends
 * by itself (runs are bounded) and the new one starts after it. Caller
 * holds vsc_exec_lock; nothing waits. 0, or -ENOSPC when @to polls as
 * many vqs as it can.
 */
int vsc_exec_move(struct vsc_vq *vq, struct vsc_sidecore *to);

/*
 * While the manager sleeps because every vq is quiet, vsc_exec_mgr_idle
 * is set; the first worker run that finds its vq moved
 * vsc_exec_wake_frames frames (set by the manager, at least
 * VSC_EXEC_WAKE_FRAMES) since the manager's last look clears it and wakes
 * vsc_exec_mgr_wq. The check is one read of a shared flag per run.
 */
#define VSC_EXEC_WAKE_FRAMES	128
extern int vsc_exec_mgr_idle;
extern u64 vsc_exec_wake_frames;
extern struct wait_queue_head vsc_exec_mgr_wq;
/* The manager looked at @vq, whose packet counter read @packets. */
void vsc_exec_seen(struct vsc_vq *vq, u64 packets);

/* Move latency, over every move since load (read locklessly). */
struct vsc_move_stats {
	u64 moves;
	u64 total_ns;
	u64 max_ns;
	u64 last_ns;
};

extern struct vsc_move_stats vsc_move_stats;

int vsc_exec_init(void);
void vsc_exec_exit(void);

#endif /* VSC_EXEC_H */
