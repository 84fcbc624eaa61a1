/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager thread (manager.c): while the policy is dynamic it samples
 * the counters, asks the policy (policy.h) and moves vqs through exec.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_MANAGER_H
#define VSC_MANAGER_H

#include <linux/types.h>

struct vsc_dev;

int vsc_manager_init(void);
void vsc_manager_exit(void);
/* Look now (the configuration changed); any context that may sleep. */
void vsc_manager_kick(void);
/* Free what the manager knows of @dev (vsc_exec_lock held). */
void vsc_manager_forget(struct vsc_dev *dev);

/* What the manager measured of itself (read locklessly). */
struct vsc_manager_stats {
	u64 ticks;
	u64 cpu_ns;		/* the thread's CPU time */
	u64 cpu_us_per_s;	/* over the last second of wall time */
	u64 tick_ns;		/* time spent looking and deciding */
	u64 reconfigs;		/* ticks that started, stopped or moved */
	u64 reconfig_ns_total;
	u64 reconfig_ns_max;
	u64 reconfig_ns_last;
	u64 moves;
	u64 reverts;		/* changes undone by the search */
};

extern struct vsc_manager_stats vsc_manager_stats;

#endif /* VSC_MANAGER_H */
