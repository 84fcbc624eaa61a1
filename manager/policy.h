/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dynamic policy: a pure function from counter samples, the knobs and
 * the current placement to a target placement. No kernel calls: the same
 * code runs in the manager kthread (manager.c), in the host unit tests
 * (tests/unit/test_policy.c) and in the trace-replay simulator
 * (tools/simulate).
 *
 * Every tick the caller fills the "in" fields of each vq and each usable
 * or running sidecore CPU, calls vsc_policy_tick(), then carries out the
 * "out" fields: start the cores with want set, move every vq whose target
 * differs from where it is, stop the cores without want. A vq's and a
 * core's state fields belong to the policy; the caller zeroes them when
 * the vq or the CPU first appears.
 *
 * Loads are in per-mille of one CPU: a vq whose handler ran 300 ms in the
 * last second has load 300.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_POLICY_H
#define VSC_POLICY_H

#include <linux/types.h>

/* Where a vq runs: a sidecore's CPU, or this for its on-demand worker. */
#define VSC_POL_ONDEMAND	(-1)

/* The knobs; defaults in VSC_POL_DEFAULTS, documented in manager.rst. */
struct vsc_pol_params {
	u32 interval_ms;	/* how often the manager looks */
	u32 busy_load;		/* vq load at which it goes to a sidecore */
	u32 light_load;		/* vq load under which it goes back */
	u32 busy_pps;		/* ... or frame rate at which it goes */
	u32 light_pps;		/* ... and frame rate under which it goes back */
	u32 core_busy;		/* core busy share that calls for a sibling */
	u32 core_light;		/* per-core share under which one is removed */
	u32 balance;		/* tolerated load imbalance between cores */
	/*
	 * Minimum time between moves of a vq or core; busy this long to
	 * come, light this long to go.
	 */
	u32 dwell_ms;
	/* A trial's slices: grace_ms/10; at most 2 x this (4 x in a gain). */
	u32 grace_ms;
	u32 pref;		/* throughput preference: objective B^(1+pref)/C */
	u32 regret;		/* least objective change a trial acts on */
	u32 backoff_ms;		/* first wait before retrying a reverted change */
	u32 max_sidecores;	/* at most this many cores run (0: no limit) */
};

#define VSC_POL_DEFAULTS {						\
	.interval_ms = 50, .busy_load = 200, .light_load = 50,		\
	.busy_pps = 50000, .light_pps = 10000,				\
	.core_busy = 900, .core_light = 700, .balance = 200,		\
	.dwell_ms = 200, .grace_ms = 1000, .pref = 1000, .regret = 50,	\
	.backoff_ms = 4000, .max_sidecores = 0 }

/*
 * A knob of the dynamic policy: a u32 field of vsc_pol_params that a user
 * sets, bound to its netlink attribute by name (policy.c); max_sidecores
 * is not one (it comes from the sidecores setting).
 */
struct vsc_knob {
	const char *name;
	size_t offset;
	u16 attr;		/* VHOST_SIDECORE_A_CONFIG_* */
	u32 min, max;
	const char *range;	/* "name must be in min..max", for refusals */
};

extern const struct vsc_knob vsc_knobs[];
extern const unsigned int vsc_nknobs;

static inline u32 *vsc_knob_ptr(struct vsc_pol_params *p,
				const struct vsc_knob *k)
{
	return (u32 *)((char *)p + k->offset);
}

static inline u32 vsc_knob_get(const struct vsc_pol_params *p,
			       const struct vsc_knob *k)
{
	return *(const u32 *)((const char *)p + k->offset);
}

/* The one range check of a knob value, for the setter and front doors. */
static inline bool vsc_knob_in_range(const struct vsc_knob *k, u32 v)
{
	return v >= k->min && v <= k->max;
}

/* Back-off doubles after each revert up to this multiple of backoff_ms. */
#define VSC_POL_BACKOFF_MAX	64

struct vsc_pol_vq {
	/* In: the vq's cumulative counters and where it runs now. */
	u32 id;			/* the caller's name for it, for decisions */
	u64 packets;
	u64 bytes;
	u64 run_ns;		/* time in the handler */
	u64 handoffs;		/* times its sidecore handed it to its worker */
	int where;		/* CPU, or VSC_POL_ONDEMAND */

	/* State. */
	bool primed;		/* last_* are valid */
	u64 last_packets, last_bytes, last_run_ns, last_handoffs;
	bool handed;		/* handed off since the last look */
	u32 load;		/* smoothed load */
	u64 pps;		/* smoothed frames per second */
	u64 moved_ns;		/* last time it moved */
	u64 light_ns;		/* light (both thresholds) since; 0: not */
	u64 idle_ns;		/* no frame at all since; 0: not */
	u64 busy_from_ns;	/* busy (either threshold) since; 0: not */
	u8 level;		/* 0 light, 1 between, 2 busy (last look) */
	u8 light_looks;		/* looks in a row light on their own */
	u64 retry_ns;		/* not moved to a sidecore before this */
	u32 backoff_ms;		/* the next back-off (0: backoff_ms) */
	u64 probe_ns;		/* polled: tried on demand again at this */
	u32 probe_ms;		/* the next wait for that (0: backoff_ms) */
	int trial_from;		/* where it was before the trial (A) */
	int trial_to;		/* where the trial put it (B) */
	bool in_trial;
	bool repoll;		/* a probe lost: back to a sidecore, untried */

	/* Out. */
	int target;
};

struct vsc_pol_core {
	/* In. */
	int cpu;
	bool usable;		/* allowed and online */
	bool running;		/* a sidecore thread runs there */
	u64 busy_ns, idle_ns;	/* the thread's cumulative poll time */

	/* State. */
	bool primed;
	u64 last_busy_ns, last_idle_ns;
	u32 busy;		/* smoothed busy share of its passes */
	u64 changed_ns;		/* last start or stop */

	/* Out. */
	bool want;		/* a sidecore should run here */
	u32 load;		/* sum of the target loads of its vqs */
};

/* Why the last tick changed something (for tracing and the simulator). */
enum vsc_pol_why {
	VSC_POL_NONE = 0,
	VSC_POL_PROMOTE,	/* busy vqs went to sidecores */
	VSC_POL_DEMOTE,		/* light vqs went back on demand */
	VSC_POL_GROW,		/* a saturated core got a sibling */
	VSC_POL_SHRINK,		/* the load fits on one core fewer */
	VSC_POL_REBALANCE,	/* vqs moved between cores by load */
	VSC_POL_REVERT,		/* a change did not pay: undone */
	VSC_POL_KEEP,		/* a change paid: kept */
	VSC_POL_PROBE,		/* kept vqs tried on demand again */
	VSC_POL_WHY_MAX,
};

extern const char *const vsc_pol_why_names[];

struct vsc_pol {
	struct vsc_pol_params p;

	/* State. */
	u64 last_ns;
	bool started;
	/*
	 * Outside trials, trial_* sum the objective's inputs since win_ns:
	 * the last change, verdict or vq crossing a threshold (halved
	 * whenever it grows past two grace periods). score is their
	 * objective.
	 */
	s64 score;
	bool score_valid;
	u64 win_ns;
	u64 trial_bytes, trial_cost_ns, trial_ns;
	/*
	 * A trial alternates the old placement (A) and the new one (B) in
	 * slices: B A A B, B A A B, ... Each pair of slices gives one
	 * difference of their objectives; the trial stops when the pairs
	 * so far decide it, or after its most pairs (see policy.c).
	 */
	bool trial;		/* a change is being measured */
	bool trial_grow;	/* ... and it added a core */
	bool trial_probe;	/* ... or it took vqs off their sidecores */
	unsigned int slice;	/* the current slice */
	u64 slice_end_ns;
	u64 slice_bytes, slice_cost_ns, slice_ns;
	s64 pair_first;		/* the objective of the pair's first slice */
	bool pair_first_ok;	/* ... which had bytes and cost */
	unsigned int pairs;	/* pairs measured */
	s64 sum_d, sum_a;	/* sums of B - A and of A over the pairs */
	u64 pair_first_cpu;	/* I/O CPU (ns per s) of the first slice */
	u64 sum_cpu_a, sum_cpu_b; /* ... of A and of B over the pairs */
	u32 trial_maxc;		/* cores allowed when the trial began */
	s64 sum_d2;		/* sum of (B - A)^2 */
	s64 trial_before;	/* mean A objective, on KEEP/REVERT */
	u64 grow_retry_ns;	/* no core added before this */
	u32 grow_backoff_ms;

	/* Out: the last tick. */
	u32 why;		/* bitmask of 1 << enum vsc_pol_why */
	unsigned int moves;	/* vqs whose target differs from where */
	unsigned int cores;	/* cores wanted */
	s64 last_score;		/* objective of the last tick (if bytes) */
	s64 trial_after;	/* mean B objective, on KEEP/REVERT */

	/* Totals. */
	u64 ticks, changes, reverts;
};

void vsc_policy_init(struct vsc_pol *pol, const struct vsc_pol_params *p);

/*
 * One decision at time @now_ns. @cost_ns is the CPU time the I/O threads
 * (workers and sidecores) used since the previous tick. Sets every vq's
 * target and every core's want; returns the number of vqs to move.
 */
unsigned int vsc_policy_tick(struct vsc_pol *pol, u64 now_ns, u64 cost_ns,
			     struct vsc_pol_vq **vqs, unsigned int nvqs,
			     struct vsc_pol_core *cores, unsigned int ncores);

/*
 * The objective in 16.16 fixed-point log2 units: (1 + pref/1000) *
 * log2(bytes/s) - log2(CPU ns/s). Higher is better; 65536 is a factor 2.
 */
s64 vsc_policy_score(const struct vsc_pol_params *p, u64 bytes, u64 cost_ns,
		     u64 ns);

/* 16.16 fixed-point log2 of @x (> 0). */
s64 vsc_log2_fx(u64 x);

#endif /* VSC_POLICY_H */
