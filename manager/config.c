// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration and the static policies. Placement is decided here
 * and carried out through exec only (start or stop a sidecore, move a vq).
 *
 *   ondemand  no sidecore runs; every vq on its device's worker.
 *   sidecore  one sidecore per allowed online CPU (or the first
 *             `sidecores` of them); every vq polled, counts balanced.
 *   manual    the same sidecores, parked until vqs are moved onto them
 *             by hand (vsc_config_move_vq); new vqs start on demand.
 *   dynamic   the manager thread (manager.c) starts and stops sidecores
 *             on the allowed CPUs (at most `sidecores`) and moves the
 *             vqs as the load changes; here only a CPU that leaves the
 *             allowed set or goes offline has its sidecore stopped.
 *
 * CPU hotplug: going offline, a CPU's sidecore hands its vqs to another
 * sidecore (policy sidecore) or to their workers, then stops; coming back,
 * the CPU is eligible again.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vhost_sidecore.h>

#include "vhost_sidecore/dev.h"
#include "vhost_sidecore/exec.h"
#include "vhost_sidecore/sidecore.h"
#include "config.h"
#include "manager.h"
#include "netlink.h"

const char *const vsc_policy_names[] = {
	[VSC_POLICY_ONDEMAND] = "ondemand",
	[VSC_POLICY_SIDECORE] = "sidecore",
	[VSC_POLICY_MANUAL] = "manual",
	[VSC_POLICY_DYNAMIC] = "dynamic",
	NULL
};

int vsc_policy_parse(const char *name)
{
	int r = __sysfs_match_string(vsc_policy_names, VSC_POLICY_MAX + 1,
				     name);

	return r < 0 ? -EINVAL : r;
}

/* All under vsc_exec_lock. */
static struct vsc_config vsc_cfg;
static cpumask_var_t vsc_cpus_up;	/* online, as our callbacks saw it */
static cpumask_var_t vsc_wanted;	/* where sidecores should run */
static int vsc_cpuhp_state = -1;

int vsc_config_alloc(struct vsc_config *c)
{
	static const struct vsc_pol_params defaults = VSC_POL_DEFAULTS;

	c->policy = VSC_POLICY_ONDEMAND;
	c->sidecores = 0;
	c->knobs = defaults;
	return zalloc_cpumask_var(&c->cpus, GFP_KERNEL) ? 0 : -ENOMEM;
}

void vsc_config_free(struct vsc_config *c)
{
	free_cpumask_var(c->cpus);
}

void vsc_config_get(struct vsc_config *c)
{
	mutex_lock(&vsc_exec_lock);
	c->policy = vsc_cfg.policy;
	c->sidecores = vsc_cfg.sidecores;
	c->knobs = vsc_cfg.knobs;
	cpumask_copy(c->cpus, vsc_cfg.cpus);
	mutex_unlock(&vsc_exec_lock);
}

bool vsc_config_dynamic(struct vsc_pol_params *p, struct cpumask *usable)
{
	lockdep_assert_held(&vsc_exec_lock);
	if (vsc_cfg.policy != VSC_POLICY_DYNAMIC)
		return false;
	*p = vsc_cfg.knobs;
	p->max_sidecores = vsc_cfg.sidecores;
	cpumask_and(usable, vsc_cfg.cpus, vsc_cpus_up);
	return true;
}

void vsc_config_running(struct cpumask *out)
{
	unsigned int cpu;

	cpumask_clear(out);
	mutex_lock(&vsc_exec_lock);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (vsc_exec_core(cpu))
			cpumask_set_cpu(cpu, out);
	mutex_unlock(&vsc_exec_lock);
}

static void vsc_compute_wanted(void)
{
	unsigned int cpu, n = 0;

	cpumask_clear(vsc_wanted);
	if (vsc_cfg.policy == VSC_POLICY_ONDEMAND)
		return;
	/* Dynamic: the manager starts them; only where it may. */
	if (vsc_cfg.policy == VSC_POLICY_DYNAMIC) {
		cpumask_and(vsc_wanted, vsc_cfg.cpus, vsc_cpus_up);
		return;
	}
	for_each_cpu_and(cpu, vsc_cfg.cpus, vsc_cpus_up) {
		if (vsc_cfg.sidecores && n++ >= vsc_cfg.sidecores)
			break;
		cpumask_set_cpu(cpu, vsc_wanted);
	}
}

/* The wanted, running sidecore with the fewest (or most) vqs. */
static struct vsc_sidecore *vsc_pick(bool most, struct vsc_sidecore *skip)
{
	struct vsc_sidecore *best = NULL, *sc;
	unsigned int cpu;

	for_each_cpu(cpu, vsc_wanted) {
		sc = vsc_exec_core(cpu);
		if (!sc || sc == skip)
			continue;
		if (!best || (most ? sc->nassigned > best->nassigned :
				     sc->nassigned < best->nassigned))
			best = sc;
	}
	return best;
}

/* Policy sidecore: every vq on a sidecore, counts within one. */
static void vsc_balance(void)
{
	struct vsc_sidecore *lo, *hi;
	struct vsc_dev *dev;
	struct vsc_vq *vq;
	int i;

	list_for_each_entry(dev, &vsc_exec_devs, exec_node) {
		for (i = 0; i < VSC_NET_NVQS; i++) {
			vq = &dev->vqs[i].vq;
			if (vq->sc)
				continue;
			lo = vsc_pick(false, NULL);
			if (!lo || vsc_exec_move(vq, lo))
				return;
		}
	}
	for (;;) {
		lo = vsc_pick(false, NULL);
		hi = vsc_pick(true, NULL);
		if (!lo || hi->nassigned <= lo->nassigned + 1)
			return;
		vq = NULL;
		list_for_each_entry(dev, &vsc_exec_devs, exec_node) {
			for (i = 0; i < VSC_NET_NVQS && !vq; i++)
				if (dev->vqs[i].vq.sc == hi)
					vq = &dev->vqs[i].vq;
			if (vq)
				break;
		}
		if (!vq || vsc_exec_move(vq, lo))
			return;
	}
}

/* Bring the sidecores and the placement in line with the configuration. */
static void vsc_apply(void)
{
	struct vsc_sidecore *sc;
	struct vsc_dev *dev;
	unsigned int cpu;
	int i;

	lockdep_assert_held(&vsc_exec_lock);
	vsc_compute_wanted();
	for_each_cpu(cpu, vsc_wanted)
		if (vsc_cfg.policy != VSC_POLICY_DYNAMIC &&
		    vsc_exec_core_start(cpu))
			cpumask_clear_cpu(cpu, vsc_wanted);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		sc = vsc_exec_core(cpu);
		if (!sc || cpumask_test_cpu(cpu, vsc_wanted))
			continue;
		/* Straight to another sidecore where the policy polls all. */
		if (vsc_cfg.policy == VSC_POLICY_SIDECORE) {
			list_for_each_entry(dev, &vsc_exec_devs, exec_node)
				for (i = 0; i < VSC_NET_NVQS; i++)
					if (dev->vqs[i].vq.sc == sc)
						vsc_exec_move(&dev->vqs[i].vq,
							      vsc_pick(false, sc));
		}
		vsc_exec_core_stop(cpu);
	}
	if (vsc_cfg.policy == VSC_POLICY_SIDECORE)
		vsc_balance();
}

static void vsc_dev_added(struct vsc_dev *dev)
{
	if (vsc_cfg.policy == VSC_POLICY_SIDECORE)
		vsc_balance();
}

/* Gone from exec: the manager frees what it knew of the device. */
static void vsc_dev_removed(struct vsc_dev *dev)
{
	vsc_manager_forget(dev);
}

#define VSC_ATTR(name)	VHOST_SIDECORE_A_CONFIG_##name

static int vsc_knobs_check(const struct vsc_pol_params *p,
			   struct vsc_refusal *ref)
{
	const struct vsc_knob *k;
	unsigned int i;

	for (i = 0; i < vsc_nknobs; i++) {
		k = &vsc_knobs[i];
		if (!vsc_knob_in_range(k, vsc_knob_get(p, k)))
			return vsc_refuse(ref, -ERANGE, k->range, k->attr, 0);
	}
	if (p->light_load > p->busy_load)
		return vsc_refuse(ref, -EINVAL,
				  "light_load must not exceed busy_load",
				  VSC_ATTR(LIGHT_LOAD), VSC_ATTR(BUSY_LOAD));
	if (p->light_pps > p->busy_pps)
		return vsc_refuse(ref, -EINVAL,
				  "light_pps must not exceed busy_pps",
				  VSC_ATTR(LIGHT_PPS), VSC_ATTR(BUSY_PPS));
	if (p->core_light >= p->core_busy)
		return vsc_refuse(ref, -EINVAL,
				  "core_light must be below core_busy",
				  VSC_ATTR(CORE_LIGHT), VSC_ATTR(CORE_BUSY));
	if (p->grace_ms && p->grace_ms < 2 * p->interval_ms)
		return vsc_refuse(ref, -EINVAL,
				  "grace_ms must be 0 (no search) or at least 2 * interval_ms",
				  VSC_ATTR(GRACE_MS), VSC_ATTR(INTERVAL_MS));
	return 0;
}

static int vsc_config_check(const struct vsc_config *c,
			    struct vsc_refusal *ref)
{
	int r;

	if (c->policy > VSC_POLICY_MAX)
		return vsc_refuse(ref, -EINVAL, "unknown policy", VSC_ATTR(POLICY), 0);
	r = vsc_knobs_check(&c->knobs, ref);
	if (r)
		return r;
	if (!cpumask_subset(c->cpus, cpu_possible_mask))
		return vsc_refuse(ref, -EINVAL,
				  "cpus names a CPU this machine cannot have",
				  VSC_ATTR(CPUS), 0);
	if (c->policy != VSC_POLICY_ONDEMAND && cpumask_empty(c->cpus))
		return vsc_refuse(ref, -EINVAL,
				  "this policy runs sidecores: set cpus first",
				  VSC_ATTR(POLICY), VSC_ATTR(CPUS));
	if (c->sidecores > cpumask_weight(c->cpus) &&
	    c->policy != VSC_POLICY_ONDEMAND)
		return vsc_refuse(ref, -EINVAL,
				  "sidecores is larger than the number of CPUs in cpus",
				  VSC_ATTR(SIDECORES), VSC_ATTR(CPUS));
	return 0;
}

#undef VSC_ATTR

int vsc_config_set(const struct vsc_config *c, struct vsc_refusal *ref)
{
	int r;

	vsc_refuse(ref, 0, NULL, 0, 0);
	r = vsc_config_check(c, ref);
	if (r)
		return r;
	mutex_lock(&vsc_exec_lock);
	vsc_cfg.policy = c->policy;
	vsc_cfg.sidecores = c->sidecores;
	vsc_cfg.knobs = c->knobs;
	cpumask_copy(vsc_cfg.cpus, c->cpus);
	vsc_apply();
	vsc_exec_unlock();
	vsc_manager_kick();
	vsc_nl_config_changed(c);
	pr_info("policy %s, cpus %*pbl, sidecores %u\n",
		vsc_policy_names[c->policy], cpumask_pr_args(c->cpus),
		c->sidecores);
	return 0;
}

/* Serialises read-modify-write updates; taken before vsc_exec_lock. */
static DEFINE_MUTEX(vsc_config_edit_lock);

int vsc_config_update(int (*edit)(struct vsc_config *c, const void *arg,
				  struct vsc_refusal *ref),
		      const void *arg, struct vsc_refusal *ref)
{
	struct vsc_config c;
	int r;

	vsc_refuse(ref, 0, NULL, 0, 0);
	r = vsc_config_alloc(&c);
	if (r)
		return r;
	mutex_lock(&vsc_config_edit_lock);
	vsc_config_get(&c);
	r = edit(&c, arg, ref);
	if (!r)
		r = vsc_config_set(&c, ref);
	mutex_unlock(&vsc_config_edit_lock);
	vsc_config_free(&c);
	return r;
}

int vsc_config_move_vq(int id, unsigned int index, int cpu,
		       struct vsc_move_result *res, struct vsc_refusal *ref)
{
	struct vsc_sidecore *to = NULL;
	struct vsc_dev *dev, *found = NULL;
	struct vsc_vq *vq;
	u64 moves;
	int r = 0;

	vsc_refuse(ref, 0, NULL, 0, 0);
	mutex_lock(&vsc_exec_lock);
	if (vsc_cfg.policy != VSC_POLICY_MANUAL) {
		/* No field of the request is wrong: the policy is. */
		r = vsc_refuse(ref, -EBUSY,
			       "vqs are placed by the policy: set policy manual to move them by hand",
			       0, 0);
		goto out;
	}
	list_for_each_entry(dev, &vsc_exec_devs, exec_node)
		if (dev->id == id)
			found = dev;
	if (!found) {
		r = vsc_refuse(ref, -ENOENT, "no device with that id has an owner",
			       VHOST_SIDECORE_A_MOVE_DEV, 0);
		goto out;
	}
	if (index >= VSC_NET_NVQS) {
		r = vsc_refuse(ref, -EINVAL, "vq index out of range (0 rx, 1 tx)",
			       VHOST_SIDECORE_A_MOVE_VQ, 0);
		goto out;
	}
	if (cpu != VSC_TARGET_ONDEMAND) {
		if (cpu < 0 || cpu >= nr_cpu_ids || !vsc_exec_core(cpu)) {
			r = vsc_refuse(ref, -EINVAL, "no sidecore runs on that CPU",
				       VHOST_SIDECORE_A_MOVE_CPU, 0);
			goto out;
		}
		to = vsc_exec_core(cpu);
	}
	vq = &found->vqs[index].vq;
	moves = vsc_move_stats.moves;
	if (res) {
		res->from = vq->sc ? vq->sc->cpu : VSC_TARGET_ONDEMAND;
		res->to = cpu;
	}
	r = vsc_exec_move(vq, to);
	if (r == -ENOSPC)
		vsc_refuse(ref, r, "that sidecore polls as many vqs as it can",
			   VHOST_SIDECORE_A_MOVE_CPU, 0);
	else if (r)
		vsc_refuse(ref, r, "the move failed", 0, 0);
	else if (res) {
		/* Under vsc_exec_lock: the stats are this move's. */
		res->moved = vsc_move_stats.moves != moves;
		res->ns = res->moved ? vsc_move_stats.last_ns : 0;
	}
out:
	mutex_unlock(&vsc_exec_lock);
	return r;
}

static int vsc_cpu_online(unsigned int cpu)
{
	mutex_lock(&vsc_exec_lock);
	cpumask_set_cpu(cpu, vsc_cpus_up);
	vsc_apply();
	vsc_exec_unlock();
	return 0;
}

static int vsc_cpu_offline(unsigned int cpu)
{
	mutex_lock(&vsc_exec_lock);
	cpumask_clear_cpu(cpu, vsc_cpus_up);
	vsc_apply();
	vsc_exec_unlock();
	/*
	 * Its sidecore's thread must be gone before the CPU is: it ends at
	 * its next safe point (its runs are bounded and never sleep in a
	 * tenant's fault), whoever reaps it.
	 */
	vsc_exec_core_wait_gone(cpu);
	return 0;
}

static char *policy = "ondemand";
module_param(policy, charp, 0444);
MODULE_PARM_DESC(policy,
		 "Initial policy: ondemand, sidecore, manual or dynamic (runtime: /sys/kernel/vhost_sidecore/policy)");

static char *cpus = "";
module_param(cpus, charp, 0444);
MODULE_PARM_DESC(cpus, "Initial CPU list sidecores may run on, e.g. 2-3");

static unsigned int sidecores;
module_param(sidecores, uint, 0444);
MODULE_PARM_DESC(sidecores,
		 "Initial number of sidecores (0: one per CPU in cpus)");

/* The configuration the module parameters ask for, in @c. */
static int vsc_config_from_params(struct vsc_config *c)
{
	struct vsc_refusal ref;
	int r;

	r = vsc_policy_parse(policy ?: "");
	if (r < 0) {
		pr_err("policy=%s: not one of ondemand, sidecore, manual, dynamic\n",
		       policy);
		return -EINVAL;
	}
	c->policy = r;
	c->sidecores = sidecores;
	r = cpulist_parse(cpus ?: "", c->cpus);
	if (r) {
		pr_err("cpus=%s: not a CPU list\n", cpus);
		return -EINVAL;
	}
	r = vsc_config_check(c, &ref);
	if (r) {
		pr_err("policy=%s cpus=%s sidecores=%u: %s\n", policy, cpus,
		       sidecores, ref.why);
		return -EINVAL;
	}
	return 0;
}

/* From the module parameters; the manager thread starts after this. */
int vsc_config_init(void)
{
	struct vsc_config c;
	int r;

	r = vsc_config_alloc(&c);
	if (r)
		return r;
	r = vsc_config_from_params(&c);
	if (r)
		goto out;
	r = -ENOMEM;
	if (!zalloc_cpumask_var(&vsc_cpus_up, GFP_KERNEL))
		goto out;
	if (!zalloc_cpumask_var(&vsc_wanted, GFP_KERNEL))
		goto err_up;
	r = vsc_config_alloc(&vsc_cfg);
	if (r)
		goto err_wanted;
	vsc_cfg.policy = c.policy;
	vsc_cfg.sidecores = c.sidecores;
	cpumask_copy(vsc_cfg.cpus, c.cpus);
	vsc_exec_dev_added = vsc_dev_added;
	vsc_exec_dev_removed = vsc_dev_removed;

	/* Calls vsc_cpu_online() for every CPU already up. */
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "vhost_sidecore:online",
			      vsc_cpu_online, vsc_cpu_offline);
	if (r < 0) {
		pr_err("cannot register for CPU hotplug: %d\n", r);
		goto err_cfg;
	}
	vsc_cpuhp_state = r;
	r = 0;
	goto out;

err_cfg:
	vsc_exec_dev_added = NULL;
	vsc_exec_dev_removed = NULL;
	vsc_config_free(&vsc_cfg);
err_wanted:
	free_cpumask_var(vsc_wanted);
err_up:
	free_cpumask_var(vsc_cpus_up);
out:
	vsc_config_free(&c);
	return r;
}

/* Every device is closed: stop the sidecores. */
void vsc_config_exit(void)
{
	if (vsc_cpuhp_state >= 0)
		cpuhp_remove_state(vsc_cpuhp_state);
	mutex_lock(&vsc_exec_lock);
	vsc_exec_dev_added = NULL;
	vsc_exec_dev_removed = NULL;
	vsc_cfg.policy = VSC_POLICY_ONDEMAND;
	vsc_apply();
	vsc_exec_unlock();
	vsc_config_free(&vsc_cfg);
	free_cpumask_var(vsc_wanted);
	free_cpumask_var(vsc_cpus_up);
}
