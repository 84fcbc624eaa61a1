// SPDX-License-Identifier: GPL-2.0
/*
 * The sidecore thread: a polling loop over the vqs given to it.
 *
 * One pass looks at every vq once (in the owner's address space, switched
 * only when the owner changes: vqs are kept grouped by mm) and runs the
 * handler of those with work; each run is bounded by the backend's
 * weights. Between passes the thread applies requests, reports quiescent
 * states and yields to anything else runnable on its CPU.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/kthread.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

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

/*
 * Let others run. Before being switched out, leave the owner's address
 * space: while our CPU goes down the scheduler pushes us (bound, not a
 * per-CPU kthread) off it at that moment, and a kernel thread holding a
 * user mm is then reported as "no longer affine". The next look at a vq
 * takes the mm again.
 */
static void vsc_sidecore_yield(struct vsc_sidecore *sc)
{
	if (need_resched())
		vsc_sidecore_use_mm(sc, NULL);
	cond_resched();
}

static void vsc_sidecore_apply(struct vsc_sidecore *sc)
{
	struct vsc_vq *vq = sc->req_vq;
	unsigned int i, at;

	if (sc->req_add) {
		/* Next to the other vqs of the same owner, if any. */
		at = sc->nvqs;
		for (i = 0; i < sc->nvqs; i++)
			if (sc->vqs[i]->dev->mm == vq->dev->mm)
				at = i + 1;
		memmove(&sc->vqs[at + 1], &sc->vqs[at],
			(sc->nvqs - at) * sizeof(*sc->vqs));
		sc->vqs[at] = vq;
		sc->nvqs++;
	} else {
		for (i = 0; i < sc->nvqs && sc->vqs[i] != vq; i++)
			;
		if (i < sc->nvqs) {
			memmove(&sc->vqs[i], &sc->vqs[i + 1],
				(sc->nvqs - i - 1) * sizeof(*sc->vqs));
			sc->nvqs--;
		}
		/* The owner may go away as soon as we complete. */
		vsc_sidecore_use_mm(sc, NULL);
	}
	/* Release: the requester may reuse the slot once it sees this. */
	smp_store_release(&sc->req_pending, 0);
	complete(&sc->req_done);
}

static void vsc_sidecore_pass(struct vsc_sidecore *sc)
{
	u64 start = local_clock(), now, pkts = 0, runs = 0;
	unsigned int i;
	int n;

	for (i = 0; i < sc->nvqs; i++) {
		struct vsc_vq *vq = sc->vqs[i];

		/* Stable: the device leaves the sidecore before its owner. */
		vsc_sidecore_use_mm(sc, vq->dev->mm);
		n = vsc_exec_poll(vq);
		if (n >= 0) {
			runs++;
			pkts += n;
		}
		/* A request waits: apply it before the next vq. */
		if (smp_load_acquire(&sc->req_pending))
			break;
		/* Many busy vqs make a long pass: yield inside it too. */
		vsc_sidecore_yield(sc);
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
}

static int vsc_sidecore_fn(void *data)
{
	struct vsc_sidecore *sc = data;

	for (;;) {
		/* Acquire: the request's vq and op are visible. */
		if (smp_load_acquire(&sc->req_pending)) {
			vsc_sidecore_apply(sc);
			continue;
		}
		if (!sc->nvqs) {
			/* Park: sleep until a vq or a stop request arrives. */
			vsc_sidecore_use_mm(sc, NULL);
			set_current_state(TASK_INTERRUPTIBLE);
			if (kthread_should_stop()) {
				__set_current_state(TASK_RUNNING);
				break;
			}
			/* Ordered by set_current_state() / wake_up_process(). */
			if (!smp_load_acquire(&sc->req_pending)) {
				WRITE_ONCE(sc->parked, true);
				schedule();
				WRITE_ONCE(sc->parked, false);
			}
			__set_current_state(TASK_RUNNING);
			continue;
		}
		if (kthread_should_stop())
			break;
		vsc_sidecore_pass(sc);
		vsc_sidecore_yield(sc);
		/* RCU-tasks quiescent state too, once per pass. */
		cond_resched_tasks_rcu_qs();
	}
	vsc_sidecore_use_mm(sc, NULL);
	return 0;
}

struct vsc_sidecore *vsc_sidecore_create(int cpu)
{
	struct task_struct *task;
	struct vsc_sidecore *sc;
	int node = cpu_to_node(cpu);

	sc = kzalloc_node(sizeof(*sc), GFP_KERNEL, node);
	if (!sc)
		return ERR_PTR(-ENOMEM);
	sc->vqs = kcalloc_node(VSC_SIDECORE_MAX_VQS, sizeof(*sc->vqs),
			       GFP_KERNEL, node);
	if (!sc->vqs) {
		kfree(sc);
		return ERR_PTR(-ENOMEM);
	}
	sc->cpu = cpu;
	init_completion(&sc->req_done);
	task = kthread_create_on_cpu(vsc_sidecore_fn, sc, cpu, "vsc-core/%u");
	if (IS_ERR(task)) {
		kfree(sc->vqs);
		kfree(sc);
		return ERR_CAST(task);
	}
	/* Kept past the thread's exit, to read its final CPU time. */
	get_task_struct(task);
	sc->task = task;
	wake_up_process(task);
	return sc;
}

u64 vsc_sidecore_destroy(struct vsc_sidecore *sc)
{
	u64 ns;

	WARN_ON_ONCE(sc->nassigned);
	kthread_stop(sc->task);
	ns = sc->task->se.sum_exec_runtime;
	put_task_struct(sc->task);
	kfree(sc->vqs);
	kfree(sc);
	return ns;
}

u64 vsc_sidecore_cpu_ns(const struct vsc_sidecore *sc)
{
	return READ_ONCE(sc->task->se.sum_exec_runtime);
}

void vsc_sidecore_request(struct vsc_sidecore *sc, struct vsc_vq *vq,
			  bool add)
{
	reinit_completion(&sc->req_done);
	sc->req_vq = vq;
	sc->req_add = add;
	/* Release: the thread sees req_vq and req_add with the flag. */
	smp_store_release(&sc->req_pending, 1);
	/* Orders the flag before the thread's state check. */
	wake_up_process(sc->task);
	wait_for_completion(&sc->req_done);
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
}
