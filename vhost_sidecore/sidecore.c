// SPDX-License-Identifier: GPL-2.0
/*
 * The sidecore thread: a polling loop over the vqs given to it.
 *
 * One pass looks at every vq once (in the owner's address space, switched
 * only when the owner changes: vqs are kept grouped by mm) and runs the
 * handler of those with work; each run is bounded by the backend's
 * weights and by a turn of VSC_EXEC_TURN_NS, and never sleeps in a page
 * fault (exec.c). Between vqs the thread takes changes of its list, and
 * yields to anything else runnable on its CPU; between passes it reports
 * quiescent states.
 *
 * The thread runs with migration disabled: it is bound to its CPU, and
 * when that CPU goes down the scheduler must leave it there (it would
 * otherwise push it away, holding an owner's mm, before our hotplug
 * callback stops it: "no longer affine").
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/wait_bit.h>

#include "dev.h"
#include "exec.h"
#include "sidecore.h"
#include "vring.h"

/* Make @mm the address space the thread works in (NULL: none). */
static void vsc_sidecore_use_mm(struct vsc_sidecore *sc, struct mm_struct *mm)
{
	if (sc->mm == mm)
		return;
	if (sc->mm)
		kthread_unuse_mm(sc->mm);
	if (mm) {
		kthread_use_mm(mm);
		VSC_STAT_INC(&sc->stats, mm_switches);
	}
	sc->mm = mm;
}

/* Owner mm first (fewer switches), then device and vq: a stable order. */
static int vsc_vq_cmp(const void *a, const void *b)
{
	const struct vsc_vq *x = *(const struct vsc_vq * const *)a;
	const struct vsc_vq *y = *(const struct vsc_vq * const *)b;
	unsigned long mx = (unsigned long)x->dev->mm;
	unsigned long my = (unsigned long)y->dev->mm;

	if (mx != my)
		return mx < my ? -1 : 1;
	if (x->dev->id != y->dev->id)
		return x->dev->id < y->dev->id ? -1 : 1;
	return (int)x->index - (int)y->index;
}

static void vsc_vq_put_ref(struct vsc_vq *vq)
{
	atomic_t *refs = &vq->sc_refs;

	/* The owner's teardown may free the vq as soon as this is zero. */
	if (atomic_dec_and_test(refs))
		wake_up_var(refs);
}

/*
 * Take the assigned list as the new poll array: references on the new
 * vqs first, then drop those of the old array (after leaving the mm,
 * which may be the one of a device going away).
 */
static void vsc_sidecore_sync(struct vsc_sidecore *sc)
{
	struct vsc_vq *vq;
	unsigned int n = 0, i;

	vsc_sidecore_use_mm(sc, NULL);
	spin_lock(&sc->lock);
	WRITE_ONCE(sc->dirty, false);
	list_for_each_entry(vq, &sc->assigned, sc_node) {
		if (WARN_ON_ONCE(n == VSC_SIDECORE_MAX_VQS))
			break;
		atomic_inc(&vq->sc_refs);
		sc->next[n++] = vq;
	}
	spin_unlock(&sc->lock);
	sort(sc->next, n, sizeof(*sc->next), vsc_vq_cmp, NULL);
	for (i = 0; i < sc->nvqs; i++)
		vsc_vq_put_ref(sc->vqs[i]);
	swap(sc->vqs, sc->next);
	sc->nvqs = n;
}

static bool vsc_sidecore_wanted(const struct vsc_sidecore *sc)
{
	return READ_ONCE(sc->dirty) || READ_ONCE(sc->stopping) ||
	       kthread_should_stop();
}

/* Returns whether the pass moved frames. */
static bool vsc_sidecore_pass(struct vsc_sidecore *sc)
{
	u64 start = local_clock(), now, pkts = 0, runs = 0;
	unsigned int i;
	int n;

	for (i = 0; i < sc->nvqs; i++) {
		struct vsc_vq *vq = sc->vqs[i];

		/* Cheap look first: moved away, or with its worker. */
		if (READ_ONCE(vq->sc) != sc || READ_ONCE(vq->handoff))
			continue;
		/* Its last turn ran over: it sits this pass out. */
		if (unlikely(READ_ONCE(vq->poll_skip))) {
			WRITE_ONCE(vq->poll_skip, vq->poll_skip - 1);
			continue;
		}
		/* Stable: our reference keeps the device and its owner. */
		vsc_sidecore_use_mm(sc, vq->dev->mm);
		n = vsc_exec_poll(sc, vq);
		if (n >= 0) {
			runs++;
			pkts += n;
		}
		/* The list changed or we are to stop: take it now. */
		if (vsc_sidecore_wanted(sc))
			break;
		/* Many busy vqs make a long pass: yield inside it too. */
		cond_resched();
	}
	now = local_clock();
	VSC_STAT_INC(&sc->stats, passes);
	VSC_STAT_ADD(&sc->stats, runs, runs);
	if (pkts) {
		VSC_STAT_ADD(&sc->stats, busy_ns, now - start);
		VSC_STAT_ADD(&sc->stats, packets, pkts);
	} else {
		VSC_STAT_ADD(&sc->stats, idle_ns, now - start);
		VSC_STAT_INC(&sc->stats, empty_polls);
	}
	return pkts;
}

/*
 * Idle back-off (microseconds): after spinning idle_spin_us with nothing
 * to do, a sidecore sleeps between passes, from 1 us doubling up to
 * idle_sleep_us, until a pass finds work; 0 keeps it spinning, with PAUSE.
 */
static unsigned int vsc_idle_spin_us = 50;
module_param_named(idle_spin_us, vsc_idle_spin_us, uint, 0644);
MODULE_PARM_DESC(idle_spin_us,
		 "microseconds an idle sidecore spins before it backs off (default 50)");
/*
 * Off by default: with a CPU of its own the spin costs no one, and the
 * sleeps cost frames (under QEMU TCG, our tests, a frame after a quiet
 * spell waited 2.7 ms instead of 0.12 at idle_sleep_us=50). Hosts where
 * the sidecore shares a core turn it on (Documentation/sidecores.rst).
 */
static unsigned int vsc_idle_sleep_us;
module_param_named(idle_sleep_us, vsc_idle_sleep_us, uint, 0644);
MODULE_PARM_DESC(idle_sleep_us,
		 "longest sleep of an idle sidecore between passes, microseconds; 0: never sleep (default 0)");

/*
 * Between passes. A busy pass resets the back-off. Empty passes spin on
 * with cpu_relax() (PAUSE: an SMT sibling gets the core's resources) for
 * idle_spin_us, then each is followed by a sleep, 1 us doubling to
 * idle_sleep_us: on a core shared with vCPUs, an idle sidecore then
 * hands back nearly all of it, and a frame waits at most that long more.
 * List changes and stops wake the sleep (wake_up_process()).
 */
static void vsc_sidecore_idle(struct vsc_sidecore *sc, bool busy)
{
	unsigned int spin_us = READ_ONCE(vsc_idle_spin_us);
	unsigned int sleep_us = READ_ONCE(vsc_idle_sleep_us);
	u64 now, max_ns = (u64)sleep_us * NSEC_PER_USEC;
	ktime_t t;

	if (busy || !sleep_us) {
		sc->idle_since = 0;
		sc->backoff_ns = 0;
		if (!busy)
			cpu_relax();
		return;
	}
	now = local_clock();
	if (!sc->idle_since)
		sc->idle_since = now;
	if (now - sc->idle_since < (u64)spin_us * NSEC_PER_USEC) {
		cpu_relax();
		return;
	}
	sc->backoff_ns = clamp_t(u64, sc->backoff_ns * 2, NSEC_PER_USEC,
				 max_ns);
	t = ns_to_ktime(sc->backoff_ns);
	set_current_state(TASK_IDLE);
	if (!vsc_sidecore_wanted(sc))
		schedule_hrtimeout_range(&t, sc->backoff_ns / 8,
					 HRTIMER_MODE_REL);
	__set_current_state(TASK_RUNNING);
	now = local_clock() - now;
	VSC_STAT_INC(&sc->stats, sleeps);
	VSC_STAT_ADD(&sc->stats, sleep_ns, now);
	VSC_STAT_ADD(&sc->stats, idle_ns, now);
}

static int vsc_sidecore_fn(void *data)
{
	struct vsc_sidecore *sc = data;
	unsigned int i;

	migrate_disable();
	for (;;) {
		if (READ_ONCE(sc->stopping) || kthread_should_stop())
			break;
		if (READ_ONCE(sc->dirty)) {
			vsc_sidecore_sync(sc);
			continue;
		}
		if (!sc->nvqs) {
			/* Park: sleep until the list changes or a stop. */
			vsc_sidecore_use_mm(sc, NULL);
			set_current_state(TASK_INTERRUPTIBLE);
			/* Ordered by set_current_state() / wake_up_process(). */
			if (!vsc_sidecore_wanted(sc)) {
				WRITE_ONCE(sc->parked, true);
				schedule();
				WRITE_ONCE(sc->parked, false);
			}
			__set_current_state(TASK_RUNNING);
			continue;
		}
		vsc_sidecore_idle(sc, vsc_sidecore_pass(sc));
		cond_resched();
		/* RCU-tasks quiescent state too, once per pass. */
		cond_resched_tasks_rcu_qs();
	}
	/* Let go of every vq: owners may be waiting in their teardown. */
	vsc_sidecore_use_mm(sc, NULL);
	for (i = 0; i < sc->nvqs; i++)
		vsc_vq_put_ref(sc->vqs[i]);
	sc->nvqs = 0;
	migrate_enable();
	/* Wait to be reaped (kthread_stop) rather than exit on our own. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

struct vsc_sidecore *vsc_sidecore_create(int cpu)
{
	struct task_struct *task;
	struct vsc_sidecore *sc;
	int node = cpu_to_node(cpu);
	int err = -ENOMEM;

	sc = kzalloc_node(sizeof(*sc), GFP_KERNEL, node);
	if (!sc)
		return ERR_PTR(err);
	sc->vqs = kcalloc_node(VSC_SIDECORE_MAX_VQS, sizeof(*sc->vqs),
			       GFP_KERNEL, node);
	if (!sc->vqs)
		goto err_sc;
	sc->next = kcalloc_node(VSC_SIDECORE_MAX_VQS, sizeof(*sc->next),
				GFP_KERNEL, node);
	if (!sc->next)
		goto err_vqs;
	sc->cpu = cpu;
	spin_lock_init(&sc->lock);
	INIT_LIST_HEAD(&sc->assigned);
	INIT_LIST_HEAD(&sc->dying_node);
	task = kthread_create_on_cpu(vsc_sidecore_fn, sc, cpu, "vsc-core/%u");
	if (IS_ERR(task)) {
		err = PTR_ERR(task);
		goto err_next;
	}
	/* Kept past the thread's exit, to read its final CPU time. */
	get_task_struct(task);
	sc->task = task;
	wake_up_process(task);
	return sc;

err_next:
	kfree(sc->next);
err_vqs:
	kfree(sc->vqs);
err_sc:
	kfree(sc);
	return ERR_PTR(err);
}

void vsc_sidecore_stop(struct vsc_sidecore *sc)
{
	WRITE_ONCE(sc->stopping, true);
	wake_up_process(sc->task);
}

u64 vsc_sidecore_destroy(struct vsc_sidecore *sc)
{
	u64 ns;

	WARN_ON_ONCE(sc->nassigned);
	kthread_stop(sc->task);
	ns = sc->task->se.sum_exec_runtime;
	put_task_struct(sc->task);
	kfree(sc->next);
	kfree(sc->vqs);
	kfree(sc);
	return ns;
}

u64 vsc_sidecore_cpu_ns(const struct vsc_sidecore *sc)
{
	return READ_ONCE(sc->task->se.sum_exec_runtime);
}

void vsc_sidecore_assign(struct vsc_sidecore *sc, struct vsc_vq *vq)
{
	spin_lock(&sc->lock);
	list_add_tail(&vq->sc_node, &sc->assigned);
	WRITE_ONCE(sc->dirty, true);
	spin_unlock(&sc->lock);
	wake_up_process(sc->task);
}

void vsc_sidecore_unassign(struct vsc_sidecore *sc, struct vsc_vq *vq)
{
	spin_lock(&sc->lock);
	list_del_init(&vq->sc_node);
	WRITE_ONCE(sc->dirty, true);
	spin_unlock(&sc->lock);
	wake_up_process(sc->task);
}

bool vsc_sidecore_parked(const struct vsc_sidecore *sc)
{
	return READ_ONCE(sc->parked);
}

void vsc_core_stats_read(const struct vsc_sidecore *sc,
			 struct vsc_core_stats *out)
{
	out->busy_ns = READ_ONCE(sc->stats.busy_ns);
	out->idle_ns = READ_ONCE(sc->stats.idle_ns);
	out->passes = READ_ONCE(sc->stats.passes);
	out->empty_polls = READ_ONCE(sc->stats.empty_polls);
	out->runs = READ_ONCE(sc->stats.runs);
	out->packets = READ_ONCE(sc->stats.packets);
	out->mm_switches = READ_ONCE(sc->stats.mm_switches);
	out->sleeps = READ_ONCE(sc->stats.sleeps);
	out->sleep_ns = READ_ONCE(sc->stats.sleep_ns);
}
