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

enum vsc_policy {
	VSC_POLICY_ONDEMAND = 0,	/* every vq on its device's worker */
	VSC_POLICY_SIDECORE = 1,	/* every vq polled, balanced by count */
	VSC_POLICY_MANUAL = 2,		/* vqs placed one by one */
	VSC_POLICY_MAX = VSC_POLICY_MANUAL,
};

struct vsc_config {
	enum vsc_policy policy;
	cpumask_var_t cpus;		/* CPUs sidecores may use */
	unsigned int sidecores;		/* how many run; 0: one per CPU */
};

extern const char *const vsc_policy_names[];
/* Policy from its name (a trailing newline is fine), or -EINVAL. */
int vsc_policy_parse(const char *name);

int vsc_config_alloc(struct vsc_config *c);
void vsc_config_free(struct vsc_config *c);
/* Copy the current configuration into @c (allocated). */
void vsc_config_get(struct vsc_config *c);
/*
 * Validate and apply @c. On error nothing changed and *why says what was
 * wrong, in words fit for a user (an extack message or a log line).
 */
int vsc_config_set(const struct vsc_config *c, const char **why);

/* Target of a move by hand: a sidecore's CPU, or this for the worker. */
#define VSC_TARGET_ONDEMAND (-1)
/* Policy manual only: put vq @vq of device @dev on @cpu (or ondemand). */
int vsc_config_move_vq(int dev, unsigned int vq, int cpu, const char **why);

/* CPUs with a sidecore thread right now. */
void vsc_config_running(struct cpumask *out);

int vsc_config_init(const char *policy, const char *cpus,
		    unsigned int sidecores);
void vsc_config_exit(void);

int vsc_sysfs_init(void);
void vsc_sysfs_exit(void);

#endif /* VSC_CONFIG_H */
