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
#include <linux/uaccess.h>
#include <linux/wait_bit.h>

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

/* Does the worker run the vq: on demand, or handed off by its sidecore? */
static bool vsc_exec_on_worker(const struct vsc_vq *vq)
{
	return READ_ONCE(vq->mode) == VSC_EXEC_ONDEMAND ||
	       READ_ONCE(vq->handoff);
}

void vsc_exec_queue(struct vsc_vq *vq)
{
	/* Polled: the sidecore will see the work by itself. */
	if (vsc_exec_on_worker(vq))
		vsc_worker_queue(&vq->dev->worker, &vq->work);
}

/* One handler run; vq->mutex held. Returns the frames it moved. */
static u64 vsc_exec_handle(struct vsc_vq *vq)
{
	u64 start = local_clock(), before = vq->stats.packets, ns;

	vq->run_frames = 0;
	vq->run_deadline = start + VSC_EXEC_TURN_NS;
	if (vq->handle)
		vq->handle(vq);
	ns = local_clock() - start;
	VSC_STAT_INC(&vq->stats, runs);
	VSC_STAT_ADD(&vq->stats, run_ns, ns);
	if (ns > vq->stats.run_ns_max)
		WRITE_ONCE(vq->stats.run_ns_max, ns);
	if (vq->run_frames > vq->stats.run_frames_max)
		WRITE_ONCE(vq->stats.run_frames_max, vq->run_frames);
	return vq->stats.packets - before;
}

/*
 * A sidecore run would have slept in the owner's page fault, or dirty
 * logging (which pins pages and may sleep) is on: the vq's own worker
 * runs it until its hold is over. vq->mutex held.
 */
static void vsc_exec_handoff(struct vsc_vq *vq, int cpu)
{
	u64 now = local_clock();

	if (!vq->handoff_hold || now - vq->handoff_end > NSEC_PER_SEC)
		vq->handoff_hold = VSC_HANDOFF_MIN_NS;
	else
		vq->handoff_hold = min_t(u64, 2 * vq->handoff_hold,
					 VSC_HANDOFF_MAX_NS);
	vq->handoff_until = now + vq->handoff_hold;
	WRITE_ONCE(vq->handoff, true);
	VSC_STAT_INC(&vq->stats, handoffs);
	trace_vq_handoff(vq->dev->id, vq->index, cpu, vq->handoff_hold);
	/* Notifications are off: the worker's run turns them on. */
	vsc_worker_queue(&vq->dev->worker, &vq->work);
}

/* After a worker run: is a hand-off over? vq->mutex held. */
static void vsc_exec_handoff_end(struct vsc_vq *vq)
{
	u64 now;

	if (!vq->handoff)
		return;
	now = local_clock();
	if (READ_ONCE(vq->mode) == VSC_EXEC_SIDECORE &&
	    (vsc_vq_logging(vq) || now < vq->handoff_until))
		return;
	vq->handoff_end = now;
	/* The sidecore polls it again from its next pass. */
	WRITE_ONCE(vq->handoff, false);
}

int vsc_exec_poll(struct vsc_sidecore *sc, struct vsc_vq *vq)
{
	u64 start, ns;
	int n = -1;

	if (READ_ONCE(vq->handoff) || !mutex_trylock(&vq->mutex))
		return -1;
	/* Moved away since our last look at the list, or handed off. */
	if (READ_ONCE(vq->sc) != sc ||
	    READ_ONCE(vq->mode) != VSC_EXEC_SIDECORE || vq->handoff)
		goto out;
	if (unlikely(vsc_vq_logging(vq))) {
		vsc_exec_handoff(vq, sc->cpu);
		goto out;
	}
	start = local_clock();
	vq->nofault = true;
	pagefault_disable();
	if (vq->has_work && vq->has_work(vq))
		n = min_t(u64, vsc_exec_handle(vq), INT_MAX);
	pagefault_enable();
	vq->nofault = false;
	/*
	 * A turn is checked between frames, so one costly frame can make it
	 * longer: the vq then sits out as many passes as it overran, and
	 * the others get their time back (while they have work to do).
	 */
	ns = local_clock() - start;
	if (unlikely(ns >= 2 * VSC_EXEC_TURN_NS))
		WRITE_ONCE(vq->poll_skip,
			   min_t(u64, ns / VSC_EXEC_TURN_NS - 1,
				 VSC_EXEC_SKIP_MAX));
	if (unlikely(vq->faulted)) {
		vq->faulted = false;
		vsc_exec_handoff(vq, sc->cpu);
	}
out:
	mutex_unlock(&vq->mutex);
	return n;
}

int vsc_exec_mgr_idle;
u64 vsc_exec_wake_frames = VSC_EXEC_WAKE_FRAMES;
DECLARE_WAIT_QUEUE_HEAD(vsc_exec_mgr_wq);

void vsc_exec_seen(struct vsc_vq *vq, u64 packets)
{
	WRITE_ONCE(vq->seen_packets, packets);
}

/* Traffic while the manager sleeps: wake it (once). */
static void vsc_exec_activity(struct vsc_vq *vq)
{
	if (likely(!READ_ONCE(vsc_exec_mgr_idle)))
		return;
	if (READ_ONCE(vq->stats.packets) - READ_ONCE(vq->seen_packets) <
	    READ_ONCE(vsc_exec_wake_frames))
		return;
	if (xchg(&vsc_exec_mgr_idle, 0))
		wake_up(&vsc_exec_mgr_wq);
}

/* A worker run. The executor is checked under the mutex: see vsc_exec_move(). */
static void vsc_vq_work_fn(struct vsc_work *work)
{
	struct vsc_vq *vq = container_of(work, struct vsc_vq, work);

	mutex_lock(&vq->mutex);
	/* Queued just before a move to a sidecore: it polls the vq now. */
	if (vsc_exec_on_worker(vq)) {
		vsc_exec_handle(vq);
		vsc_exec_handoff_end(vq);
	}
	mutex_unlock(&vq->mutex);
	vsc_exec_activity(vq);
}

void vsc_exec_init_vq(struct vsc_vq *vq)
{
	vq->mode = VSC_EXEC_ONDEMAND;
	vq->sc = NULL;
	INIT_LIST_HEAD(&vq->sc_node);
	atomic_set(&vq->sc_refs, 0);
	vq->poll_skip = 0;
	vq->handoff = false;
	vq->handoff_hold = 0;
	vq->handoff_until = 0;
	vq->handoff_end = 0;
	vsc_work_init(&vq->work, vsc_vq_work_fn);
}

bool vsc_exec_should_yield(struct vsc_vq *vq)
{
	/* Moved to a sidecore: stop spinning at once. */
	return need_resched() || vsc_worker_has_work(&vq->dev->worker) ||
	       vsc_exec_polled(vq) || kthread_should_stop();
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
void (*vsc_exec_dev_removed)(struct vsc_dev *dev);
void (*vsc_exec_moved)(struct vsc_vq *vq, int from, int to, u64 ns);
void (*vsc_exec_core_changed)(struct vsc_sidecore *sc,
			      enum vsc_core_state state);
void (*vsc_exec_broken)(struct vsc_vq *vq);

void vsc_exec_dev_add(struct vsc_dev *dev)
{
	int i;

	mutex_lock(&vsc_exec_lock);
	/* Not looked at yet: an idle manager wakes at its first traffic. */
	for (i = 0; i < VSC_NET_NVQS; i++)
		WRITE_ONCE(dev->vqs[i].vq.seen_packets, 0);
	list_add_tail(&dev->exec_node, &vsc_exec_devs);
	if (vsc_exec_dev_added)
		vsc_exec_dev_added(dev);
	vsc_exec_unlock();
}

void vsc_exec_dev_del(struct vsc_dev *dev)
{
	int i;

	mutex_lock(&vsc_exec_lock);
	for (i = 0; i < VSC_NET_NVQS; i++)
		vsc_exec_move(&dev->vqs[i].vq, NULL);
	list_del(&dev->exec_node);
	if (vsc_exec_dev_removed)
		vsc_exec_dev_removed(dev);
	vsc_exec_unlock();
	/*
	 * Outside the lock: each sidecore that still has the vqs on its
	 * poll list lets go at its next safe point (bounded: its runs are
	 * weighted and never sleep in a fault). Then no sidecore can touch
	 * the device or its owner's memory any more.
	 */
	for (i = 0; i < VSC_NET_NVQS; i++) {
		atomic_t *refs = &dev->vqs[i].vq.sc_refs;

		wait_var_event(refs, !atomic_read(refs));
	}
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
		vsc_sidecore_unassign(from, vq);
		from->nassigned--;
	}
	/*
	 * From here the old executor does not start another run (it checks
	 * under vq->mutex); a run in progress ends by itself and the new
	 * executor's first run takes the mutex after it.
	 */
	WRITE_ONCE(vq->sc, to);
	if (to) {
		WRITE_ONCE(vq->mode, VSC_EXEC_SIDECORE);
		to->nassigned++;
		vsc_sidecore_assign(to, vq);
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
/* Stopped under vsc_exec_lock, their threads not yet gone. */
static LIST_HEAD(vsc_cores_dying);
/* Sidecore threads not yet gone, by CPU (wait_var_event). */
static atomic_t *vsc_cores_live;
/* CPU time of the sidecore threads that have exited. */
static atomic64_t vsc_core_cpu_gone = ATOMIC64_INIT(0);
/* Serialises the reaping of stopped sidecores. */
static DEFINE_MUTEX(vsc_reap_lock);

u64 vsc_exec_core_cpu_ns(void)
{
	struct vsc_sidecore *sc;
	unsigned int cpu;
	u64 ns;

	mutex_lock(&vsc_exec_lock);
	ns = atomic64_read(&vsc_core_cpu_gone);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (vsc_cores[cpu])
			ns += vsc_sidecore_cpu_ns(vsc_cores[cpu]);
	list_for_each_entry(sc, &vsc_cores_dying, dying_node)
		ns += vsc_sidecore_cpu_ns(sc);
	mutex_unlock(&vsc_exec_lock);
	return ns;
}

void vsc_exec_unlock(void)
{
	struct vsc_sidecore *sc, *tmp;
	LIST_HEAD(dying);
	int cpu;

	lockdep_assert_held(&vsc_exec_lock);
	list_splice_init(&vsc_cores_dying, &dying);
	mutex_unlock(&vsc_exec_lock);
	if (list_empty(&dying))
		return;
	mutex_lock(&vsc_reap_lock);
	list_for_each_entry_safe(sc, tmp, &dying, dying_node) {
		cpu = sc->cpu;
		atomic64_add(vsc_sidecore_destroy(sc), &vsc_core_cpu_gone);
		if (atomic_dec_and_test(&vsc_cores_live[cpu]))
			wake_up_var(&vsc_cores_live[cpu]);
	}
	mutex_unlock(&vsc_reap_lock);
}

void vsc_exec_core_wait_gone(int cpu)
{
	wait_var_event(&vsc_cores_live[cpu],
		       !atomic_read(&vsc_cores_live[cpu]));
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
	atomic_inc(&vsc_cores_live[cpu]);
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
	/* The thread ends in vsc_exec_unlock(), outside the lock. */
	vsc_sidecore_stop(sc);
	list_add_tail(&sc->dying_node, &vsc_cores_dying);
	trace_sidecore_state(cpu, false);
}

int vsc_exec_init(void)
{
	vsc_cores = kcalloc(nr_cpu_ids, sizeof(*vsc_cores), GFP_KERNEL);
	vsc_cores_live = kcalloc(nr_cpu_ids, sizeof(*vsc_cores_live),
				 GFP_KERNEL);
	if (!vsc_cores || !vsc_cores_live) {
		kfree(vsc_cores);
		kfree(vsc_cores_live);
		return -ENOMEM;
	}
	return 0;
}

/* Every device is closed (the module is going away). */
void vsc_exec_exit(void)
{
	unsigned int cpu;

	mutex_lock(&vsc_exec_lock);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		vsc_exec_core_stop(cpu);
	vsc_exec_unlock();
	kfree(vsc_cores);
	kfree(vsc_cores_live);
}
