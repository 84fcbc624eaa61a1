// SPDX-License-Identifier: GPL-2.0
/*
 * Executors: the on-demand worker of each device, the glue that turns a
 * guest kick or a socket wake-up into a handler run on whichever executor
 * currently owns the vq, and moves of vqs between executors.
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
#include "sidecore.h"
#include "vring.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

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

/* One handler run; vq->mutex held. Returns the frames it moved. */
static u64 vsc_exec_handle(struct vsc_vq *vq)
{
	u64 start = local_clock(), before = vq->stats.packets;

	if (vq->handle)
		vq->handle(vq);
	VSC_STAT_INC(&vq->stats, runs);
	VSC_STAT_ADD(&vq->stats, run_ns, local_clock() - start);
	return vq->stats.packets - before;
}

/*
 * A sidecore's look at one vq (owner mm in use): run the handler if there
 * is work. Never waits for an ioctl that holds the vq: it looks again on
 * the next pass. Returns the frames moved, or -1 when nothing ran.
 */
int vsc_exec_poll(struct vsc_vq *vq)
{
	int n = -1;

	if (!mutex_trylock(&vq->mutex))
		return -1;
	if (vq->has_work && vq->has_work(vq))
		n = min_t(u64, vsc_exec_handle(vq), INT_MAX);
	mutex_unlock(&vq->mutex);
	return n;
}

int vsc_exec_mgr_idle;
u64 vsc_exec_wake_frames = VSC_EXEC_WAKE_FRAMES;
DECLARE_WAIT_QUEUE_HEAD(vsc_exec_mgr_wq);

/* Traffic while the manager sleeps: wake it (once). */
static void vsc_exec_activity(struct vsc_vq *vq)
{
	if (likely(!READ_ONCE(vsc_exec_mgr_idle)))
		return;
	if (READ_ONCE(vq->stats.packets) - READ_ONCE(vq->pol.last_packets) <
	    READ_ONCE(vsc_exec_wake_frames))
		return;
	if (xchg(&vsc_exec_mgr_idle, 0))
		wake_up(&vsc_exec_mgr_wq);
}

/* A worker run. The mode is checked under the mutex: see vsc_exec_move(). */
static void vsc_vq_work_fn(struct vsc_work *work)
{
	struct vsc_vq *vq = container_of(work, struct vsc_vq, work);

	mutex_lock(&vq->mutex);
	/* Queued just before a move to a sidecore: it polls the vq now. */
	if (READ_ONCE(vq->mode) == VSC_EXEC_ONDEMAND)
		vsc_exec_handle(vq);
	mutex_unlock(&vq->mutex);
	vsc_exec_activity(vq);
}

void vsc_exec_init_vq(struct vsc_vq *vq)
{
	vq->mode = VSC_EXEC_ONDEMAND;
	vq->sc = NULL;
	vsc_work_init(&vq->work, vsc_vq_work_fn);
}

bool vsc_exec_should_yield(struct vsc_vq *vq)
{
	return need_resched() || vsc_worker_has_work(&vq->dev->worker);
}

/*
 * Sidecore runs happen under vq->mutex and read the backend there, so
 * once an ioctl has changed a vq under its mutex no sidecore uses the old
 * state; only the worker's queue needs draining.
 */
void vsc_exec_flush(struct vsc_dev *dev)
{
	vsc_worker_flush(&dev->worker);
}

/* Serialises moves, sidecore start/stop and the policy's decisions. */
DEFINE_MUTEX(vsc_exec_lock);
LIST_HEAD(vsc_exec_devs);
/* Written under vsc_exec_lock. */
struct vsc_move_stats vsc_move_stats;
void (*vsc_exec_dev_added)(struct vsc_dev *dev);
void (*vsc_exec_moved)(struct vsc_vq *vq, int from, int to, u64 ns);
void (*vsc_exec_core_changed)(struct vsc_sidecore *sc,
			      enum vsc_core_state state);
void (*vsc_exec_broken)(struct vsc_vq *vq);

void vsc_exec_dev_add(struct vsc_dev *dev)
{
	mutex_lock(&vsc_exec_lock);
	list_add_tail(&dev->exec_node, &vsc_exec_devs);
	if (vsc_exec_dev_added)
		vsc_exec_dev_added(dev);
	mutex_unlock(&vsc_exec_lock);
}

void vsc_exec_dev_del(struct vsc_dev *dev)
{
	int i;

	mutex_lock(&vsc_exec_lock);
	for (i = 0; i < VSC_NET_NVQS; i++)
		vsc_exec_move(&dev->vqs[i].vq, NULL);
	list_del(&dev->exec_node);
	mutex_unlock(&vsc_exec_lock);
}

int vsc_exec_move(struct vsc_vq *vq, struct vsc_sidecore *to)
{
	struct vsc_sidecore *from = vq->sc;
	struct vsc_dev *dev = vq->dev;
	u64 start, ns;

	lockdep_assert_held(&vsc_exec_lock);
	if (from == to)
		return 0;
	if (to && to->nassigned >= VSC_SIDECORE_MAX_VQS)
		return -ENOSPC;
	start = ktime_get_ns();
	if (from) {
		/* Returns between two handler runs of the sidecore. */
		vsc_sidecore_request(from, vq, false);
		from->nassigned--;
	} else {
		/*
		 * Kicks stop queueing worker runs. Taking the mutex waits out
		 * a run in progress; a run still queued takes the mutex after
		 * us, sees the new mode there and does nothing.
		 */
		WRITE_ONCE(vq->mode, VSC_EXEC_SIDECORE);
		mutex_lock(&vq->mutex);
		mutex_unlock(&vq->mutex);
	}
	vq->sc = to;
	if (to) {
		to->nassigned++;
		vsc_sidecore_request(to, vq, true);
	} else {
		/*
		 * Notifications were off and the socket unwatched: one run
		 * on the worker handles what is there, then turns both on
		 * again and looks once more, so no kick is lost.
		 */
		WRITE_ONCE(vq->mode, VSC_EXEC_ONDEMAND);
		vsc_worker_queue(&dev->worker, &vq->work);
	}
	ns = ktime_get_ns() - start;
	WRITE_ONCE(vsc_move_stats.moves, vsc_move_stats.moves + 1);
	WRITE_ONCE(vsc_move_stats.total_ns, vsc_move_stats.total_ns + ns);
	WRITE_ONCE(vsc_move_stats.last_ns, ns);
	if (ns > vsc_move_stats.max_ns)
		WRITE_ONCE(vsc_move_stats.max_ns, ns);
	trace_vq_move(dev->id, vq->index, from ? from->cpu : -1,
		      to ? to->cpu : -1, ns);
	if (vsc_exec_moved)
		vsc_exec_moved(vq, from ? from->cpu : -1, to ? to->cpu : -1, ns);
	if (vsc_exec_core_changed && from && !from->nassigned)
		vsc_exec_core_changed(from, VSC_CORE_PARKED);
	if (vsc_exec_core_changed && to && to->nassigned == 1)
		vsc_exec_core_changed(to, VSC_CORE_POLLING);
	return 0;
}

/* Sidecores by CPU, under vsc_exec_lock. */
static struct vsc_sidecore **vsc_cores;
/* CPU time of the sidecore threads that have exited. */
static u64 vsc_core_cpu_gone;

u64 vsc_exec_core_cpu_ns(void)
{
	unsigned int cpu;
	u64 ns;

	mutex_lock(&vsc_exec_lock);
	ns = vsc_core_cpu_gone;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (vsc_cores[cpu])
			ns += vsc_sidecore_cpu_ns(vsc_cores[cpu]);
	mutex_unlock(&vsc_exec_lock);
	return ns;
}

struct vsc_sidecore *vsc_exec_core(int cpu)
{
	lockdep_assert_held(&vsc_exec_lock);
	return vsc_cores[cpu];
}

int vsc_exec_core_start(int cpu)
{
	struct vsc_sidecore *sc;

	lockdep_assert_held(&vsc_exec_lock);
	if (vsc_cores[cpu])
		return 0;
	sc = vsc_sidecore_create(cpu);
	if (IS_ERR(sc)) {
		pr_warn_ratelimited("cannot start a sidecore on CPU %d: %ld\n",
				    cpu, PTR_ERR(sc));
		return PTR_ERR(sc);
	}
	vsc_cores[cpu] = sc;
	trace_sidecore_state(cpu, true);
	if (vsc_exec_core_changed)
		vsc_exec_core_changed(sc, VSC_CORE_PARKED);
	return 0;
}

void vsc_exec_core_stop(int cpu)
{
	struct vsc_sidecore *sc = vsc_cores[cpu];
	struct vsc_dev *dev;
	int i;

	lockdep_assert_held(&vsc_exec_lock);
	if (!sc)
		return;
	/* Whatever is still there goes back to its worker. */
	list_for_each_entry(dev, &vsc_exec_devs, exec_node)
		for (i = 0; i < VSC_NET_NVQS; i++)
			if (dev->vqs[i].vq.sc == sc)
				vsc_exec_move(&dev->vqs[i].vq, NULL);
	if (vsc_exec_core_changed)
		vsc_exec_core_changed(sc, VSC_CORE_STOPPING);
	vsc_cores[cpu] = NULL;
	vsc_core_cpu_gone += vsc_sidecore_destroy(sc);
	trace_sidecore_state(cpu, false);
}

int vsc_exec_init(void)
{
	vsc_cores = kcalloc(nr_cpu_ids, sizeof(*vsc_cores), GFP_KERNEL);
	return vsc_cores ? 0 : -ENOMEM;
}

/* Every device is closed (the module is going away). */
void vsc_exec_exit(void)
{
	unsigned int cpu;

	mutex_lock(&vsc_exec_lock);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		vsc_exec_core_stop(cpu);
	mutex_unlock(&vsc_exec_lock);
	kfree(vsc_cores);
}
