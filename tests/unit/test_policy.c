// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the dynamic policy (manager/policy.c), closed-loop
 * against a plant model of the host:
 *
 *  - a vq offers frames at a rate; its handler costs handler_ns a frame
 *    wherever it runs;
 *  - on demand, a frame also costs wake_ns of kick and wake-up overhead,
 *    and all on-demand workers share pool_cpus CPUs (less those a running
 *    sidecore takes): past that they serve proportionally less;
 *  - a sidecore serves its vqs up to one CPU of handler time and costs a
 *    whole CPU while it has vqs (it spins); without vqs it parks, free.
 *
 * The plant feeds the policy the counters the module would (packets,
 * bytes, handler ns, core busy/idle ns, I/O thread CPU) and carries out
 * its decisions, so the tests see what a running manager would do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ktap.h"
#include "manager/policy.h"

KTAP_DEFINE_STATE;

#define MS	1000000ULL
#define SEC	1000000000ULL
#define MAXV	16
#define MAXC	4
#define FRAME	1500

struct plant {
	unsigned int nvqs, ncores;
	double offered[MAXV];		/* frames/s each vq is offered */
	double served[MAXV];		/* frames/s served, last step */
	struct vsc_pol_vq v[MAXV];
	struct vsc_pol_vq *vp[MAXV];
	struct vsc_pol_core c[MAXC];
	double handler_ns, wake_ns, pool_cpus;
	double noise;			/* counted frames off by up to this */
	u64 rng;
	struct vsc_pol pol;
	u64 now;
	/* What the test looks at. */
	unsigned int moves, max_cores, promotes, reverts, probes, probe_reverts;
	/*
	 * Placement changes: moves outside a trial's turns (its first
	 * placement, its verdict, and every move no trial makes).
	 */
	unsigned int changes;
	u64 last_revert, last_promote, trial_start, trial_ns;
	/* v[0]'s place at each of the last trial's slices (up to 16). */
	int slice_where[16];
	unsigned int nslices;
	double core_frames[MAXC];
};

static void plant_init(struct plant *pl, unsigned int nvqs,
		       unsigned int ncores, const struct vsc_pol_params *p)
{
	unsigned int i;

	memset(pl, 0, sizeof(*pl));
	pl->nvqs = nvqs;
	pl->ncores = ncores;
	pl->handler_ns = 1000;
	pl->wake_ns = 1000;
	pl->pool_cpus = 2;
	pl->now = 1000 * SEC;
	pl->rng = 88172645463325252ULL;
	for (i = 0; i < nvqs; i++) {
		pl->v[i].id = i;
		pl->v[i].where = VSC_POL_ONDEMAND;
		pl->vp[i] = &pl->v[i];
	}
	for (i = 0; i < ncores; i++) {
		pl->c[i].cpu = i + 1;
		pl->c[i].usable = true;
	}
	vsc_policy_init(&pl->pol, p);
}

static int core_index(struct plant *pl, int cpu)
{
	unsigned int i;

	for (i = 0; i < pl->ncores; i++)
		if (pl->c[i].cpu == cpu)
			return i;
	return -1;
}

/* A factor in [1 - noise, 1 + noise], from a fixed sequence. */
static double plant_noise(struct plant *pl)
{
	pl->rng ^= pl->rng << 13;
	pl->rng ^= pl->rng >> 7;
	pl->rng ^= pl->rng << 17;
	return 1 + pl->noise * ((double)(pl->rng >> 11) / (1ULL << 52) - 1);
}

/* One interval of traffic under the current placement, then a decision. */
static void plant_step(struct plant *pl)
{
	double dt = pl->pol.p.interval_ms * 1e6, od_demand = 0, pool;
	double core_demand[MAXC] = { 0 }, cost = 0, scale;
	unsigned int i, running = 0, moves, slice;
	bool in_trial;
	bool probing;
	int k;

	for (i = 0; i < pl->ncores; i++)
		running += pl->c[i].running;
	pool = pl->pool_cpus - running;
	if (pool < 0.1)
		pool = 0.1;
	for (i = 0; i < pl->nvqs; i++) {
		k = core_index(pl, pl->v[i].where);
		if (k < 0)
			od_demand += pl->offered[i] *
				     (pl->handler_ns + pl->wake_ns) / 1e9;
		else
			core_demand[k] += pl->offered[i] * pl->handler_ns / 1e9;
	}
	for (i = 0; i < MAXC; i++)
		pl->core_frames[i] = 0;
	for (i = 0; i < pl->nvqs; i++) {
		k = core_index(pl, pl->v[i].where);
		if (k < 0)
			scale = od_demand > pool ? pool / od_demand : 1;
		else
			scale = core_demand[k] > 1 ? 1 / core_demand[k] : 1;
		pl->served[i] = pl->offered[i] * scale;
		if (k >= 0)
			pl->core_frames[k] += pl->served[i];
		pl->v[i].packets += (u64)(pl->served[i] * dt / 1e9 *
					  plant_noise(pl));
		pl->v[i].bytes += (u64)(pl->served[i] * dt / 1e9 *
					plant_noise(pl)) * FRAME;
		pl->v[i].run_ns += (u64)(pl->served[i] * dt / 1e9 *
					 pl->handler_ns);
	}
	cost = (od_demand > pool ? pool : od_demand) * dt;
	for (i = 0; i < pl->ncores; i++) {
		double busy;

		if (!pl->c[i].running || core_demand[i] == 0)
			continue;
		busy = (core_demand[i] > 1 ? 1 : core_demand[i]) * dt;
		pl->c[i].busy_ns += (u64)busy;
		pl->c[i].idle_ns += (u64)(dt - busy);
		cost += dt;
	}
	pl->now += pl->pol.p.interval_ms * MS;

	probing = pl->pol.trial && pl->pol.trial_probe;
	in_trial = pl->pol.trial;
	slice = pl->pol.slice;
	moves = vsc_policy_tick(&pl->pol, pl->now, (u64)cost, pl->vp,
				pl->nvqs, pl->c, pl->ncores);
	pl->moves += moves;
	if (!in_trial || !pl->pol.trial)
		pl->changes += moves;
	if (!in_trial && pl->pol.trial) {
		pl->trial_start = pl->now;
		pl->nslices = 0;
	}
	if (in_trial && !pl->pol.trial)
		pl->trial_ns = pl->now - pl->trial_start;
	if (pl->pol.trial && (!in_trial || pl->pol.slice != slice) &&
	    pl->nslices < 16)
		pl->slice_where[pl->nslices++] = pl->v[0].target;
	if (pl->pol.why & (1U << VSC_POL_PROBE))
		pl->probes++;
	if ((pl->pol.why & (1U << VSC_POL_REVERT)) && probing) {
		pl->probe_reverts++;
	} else if (pl->pol.why & (1U << VSC_POL_REVERT)) {
		pl->reverts++;
		pl->last_revert = pl->now;
	}
	if (pl->pol.why & (1U << VSC_POL_PROMOTE)) {
		pl->promotes++;
		pl->last_promote = pl->now;
	}
	/* Carry the decision out, as the manager does through exec. */
	for (i = 0; i < pl->ncores; i++)
		pl->c[i].running = pl->c[i].want;
	for (i = 0; i < pl->nvqs; i++)
		pl->v[i].where = pl->v[i].target;
	if (pl->pol.cores > pl->max_cores)
		pl->max_cores = pl->pol.cores;
}

static void plant_run(struct plant *pl, u64 ns)
{
	u64 end = pl->now + ns;

	while (pl->now < end)
		plant_step(pl);
}

static unsigned int cores_running(struct plant *pl)
{
	unsigned int i, n = 0;

	for (i = 0; i < pl->ncores; i++)
		n += pl->c[i].running;
	return n;
}

static void set_offered(struct plant *pl, unsigned int from, unsigned int to,
			double fps)
{
	unsigned int i;

	for (i = from; i < to; i++)
		pl->offered[i] = fps;
}

static const struct vsc_pol_params defaults = VSC_POL_DEFAULTS;

/* Time after which a load change must have been acted on. */
static u64 settle_ns(const struct vsc_pol_params *p)
{
	return (u64)(p->dwell_ms + 2 * p->grace_ms + 10 * p->interval_ms) * MS;
}

/*
 * A trial's slice (policy.c: grace_ms / 10, at least two manager
 * intervals).
 */
static u64 slice_ns(const struct vsc_pol_params *p)
{
	u64 ms = p->grace_ms / 10;

	if (ms < 2 * p->interval_ms)
		ms = 2 * p->interval_ms;
	return ms * MS;
}

static void test_log2(void)
{
	s64 a = vsc_log2_fx(1), b = vsc_log2_fx(2), c = vsc_log2_fx(1000);
	s64 d = vsc_log2_fx(1ULL << 40), e = vsc_log2_fx(3);

	ktap_result(a == 0 && b == 65536 && d == 40 * 65536 &&
			 c > 9.965 * 65536 && c < 9.967 * 65536 &&
			 e > 1.584 * 65536 && e < 1.586 * 65536,
			 "fixed-point log2: 1 2 3 1000 2^40");
}

static void test_idle(void)
{
	struct plant pl;

	plant_init(&pl, 8, 2, &defaults);
	plant_run(&pl, 10 * SEC);
	ktap_result(pl.max_cores == 0 && pl.moves == 0,
			 "idle: no sidecore for 10 s, no move (%u cores, %u moves)",
			 pl.max_cores, pl.moves);
}

static void test_one_vm(struct plant *pl)
{
	unsigned int i, on = 0;

	plant_init(pl, 4, 2, &defaults);
	/* VM 0 (vqs 0, 1) saturates its worker pool; VM 1 is light. */
	set_offered(pl, 0, 2, 400000);
	set_offered(pl, 2, 4, 5000);
	plant_run(pl, 10 * SEC);
	for (i = 0; i < 2; i++)
		on += pl->v[i].where >= 0;
	ktap_result(cores_running(pl) == 1 && on == 2 &&
			 pl->v[2].where < 0 && pl->v[3].where < 0,
			 "one saturating VM: 1 sidecore polls its 2 vqs, the light VM stays on demand (%u cores)",
			 cores_running(pl));
	ktap_result(pl->served[0] > 399000 && pl->served[1] > 399000,
			 "one saturating VM: served in full on the sidecore (%.0f fps)",
			 pl->served[0]);
}

static void test_step_down(struct plant *pl)
{
	u64 start = pl->now, parked = 0;

	set_offered(pl, 0, 2, 5000);
	while (pl->now < start + 2 * settle_ns(&defaults)) {
		plant_step(pl);
		if (!parked && cores_running(pl) == 0 && pl->v[0].where < 0 &&
		    pl->v[1].where < 0)
			parked = pl->now;
	}
	ktap_result(parked && parked - start <= settle_ns(&defaults) &&
			 cores_running(pl) == 0,
			 "step down: back to 0 sidecores in %llu ms (settle time %llu ms)",
			 parked ? (unsigned long long)(parked - start) / MS : 0,
			 (unsigned long long)settle_ns(&defaults) / MS);
}

static void test_four_vms(void)
{
	double f0, f1, lo, hi;
	struct plant pl;
	unsigned int i, on = 0;

	plant_init(&pl, 8, 2, &defaults);
	set_offered(&pl, 0, 8, 400000);
	plant_run(&pl, 20 * SEC);
	for (i = 0; i < 8; i++)
		on += pl.v[i].where >= 0;
	f0 = pl.core_frames[0];
	f1 = pl.core_frames[1];
	lo = f0 < f1 ? f0 : f1;
	hi = f0 < f1 ? f1 : f0;
	ktap_result(cores_running(&pl) == 2 && on == 8,
			 "four saturating VMs, 2 CPUs: 2 sidecores poll all 8 vqs (%u cores, %u polled)",
			 cores_running(&pl), on);
	ktap_result(hi > 0 && lo >= 0.8 * hi,
			 "four saturating VMs: cores balanced within 20%% (%.0f vs %.0f fps)",
			 f0, f1);

	/* Three VMs go quiet, one slows: it fits on one core. */
	set_offered(&pl, 0, 2, 300000);
	set_offered(&pl, 2, 8, 5000);
	plant_run(&pl, 3 * settle_ns(&defaults));
	ktap_result(cores_running(&pl) == 1,
			 "four VMs, three go quiet: one sidecore left (%u)",
			 cores_running(&pl));
}

/*
 * A promotion starts as many cores as the promoted vqs kept busy on
 * demand: here eight vqs starved of their worker pool add up to more
 * than one core's core_busy, so the first promotion starts two, and the
 * trial measures a placement that can carry them.
 */
static void test_promote_cores(void)
{
	struct plant pl;
	unsigned int load = 0, i;

	plant_init(&pl, 8, 2, &defaults);
	set_offered(&pl, 0, 8, 400000);
	while (!pl.promotes && pl.now < 1000 * SEC + 10 * SEC)
		plant_step(&pl);
	for (i = 0; i < 8; i++)
		load += pl.v[i].load;
	ktap_result(pl.promotes && pl.pol.cores == 2 && load > defaults.core_busy,
			 "promotion of %u per-mille of load starts 2 cores at once (%u)",
			 load, pl.pol.cores);
	plant_init(&pl, 8, 2, &defaults);
	set_offered(&pl, 0, 2, 400000);
	while (!pl.promotes && pl.now < 1000 * SEC + 10 * SEC)
		plant_step(&pl);
	ktap_result(pl.promotes && pl.pol.cores == 1,
			 "promotion of one VM's load starts 1 core (%u)", pl.pol.cores);
}

static void test_max_sidecores(void)
{
	struct vsc_pol_params p = defaults;
	struct plant pl;

	p.max_sidecores = 1;
	plant_init(&pl, 8, 2, &p);
	set_offered(&pl, 0, 8, 400000);
	plant_run(&pl, 20 * SEC);
	ktap_result(pl.max_cores == 1 && cores_running(&pl) == 1,
			 "max_sidecores 1: never more than one core (%u)",
			 pl.max_cores);
}

static void test_oscillation(void)
{
	struct plant pl;
	unsigned int i;

	/*
	 * Around busy_load (200) and busy_pps on demand, where polling does
	 * not pay: each try is reverted and the back-off doubles, so 120 s
	 * see at most 5 tries (at 0, 4, 12, 28, 60 s), 4 placement changes
	 * each (the trial's turns between them are not changes).
	 */
	plant_init(&pl, 2, 2, &defaults);
	for (i = 0; i < 2400; i++) {
		set_offered(&pl, 0, 2, i % 4 < 2 ? 30000 : 70000);
		pl.offered[0] *= 3;
		pl.offered[1] *= 3;
		plant_step(&pl);
	}
	ktap_result(pl.changes <= 20 && pl.reverts <= 5,
		    "load around busy_load for 120 s: %u placement changes, %u reverts (at most 20, 5)",
		    pl.changes, pl.reverts);
	plant_init(&pl, 2, 2, &defaults);
	set_offered(&pl, 0, 2, 400000);
	plant_run(&pl, 5 * SEC);
	pl.changes = 0;
	for (i = 0; i < 1200; i++) {
		set_offered(&pl, 0, 2, i % 4 < 2 ? 3000 : 17000);
		plant_step(&pl);
	}
	ktap_result(pl.changes <= 4,
			 "load around light_load for 60 s: %u placement changes (at most 4)",
			 pl.changes);
}

static void test_regret(void)
{
	u64 first_revert, backoff = (u64)defaults.backoff_ms * MS;
	u64 retry1, retry2;
	struct plant pl;

	/*
	 * Busy enough to try a sidecore, but on-demand costs no more per
	 * frame and has room: polling only burns a core. The trial loses.
	 */
	plant_init(&pl, 1, 1, &defaults);
	pl.wake_ns = 0;
	set_offered(&pl, 0, 1, 300000);
	while (!pl.reverts && pl.now < 1010 * SEC)
		plant_step(&pl);
	first_revert = pl.last_revert;
	ktap_result(pl.reverts == 1 && pl.v[0].where < 0 &&
			 cores_running(&pl) == 0,
			 "a sidecore that lowers the objective is reverted (score %lld -> %lld)",
			 (long long)pl.pol.trial_before,
			 (long long)pl.pol.trial_after);

	while (pl.promotes < 2 && pl.now < first_revert + 10 * backoff)
		plant_step(&pl);
	retry1 = pl.last_promote - first_revert;
	ktap_result(pl.promotes == 2 && retry1 >= backoff,
			 "not retried before its back-off (%llu ms >= %llu ms)",
			 (unsigned long long)retry1 / MS,
			 (unsigned long long)backoff / MS);
	while (pl.reverts < 2 && pl.now < first_revert + 20 * backoff)
		plant_step(&pl);
	first_revert = pl.last_revert;
	while (pl.promotes < 3 && pl.now < first_revert + 20 * backoff)
		plant_step(&pl);
	retry2 = pl.last_promote - first_revert;
	ktap_result(pl.reverts == 2 && retry2 >= 2 * backoff,
			 "the back-off doubles after the second revert (%llu ms)",
			 (unsigned long long)retry2 / MS);

	/*
	 * The same load after 10 s of idle: the trial is still judged
	 * against the on-demand objective at this load, not against a
	 * window that began idle, so it is reverted all the same.
	 */
	plant_init(&pl, 1, 1, &defaults);
	pl.wake_ns = 0;
	plant_run(&pl, 10 * SEC);
	set_offered(&pl, 0, 1, 300000);
	plant_run(&pl, 3 * SEC);
	ktap_result(pl.promotes == 1 && pl.reverts == 1 &&
			 pl.v[0].where < 0 && cores_running(&pl) == 0,
			 "... also when the load starts after an idle spell (%u promotes, %u reverts)",
			 pl.promotes, pl.reverts);

	/*
	 * Where polling pays, the same trial is kept, idle spell or not;
	 * judged again on demand after backoff_ms, it comes back.
	 */
	plant_init(&pl, 1, 1, &defaults);
	set_offered(&pl, 0, 1, 600000);
	plant_run(&pl, 10 * SEC);
	ktap_result(pl.reverts == 0 && pl.v[0].where == 1 && pl.probes >= 1 &&
			 pl.probe_reverts == pl.probes,
			 "a sidecore that raises the objective is kept (%u reverts), and again when probed (%u of %u probes lost)",
			 pl.reverts, pl.probe_reverts, pl.probes);
	plant_init(&pl, 1, 1, &defaults);
	plant_run(&pl, 10 * SEC);
	set_offered(&pl, 0, 1, 600000);
	plant_run(&pl, 10 * SEC);
	ktap_result(pl.promotes == 1 && pl.reverts == 0 && pl.v[0].where == 1,
			 "... also when the load starts after an idle spell (%u reverts)",
			 pl.reverts);
}

/* What a trial does, turn by turn. */
static void test_trial(void)
{
	const u64 slice = slice_ns(&defaults);
	struct plant pl;
	static const int abba[] = { 1, -1, -1, 1, 1, -1, -1, 1 };
	unsigned int i, bad = 0;

	/*
	 * Polling that burns a core for nothing: the turns go B A A B B A,
	 * and three pairs decide it, well before the most (grace_ms / slice
	 * pairs).
	 */
	plant_init(&pl, 1, 1, &defaults);
	pl.wake_ns = 0;
	set_offered(&pl, 0, 1, 300000);
	while (!pl.reverts && pl.now < 1010 * SEC)
		plant_step(&pl);
	for (i = 0; i < pl.nslices && i < 8; i++)
		bad += pl.slice_where[i] != abba[i];
	ktap_result(pl.nslices == 6 && !bad,
		    "a trial's turns go new, old, old, new, ... (%u slices, %u out of order)",
		    pl.nslices, bad);
	ktap_result(pl.reverts == 1 && pl.trial_ns <= 6 * slice &&
		    pl.pol.trial_after < pl.pol.trial_before,
		    "a change that only costs is undone after 3 pairs (%llu ms)",
		    (unsigned long long)pl.trial_ns / MS);

	/*
	 * Under 30% noise in the counted frames: the same costly change
	 * takes a few pairs more; one that ties (a wake-up costing 3 us
	 * makes polling worth what it costs) is not decided early, runs to
	 * the most pairs, and the doubt undoes it.
	 */
	plant_init(&pl, 1, 1, &defaults);
	pl.noise = 0.3;
	pl.wake_ns = 0;
	set_offered(&pl, 0, 1, 300000);
	while (!pl.reverts && pl.now < 1010 * SEC)
		plant_step(&pl);
	ktap_result(pl.reverts == 1 && pl.trial_ns <= 10 * slice,
		    "... under 30%% noise, after %u pairs (%llu ms)",
		    pl.pol.pairs, (unsigned long long)pl.trial_ns / MS);
	plant_init(&pl, 1, 1, &defaults);
	pl.noise = 0.3;
	pl.wake_ns = 3000;
	set_offered(&pl, 0, 1, 300000);
	while (!pl.reverts && !(pl.pol.why & (1U << VSC_POL_KEEP)) &&
	       pl.now < 1010 * SEC)
		plant_step(&pl);
	ktap_result(pl.reverts == 1 &&
		    pl.pol.pairs == defaults.grace_ms * MS / slice,
		    "a tie under 30%% noise runs to the most pairs (%u, %llu ms) and is undone (objective %lld -> %lld)",
		    pl.pol.pairs, (unsigned long long)pl.trial_ns / MS,
		    (long long)pl.pol.trial_before,
		    (long long)pl.pol.trial_after);

	/* The load goes away in the middle of a trial: it ends at once. */
	plant_init(&pl, 1, 1, &defaults);
	set_offered(&pl, 0, 1, 300000);
	pl.wake_ns = 1500;
	while (!pl.pol.trial && pl.now < 1010 * SEC)
		plant_step(&pl);
	set_offered(&pl, 0, 1, 0);
	plant_run(&pl, 3 * slice);
	ktap_result(!pl.pol.trial && pl.reverts == 1 && pl.v[0].where < 0,
		    "a trial whose load goes away ends within a pair, on demand");

	/* The new core goes offline during the trial: no verdict, placed. */
	plant_init(&pl, 1, 2, &defaults);
	set_offered(&pl, 0, 1, 600000);
	while (!pl.pol.trial && pl.now < 1010 * SEC)
		plant_step(&pl);
	plant_run(&pl, 3 * slice);
	i = core_index(&pl, pl.v[0].trial_to);
	pl.c[i].usable = false;
	plant_step(&pl);
	ktap_result(!pl.pol.trial && !pl.reverts &&
		    pl.v[0].where != pl.c[i].cpu && !pl.c[i].running,
		    "a trial whose core goes away ends without a verdict (vq on %d)",
		    pl.v[0].where);
}

/*
 * What a trial may cost: not more CPU than any static placement, and
 * not again soon after it cost much.
 */
static void test_budget(void)
{
	const u64 slice = slice_ns(&defaults);
	struct plant pl;
	u64 wait;

	/*
	 * One core allowed; two busy vqs (0.6 CPU each with their
	 * wake-ups), one of them in back-off from an earlier verdict: a
	 * core for the other would make the I/O threads use 1.6 CPUs, more
	 * than on demand (1.2) and than polling both on the one core: not
	 * tried. With two cores allowed, polling everything would take 2:
	 * tried.
	 */
	plant_init(&pl, 2, 1, &defaults);
	pl.pool_cpus = 4;
	set_offered(&pl, 0, 2, 300000);
	pl.v[1].retry_ns = pl.now + 100 * SEC;
	plant_run(&pl, 10 * SEC);
	ktap_result(!pl.promotes && !pl.max_cores,
		    "a core beside busy workers, above every static placement's CPU, is not tried (%u promotions, %u cores)",
		    pl.promotes, pl.max_cores);
	plant_init(&pl, 2, 2, &defaults);
	pl.pool_cpus = 4;
	set_offered(&pl, 0, 2, 300000);
	pl.v[1].retry_ns = pl.now + 100 * SEC;
	plant_run(&pl, 10 * SEC);
	ktap_result(pl.promotes >= 1,
		    "... with two cores allowed it is (%u promotions)",
		    pl.promotes);

	/*
	 * A trial that costs a core for 0.3 CPU of work: undone after 3
	 * pairs, at a loss of more than one log2 unit; its vq waits
	 * COST_WAIT (75) times 3 slices before it is tried again, well
	 * beyond the doubled back-off.
	 */
	plant_init(&pl, 1, 1, &defaults);
	pl.wake_ns = 0;
	set_offered(&pl, 0, 1, 300000);
	while (!pl.reverts && pl.now < 1010 * SEC)
		plant_step(&pl);
	wait = pl.v[0].retry_ns - pl.now;
	ktap_result(pl.reverts == 1 && wait >= 75 * pl.pol.pairs * slice,
		    "an undone costly trial's vq waits 75 times its cost (%llu ms after %u pairs)",
		    (unsigned long long)wait / MS, pl.pol.pairs);

	/*
	 * The trial's vq goes light mid-trial: the trial ends within two
	 * looks, on demand, and the light load is no verdict (no long wait).
	 */
	plant_init(&pl, 1, 1, &defaults);
	set_offered(&pl, 0, 1, 300000);
	pl.wake_ns = 1500;
	while (!pl.pol.trial && pl.now < 1010 * SEC)
		plant_step(&pl);
	plant_run(&pl, slice + 2 * defaults.interval_ms * MS);
	set_offered(&pl, 0, 1, 1000);
	plant_step(&pl);
	plant_step(&pl);
	wait = pl.v[0].retry_ns > pl.now ? pl.v[0].retry_ns - pl.now : 0;
	ktap_result(!pl.pol.trial && pl.v[0].where < 0 &&
		    wait <= (u64)defaults.backoff_ms * MS,
		    "a trial whose vq goes light ends within two looks, on demand, without a penalty (wait %llu ms)",
		    (unsigned long long)wait / MS);
}

/*
 * Verdicts under noise on what a change costs: the CPU its new
 * placement adds counts even when the objective's mean does not show
 * it, and a grow, whose gain is small beside the noise, gets twice the
 * pairs.
 */
static void test_noisy_verdicts(void)
{
	const u64 slice = slice_ns(&defaults);
	unsigned int pairs_max = defaults.grace_ms * MS / slice;
	struct plant pl;
	bool grow;
	u64 wait;

	/*
	 * On demand the worker pool (0.49 CPU) serves 245k of the 355k
	 * frames/s; a sidecore serves them all for a whole CPU: 1.45 times
	 * the bytes (2 x 0.54 log2 units) for 2.04 times the CPU (1.03):
	 * a gain below regret. Undone, and its vq waits as for a loss of
	 * the CPU it added, not the back-off of a tie.
	 */
	plant_init(&pl, 1, 1, &defaults);
	pl.pool_cpus = 0.49;
	set_offered(&pl, 0, 1, 355000);
	while (!pl.reverts && pl.now < 1010 * SEC)
		plant_step(&pl);
	wait = pl.v[0].retry_ns > pl.now ? pl.v[0].retry_ns - pl.now : 0;
	ktap_result(pl.reverts == 1 &&
		    pl.pol.trial_after >= pl.pol.trial_before &&
		    wait >= 50 * pl.pol.pairs * slice,
		    "an undone change whose mean hid the core it added waits for that CPU (%llu ms after %u pairs, objective %lld -> %lld)",
		    (unsigned long long)wait / MS, pl.pol.pairs,
		    (long long)pl.pol.trial_before,
		    (long long)pl.pol.trial_after);

	/*
	 * Two vqs of 0.71 CPU of handler work each, starved on demand (a
	 * pool of 0.8 CPU): promoted onto one core, which they saturate.
	 * A second core serves both in full, 1.41 times the bytes for
	 * twice the CPU: a tie, which under 30% noise no test decides
	 * early; the grow runs past grace_ms / slice pairs.
	 */
	plant_init(&pl, 2, 2, &defaults);
	pl.noise = 0.3;
	pl.pool_cpus = 0.8;
	set_offered(&pl, 0, 2, 707000);
	grow = false;
	while (pl.now < 1030 * SEC) {
		grow = pl.pol.trial && pl.pol.trial_grow;
		plant_step(&pl);
		if (grow && !pl.pol.trial)
			break;
	}
	ktap_result(grow && pl.promotes == 1 && pl.pol.pairs > pairs_max,
		    "a grow that ties under 30%% noise runs past %u pairs (%u)",
		    pairs_max, pl.pol.pairs);
}

static void test_probe(void)
{
	u64 backoff = (u64)defaults.backoff_ms * MS;
	struct plant pl;
	u64 t0;

	/*
	 * A promotion that paid and then stops paying (the wake-ups became
	 * cheap, the workers have room): the next probe finds on-demand as
	 * good for less CPU, and the vq stays there until its back-off.
	 */
	plant_init(&pl, 1, 1, &defaults);
	set_offered(&pl, 0, 1, 600000);
	plant_run(&pl, 3 * SEC);
	pl.wake_ns = 0;
	pl.pool_cpus = 4;
	t0 = pl.now;
	while (pl.v[0].where >= 0 && pl.now < t0 + 3 * backoff)
		plant_step(&pl);
	t0 = pl.now;
	plant_run(&pl, backoff / 2);
	ktap_result(pl.probes >= 1 && pl.v[0].where < 0 &&
			 cores_running(&pl) == 0 && pl.promotes == 1,
			 "a kept sidecore that stops paying goes back on demand at its next probe (%u probes)",
			 pl.probes);
	plant_run(&pl, 60 * SEC);
	ktap_result(pl.promotes <= 5,
			 "... and is tried again only after doubling back-offs (%u promotions in 60 s)",
			 pl.promotes);
}

static void test_no_search(void)
{
	struct vsc_pol_params p = defaults;
	struct plant pl;

	/* grace_ms 0: no trial, the same losing move stays. */
	p.grace_ms = 0;
	plant_init(&pl, 1, 1, &p);
	pl.wake_ns = 0;
	set_offered(&pl, 0, 1, 300000);
	plant_run(&pl, 10 * SEC);
	ktap_result(pl.reverts == 0 && pl.v[0].where == 1,
			 "grace_ms 0 turns the search off (%u reverts)",
			 pl.reverts);
}

static void test_handoff(void)
{
	struct plant pl;
	u64 t;

	/* grace_ms 0: no trial in the way; a busy vq gets polled. */
	struct vsc_pol_params p = defaults;

	p.grace_ms = 0;
	plant_init(&pl, 1, 1, &p);
	set_offered(&pl, 0, 1, 300000);
	plant_run(&pl, 5 * SEC);
	/* Its sidecore hands it to its worker (a fault that would sleep). */
	pl.v[0].handoffs++;
	plant_step(&pl);
	ktap_result(pl.v[0].where < 0 && pl.v[0].retry_ns >= pl.now +
		    (p.backoff_ms - p.interval_ms) * MS,
		    "a hand-off sends the polled vq back on demand for a back-off");
	t = pl.v[0].retry_ns;
	while (pl.now < t - p.interval_ms * MS && pl.v[0].where < 0)
		plant_step(&pl);
	ktap_result(pl.v[0].where < 0, "... and it is not polled again before it");
	plant_run(&pl, 2 * p.backoff_ms * MS);
	ktap_result(pl.v[0].where == 1, "... but after it, still busy");
}

static void test_unusable(void)
{
	struct plant pl;

	plant_init(&pl, 2, 2, &defaults);
	set_offered(&pl, 0, 2, 400000);
	plant_run(&pl, 5 * SEC);
	/* The CPU in use leaves the allowed set (or goes offline). */
	pl.c[0].usable = false;
	plant_step(&pl);
	ktap_result(!pl.c[0].running && pl.v[0].where == 2 &&
			 pl.v[1].where == 2,
			 "a core that is no longer usable hands its vqs to another at once");
	pl.c[1].usable = false;
	plant_step(&pl);
	ktap_result(cores_running(&pl) == 0 && pl.v[0].where < 0 &&
			 pl.v[1].where < 0,
			 "no usable core: everything back on demand");
}

static void test_light_hover(void)
{
	struct vsc_pol_params p = defaults;
	struct plant pl;
	unsigned int i;

	/*
	 * Polled, its load swings across light_load from one look to the
	 * next (40 and 60 per-mille): never light for a whole dwell_ms, so
	 * it stays. grace_ms 0: no trial in the way.
	 */
	p.grace_ms = 0;
	plant_init(&pl, 1, 1, &p);
	pl.handler_ns = 5000;
	set_offered(&pl, 0, 1, 100000);
	plant_run(&pl, 2 * SEC);
	for (i = 0; i < 400; i++) {
		set_offered(&pl, 0, 1, i % 2 ? 8000 : 12000);
		plant_step(&pl);
	}
	ktap_result(pl.v[0].where == 1 && pl.moves == 1,
		    "polled vq whose load swings across light_load stays for 20 s (%u moves)",
		    pl.moves);
	/* Then really light: back on demand after dwell_ms. */
	set_offered(&pl, 0, 1, 1000);
	plant_run(&pl, (defaults.dwell_ms + 10 * defaults.interval_ms) * MS);
	ktap_result(pl.v[0].where < 0,
		    "... and goes back once light for dwell_ms");
}

static void test_counters_restart(void)
{
	struct plant pl;

	/* A vq's counters start again from zero (its device was reset). */
	plant_init(&pl, 2, 1, &defaults);
	set_offered(&pl, 0, 2, 400000);
	plant_run(&pl, 5 * SEC);
	pl.v[0].packets = pl.v[0].bytes = pl.v[0].run_ns = 0;
	pl.c[0].busy_ns = pl.c[0].idle_ns = 0;
	plant_step(&pl);
	ktap_result(pl.v[0].load < 1000 && pl.v[0].pps < 1000000 &&
		    pl.c[0].busy < 1000,
		    "counters that restart from zero are re-primed, not read as a huge delta (load %u, %llu pps)",
		    pl.v[0].load, (unsigned long long)pl.v[0].pps);
	plant_run(&pl, 5 * SEC);
	ktap_result(pl.reverts == 0 && cores_running(&pl) == 1,
		    "... and the placement carries on");
}

/*
 * The one knob table (module, simulator, selftest): every u32 of
 * vsc_pol_params but max_sidecores, once, each with its own netlink
 * attribute, each default within its range and the refusal text naming
 * the knob.
 */
static void test_knob_table(void)
{
	struct vsc_pol_params defaults = VSC_POL_DEFAULTS;
	unsigned int i, j, bad = 0;
	bool seen[sizeof(defaults) / sizeof(u32)] = { false };

	for (i = 0; i < vsc_nknobs; i++) {
		const struct vsc_knob *k = &vsc_knobs[i];
		u32 v = vsc_knob_get(&defaults, k);

		if (k->offset % sizeof(u32) || k->offset >= sizeof(defaults) ||
		    k->offset == offsetof(struct vsc_pol_params, max_sidecores) ||
		    seen[k->offset / sizeof(u32)] || !vsc_knob_in_range(k, v) ||
		    strncmp(k->range, k->name, strlen(k->name))) {
			printf("# knob %s (offset %zu, default %u, %u..%u) is wrong\n",
			       k->name, k->offset, v, k->min, k->max);
			bad++;
		}
		seen[k->offset / sizeof(u32)] = true;
		for (j = 0; j < i; j++)
			bad += !strcmp(vsc_knobs[j].name, k->name) ||
			       vsc_knobs[j].attr == k->attr;
	}
	ktap_result(!bad && vsc_nknobs == sizeof(defaults) / sizeof(u32) - 1,
		    "knob table: %u knobs, each field once, defaults within their ranges",
		    vsc_nknobs);
}

int main(void)
{
	struct plant pl;

	ktap_header(0);
	test_log2();
	test_idle();
	test_one_vm(&pl);
	test_step_down(&pl);
	test_four_vms();
	test_promote_cores();
	test_max_sidecores();
	test_oscillation();
	test_regret();
	test_trial();
	test_budget();
	test_noisy_verdicts();
	test_probe();
	test_no_search();
	test_handoff();
	test_unusable();
	test_light_hover();
	test_counters_restart();
	test_knob_table();
	return ktap_finish();
}
