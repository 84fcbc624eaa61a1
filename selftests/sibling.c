// SPDX-License-Identifier: GPL-2.0
/*
 * What an idle sidecore costs the CPU beside it, and what its idle
 * back-off costs a frame: a helper of tools/bench/sibling, run where the
 * module is loaded (the test VM).
 *
 * 1. A fixed busy loop runs on CPU -l (default 0) for the whole run. A
 *    userspace guest device (selftests/lib/vguest.c, with a tap) has its
 *    two vqs alternately polled by the sidecore on CPU -c (default 1),
 *    which has nothing to do ("polling"), and moved on demand, which
 *    parks the sidecore ("parked"), in blocks of -s seconds in ABBA order
 *    for -b blocks. Each block gives the loop's rate (the first 0.2 s
 *    after a switch left out) and the sidecore thread's CPU time. The
 *    paired ratio polling/parked, per AB pair, cancels the host's drift;
 *    its median and a 90% bootstrap interval over the pairs are printed.
 * 2. Reaction: the loop stopped and the vqs on the sidecore, -r times:
 *    idle for 2-20 ms (the sidecore backs off), then one tx frame is
 *    published without a kick and the time until the device returns it
 *    in the used ring is taken. Median, 90th and 99th percentile, max.
 *
 *   sibling [-b BLOCKS] [-s SECONDS] [-r FRAMES] [-c CPU] [-l CPU] [-j]
 *
 * -j prints one JSON object instead of the text report. The module's
 * policy is left as found except that it ends "ondemand".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/rng.h"
#include "lib/util.h"
#include "lib/vguest.h"

#define CHUNK	(1 << 16)	/* additions between looks at the clock */
#define BOOT	2000		/* bootstrap resamples */

static volatile int loop_run = 1, loop_go;
static volatile uint64_t loop_chunks;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *loop_fn(void *arg)
{
	uint64_t acc = 1;
	unsigned int i;

	if (pin(*(int *)arg))
		return NULL;
	while (loop_run) {
		if (!loop_go) {
			usleep(1000);
			continue;
		}
		for (i = 0; i < CHUNK; i++)
			acc += i ^ (acc >> 3);
		__asm__ volatile("" : : "r"(acc));
		__atomic_fetch_add(&loop_chunks, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pctl(double *v, int n, double p)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[(int)(p * (n - 1) + 0.5)];
}

static int move_all(int dev, const char *where)
{
	return sysfs_write("vq_move", "%d 0 %s", dev, where) ||
	       sysfs_write("vq_move", "%d 1 %s", dev, where);
}

static long long core_ns(int cpu)
{
	char comm[32];

	snprintf(comm, sizeof(comm), "vsc-core/%d", cpu);
	return schedstat_ns(kthread_pid(comm));
}

static int param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/vhost_sidecore/parameters/%s",
		 name);
	f = fopen(path, "re");
	if (!f || !fgets(buf, len, f)) {
		if (f)
			fclose(f);
		snprintf(buf, len, "none");
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void usage(FILE *o)
{
	fprintf(o,
		"usage: sibling [-b BLOCKS] [-s SECONDS] [-r FRAMES] [-c CPU] [-l CPU] [-j]\n"
		"  -b  blocks, a multiple of 4 (ABBA), default 16\n"
		"  -s  seconds per block, default 2\n"
		"  -r  reaction samples, default 200\n"
		"  -c  the sidecore's CPU, default 1;  -l  the busy loop's, default 0\n"
		"  -j  JSON output\n"
		"Exit: 0 measured, 1 a step failed, 2 usage.\n");
}

int main(int argc, char **argv)
{
	int blocks = 16, reactions = 200, sc_cpu = 1, loop_cpu = 0, o, i;
	double secs = 2, *rate, *core, *ratio, *boot, *react;
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .ifname = "sib0",
		.event_idx = true, .version_1 = true,
	};
	char cpus[16], spin[32], sleep_us[32];
	struct vg_counters c;
	struct rng r = { 20261201 };
	pthread_t loop;
	struct vg_dev d;
	bool json = false;
	uint8_t frame[128];

	while ((o = getopt(argc, argv, "b:s:r:c:l:jh")) != -1) {
		switch (o) {
		case 'b': blocks = atoi(optarg); break;
		case 's': secs = atof(optarg); break;
		case 'r': reactions = atoi(optarg); break;
		case 'c': sc_cpu = atoi(optarg); break;
		case 'l': loop_cpu = atoi(optarg); break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (blocks < 4 || blocks % 4 || secs < 0.5 || reactions < 1) {
		usage(stderr);
		return 2;
	}
	rate = calloc(blocks, sizeof(*rate));
	core = calloc(blocks, sizeof(*core));
	ratio = calloc(blocks / 2, sizeof(*ratio));
	boot = calloc(BOOT, sizeof(*boot));
	react = calloc(reactions, sizeof(*react));
	if (!rate || !core || !ratio || !boot || !react)
		return 1;
	if (vsc_ensure_module() || vsc_sh("modprobe -q tun")) {
		fprintf(stderr, "sibling: cannot load vhost_sidecore or tun\n");
		return 1;
	}
	snprintf(cpus, sizeof(cpus), "%d", sc_cpu);
	if (!set_policy("manual", cpus)) {
		fprintf(stderr, "sibling: cannot set policy manual on CPU %d\n",
			sc_cpu);
		return 1;
	}
	param("idle_spin_us", spin, sizeof(spin));
	param("idle_sleep_us", sleep_us, sizeof(sleep_us));
	if (vg_new_netns() || vg_setup(&d, &cfg) ||
	    vg_read_counters(getpid(), 0, 0, &c)) {
		fprintf(stderr, "sibling: cannot set up the guest device\n");
		return 1;
	}
	/* Away from the loop's CPU: this thread mostly sleeps. */
	pin(sc_cpu);
	if (pthread_create(&loop, NULL, loop_fn, &loop_cpu))
		return 1;

	/* 1: blocks, ABBA: polling parked parked polling ... */
	for (i = 0; i < blocks; i++) {
		bool polling = (i % 4 == 0 || i % 4 == 3);
		uint64_t c0, c1;
		long long k0, k1;
		double t0, t1;

		if (move_all(c.dev, polling ? cpus : "ondemand")) {
			fprintf(stderr, "sibling: vq_move failed\n");
			return 1;
		}
		loop_go = 1;
		usleep(200000);
		c0 = loop_chunks;
		k0 = core_ns(sc_cpu);
		t0 = now();
		usleep((useconds_t)(secs * 1e6));
		c1 = loop_chunks;
		k1 = core_ns(sc_cpu);
		t1 = now();
		rate[i] = (c1 - c0) * (double)CHUNK / (t1 - t0) / 1e9;
		core[i] = k0 >= 0 && k1 >= k0 ? (k1 - k0) / 1e9 / (t1 - t0) : -1;
		if (!json)
			printf("# block %2d %-8s loop %.3f G additions/s, sidecore thread %.1f%% of a CPU\n",
			       i, polling ? "polling" : "parked", rate[i],
			       100 * core[i]);
	}
	loop_go = 0;
	for (i = 0; i < blocks / 2; i++) {
		/* pair (polling, parked) in each half of an ABBA group */
		int a = i % 2 == 0 ? 2 * i : 2 * i + 1;
		int b = i % 2 == 0 ? 2 * i + 1 : 2 * i;

		ratio[i] = rate[a] / rate[b];
	}
	for (o = 0; o < BOOT; o++) {
		double s = 0;

		for (i = 0; i < blocks / 2; i++)
			s += ratio[rng_below(&r, blocks / 2)];
		boot[o] = s / (blocks / 2);
	}

	/* 2: reaction after idling, the vqs polled; we wait on the loop's CPU. */
	loop_run = 0;
	pthread_join(loop, NULL);
	pin(loop_cpu);
	if (move_all(c.dev, cpus))
		return 1;
	for (i = 0; i < reactions; i++) {
		uint16_t u0 = __atomic_load_n(&d.tx.used->idx, __ATOMIC_ACQUIRE);
		double t0, end;

		usleep(2000 + rng_below(&r, 18000));
		vg_frame_build(frame, 64, false, 7, i);
		if (vg_tx_add(&d, frame, 64) < 0)
			return 1;
		t0 = now();
		vg_tx_publish(&d);
		end = t0 + 1;
		while (__atomic_load_n(&d.tx.used->idx, __ATOMIC_ACQUIRE) == u0 &&
		       now() < end)
			;
		react[i] = (now() - t0) * 1e6;
		vg_tx_reap(&d);
		while (vg_host_recv(&d, frame, sizeof(frame)) > 0)
			;
	}
	move_all(c.dev, "ondemand");
	vg_teardown(&d);
	set_policy("ondemand", "");

	{
		double pol[blocks / 2], par[blocks / 2], cp[blocks / 2];
		double rmed = pctl(ratio, blocks / 2, 0.5);
		double lo = pctl(boot, BOOT, 0.05), hi = pctl(boot, BOOT, 0.95);
		int np = 0, nq = 0;

		for (i = 0; i < blocks; i++) {
			if (i % 4 == 0 || i % 4 == 3) {
				cp[np] = core[i];
				pol[np++] = rate[i];
			} else {
				par[nq++] = rate[i];
			}
		}
		if (json) {
			printf("{\"idle_spin_us\":\"%s\",\"idle_sleep_us\":\"%s\","
			       "\"blocks\":%d,\"block_s\":%.1f,"
			       "\"loop_polling_median\":%.4f,\"loop_parked_median\":%.4f,"
			       "\"ratio_median\":%.4f,\"ratio_mean_ci90\":[%.4f,%.4f],"
			       "\"sidecore_cpu_polling\":%.4f,"
			       "\"reaction_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f}}\n",
			       spin, sleep_us, blocks, secs,
			       pctl(pol, np, 0.5), pctl(par, nq, 0.5), rmed, lo, hi,
			       pctl(cp, np, 0.5),
			       pctl(react, reactions, 0.5), pctl(react, reactions, 0.9),
			       pctl(react, reactions, 0.99),
			       pctl(react, reactions, 1));
		} else {
			printf("sibling: idle_spin_us %s, idle_sleep_us %s; %d blocks of %.1f s (ABBA)\n",
			       spin, sleep_us, blocks, secs);
			printf("  busy loop on CPU %d: %.3f G additions/s beside an idle polling sidecore, %.3f beside a parked one (medians)\n",
			       loop_cpu, pctl(pol, np, 0.5), pctl(par, nq, 0.5));
			printf("  paired ratio polling/parked: median %.3f, mean %.3f..%.3f (90%% bootstrap over %d pairs)\n",
			       rmed, lo, hi, blocks / 2);
			printf("  the idle sidecore thread used %.1f%% of its CPU (median of blocks)\n",
			       100 * pctl(cp, np, 0.5));
			printf("  reaction to a frame after 2-20 ms idle, %d frames: median %.1f us, p90 %.1f, p99 %.1f, max %.1f\n",
			       reactions, pctl(react, reactions, 0.5),
			       pctl(react, reactions, 0.9),
			       pctl(react, reactions, 0.99),
			       pctl(react, reactions, 1));
		}
	}
	return 0;
}
