// SPDX-License-Identifier: GPL-2.0
/*
 * The dynamic policy (see policy.h and Documentation/manager.rst).
 *
 * Each tick: smooth every vq's handler load and every core's busy share;
 * measure the change under trial, and judge it once decided; otherwise
 * send light polled vqs back on demand, busy on-demand vqs to a sidecore,
 * add a core when one is saturated or remove one when the load fits on
 * fewer, and place the polled vqs on the cores by load, largest first to
 * the least loaded core (keeping a vq where it is unless that makes the
 * cores clearly less balanced). A change that polls more (a promotion or
 * a new core) is a trial: the old and the new placement take turns in
 * short slices, and the paired differences of the objective decide (see
 * "Trials" below); the change is undone, and not tried again before a
 * back-off that doubles each time, unless it gained at least `regret` (a
 * probe back on demand: unless it lost more than that). A kept promotion
 * is probed after its back-off: its vqs go back on demand, as a trial of
 * their own.
 *
 * Pure: no kernel calls, no allocation, no locking. Built into the module
 * and into the host tests and simulator.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/sort.h>
#include <linux/stddef.h>
#include <linux/types.h>

#include <linux/vhost_sidecore.h>

#include "policy.h"

#define NSEC_PER_MS_	1000000ULL
#define NSEC_PER_S_	1000000000ULL
/* A vq being placed, not yet on a core. */
#define VSC_POL_PENDING	(-2)

/*
 * The knobs: field, netlink attribute (VHOST_SIDECORE_A_CONFIG_<attr>),
 * range, in one list. Each knob names its attribute, so the order here is
 * no part of the ABI.
 */
#define VSC_KNOB_LIST(K) {						\
	K(interval_ms,	INTERVAL_MS,	1, 10000)			\
	K(busy_load,	BUSY_LOAD,	1, 1000)			\
	K(light_load,	LIGHT_LOAD,	0, 1000)			\
	K(busy_pps,	BUSY_PPS,	1, 100000000)			\
	K(light_pps,	LIGHT_PPS,	0, 100000000)			\
	K(core_busy,	CORE_BUSY,	1, 1000)			\
	K(core_light,	CORE_LIGHT,	0, 999)				\
	K(balance,	BALANCE,	0, 1000)			\
	K(dwell_ms,	DWELL_MS,	0, 600000)			\
	K(grace_ms,	GRACE_MS,	0, 600000)			\
	K(pref,		PREF,		0, 100000)			\
	K(regret,	REGRET,		0, 999)				\
	K(backoff_ms,	BACKOFF_MS,	1, 600000)			\
}

#define VSC_KNOB_ATTR(name)	VHOST_SIDECORE_A_CONFIG_##name
#define VSC_KNOB_ATTR_FIRST	VSC_KNOB_ATTR(INTERVAL_MS)
#define VSC_KNOB_ATTRS		(VSC_KNOB_ATTR(BACKOFF_MS) - VSC_KNOB_ATTR_FIRST + 1)

#define VSC_KNOB(field, a, lo, hi)					\
	{ .name = #field, .offset = offsetof(struct vsc_pol_params, field), \
	  .attr = VSC_KNOB_ATTR(a), .min = lo, .max = hi,		\
	  .range = #field " must be in " #lo ".." #hi },

const struct vsc_knob vsc_knobs[] = VSC_KNOB_LIST(VSC_KNOB);

/*
 * Every knob attribute is exactly one knob's, checked as this compiles:
 * each knob marks its attribute's slot (an attribute before or after the
 * knob attributes is outside the array, one marked twice an error), and
 * there are as many knobs as slots.
 */
#define VSC_KNOB_SLOT(field, a, lo, hi)				\
	[VSC_KNOB_ATTR(a) - VSC_KNOB_ATTR_FIRST] = 1,

#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Woverride-init"
static const char vsc_knob_slots[VSC_KNOB_ATTRS] = VSC_KNOB_LIST(VSC_KNOB_SLOT);
#pragma GCC diagnostic pop

_Static_assert(sizeof(vsc_knob_slots) == ARRAY_SIZE(vsc_knobs),
	       "not as many knobs as knob attributes");
_Static_assert(VSC_KNOB_ATTR(BACKOFF_MS) == VHOST_SIDECORE_A_CONFIG_MAX,
	       "a config attribute after backoff_ms: a knob? (VSC_KNOB_ATTRS)");

const unsigned int vsc_nknobs = ARRAY_SIZE(vsc_knobs);

const char *const vsc_pol_why_names[] = {
	[VSC_POL_NONE] = "none",
	[VSC_POL_PROMOTE] = "promote",
	[VSC_POL_DEMOTE] = "demote",
	[VSC_POL_GROW] = "grow",
	[VSC_POL_SHRINK] = "shrink",
	[VSC_POL_REBALANCE] = "rebalance",
	[VSC_POL_REVERT] = "revert",
	[VSC_POL_KEEP] = "keep",
	[VSC_POL_PROBE] = "probe",
};

s64 vsc_log2_fx(u64 x)
{
	unsigned int msb = 0, i;
	u64 m;
	s64 r;

	if (!x)
		return 0;
	while (msb < 63 && (x >> (msb + 1)))
		msb++;
	r = (s64)msb << 16;
	/* Mantissa in [1, 2) as Q31. */
	m = msb >= 31 ? x >> (msb - 31) : x << (31 - msb);
	for (i = 0; i < 16; i++) {
		m = (m * m) >> 31;
		if (m >= (1ULL << 32)) {
			m >>= 1;
			r |= 1LL << (15 - i);
		}
	}
	return r;
}

s64 vsc_policy_score(const struct vsc_pol_params *p, u64 bytes, u64 cost_ns,
		     u64 ns)
{
	s64 per_s = vsc_log2_fx(NSEC_PER_S_) - vsc_log2_fx(ns);
	s64 b = vsc_log2_fx(bytes) + per_s;
	s64 c = vsc_log2_fx(cost_ns) + per_s;

	return div_s64(b * (1000 + (s64)p->pref), 1000) - c;
}

void vsc_policy_init(struct vsc_pol *pol, const struct vsc_pol_params *p)
{
	*pol = (struct vsc_pol){ .p = *p };
}

static u32 vsc_ewma(u32 old, u64 cur)
{
	return (u32)((old + (cur > 1000000 ? 1000000 : cur) + 1) / 2);
}

static struct vsc_pol_core *vsc_pol_core_of(struct vsc_pol_core *cores,
					    unsigned int ncores, int cpu)
{
	unsigned int i;

	for (i = 0; i < ncores; i++)
		if (cores[i].cpu == cpu)
			return &cores[i];
	return NULL;
}

static void vsc_pol_sample(struct vsc_pol *pol, u64 now, u64 dt, u64 *bytes,
			   struct vsc_pol_vq **vqs, unsigned int nvqs,
			   struct vsc_pol_core *cores, unsigned int ncores)
{
	unsigned int i;
	u64 d, b;
	bool light;

	*bytes = 0;
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];

		v->target = v->where;
		/* Counters that went back belong to something new. */
		if (v->packets < v->last_packets || v->bytes < v->last_bytes ||
		    v->run_ns < v->last_run_ns ||
		    v->handoffs < v->last_handoffs) {
			v->primed = false;
			v->idle_ns = 0;
		}
		v->handed = v->primed && v->handoffs != v->last_handoffs;
		if (v->primed && dt) {
			b = v->bytes - v->last_bytes;
			*bytes += b;
			d = div64_u64((v->run_ns - v->last_run_ns) * 1000, dt);
			light = d < pol->p.light_load;
			v->load = vsc_ewma(v->load, d);
			if (v->load > 1000)
				v->load = 1000;
			d = div64_u64((v->packets - v->last_packets) *
				      NSEC_PER_S_, dt);
			light = light && d < pol->p.light_pps;
			/* Light looks in a row, this one alone (saturating). */
			if (!light)
				v->light_looks = 0;
			else if (v->light_looks < U8_MAX)
				v->light_looks++;
			v->pps = (v->pps + d + 1) / 2;
			/* No frame is no frame, whatever the smoothing says. */
			if (v->packets != v->last_packets)
				v->idle_ns = 0;
			else if (!v->idle_ns)
				v->idle_ns = now - dt;
		}
		v->primed = true;
		v->last_packets = v->packets;
		v->last_bytes = v->bytes;
		v->last_run_ns = v->run_ns;
		v->last_handoffs = v->handoffs;
	}
	for (i = 0; i < ncores; i++) {
		struct vsc_pol_core *c = &cores[i];
		u64 busy, idle;

		c->want = false;
		c->load = 0;
		if (!c->running) {
			c->primed = false;
			c->busy = 0;
			continue;
		}
		if (c->busy_ns < c->last_busy_ns || c->idle_ns < c->last_idle_ns)
			c->primed = false;
		if (c->primed) {
			busy = c->busy_ns - c->last_busy_ns;
			idle = c->idle_ns - c->last_idle_ns;
			if (busy + idle)
				c->busy = vsc_ewma(c->busy,
						   div64_u64(busy * 1000,
							     busy + idle));
		}
		c->primed = true;
		c->last_busy_ns = c->busy_ns;
		c->last_idle_ns = c->idle_ns;
	}
}

static int vsc_pol_cmp_load(const void *a, const void *b)
{
	const struct vsc_pol_vq *x = *(const struct vsc_pol_vq * const *)a;
	const struct vsc_pol_vq *y = *(const struct vsc_pol_vq * const *)b;

	if (x->load != y->load)
		return x->load > y->load ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The least loaded active core; ties go to @prefer. */
static struct vsc_pol_core *vsc_pol_lightest(struct vsc_pol_core *cores,
					     unsigned int ncores, int prefer)
{
	struct vsc_pol_core *best = NULL;
	unsigned int i;

	for (i = 0; i < ncores; i++) {
		struct vsc_pol_core *c = &cores[i];

		if (!c->want)
			continue;
		if (!best || c->load < best->load ||
		    (c->load == best->load && c->cpu == prefer))
			best = c;
	}
	return best;
}

static u32 vsc_pol_spread(struct vsc_pol_core *cores, unsigned int ncores,
			  u32 *max)
{
	u32 lo = ~0U, hi = 0;
	unsigned int i;

	for (i = 0; i < ncores; i++) {
		if (!cores[i].want)
			continue;
		if (cores[i].load < lo)
			lo = cores[i].load;
		if (cores[i].load > hi)
			hi = cores[i].load;
	}
	*max = hi;
	return lo > hi ? 0 : hi - lo;
}

/* Current loads of the wanted cores; true if a polled vq has no home. */
static bool vsc_pol_loads(struct vsc_pol_vq **vqs, unsigned int nvqs,
			  struct vsc_pol_core *cores, unsigned int ncores,
			  bool pinned_only, u64 now, u64 dwell)
{
	struct vsc_pol_core *c;
	bool homeless = false;
	unsigned int i;

	for (i = 0; i < ncores; i++)
		cores[i].load = 0;
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];

		if (v->target == VSC_POL_ONDEMAND)
			continue;
		if (pinned_only && v->target >= 0 && now - v->moved_ns >= dwell)
			v->target = VSC_POL_PENDING;
		c = v->target >= 0 ? vsc_pol_core_of(cores, ncores, v->target)
				   : NULL;
		if (c && c->want) {
			c->load += v->load;
		} else {
			v->target = VSC_POL_PENDING;
			homeless = true;
		}
	}
	return homeless;
}

/* Homeless vqs, largest first, each onto the least loaded core. */
static void vsc_pol_home(struct vsc_pol_vq **vqs, unsigned int nvqs,
			 struct vsc_pol_core *cores, unsigned int ncores)
{
	struct vsc_pol_core *c;
	unsigned int i;

	sort(vqs, nvqs, sizeof(*vqs), vsc_pol_cmp_load, NULL);
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];

		if (v->target != VSC_POL_PENDING)
			continue;
		c = vsc_pol_lightest(cores, ncores, v->where);
		v->target = c->cpu;
		c->load += v->load;
	}
}

/*
 * Put every polled vq on a wanted core: homeless ones (just promoted, or
 * their core went) onto the least loaded core. If the cores are then more
 * than `balance` per-mille apart, or the set of cores changed (@force),
 * place again from scratch, largest first, leaving alone the vqs that
 * moved less than dwell_ms ago.
 */
static void vsc_pol_place(struct vsc_pol *pol, u64 now,
			  struct vsc_pol_vq **vqs, unsigned int nvqs,
			  struct vsc_pol_core *cores, unsigned int ncores,
			  bool force)
{
	u64 dwell = (u64)pol->p.dwell_ms * NSEC_PER_MS_;
	u32 spread, max;

	if (vsc_pol_loads(vqs, nvqs, cores, ncores, false, now, dwell))
		vsc_pol_home(vqs, nvqs, cores, ncores);
	spread = vsc_pol_spread(cores, ncores, &max);
	if (!force && (u64)spread * 1000 <= (u64)pol->p.balance * max)
		return;
	vsc_pol_loads(vqs, nvqs, cores, ncores, true, now, dwell);
	vsc_pol_home(vqs, nvqs, cores, ncores);
}

/* The objective's window starts again: it counts what comes after @now. */
static void vsc_pol_window_restart(struct vsc_pol *pol, u64 now)
{
	pol->trial_bytes = 0;
	pol->trial_cost_ns = 0;
	pol->trial_ns = 0;
	pol->score_valid = false;
	pol->win_ns = now;
}

/* Not again before now + *@ms (0: backoff_ms), which then doubles. */
static void vsc_pol_backoff(struct vsc_pol *pol, u64 now, u64 *until,
			    u32 *ms)
{
	u32 b = *ms ?: pol->p.backoff_ms;

	*until = now + (u64)b * NSEC_PER_MS_;
	if (b < pol->p.backoff_ms * VSC_POL_BACKOFF_MAX)
		b *= 2;
	*ms = b;
}

/*
 * Trials. A change that polls more (or a probe that polls less) is not
 * judged on one window after it against one before it: a host's noise
 * (other tenants, a guest's own bursts) moves a single window more than
 * the change does. Instead the old placement A and the new one B take
 * turns in short slices, B A A B B A A B ..., so that every pair of
 * neighbouring slices sees nearly the same offered load and noise, and
 * the pairs' differences of the objective, B - A, are what is judged.
 * The interval a move falls in is left out of its slice.
 *
 * A trial stops as soon as its pairs decide it: once it has
 * VSC_POL_PAIRS_MIN pairs, when a one-sided t-test puts their mean
 * difference beyond the threshold (regret, the least effect acted on):
 * at 1% to keep more sidecores, at 15% to keep fewer (see below). A
 * change that costs a lot (a spinning core that brings nothing) is thus
 * undone after a few slices, and one that hardly matters runs the
 * longest, when running it costs the least. At most grace_ms / slice
 * pairs (ten at most) are measured, twice that for a grow or while
 * their mean points to more sidecores paying by half a standard error;
 * then the mean decides. A slice with no
 * traffic, or a vq of the trial light at two looks in a row, ends the
 * trial at once: the doubt decides. A change that makes the I/O threads
 * use more CPU than any static placement would is undone
 * (vsc_pol_over_budget()), and one the window before it says would is
 * not tried (vsc_pol_affordable()).
 * After an undone trial its vqs wait in proportion to what it cost:
 * its loss, or the CPU its new placement added if that was more.
 */
#define VSC_POL_PAIRS_MIN	3
#define VSC_POL_PAIRS_MAX	10
/* Light looks in a row of a trial's vq that end the trial. */
#define VSC_POL_LIGHT_LOOKS	2
/* A kept change may use 1 / 2^this more CPU than its CPU budget. */
#define VSC_POL_CPU_SLACK	3
/* An undone trial's vqs wait at least this many times what it cost. */
#define VSC_POL_COST_WAIT	75
/*
 * A pair's difference is clamped to this (64 log2 units): with at most
 * twice VSC_POL_PAIRS_MAX pairs the sums of squares times t^2 stay far
 * inside s64.
 */
#define VSC_POL_D_MAX		(64LL << 16)

/*
 * Student's t for n - 1 degrees of freedom, squared and times 100, for
 * n = 3, 4, ...; the last holds for every larger n. One-sided 1% to act
 * towards more sidecores (keep a change that polls more, undo a probe
 * back on demand), 15% towards fewer: a wrong step back costs one more
 * trial after a back-off, while every slice of a losing change costs
 * now (SPRT-style unequal error rates).
 */
static const u16 vsc_pol_t2_more[] = { 4851, 2062, 1404, 1132, 988, 899,
				       839, 796, 764 };
static const u16 vsc_pol_t2_fewer[] = { 192, 156, 142, 134, 129, 125, 123,
					121, 119 };

_Static_assert(ARRAY_SIZE(vsc_pol_t2_more) == ARRAY_SIZE(vsc_pol_t2_fewer),
	       "one t for each number of pairs, either way");

static u64 vsc_pol_slice_ns(const struct vsc_pol_params *p)
{
	u32 ms = p->grace_ms / 10;

	if (ms < 2 * p->interval_ms)
		ms = 2 * p->interval_ms;
	return (u64)ms * NSEC_PER_MS_;
}

static unsigned int vsc_pol_pairs_max(const struct vsc_pol_params *p)
{
	u64 n = div64_u64((u64)p->grace_ms * NSEC_PER_MS_, vsc_pol_slice_ns(p));

	if (n < VSC_POL_PAIRS_MIN)
		return VSC_POL_PAIRS_MIN;
	return n > VSC_POL_PAIRS_MAX ? VSC_POL_PAIRS_MAX : (unsigned int)n;
}

/* Slices 0, 3, 4, 7, 8, ... run the new placement. */
static bool vsc_pol_slice_is_b(unsigned int slice)
{
	return (slice & 3) == 0 || (slice & 3) == 3;
}

/* Where a vq of the trial runs in arm B (@b) or A. */
static int vsc_pol_arm(const struct vsc_pol_vq *v, bool b,
		       struct vsc_pol_core *cores, unsigned int ncores)
{
	int cpu = b ? v->trial_to : v->trial_from;
	struct vsc_pol_core *c;

	if (cpu < 0)
		return VSC_POL_ONDEMAND;
	c = vsc_pol_core_of(cores, ncores, cpu);
	return c && c->usable ? cpu : VSC_POL_ONDEMAND;
}

/* The margin regret stands for, in the objective's units. */
static s64 vsc_pol_margin(const struct vsc_pol_params *p)
{
	return vsc_log2_fx(1000) - vsc_log2_fx(1000 - p->regret);
}

/*
 * Whether the pairs' mean difference lies beyond @thr, above it (@above)
 * or below, by at least t standard errors, t^2 = @t2 / 100 (compared
 * squared, in integers: (mean - thr)^2 n 100 >= t2 var).
 */
static bool vsc_pol_beyond(const struct vsc_pol *pol, s64 thr, bool above,
			   s64 t2)
{
	s64 n = pol->pairs, mean, dev, var = 0;

	if (!n)
		return false;
	mean = div64_s64(pol->sum_d, n);
	dev = mean - thr;
	if (above ? dev <= 0 : dev >= 0)
		return false;
	if (n > 1)
		var = div64_s64(pol->sum_d2 -
				div64_s64(pol->sum_d * pol->sum_d, n), n - 1);
	if (var < 0)
		var = 0;
	return dev * dev * n * 100 >= var * t2;
}

static s64 vsc_pol_t2(const u16 *tab, s64 n)
{
	s64 i = n - VSC_POL_PAIRS_MIN;

	return tab[i < (s64)ARRAY_SIZE(vsc_pol_t2_more) ? i :
		   (s64)ARRAY_SIZE(vsc_pol_t2_more) - 1];
}

/*
 * Whether the pairs so far put the mean difference beyond @thr, above it
 * (@above) or below, with at least the minimum of pairs; @more: that
 * outcome keeps more sidecores (the stricter test).
 */
static bool vsc_pol_shown(const struct vsc_pol *pol, s64 thr, bool above,
			  bool more)
{
	s64 n = pol->pairs;

	if (n < VSC_POL_PAIRS_MIN)
		return false;
	return vsc_pol_beyond(pol, thr, above,
			      vsc_pol_t2(more ? vsc_pol_t2_more :
					 vsc_pol_t2_fewer, n));
}

/*
 * Whether the pairs so far decide the trial either way: B above @thr
 * keeps a change that polls more, or undoes a probe; below it, the
 * other way round.
 */
static bool vsc_pol_decided(const struct vsc_pol *pol, s64 thr)
{
	bool probe = pol->trial_probe;

	return vsc_pol_shown(pol, thr, true, !probe) ||
	       vsc_pol_shown(pol, thr, false, probe);
}

/*
 * Whether the new placement made the I/O threads use more CPU than both
 * the old one and polling everything on every allowed core (give or take
 * 1 / 2^VSC_POL_CPU_SLACK: the workers of the vqs left on demand): freed
 * workers can make the others busier than any estimate before the
 * trial. Such a change is undone as a loss, from the least number of
 * pairs on. Not a new core (a grow): the cores stay within the allowed.
 */
static bool vsc_pol_over_budget(const struct vsc_pol *pol)
{
	u64 b = pol->sum_cpu_b - (pol->sum_cpu_b >> VSC_POL_CPU_SLACK);

	return !pol->trial_probe && !pol->trial_grow &&
	       pol->pairs >= VSC_POL_PAIRS_MIN &&
	       b > (u64)pol->trial_maxc * NSEC_PER_S_ * pol->pairs &&
	       b > pol->sum_cpu_a;
}

static void vsc_pol_trial_start(struct vsc_pol *pol, u64 now,
				struct vsc_pol_vq **vqs, unsigned int nvqs)
{
	const struct vsc_pol_params *p = &pol->p;
	unsigned int i;

	/* Every move of this tick belongs to B, and A undoes it. */
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];

		if (v->target != v->where && !v->in_trial) {
			v->trial_from = v->where;
			v->in_trial = true;
		}
		if (v->in_trial)
			v->trial_to = v->target;
	}
	pol->trial = true;
	pol->slice = 0;
	pol->slice_end_ns = now + vsc_pol_slice_ns(p);
	pol->slice_bytes = 0;
	pol->slice_cost_ns = 0;
	pol->slice_ns = 0;
	pol->pair_first_ok = false;
	pol->pairs = 0;
	pol->sum_d = 0;
	pol->sum_a = 0;
	pol->sum_cpu_a = 0;
	pol->sum_cpu_b = 0;
	pol->sum_d2 = 0;
	/* What the slice measures starts after the move's interval. */
	vsc_pol_window_restart(pol, now + (u64)p->interval_ms * NSEC_PER_MS_);
}

static void vsc_pol_judge(struct vsc_pol *pol, u64 now,
			  struct vsc_pol_vq **vqs, unsigned int nvqs,
			  struct vsc_pol_core *cores, unsigned int ncores,
			  bool gone)
{
	s64 margin = vsc_pol_margin(&pol->p), mean = 0;
	bool revert, loss = false, over = false;
	u64 cost_wait = 0;
	unsigned int i;

	/*
	 * regret is the least effect a trial acts on, and the doubt goes to
	 * the placement with fewer sidecores: a change that polls more is
	 * kept only if it gained that much, a probe back on demand undone
	 * only if it lost that much. When the load went away or light
	 * (@gone), what the pairs measured was another load: the doubt
	 * decides alone, and it is no loss.
	 */
	if (pol->pairs) {
		mean = div64_s64(pol->sum_d, pol->pairs);
		pol->trial_before = div64_s64(pol->sum_a, pol->pairs);
		pol->trial_after = pol->trial_before + mean;
	}
	if (pol->pairs && gone) {
		revert = !pol->trial_probe;
	} else if (pol->pairs) {
		/*
		 * Undecided after the most pairs, the mean must still clear
		 * the margin by one standard error against the doubt; a grow
		 * only the margin: a core too many is stopped later without a
		 * trial (the shrink rule), one too few takes another trial.
		 */
		revert = pol->trial_probe ?
			 vsc_pol_beyond(pol, -margin, false, 100) :
			 !vsc_pol_beyond(pol, margin, true,
					 pol->trial_grow ? 0 : 100);
		loss = !pol->trial_probe &&
		       vsc_pol_shown(pol, -margin, false, false);
		over = vsc_pol_over_budget(pol);
		if (over) {
			revert = true;
			loss = true;
		}
		/*
		 * What an undone trial cost: its new placement ran one slice
		 * per pair, at a loss of about -mean (log2 units, counted up
		 * to one: half the objective), shown or not, or of the CPU
		 * it added (log2 of the CPU of its slices over the old
		 * placement's) if that is more: the bytes in the objective
		 * carry most of the noise, and a spinning core that a noisy
		 * mean hid is still paid for. Over the CPU budget, the most.
		 * Its vqs wait VSC_POL_COST_WAIT times that before they are
		 * tried again, so that trials that keep losing cost about
		 * 1 / VSC_POL_COST_WAIT of the time at most: under noise a
		 * trial needs many pairs to see a loss, and a second one
		 * soon after would cost more than it could find.
		 */
		if (revert && !pol->trial_probe &&
		    (mean < 0 || pol->sum_cpu_b > pol->sum_cpu_a)) {
			s64 l = -mean, c = 0;

			if (pol->sum_cpu_a && pol->sum_cpu_b > pol->sum_cpu_a)
				c = vsc_log2_fx(pol->sum_cpu_b) -
				    vsc_log2_fx(pol->sum_cpu_a);
			if (c > l)
				l = c;
			if (over || l > 1LL << 16)
				l = 1LL << 16;
			cost_wait = (pol->pairs * vsc_pol_slice_ns(&pol->p) *
				     VSC_POL_COST_WAIT * l) >> 16;
		}
	} else {
		pol->trial_before = S64_MIN;
		pol->trial_after = S64_MIN;
		revert = !pol->trial_probe;
	}
	pol->trial = false;
	vsc_pol_window_restart(pol, now + (u64)pol->p.interval_ms * NSEC_PER_MS_);
	pol->why |= 1U << (revert ? VSC_POL_REVERT : VSC_POL_KEEP);
	if (revert)
		pol->reverts++;

	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];

		if (!v->in_trial)
			continue;
		v->in_trial = false;
		v->target = vsc_pol_arm(v, !revert, cores, ncores);
		if (pol->trial_probe) {
			if (revert) {
				/*
				 * Polling paid after all: back, untried (placed
				 * anew if its core went away).
				 */
				v->repoll = v->target < 0;
				vsc_pol_backoff(pol, now, &v->probe_ns,
						&v->probe_ms);
			} else {
				/* On demand does as well: it stays. */
				v->probe_ns = 0;
				v->probe_ms = 0;
				vsc_pol_backoff(pol, now, &v->retry_ns,
						&v->backoff_ms);
			}
			continue;
		}
		if (!revert) {
			v->backoff_ms = 0;
			/* Kept: judged again, on demand, after a back-off. */
			if (v->trial_from == VSC_POL_ONDEMAND)
				vsc_pol_backoff(pol, now, &v->probe_ns,
						&v->probe_ms);
			continue;
		}
		vsc_pol_backoff(pol, now, &v->retry_ns, &v->backoff_ms);
		/* A clear loss, not just no gain: wait twice as long. */
		if (loss)
			vsc_pol_backoff(pol, now, &v->retry_ns,
					&v->backoff_ms);
		/* ... and long enough that retrying costs little. */
		if (v->retry_ns < now + cost_wait)
			v->retry_ns = now + cost_wait;
	}
	if (pol->trial_grow) {
		if (revert)
			vsc_pol_backoff(pol, now, &pol->grow_retry_ns,
					&pol->grow_backoff_ms);
		else
			pol->grow_backoff_ms = 0;
	}
	pol->trial_probe = false;
}

/*
 * A trial whose cores are not all usable any more (a CPU went offline or
 * left the allowed set) ends without a verdict: every vq stays where it
 * is for now, and this tick places them as it would outside a trial.
 */
static bool vsc_pol_usable(struct vsc_pol_core *cores, unsigned int ncores,
			   int cpu)
{
	struct vsc_pol_core *c = vsc_pol_core_of(cores, ncores, cpu);

	return cpu < 0 || (c && c->usable);
}

static bool vsc_pol_trial_abandon(struct vsc_pol *pol, u64 now,
				  struct vsc_pol_vq **vqs, unsigned int nvqs,
				  struct vsc_pol_core *cores,
				  unsigned int ncores)
{
	unsigned int i;
	bool sound = true;

	for (i = 0; i < ncores; i++)
		if (!cores[i].usable && cores[i].running)
			sound = false;
	for (i = 0; i < nvqs; i++)
		if (vqs[i]->in_trial &&
		    (!vsc_pol_usable(cores, ncores, vqs[i]->trial_from) ||
		     !vsc_pol_usable(cores, ncores, vqs[i]->trial_to)))
			sound = false;
	if (sound)
		return false;
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];

		if (!v->in_trial)
			continue;
		v->in_trial = false;
		/* Polled without a verdict: judged on demand later. */
		if (v->where >= 0 && v->trial_from < 0)
			vsc_pol_backoff(pol, now, &v->probe_ns, &v->probe_ms);
	}
	pol->trial = false;
	pol->trial_probe = false;
	pol->trial_grow = false;
	vsc_pol_window_restart(pol, now + (u64)pol->p.interval_ms * NSEC_PER_MS_);
	return true;
}

/*
 * Whether an undecided trial's pairs point to more sidecores paying (the
 * mean beyond @thr that way by half a standard error: a mean that noise
 * alone puts there often would spend pairs on a loss): then it may run
 * twice its most pairs, at a cost the mean says is a gain.
 */
static bool vsc_pol_promising(const struct vsc_pol *pol, s64 thr)
{
	return vsc_pol_beyond(pol, thr, !pol->trial_probe, 25);
}

/*
 * One tick of a trial: add the interval to the slice; at the slice's end
 * close it (and its pair), judge the trial if the pairs decide it, or go
 * on to the next slice, moving the trial's vqs when its arm changes.
 */
static void vsc_pol_trial_tick(struct vsc_pol *pol, u64 now, u64 dt,
			       u64 bytes, u64 cost_ns,
			       struct vsc_pol_vq **vqs, unsigned int nvqs,
			       struct vsc_pol_core *cores, unsigned int ncores)
{
	const struct vsc_pol_params *p = &pol->p;
	bool b = vsc_pol_slice_is_b(pol->slice), ok;
	s64 s = 0, d, thr;
	u64 cpu;
	unsigned int i;

	/*
	 * A vq of the trial that went light (both thresholds, at
	 * VSC_POL_LIGHT_LOOKS looks in a row: one stalled look is not
	 * enough) took away what the trial was comparing: it ends on the
	 * pairs so far, as a slice without traffic does.
	 */
	for (i = 0; i < nvqs; i++)
		if (vqs[i]->in_trial &&
		    vqs[i]->light_looks >= VSC_POL_LIGHT_LOOKS) {
			vsc_pol_judge(pol, now, vqs, nvqs, cores, ncores,
				      true);
			return;
		}
	if (dt && now > pol->win_ns) {
		pol->slice_bytes += bytes;
		pol->slice_cost_ns += cost_ns;
		pol->slice_ns += dt;
	}
	if (now < pol->slice_end_ns)
		goto hold;

	ok = pol->slice_bytes && pol->slice_cost_ns;
	if (ok)
		s = vsc_policy_score(p, pol->slice_bytes, pol->slice_cost_ns,
				     pol->slice_ns);
	/* I/O CPU in ns per second (ns per ms, times 1000: no overflow). */
	cpu = div64_u64(pol->slice_cost_ns,
			div64_u64(pol->slice_ns, NSEC_PER_MS_) ?: 1) * 1000;
	if (!(pol->slice & 1)) {
		pol->pair_first = s;
		pol->pair_first_ok = ok;
		pol->pair_first_cpu = cpu;
	} else if (ok && pol->pair_first_ok) {
		d = b ? s - pol->pair_first : pol->pair_first - s;
		/* 64 log2 units is beyond any real effect; keeps sums small. */
		if (d > VSC_POL_D_MAX)
			d = VSC_POL_D_MAX;
		else if (d < -VSC_POL_D_MAX)
			d = -VSC_POL_D_MAX;
		pol->pairs++;
		pol->sum_d += d;
		pol->sum_d2 += d * d;
		pol->sum_a += b ? pol->pair_first : s;
		pol->sum_cpu_a += b ? pol->pair_first_cpu : cpu;
		pol->sum_cpu_b += b ? cpu : pol->pair_first_cpu;
	} else {
		/* A slice without traffic: the load went away. */
		vsc_pol_judge(pol, now, vqs, nvqs, cores, ncores, true);
		return;
	}
	pol->slice_bytes = 0;
	pol->slice_cost_ns = 0;
	pol->slice_ns = 0;
	pol->slice++;
	if (!(pol->slice & 1)) {
		thr = pol->trial_probe ? -vsc_pol_margin(p) : vsc_pol_margin(p);
		/*
		 * A grow runs twice the pairs: its gain (one vq fewer on a
		 * shared core) is small beside the noise, and its new
		 * placement costs one more core beside running ones.
		 */
		if (vsc_pol_decided(pol, thr) || vsc_pol_over_budget(pol) ||
		    pol->slice >= 2 * vsc_pol_pairs_max(p) *
		    (pol->trial_grow || vsc_pol_promising(pol, thr) ? 2 : 1)) {
			vsc_pol_judge(pol, now, vqs, nvqs, cores, ncores,
				      false);
			return;
		}
	}
	pol->slice_end_ns = now + vsc_pol_slice_ns(p);
	if (vsc_pol_slice_is_b(pol->slice) != b)
		vsc_pol_window_restart(pol, now + (u64)p->interval_ms *
					    NSEC_PER_MS_);
hold:
	b = vsc_pol_slice_is_b(pol->slice);
	for (i = 0; i < nvqs; i++)
		if (vqs[i]->in_trial)
			vqs[i]->target = vsc_pol_arm(vqs[i], b, cores, ncores);
}

/* Cores that host a vq after the decisions; counts them. */
static unsigned int vsc_pol_want_hosts(struct vsc_pol_vq **vqs,
				       unsigned int nvqs,
				       struct vsc_pol_core *cores,
				       unsigned int ncores)
{
	struct vsc_pol_core *c;
	unsigned int i, n = 0;

	for (i = 0; i < ncores; i++)
		cores[i].want = false;
	for (i = 0; i < nvqs; i++) {
		c = vsc_pol_core_of(cores, ncores, vqs[i]->target);
		if (c && !c->want) {
			c->want = true;
			n++;
		}
	}
	return n;
}

/*
 * The CPU budget of a change: what the I/O threads would use (ns of CPU
 * per second) with @add more spinning cores and the vqs now marked for a
 * sidecore off their workers, against the most a static configuration
 * would use: polling everything on every allowed core (@maxc), or
 * everything on demand. Both come from the window before the change: the
 * workers' share is what the I/O threads used beyond the @nactive
 * spinning cores, split between on-demand vqs by handler load; polled
 * vqs would add their handler load back on demand. A change beyond the
 * budget is not tried: a spinning core beside busy workers would put the
 * host above both, whatever it gains. Without a measured window, or
 * with the search off (grace_ms 0), no limit.
 */
static bool vsc_pol_affordable(const struct vsc_pol *pol,
			       struct vsc_pol_vq **vqs, unsigned int nvqs,
			       unsigned int nactive, unsigned int add,
			       unsigned int maxc)
{
	u64 now_ns, work_ns, od_ns, after_ns, polled = 0, od = 0, moving = 0;
	u64 rest = 0, rest_ns;
	unsigned int i;

	if (!pol->p.grace_ms || !pol->score_valid ||
	    pol->trial_ns < NSEC_PER_MS_)
		return true;
	/* ns per ms, times 1000: no overflow whatever the window. */
	now_ns = div64_u64(pol->trial_cost_ns,
			   div64_u64(pol->trial_ns, NSEC_PER_MS_)) * 1000;
	for (i = 0; i < nvqs; i++) {
		const struct vsc_pol_vq *v = vqs[i];

		if (v->where >= 0) {
			polled += v->load;
			continue;
		}
		od += v->load;
		if (v->target != VSC_POL_ONDEMAND)
			moving += v->load;
		else if (v->level < 2)
			rest += v->load;
	}
	work_ns = now_ns > nactive * NSEC_PER_S_ ?
		  now_ns - nactive * NSEC_PER_S_ : 0;
	/*
	 * The workers of vqs too light to poll are left out of both sides:
	 * polling everything would take them for free, but leaving a light
	 * vq on demand is no waste of the change's.
	 */
	/* (In microseconds while multiplied: a host's vq count is open.) */
	rest_ns = od ? div64_u64((work_ns >> 10) * rest, od) << 10 : 0;
	od_ns = work_ns - rest_ns + polled * (NSEC_PER_S_ / 1000);
	if (od_ns < maxc * NSEC_PER_S_)
		od_ns = maxc * NSEC_PER_S_;
	after_ns = now_ns - rest_ns + add * NSEC_PER_S_;
	if (od)
		after_ns -= div64_u64((work_ns >> 10) * moving, od) << 10;
	/*
	 * A thirty-second of slack: the manager's own time and rounding
	 * must not keep a core from a host where it would run alone.
	 */
	return after_ns - (after_ns >> 5) <= od_ns;
}

unsigned int vsc_policy_tick(struct vsc_pol *pol, u64 now, u64 cost_ns,
			     struct vsc_pol_vq **vqs, unsigned int nvqs,
			     struct vsc_pol_core *cores, unsigned int ncores)
{
	const struct vsc_pol_params *p = &pol->p;
	u64 dwell = (u64)p->dwell_ms * NSEC_PER_MS_;
	u64 dt = pol->started ? now - pol->last_ns : 0;
	unsigned int i, nusable = 0, nactive = 0, npolled = 0, maxc;
	struct vsc_pol_core *c, *grow = NULL, *shrink = NULL;
	bool promoted = false, force = false, before_ok;
	u64 bytes, busy_sum = 0;

	pol->started = true;
	pol->last_ns = now;
	pol->ticks++;
	pol->why = 0;
	pol->moves = 0;
	vsc_pol_sample(pol, now, dt, &bytes, vqs, nvqs, cores, ncores);

	/* The objective, this tick and smoothed (a decaying window). */
	if (dt && bytes && cost_ns)
		pol->last_score = vsc_policy_score(p, bytes, cost_ns, dt);
	if (pol->trial &&
	    !vsc_pol_trial_abandon(pol, now, vqs, nvqs, cores, ncores)) {
		vsc_pol_trial_tick(pol, now, dt, bytes, cost_ns, vqs, nvqs,
				   cores, ncores);
		goto out;
	}
	if (dt && now > pol->win_ns) {
		pol->trial_bytes += bytes;
		pol->trial_cost_ns += cost_ns;
		pol->trial_ns += dt;
		/* Past two grace periods the older half counts half. */
		if (p->grace_ms &&
		    pol->trial_ns > 2ULL * p->grace_ms * NSEC_PER_MS_) {
			pol->trial_bytes /= 2;
			pol->trial_cost_ns /= 2;
			pol->trial_ns /= 2;
		}
		pol->score_valid = pol->trial_bytes && pol->trial_cost_ns;
		if (pol->score_valid)
			pol->score = vsc_policy_score(p, pol->trial_bytes,
						      pol->trial_cost_ns,
						      pol->trial_ns);
	}
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];
		u8 level = 1;

		if (v->load < p->light_load && v->pps < p->light_pps) {
			level = 0;
			if (!v->light_ns)
				v->light_ns = now;
		} else {
			v->light_ns = 0;
		}
		if (v->load >= p->busy_load || v->pps >= p->busy_pps)
			level = 2;
		/* Only a vq on its worker is a candidate. */
		if (v->where >= 0 || level < 2)
			v->busy_from_ns = 0;
		else if (!v->busy_from_ns)
			v->busy_from_ns = now;
		/* Across a threshold: what came before was another load. */
		if (level != v->level)
			vsc_pol_window_restart(pol, now);
		v->level = level;
	}
	/*
	 * A change is judged against a window of at least dwell_ms in which
	 * every vq's load was on the side of the thresholds it is now: one
	 * that began idle would make any promotion look like a gain, one
	 * that began busy any demotion look like a loss.
	 */
	before_ok = !p->grace_ms || (pol->score_valid && pol->trial_ns >= dwell);

	for (i = 0; i < ncores; i++) {
		c = &cores[i];
		nusable += c->usable;
		if (c->usable && c->running) {
			c->want = true;
			nactive++;
		}
	}
	maxc = p->max_sidecores && p->max_sidecores < nusable ?
		p->max_sidecores : nusable;

	/* Light (or homeless) polled vqs go back; busy ones come. */
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];
		bool settled = now - v->moved_ns >= dwell;

		if (v->where >= 0) {
			c = vsc_pol_core_of(cores, ncores, v->where);
			if (v->handed) {
				/*
				 * Its sidecore handed it to its worker (its
				 * memory faults, or it is being migrated):
				 * that is where it runs for a back-off.
				 */
				v->target = VSC_POL_ONDEMAND;
				v->probe_ns = 0;
				v->probe_ms = 0;
				vsc_pol_backoff(pol, now, &v->retry_ns,
						&v->backoff_ms);
				pol->why |= 1U << VSC_POL_DEMOTE;
			} else if (!maxc || (v->light_ns && settled &&
					     now - v->light_ns >= dwell) ||
				   (v->idle_ns && now - v->idle_ns >= dwell)) {
				v->target = VSC_POL_ONDEMAND;
				v->probe_ns = 0;
				v->probe_ms = 0;
				pol->why |= 1U << VSC_POL_DEMOTE;
			} else if (!c || !c->want) {
				v->target = VSC_POL_PENDING;
			}
		} else if (v->repoll) {
			/* A probe found polling better: no new trial. */
			v->repoll = false;
			if (maxc)
				v->target = VSC_POL_PENDING;
		} else if (maxc && settled && now >= v->retry_ns &&
			   v->busy_from_ns && now - v->busy_from_ns >= dwell &&
			   before_ok) {
			v->target = VSC_POL_PENDING;
			v->trial_from = v->where;
			v->in_trial = true;
			promoted = true;
			pol->why |= 1U << VSC_POL_PROMOTE;
		}
		npolled += v->target != VSC_POL_ONDEMAND;
	}

	/*
	 * Kept promotions are judged again after a back-off: the vqs due go
	 * back on demand as a trial of their own, unless something else is
	 * tried now.
	 */
	if (!promoted && before_ok && p->grace_ms) {
		for (i = 0; i < nvqs; i++) {
			struct vsc_pol_vq *v = vqs[i];

			if (v->where < 0 || v->target != v->where ||
			    !v->probe_ns || now < v->probe_ns ||
			    now - v->moved_ns < dwell)
				continue;
			v->target = VSC_POL_ONDEMAND;
			v->trial_from = v->where;
			v->in_trial = true;
			npolled--;
			pol->trial_probe = true;
			pol->why |= 1U << VSC_POL_PROBE;
		}
	}

	/* How many cores: none, one to start, or one more or fewer. */
	if (!npolled) {
		for (i = 0; i < ncores; i++)
			cores[i].want = false;
		nactive = 0;
		goto place;
	}
	for (i = 0; i < ncores; i++) {
		c = &cores[i];
		if (!c->want) {
			if (c->usable && !grow &&
			    (nactive == 0 || now - c->changed_ns >= dwell))
				grow = c;
			continue;
		}
		busy_sum += c->busy;
		if (!shrink || c->busy < shrink->busy)
			shrink = c;
	}
	if (!nactive) {
		/*
		 * As many cores as the vqs to poll kept busy on demand: one
		 * core for several saturated workers' load is a trial that
		 * cannot pay, and would be reverted before it could grow.
		 * An eighth more than that load: a polled vq's guest waits
		 * less and sends more (a core too many is removed later
		 * without a trial; one too few needs a trial to grow).
		 */
		u64 need = 0;

		for (i = 0; i < nvqs; i++)
			if (vqs[i]->target != VSC_POL_ONDEMAND)
				need += vqs[i]->load;
		for (i = 0; i < ncores && nactive < maxc; i++) {
			c = &cores[i];
			if (!c->usable || c->want ||
			    (nactive &&
			     (u64)nactive * p->core_busy >= need + need / 8))
				continue;
			c->want = true;
			nactive++;
		}
		force = true;
		if (promoted &&
		    !vsc_pol_affordable(pol, vqs, nvqs, 0, nactive, maxc)) {
			/* Over the CPU budget: not tried, as if it lost. */
			for (i = 0; i < nvqs; i++) {
				struct vsc_pol_vq *v = vqs[i];

				if (!v->in_trial)
					continue;
				v->in_trial = false;
				v->target = VSC_POL_ONDEMAND;
				vsc_pol_backoff(pol, now, &v->retry_ns,
						&v->backoff_ms);
			}
			for (i = 0; i < ncores; i++)
				cores[i].want = false;
			nactive = 0;
			promoted = false;
			pol->why &= ~(1U << VSC_POL_PROMOTE);
			goto place;
		}
	} else if (nactive > maxc) {
		shrink->want = false;
		nactive--;
		force = true;
		pol->why |= 1U << VSC_POL_SHRINK;
	} else if (nactive >= 2 && now - shrink->changed_ns >= dwell &&
		   busy_sum < (u64)(nactive - 1) * p->core_light) {
		shrink->want = false;
		nactive--;
		force = true;
		pol->why |= 1U << VSC_POL_SHRINK;
	} else if (grow && nactive < maxc && now >= pol->grow_retry_ns &&
		   before_ok && !pol->trial_probe) {
		unsigned int j, n;

		for (i = 0; i < ncores; i++) {
			c = &cores[i];
			if (!c->want || c->busy < p->core_busy ||
			    now - c->changed_ns < dwell)
				continue;
			for (n = 0, j = 0; j < nvqs; j++)
				n += vqs[j]->where == c->cpu;
			if (n >= 2)
				break;
		}
		if (i < ncores) {
			grow->want = true;
			nactive++;
			force = true;
			pol->trial_grow = true;
			pol->why |= 1U << VSC_POL_GROW;
		} else {
			grow = NULL;
		}
	} else {
		grow = NULL;
	}

place:
	if (!(pol->why & (1U << VSC_POL_GROW)))
		pol->trial_grow = false;
	if (nactive)
		vsc_pol_place(pol, now, vqs, nvqs, cores, ncores, force);
	for (i = 0; i < nvqs; i++)
		if (vqs[i]->target != vqs[i]->where && vqs[i]->where >= 0 &&
		    vqs[i]->target >= 0)
			pol->why |= 1U << VSC_POL_REBALANCE;
	/* A change that polls more, or a probe, is measured before it is kept. */
	if ((promoted || pol->trial_grow || pol->trial_probe) && p->grace_ms &&
	    pol->score_valid) {
		pol->trial_maxc = maxc;
		vsc_pol_trial_start(pol, now, vqs, nvqs);
	} else {
		for (i = 0; i < nvqs; i++)
			vqs[i]->in_trial = false;
		pol->trial_probe = false;
	}

out:
	pol->cores = vsc_pol_want_hosts(vqs, nvqs, cores, ncores);
	for (i = 0; i < ncores; i++) {
		c = &cores[i];
		if (c->want != c->running)
			c->changed_ns = now;
	}
	for (i = 0; i < nvqs; i++) {
		struct vsc_pol_vq *v = vqs[i];

		if (v->target != v->where) {
			v->moved_ns = now;
			pol->moves++;
		}
	}
	/* The window before the next change sees only the new placement. */
	if (pol->moves && !pol->trial)
		vsc_pol_window_restart(pol, now + (u64)p->interval_ms *
					    NSEC_PER_MS_);
	if (pol->moves || pol->why)
		pol->changes++;
	return pol->moves;
}
