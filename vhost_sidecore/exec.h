/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a virtqueue's handler runs. Every vq has exactly one executor at a
 * time: its device's on-demand worker (a kthread that sleeps until a kick
 * or socket wake-up queues work) or a sidecore. The data plane only ever
 * calls vsc_exec_queue() ("this vq has something to do") and
 * vsc_exec_flush(); the handler itself does not know which thread runs it.
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
struct mm_struct;

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

/* The vq has work: have its current executor run the handler soon. */
void vsc_exec_queue(struct vsc_vq *vq);

/* Run the vq's handler once, here (executor context, owner mm active). */
void vsc_exec_run(struct vsc_vq *vq);

/* Should a handler that is busy-polling give the CPU back? */
bool vsc_exec_should_yield(struct vsc_vq *vq);

/* Wait until every handler run queued before this call has finished. */
void vsc_exec_flush(struct vsc_dev *dev);

#endif /* VSC_EXEC_H */
