// SPDX-License-Identifier: GPL-2.0
/*
 * The manager: one kthread that, while the policy is dynamic, wakes every
 * interval_ms, samples the counters of every vq and sidecore (stats only),
 * asks the dynamic policy (policy.c) where things should run, and carries
 * the answer out through exec only: start the sidecores it wants, move
 * the vqs, stop the sidecores it no longer wants. When no sidecore runs
 * and every vq is under the light thresholds it sleeps until a worker
 * sees traffic (vsc_exec_mgr_idle); under any other policy it sleeps
 * until the configuration changes.
 *
 * It measures itself: CPU time of the thread (total and per second of
 * wall time) and the time each reconfiguration takes. Tracepoints give
 * its samples (a counter trace for tools/simulate) and its decisions.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "vhost_sidecore/dev.h"
#include "vhost_sidecore/exec.h"
#include "vhost_sidecore/sidecore.h"
#include "vhost_sidecore/vring.h"
#include "config.h"
#include "manager.h"
#include "policy.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

struct vsc_manager_stats vsc_manager_stats;

/* All under vsc_exec_lock, but the task and the kick flag. */
static struct task_struct *vsc_mgr_task;
static bool vsc_mgr_kicked;
static struct vsc_pol vsc_mgr_pol;
static bool vsc_mgr_active;		/* dynamic at the last look */
static bool vsc_mgr_quiet;		/* ... and nothing to watch */
static struct vsc_pol_core *vsc_mgr_cores;	/* by CPU */
/* Per CPU: whose counters vsc_mgr_cores[] holds, and its sleep so far. */
static struct vsc_mgr_seen {
	struct vsc_sidecore *sc;
	u64 sleep_ns;
} *vsc_mgr_seen;
static struct vsc_pol_vq **vsc_mgr_vqs;
static unsigned int vsc_mgr_cap;
/*
 * What the manager knows of each device with an owner, by device id:
 * the policy's state of its vqs and the last look at its worker's CPU
 * time. The data plane holds none of it. Made at the manager's first
 * look at the device, freed when the device leaves vsc_exec_devs
 * (vsc_manager_forget() from the exec hook) or when the manager starts
 * over: all under vsc_exec_lock, the lock the manager samples under, so
 * an entry never outlives its device while the manager reads it.
 */
struct vsc_mgr_vq {
	struct vsc_pol_vq pol;
	struct vsc_vq *vq;
};

struct vsc_mgr_dev {
	u64 worker_ns;
	bool primed;
	struct vsc_mgr_vq vqs[VSC_NET_NVQS];
};

static DEFINE_XARRAY(vsc_mgr_devs);
static cpumask_var_t vsc_mgr_usable;

/* Thread-private: the CPU-per-second window. */
static u64 vsc_mgr_win_start, vsc_mgr_win_cpu;

#define VSC_STAT_SET(field, v) WRITE_ONCE(vsc_manager_stats.field, (v))

void vsc_manager_forget(struct vsc_dev *dev)
{
	lockdep_assert_held(&vsc_exec_lock);
	kfree(xa_erase(&vsc_mgr_devs, dev->id));
}

static void vsc_manager_forget_all(void)
{
	struct vsc_mgr_dev *md;
	unsigned long id;

	xa_for_each(&vsc_mgr_devs, id, md)
		kfree(xa_erase(&vsc_mgr_devs, id));
}

/* Entering dynamic: forget what an earlier period learnt. */
static void vsc_manager_reset(const struct vsc_pol_params *p)
{
	vsc_policy_init(&vsc_mgr_pol, p);
	memset(vsc_mgr_cores, 0, nr_cpu_ids * sizeof(*vsc_mgr_cores));
	memset(vsc_mgr_seen, 0, nr_cpu_ids * sizeof(*vsc_mgr_seen));
	vsc_manager_forget_all();
}

/* The manager's state of @dev, made zeroed at the first look. */
static struct vsc_mgr_dev *vsc_manager_dev(struct vsc_dev *dev)
{
	struct vsc_mgr_dev *md = xa_load(&vsc_mgr_devs, dev->id);
	int i;

	if (md)
		return md;
	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return NULL;
	for (i = 0; i < VSC_NET_NVQS; i++)
		md->vqs[i].vq = &dev->vqs[i].vq;
	if (xa_err(xa_store(&vsc_mgr_devs, dev->id, md, GFP_KERNEL))) {
		kfree(md);
		return NULL;
	}
	return md;
}

/* Fill the policy's inputs; returns the number of vqs, or -ENOMEM. */
static int vsc_manager_sample(u64 *cost_ns)
{
	unsigned int n = 0, cpu;
	struct vsc_core_stats cs;
	struct vsc_sidecore *sc;
	struct vsc_vq_stats st;
	struct vsc_dev *dev;
	u64 ns;
	int i;

	list_for_each_entry(dev, &vsc_exec_devs, exec_node)
		n += VSC_NET_NVQS;
	if (n > vsc_mgr_cap) {
		struct vsc_pol_vq **a;

		a = krealloc_array(vsc_mgr_vqs, n * 2, sizeof(*a), GFP_KERNEL);
		if (!a)
			return -ENOMEM;
		vsc_mgr_vqs = a;
		vsc_mgr_cap = n * 2;
	}

	*cost_ns = 0;
	n = 0;
	list_for_each_entry(dev, &vsc_exec_devs, exec_node) {
		struct vsc_mgr_dev *md = vsc_manager_dev(dev);

		if (!md)
			return -ENOMEM;
		/* The worker lives as long as the device is on the list. */
		ns = READ_ONCE(dev->worker.task->se.sum_exec_runtime);
		if (md->primed)
			*cost_ns += ns - md->worker_ns;
		md->worker_ns = ns;
		md->primed = true;
		for (i = 0; i < VSC_NET_NVQS; i++) {
			struct vsc_vq *vq = md->vqs[i].vq;
			struct vsc_pol_vq *p = &md->vqs[i].pol;

			vsc_stats_read(&vq->stats, &st);
			vsc_exec_seen(vq, st.packets);
			p->id = dev->id * VSC_NET_NVQS + i;
			p->packets = st.packets;
			p->bytes = st.bytes;
			p->run_ns = st.run_ns;
			p->handoffs = st.handoffs;
			p->where = vq->sc ? vq->sc->cpu : VSC_POL_ONDEMAND;
			vsc_mgr_vqs[n++] = p;
			trace_mgr_vq_sample(dev->id, i, p->where, st.packets,
					    st.bytes, st.kicks, st.run_ns,
					    st.handoffs);
		}
	}

	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct vsc_pol_core *c = &vsc_mgr_cores[cpu];

		sc = vsc_exec_core(cpu);
		c->cpu = cpu;
		c->usable = cpumask_test_cpu(cpu, vsc_mgr_usable);
		c->running = sc;
		/* A new thread starts its counters from zero. */
		if (sc != vsc_mgr_seen[cpu].sc) {
			c->primed = false;
			vsc_mgr_seen[cpu].sc = sc;
		}
		if (sc) {
			vsc_core_stats_read(sc, &cs);
			/* The same address, a new thread: counters restart. */
			if (cs.busy_ns < c->last_busy_ns ||
			    cs.idle_ns < c->last_idle_ns)
				c->primed = false;
			/*
			 * A sidecore's cost is its poll time, less the
			 * sleeps of its idle back-off (read apart from
			 * idle_ns: never more than the rest).
			 */
			if (c->primed) {
				u64 poll = cs.busy_ns + cs.idle_ns -
					   c->last_busy_ns - c->last_idle_ns;
				u64 slept = cs.sleep_ns -
					    vsc_mgr_seen[cpu].sleep_ns;

				*cost_ns += poll - min(poll, slept);
			}
			vsc_mgr_seen[cpu].sleep_ns = cs.sleep_ns;
			c->busy_ns = cs.busy_ns;
			c->idle_ns = cs.idle_ns;
		}
		if (sc || c->usable)
			trace_mgr_core_sample(cpu, c->usable, c->running,
					      c->busy_ns, c->idle_ns);
	}
	return n;
}

/* Carry the decision out: start, move, stop. */
static void vsc_manager_apply(unsigned int nvqs)
{
	struct vsc_sidecore *to;
	unsigned int cpu, i, moved = 0;
	u64 start = ktime_get_ns(), ns;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (vsc_mgr_cores[cpu].want && !vsc_mgr_cores[cpu].running)
			vsc_exec_core_start(cpu);
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *p = vsc_mgr_vqs[i];
		struct vsc_vq *vq = container_of(p, struct vsc_mgr_vq, pol)->vq;

		if (p->target == p->where)
			continue;
		to = NULL;
		if (p->target >= 0) {
			to = vsc_exec_core(p->target);
			/* It could not start: stay where it is. */
			if (!to)
				continue;
		}
		if (!vsc_exec_move(vq, to))
			moved++;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (!vsc_mgr_cores[cpu].want && vsc_mgr_cores[cpu].running)
			vsc_exec_core_stop(cpu);

	ns = ktime_get_ns() - start;
	VSC_STAT_SET(reconfigs, vsc_manager_stats.reconfigs + 1);
	VSC_STAT_SET(reconfig_ns_total, vsc_manager_stats.reconfig_ns_total + ns);
	VSC_STAT_SET(reconfig_ns_last, ns);
	if (ns > vsc_manager_stats.reconfig_ns_max)
		VSC_STAT_SET(reconfig_ns_max, ns);
	VSC_STAT_SET(moves, vsc_manager_stats.moves + moved);
}

static void vsc_manager_tick(void)
{
	struct vsc_pol_params p;
	unsigned int cpu;
	bool cores_change = false;
	u64 cost_ns, now;
	int i, n;

	lockdep_assert_held(&vsc_exec_lock);
	if (!vsc_config_dynamic(&p, vsc_mgr_usable)) {
		vsc_mgr_active = false;
		return;
	}
	if (!vsc_mgr_active)
		vsc_manager_reset(&p);
	vsc_mgr_active = true;
	vsc_mgr_pol.p = p;

	n = vsc_manager_sample(&cost_ns);
	if (n < 0)
		return;
	now = ktime_get_ns();
	vsc_policy_tick(&vsc_mgr_pol, now, cost_ns, vsc_mgr_vqs, n,
			vsc_mgr_cores, nr_cpu_ids);
	trace_mgr_tick(now, cost_ns, vsc_mgr_pol.why, vsc_mgr_pol.moves,
		       vsc_mgr_pol.cores, vsc_mgr_pol.last_score);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (vsc_mgr_cores[cpu].want != vsc_mgr_cores[cpu].running)
			cores_change = true;
	if (vsc_mgr_pol.moves || cores_change) {
		vsc_manager_apply(n);
		trace_mgr_decision(vsc_mgr_pol.why, vsc_mgr_pol.moves,
				   vsc_mgr_pol.cores, vsc_mgr_pol.trial_before,
				   vsc_mgr_pol.trial_after,
				   vsc_manager_stats.reconfig_ns_last);
	}
	VSC_STAT_SET(ticks, vsc_manager_stats.ticks + 1);
	VSC_STAT_SET(reverts, vsc_mgr_pol.reverts);

	/* Quiet: no core, no trial, every vq light. */
	vsc_mgr_quiet = !vsc_mgr_pol.cores && !vsc_mgr_pol.trial;
	for (i = 0; i < n && vsc_mgr_quiet; i++)
		if (vsc_mgr_vqs[i]->load >= p.light_load ||
		    vsc_mgr_vqs[i]->pps >= p.light_pps)
			vsc_mgr_quiet = false;
}

/* The thread's CPU time, total and over the last second. */
static void vsc_manager_account(void)
{
	u64 cpu = current->se.sum_exec_runtime, now = ktime_get_ns();

	VSC_STAT_SET(cpu_ns, cpu);
	if (!vsc_mgr_win_start) {
		vsc_mgr_win_start = now;
		vsc_mgr_win_cpu = cpu;
	} else if (now - vsc_mgr_win_start >= NSEC_PER_SEC) {
		VSC_STAT_SET(cpu_us_per_s,
			     div64_u64((cpu - vsc_mgr_win_cpu) * USEC_PER_SEC,
				       now - vsc_mgr_win_start));
		vsc_mgr_win_start = now;
		vsc_mgr_win_cpu = cpu;
	}
}

static int vsc_manager_fn(void *unused)
{
	unsigned long timeout;
	bool idle;
	u64 start;

	while (!kthread_should_stop()) {
		start = local_clock();
		mutex_lock(&vsc_exec_lock);
		vsc_manager_tick();
		idle = !vsc_mgr_active || vsc_mgr_quiet;
		timeout = idle ? MAX_SCHEDULE_TIMEOUT :
			  msecs_to_jiffies(vsc_mgr_pol.p.interval_ms);
		vsc_exec_unlock();
		VSC_STAT_SET(tick_ns, vsc_manager_stats.tick_ns +
				      local_clock() - start);
		vsc_manager_account();

		/*
		 * Dynamic and quiet: traffic on a worker wakes us, after
		 * as many frames as a light vq moves in one interval; and
		 * we still look at most once per interval.
		 */
		if (vsc_mgr_active && idle) {
			WRITE_ONCE(vsc_exec_wake_frames,
				   max_t(u64, VSC_EXEC_WAKE_FRAMES,
					 (u64)vsc_mgr_pol.p.light_pps *
					 vsc_mgr_pol.p.interval_ms / 1000));
			WRITE_ONCE(vsc_exec_mgr_idle, 1);
		}
		wait_event_interruptible_timeout(vsc_exec_mgr_wq,
			kthread_should_stop() || READ_ONCE(vsc_mgr_kicked) ||
			(vsc_mgr_active && idle && !READ_ONCE(vsc_exec_mgr_idle)),
			timeout);
		if (vsc_mgr_active && idle && !READ_ONCE(vsc_mgr_kicked)) {
			u64 since = local_clock() - start;
			u64 wait = (u64)vsc_mgr_pol.p.interval_ms * NSEC_PER_MSEC;

			if (since < wait)
				schedule_timeout_interruptible(nsecs_to_jiffies(wait - since));
		}
		WRITE_ONCE(vsc_exec_mgr_idle, 0);
		WRITE_ONCE(vsc_mgr_kicked, false);
	}
	return 0;
}

void vsc_manager_kick(void)
{
	WRITE_ONCE(vsc_mgr_kicked, true);
	wake_up(&vsc_exec_mgr_wq);
}

int vsc_manager_init(void)
{
	struct task_struct *task;
	int r = -ENOMEM;

	vsc_mgr_cores = kcalloc(nr_cpu_ids, sizeof(*vsc_mgr_cores),
				GFP_KERNEL);
	if (!vsc_mgr_cores)
		return r;
	vsc_mgr_seen = kcalloc(nr_cpu_ids, sizeof(*vsc_mgr_seen), GFP_KERNEL);
	if (!vsc_mgr_seen)
		goto err_cores;
	if (!zalloc_cpumask_var(&vsc_mgr_usable, GFP_KERNEL))
		goto err_seen;
	task = kthread_run(vsc_manager_fn, NULL, "vsc-manager");
	if (IS_ERR(task)) {
		r = PTR_ERR(task);
		goto err_usable;
	}
	vsc_mgr_task = task;
	return 0;

err_usable:
	free_cpumask_var(vsc_mgr_usable);
err_seen:
	kfree(vsc_mgr_seen);
err_cores:
	kfree(vsc_mgr_cores);
	return r;
}

/* Before the configuration goes (not under the lock). */
void vsc_manager_exit(void)
{
	if (!vsc_mgr_task)
		return;
	kthread_stop(vsc_mgr_task);
	vsc_mgr_task = NULL;
	/* No device is left: nothing else reaches the table now. */
	vsc_manager_forget_all();
	xa_destroy(&vsc_mgr_devs);
	free_cpumask_var(vsc_mgr_usable);
	kfree(vsc_mgr_vqs);
	kfree(vsc_mgr_seen);
	kfree(vsc_mgr_cores);
}
