// SPDX-License-Identifier: GPL-2.0
/*
 * Executors: the on-demand worker of each device, and the glue that turns
 * a guest kick or a socket wake-up into a handler run on whichever
 * executor currently owns the vq.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>

#include "dev.h"
#include "exec.h"
#include "vring.h"

#define VSC_WORK_QUEUED 0

void vsc_work_init(struct vsc_work *work, vsc_work_fn_t fn)
{
	clear_bit(VSC_WORK_QUEUED, &work->flags);
	work->fn = fn;
}

static int vsc_worker_fn(void *data)
{
	struct vsc_worker *w = data;
	struct vsc_work *work, *next;
	struct llist_node *node;

	kthread_use_mm(w->mm);
	for (;;) {
		/* Pairs with the barrier in wake_up_process(). */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		node = llist_del_all(&w->list);
		if (!node) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		node = llist_reverse_order(node);
		llist_for_each_entry_safe(work, next, node, node) {
			clear_bit(VSC_WORK_QUEUED, &work->flags);
			/* A queue after this point re-adds the work. */
			smp_mb__after_atomic();
			work->fn(work);
			cond_resched();
		}
	}
	kthread_unuse_mm(w->mm);
	return 0;
}

int vsc_worker_start(struct vsc_worker *w, struct mm_struct *mm,
		     const char *name)
{
	struct task_struct *task;

	init_llist_head(&w->list);
	w->mm = mm;
	task = kthread_create(vsc_worker_fn, w, "%s", name);
	if (IS_ERR(task))
		return PTR_ERR(task);
	w->task = task;
	wake_up_process(task);
	return 0;
}

void vsc_worker_stop(struct vsc_worker *w)
{
	if (!w->task)
		return;
	kthread_stop(w->task);
	w->task = NULL;
}

void vsc_worker_queue(struct vsc_worker *w, struct vsc_work *work)
{
	struct task_struct *task = READ_ONCE(w->task);

	if (!task)
		return;
	/* test_and_set_bit() orders the caller's writes before the add. */
	if (!test_and_set_bit(VSC_WORK_QUEUED, &work->flags)) {
		llist_add(&work->node, &w->list);
		wake_up_process(task);
	}
}

bool vsc_worker_has_work(struct vsc_worker *w)
{
	return !llist_empty(&w->list);
}

struct vsc_flush {
	struct vsc_work work;
	struct completion done;
};

static void vsc_flush_fn(struct vsc_work *work)
{
	complete(&container_of(work, struct vsc_flush, work)->done);
}

void vsc_worker_flush(struct vsc_worker *w)
{
	struct vsc_flush flush;

	if (!w->task)
		return;
	init_completion(&flush.done);
	vsc_work_init(&flush.work, vsc_flush_fn);
	vsc_worker_queue(w, &flush.work);
	wait_for_completion(&flush.done);
}

static void vsc_poll_func(struct file *file, wait_queue_head_t *wqh,
			  poll_table *pt)
{
	struct vsc_poll *p = container_of(pt, struct vsc_poll, table);

	p->wqh = wqh;
	add_wait_queue(wqh, &p->wait);
}

static int vsc_poll_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			   int sync, void *key)
{
	struct vsc_poll *p = container_of(wait, struct vsc_poll, wait);

	if (!(key_to_poll(key) & p->mask))
		return 0;
	if (p->is_kick)
		VSC_STAT_INC(&p->vq->stats, kicks);
	vsc_exec_queue(p->vq);
	return 0;
}

void vsc_poll_init(struct vsc_poll *p, struct vsc_vq *vq, __poll_t mask,
		   bool is_kick)
{
	init_waitqueue_func_entry(&p->wait, vsc_poll_wakeup);
	init_poll_funcptr(&p->table, vsc_poll_func);
	p->wqh = NULL;
	p->mask = mask;
	p->vq = vq;
	p->is_kick = is_kick;
}

/*
 * Start watching @file. The caller keeps a reference to the file until
 * vsc_poll_stop(). Something already pending queues the vq at once.
 */
int vsc_poll_start(struct vsc_poll *p, struct file *file)
{
	__poll_t mask;

	if (p->wqh)
		return 0;
	mask = vfs_poll(file, &p->table);
	if (mask)
		vsc_poll_wakeup(&p->wait, 0, 0, poll_to_key(mask));
	if (mask & EPOLLERR) {
		vsc_poll_stop(p);
		return -EINVAL;
	}
	return 0;
}

/* After this returns no wake-up callback of @p is running or will run. */
void vsc_poll_stop(struct vsc_poll *p)
{
	if (p->wqh) {
		remove_wait_queue(p->wqh, &p->wait);
		p->wqh = NULL;
	}
}

void vsc_exec_queue(struct vsc_vq *vq)
{
	switch (READ_ONCE(vq->mode)) {
	case VSC_EXEC_ONDEMAND:
		vsc_worker_queue(&vq->dev->worker, &vq->work);
		break;
	case VSC_EXEC_SIDECORE:
		/* Polled: the sidecore will see the work by itself. */
		break;
	}
}

void vsc_exec_run(struct vsc_vq *vq)
{
	u64 start;

	mutex_lock(&vq->mutex);
	start = local_clock();
	if (vq->handle)
		vq->handle(vq);
	VSC_STAT_INC(&vq->stats, runs);
	VSC_STAT_ADD(&vq->stats, run_ns, local_clock() - start);
	mutex_unlock(&vq->mutex);
}

static void vsc_vq_work_fn(struct vsc_work *work)
{
	vsc_exec_run(container_of(work, struct vsc_vq, work));
}

void vsc_exec_init_vq(struct vsc_vq *vq)
{
	vq->mode = VSC_EXEC_ONDEMAND;
	vsc_work_init(&vq->work, vsc_vq_work_fn);
}

bool vsc_exec_should_yield(struct vsc_vq *vq)
{
	return need_resched() || vsc_worker_has_work(&vq->dev->worker);
}

void vsc_exec_flush(struct vsc_dev *dev)
{
	vsc_worker_flush(&dev->worker);
}
