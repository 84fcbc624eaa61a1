/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration: which policy places the vqs, on which CPUs sidecores
 * may run and how many. Every front door (module parameters, sysfs, and
 * later netlink) changes it through vsc_config_set() only, and moves a vq
 * by hand through vsc_config_move_vq() only.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_CONFIG_H
#define VSC_CONFIG_H

#include <linux/cpumask.h>
#include <linux/types.h>

#include "policy.h"

enum vsc_policy {
	VSC_POLICY_ONDEMAND = 0,	/* every vq on its device's worker */
	VSC_POLICY_SIDECORE = 1,	/* every vq polled, balanced by count */
	VSC_POLICY_MANUAL = 2,		/* vqs placed one by one */
	VSC_POLICY_DYNAMIC = 3,		/* the manager decides (manager.c) */
	VSC_POLICY_MAX = VSC_POLICY_DYNAMIC,
};

struct vsc_config {
	enum vsc_policy policy;
	cpumask_var_t cpus;		/* CPUs sidecores may use */
	/* How many run (dynamic: at most); 0: one per allowed CPU. */
	unsigned int sidecores;
	/* The dynamic policy's knobs (max_sidecores comes from sidecores). */
	struct vsc_pol_params knobs;
};

extern const char *const vsc_policy_names[];
/* Policy from its name (a trailing newline is fine), or -EINVAL. */
int vsc_policy_parse(const char *name);

/*
 * Why a change or a move was refused: words fit for a user (an extack
 * message or a log line), and the fields they are about as netlink
 * attributes (VHOST_SIDECORE_A_CONFIG_* for a change, _A_MOVE_* for a
 * move), the one most to blame first; 0 for none. A front door points at
 * the first of them its request carried.
 */
struct vsc_refusal {
	const char *why;
	u16 attr[2];
};

/* Fill @ref, return @err. */
static inline int vsc_refuse(struct vsc_refusal *ref, int err,
			     const char *why, u16 attr, u16 other)
{
	ref->why = why;
	ref->attr[0] = attr;
	ref->attr[1] = other;
	return err;
}

int vsc_config_alloc(struct vsc_config *c);
void vsc_config_free(struct vsc_config *c);
/* Copy the current configuration into @c (allocated). */
void vsc_config_get(struct vsc_config *c);
/* Validate and apply @c. On error nothing changed and @ref says why. */
int vsc_config_set(const struct vsc_config *c, struct vsc_refusal *ref);
/*
 * Read, change with @edit, validate and apply, as one step: concurrent
 * updates of different fields do not undo each other.
 */
int vsc_config_update(int (*edit)(struct vsc_config *c, const void *arg,
				  struct vsc_refusal *ref),
		      const void *arg, struct vsc_refusal *ref);

/* Target of a move by hand: a sidecore's CPU, or this for the worker. */
#define VSC_TARGET_ONDEMAND (-1)
/* What a move by hand did: CPUs (or VSC_TARGET_ONDEMAND), time taken. */
struct vsc_move_result {
	int from, to;
	bool moved;		/* false: the vq was there already */
	u64 ns;
};

/*
 * Policy manual only: put vq @vq of device @dev on @cpu (or ondemand).
 * @res (may be NULL) says what was done.
 */
int vsc_config_move_vq(int dev, unsigned int vq, int cpu,
		       struct vsc_move_result *res, struct vsc_refusal *ref);

/* CPUs with a sidecore thread right now. */
void vsc_config_running(struct cpumask *out);

/*
 * For the manager, under vsc_exec_lock: is the policy dynamic? If so,
 * fill @p with the knobs and @usable with the CPUs it may use.
 */
bool vsc_config_dynamic(struct vsc_pol_params *p, struct cpumask *usable);

int vsc_config_init(void);
void vsc_config_exit(void);

#endif /* VSC_CONFIG_H */
