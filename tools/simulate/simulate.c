// SPDX-License-Identifier: GPL-2.0
/*
 * simulate: replay a counter trace recorded from a running manager
 * through the dynamic policy (manager/policy.c, the module's own code)
 * and print what it decides and the objective, without a VM.
 *
 * The trace is the text of the vhost_sidecore:mgr_vq_sample,
 * mgr_core_sample and mgr_tick tracepoints (tracefs "trace" or
 * "trace_pipe", or trace-cmd report). Replay is open-loop: the counters
 * and placements are what the recorded system did, so a knob changed
 * here shows what the policy would have decided from the same inputs.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager/policy.h"
#include "knob.h"

#define MAXVQ	1024
#define MAXCPU	256

static struct vsc_pol_vq vqs[MAXVQ];
static int vq_dev[MAXVQ], vq_idx[MAXVQ], vq_seen[MAXVQ];
static unsigned int nvq;
static struct vsc_pol_core cores[MAXCPU];
static int core_seen[MAXCPU];
static unsigned int ncpu;

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: simulate [-k DIR] [-s KNOB=VALUE]... [-q] [-c] [TRACE]\n"
		"\n"
		"Replay a manager counter trace (tracefs text of the vhost_sidecore\n"
		"mgr_vq_sample, mgr_core_sample and mgr_tick events; stdin if no\n"
		"TRACE) through the dynamic policy and print its decisions.\n"
		"\n"
		"  -k DIR         take every knob from a file of its name in DIR, as\n"
		"                 in /sys/kernel/vhost_sidecore/manager (the knobs the\n"
		"                 live manager runs with); -s after it overrides one\n"
		"  -s KNOB=VALUE  set a knob, one of:\n"
		"                ");
	for (i = 0; i < vsc_nknobs; i++)
		fprintf(f, " %s%s", vsc_knobs[i].name,
			i % 5 == 4 ? "\n                " : "");
	fprintf(f,
		" max_sidecores\n"
		"  -q             only the summary\n"
		"  -c             compare with the live decisions in the trace (why=)\n"
		"  -h             this text\n"
		"\n"
		"Exit: 0 ok, 1 no tick in the trace, 2 usage or unreadable input,\n"
		"3 (with -c) a tick where the replay decided otherwise.\n");
}

/* @name's knob set to @val; -1 with a message if either is wrong. */
static int set_one(struct vsc_pol_params *p, const char *name, size_t len,
		   const char *val)
{
	unsigned long v, lo = 0, hi = MAXCPU;
	const struct vsc_knob *k = knob_find(name, len);
	char *end;

	if (k) {
		lo = k->min;
		hi = k->max;
	} else if (len != strlen("max_sidecores") ||
		   strncmp(name, "max_sidecores", len)) {
		fprintf(stderr, "simulate: no knob '%.*s' (see -h)\n",
			(int)len, name);
		return -1;
	}
	errno = 0;
	v = strtoul(val, &end, 0);
	if (errno || *end || end == val || *val == '-' || v < lo || v > hi) {
		fprintf(stderr, "simulate: %.*s must be in %lu..%lu, not '%s'\n",
			(int)len, name, lo, hi, val);
		return -1;
	}
	if (k)
		*vsc_knob_ptr(p, k) = v;
	else
		p->max_sidecores = v;
	return 0;
}

static int set_knob(struct vsc_pol_params *p, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq) {
		fprintf(stderr, "simulate: '%s' is not KNOB=VALUE\n", arg);
		return -1;
	}
	return set_one(p, arg, eq - arg, eq + 1);
}

/* Every knob a user sets, from DIR/<name>. */
static int read_knobs(struct vsc_pol_params *p, const char *dir)
{
	char path[4096], val[64];
	const char *name;
	size_t i;
	FILE *f;

	for (i = 0; i < vsc_nknobs; i++) {
		name = vsc_knobs[i].name;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		f = fopen(path, "r");
		if (!f || !fgets(val, sizeof(val), f)) {
			fprintf(stderr, "simulate: %s: %s\n", path,
				f ? "empty" : strerror(errno));
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		val[strcspn(val, "\n")] = 0;
		if (set_one(p, name, strlen(name), val))
			return -1;
	}
	return 0;
}

/* The value of "key=" in @line, as an unsigned integer. */
static int field(const char *line, const char *key, long long *v)
{
	char pat[32];
	const char *at;

	snprintf(pat, sizeof(pat), " %s=", key);
	at = strstr(line, pat);
	if (!at)
		return -1;
	*v = strtoll(at + strlen(pat), NULL, 10);
	return 0;
}

/* The timestamp before ": mgr_...", in ns. */
static int stamp(const char *line, const char *ev, unsigned long long *ns)
{
	const char *at = strstr(line, ev), *p;
	double s;

	if (!at || at == line)
		return -1;
	p = at - 2;
	while (p > line && p[-1] != ' ')
		p--;
	if (sscanf(p, "%lf:", &s) != 1)
		return -1;
	*ns = (unsigned long long)(s * 1e9);
	return 0;
}

static struct vsc_pol_vq *vq_of(int dev, int idx)
{
	unsigned int i;

	for (i = 0; i < nvq; i++)
		if (vq_dev[i] == dev && vq_idx[i] == idx)
			return &vqs[i];
	if (nvq == MAXVQ)
		return NULL;
	memset(&vqs[nvq], 0, sizeof(vqs[nvq]));
	vq_dev[nvq] = dev;
	vq_idx[nvq] = idx;
	vqs[nvq].id = dev * 2 + idx;
	return &vqs[nvq++];
}

/* The live decision of a mgr_tick line: its why= flags as a mask. */
static unsigned int live_why(const char *line)
{
	const char *at = strstr(line, " why=");
	unsigned int mask = 0;
	char buf[128], *tok, *save;
	int i;

	if (!at || sscanf(at + 5, "%127s", buf) != 1)
		return 0;
	for (tok = strtok_r(buf, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save))
		for (i = 1; i < VSC_POL_WHY_MAX; i++)
			if (!strcmp(tok, vsc_pol_why_names[i]))
				mask |= 1U << i;
	return mask;
}

static void print_why(unsigned int why)
{
	const char *sep = "";
	int i;

	for (i = 1; i < VSC_POL_WHY_MAX; i++)
		if (why & (1U << i)) {
			printf("%s%s", sep, vsc_pol_why_names[i]);
			sep = "|";
		}
	if (!*sep)
		printf("none");
}

int main(int argc, char **argv)
{
	struct vsc_pol_params p = VSC_POL_DEFAULTS;
	struct vsc_pol_vq *list[MAXVQ];
	unsigned long long ns, t0 = 0, ticks = 0, cores_ticks = 0;
	double score_sum = 0;
	unsigned long score_n = 0;
	char line[1024];
	struct vsc_pol pol;
	unsigned long long mismatches = 0;
	int opt, quiet = 0, compare = 0;
	FILE *in = stdin;

	while ((opt = getopt(argc, argv, "k:s:qch")) != -1) {
		switch (opt) {
		case 'k':
			if (read_knobs(&p, optarg))
				return 2;
			break;
		case 's':
			if (set_knob(&p, optarg))
				return 2;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'c':
			compare = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !(in = fopen(argv[optind], "r"))) {
		fprintf(stderr, "simulate: %s: %s\n", argv[optind],
			strerror(errno));
		return 2;
	}
	vsc_policy_init(&pol, &p);

	while (fgets(line, sizeof(line), in)) {
		long long dev, idx, where, pk, by, run, ho, cpu, us, rn, busy,
			  idle, cost, now;
		struct vsc_pol_vq *v;
		unsigned int n = 0, i, moves;

		if (strstr(line, "mgr_vq_sample:")) {
			if (field(line, "dev", &dev) || field(line, "vq", &idx) ||
			    field(line, "where", &where) ||
			    field(line, "packets", &pk) ||
			    field(line, "bytes", &by) ||
			    field(line, "run_ns", &run))
				continue;
			v = vq_of(dev, idx);
			if (!v)
				continue;
			v->packets = pk;
			v->bytes = by;
			v->run_ns = run;
			/* Traces from before hand-offs have none. */
			v->handoffs = field(line, "handoffs", &ho) ? 0 : ho;
			v->where = where;
			vq_seen[v - vqs] = 1;
		} else if (strstr(line, "mgr_core_sample:")) {
			if (field(line, "cpu", &cpu) || cpu < 0 ||
			    cpu >= MAXCPU || field(line, "usable", &us) ||
			    field(line, "running", &rn) ||
			    field(line, "busy_ns", &busy) ||
			    field(line, "idle_ns", &idle))
				continue;
			cores[cpu].cpu = cpu;
			cores[cpu].usable = us;
			cores[cpu].running = rn;
			cores[cpu].busy_ns = busy;
			cores[cpu].idle_ns = idle;
			core_seen[cpu] = 1;
			if (cpu + 1 > ncpu)
				ncpu = cpu + 1;
		} else if (strstr(line, "mgr_tick:")) {
			if (field(line, "cost_ns", &cost))
				continue;
			/* The manager's own clock; else the trace's. */
			if (!field(line, "now_ns", &now))
				ns = now;
			else if (stamp(line, "mgr_tick:", &ns))
				continue;
			if (!t0)
				t0 = ns;
			for (i = 0; i < nvq; i++)
				if (vq_seen[i]) {
					list[n++] = &vqs[i];
					vq_seen[i] = 0;
				}
			for (i = 0; i < ncpu; i++) {
				cores[i].cpu = i;
				if (!core_seen[i])
					cores[i].usable = cores[i].running = 0;
				core_seen[i] = 0;
			}
			moves = vsc_policy_tick(&pol, ns, cost, list, n, cores,
						ncpu);
			ticks++;
			cores_ticks += pol.cores;
			if (compare && pol.why != live_why(line)) {
				mismatches++;
				printf("%10.3f s  replay decided ", (ns - t0) / 1e9);
				print_why(pol.why);
				printf(", the manager ");
				print_why(live_why(line));
				printf("\n");
			}
			if (pol.last_score) {
				score_sum += pol.last_score / 65536.0;
				score_n++;
			}
			if (quiet || (!moves && !pol.why))
				continue;
			printf("%10.3f s  ", (ns - t0) / 1e9);
			print_why(pol.why);
			printf("  cores %u  score %.3f", pol.cores,
			       pol.last_score / 65536.0);
			if (pol.why & ((1U << VSC_POL_REVERT) |
				       (1U << VSC_POL_KEEP)))
				printf("  trial %.3f -> %.3f",
				       pol.trial_before / 65536.0,
				       pol.trial_after / 65536.0);
			printf("\n");
			for (i = 0; i < n; i++)
				if (list[i]->target != list[i]->where)
					printf("             dev %u vq %u: %d -> %d (load %u, %llu pps)\n",
					       list[i]->id / 2, list[i]->id % 2,
					       list[i]->where, list[i]->target,
					       list[i]->load,
					       (unsigned long long)list[i]->pps);
		}
	}
	printf("%llu ticks, %llu changes, %llu reverts, %.2f cores on average, mean objective %.3f (log2 units)\n",
	       ticks, (unsigned long long)pol.changes,
	       (unsigned long long)pol.reverts,
	       ticks ? (double)cores_ticks / ticks : 0,
	       score_n ? score_sum / score_n : 0);
	if (compare)
		printf("%llu of %llu ticks decided otherwise than live\n",
		       mismatches, ticks);
	if (!ticks)
		return 1;
	return mismatches ? 3 : 0;
}
