// SPDX-License-Identifier: GPL-2.0
/*
 * hostspeed: how fast this machine runs right now, for the benchmarks to
 * take the host's own drift out of their ratios.
 *
 *   hostspeed FILE [PERIOD_MS]
 *
 * Every PERIOD_MS (default 100) one thread per CPU it may run on, pinned to
 * its CPU and woken together (SCHED_FIFO when allowed, so that a busy
 * machine does not delay them), runs the same fixed chain of dependent
 * additions, about a millisecond's worth when it starts. All CPUs are
 * busy during a burst whatever else the machine runs, so a burst measures
 * what the whole machine delivers when fully loaded (where two CPUs share
 * one core, what one CPU gets depends on whether the other is busy; here
 * both always are), not how loaded it was. FILE, rewritten after every
 * burst (write to FILE.tmp, rename), holds one line:
 *
 *   bursts iterations nanoseconds
 *
 * cumulative since the start: iterations done by all threads and the
 * time of the bursts (each burst counted as its slowest thread's time for
 * the chain, from that thread's own start, so that waking an idle CPU is
 * not counted as slowness). A reader takes the line at the start and at
 * the end of an interval; the difference in iterations over the
 * difference in nanoseconds is the machine's speed over it, in
 * iterations per nanosecond. It costs about 1% of every CPU.
 *
 * Stops on SIGTERM or SIGINT. Exit status: 0 after a signal, 1 on an
 * error (said on stderr), 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
	pthread_t thread;
	int cpu;
	uint64_t ns;		/* this burst's chain, on this thread */
};

static pthread_barrier_t start_line, finish_line;
static volatile sig_atomic_t stopping;	/* a signal came */
static int quit;	/* set by main alone, before the last start_line */
static uint64_t chain;		/* iterations per burst and thread */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* N dependent additions; the compiler may neither fold nor vectorise them. */
static uint64_t spin(uint64_t n)
{
	uint64_t x = 1, i;

	for (i = 0; i < n; i++) {
		x += i ^ (x >> 3);
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	uint64_t t;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "hostspeed: cannot pin a thread to CPU %d\n", w->cpu);
	for (;;) {
		pthread_barrier_wait(&start_line);
		if (quit)
			return NULL;
		t = now_ns();
		spin(chain);
		w->ns = now_ns() - t;
		pthread_barrier_wait(&finish_line);
	}
}

static void on_signal(int sig)
{
	stopping = 1;
}

static int publish(const char *file, uint64_t bursts, uint64_t iters, uint64_t ns)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%llu %llu %llu\n", (unsigned long long)bursts,
		(unsigned long long)iters, (unsigned long long)ns);
	if (fclose(f) || rename(tmp, file))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct sched_param fifo = { .sched_priority = 1 };
	uint64_t bursts = 0, iters = 0, ns = 0, t, best;
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec next;
	struct worker *w;
	long period_ms = 100;
	int n, i, cpu, fifo_ok, err = 0;
	cpu_set_t allowed;
	sigset_t block;
	char *end;

	if (argc < 2 || argc > 3 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 || argc > 3 ? stderr : stdout,
			"usage: hostspeed FILE [PERIOD_MS]\n"
			"Every PERIOD_MS (100) a burst of fixed work on every CPU at once;\n"
			"FILE holds \"bursts iterations nanoseconds\", cumulative.\n");
		return argc < 2 || argc > 3 ? 2 : 0;
	}
	if (argc == 3) {
		errno = 0;
		period_ms = strtol(argv[2], &end, 10);
		if (errno || *end || period_ms < 10 || period_ms > 10000) {
			fprintf(stderr, "hostspeed: PERIOD_MS must be 10-10000, not %s\n", argv[2]);
			return 2;
		}
	}
	/* One thread per CPU this process may run on (offline CPUs, a cpuset
	 * or taskset left out). */
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		fprintf(stderr, "hostspeed: sched_getaffinity: %s\n", strerror(errno));
		return 1;
	}
	n = CPU_COUNT(&allowed);
	w = calloc((size_t)n, sizeof(*w));
	if (!w) {
		fprintf(stderr, "hostspeed: out of memory\n");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* About a millisecond of work: the fastest of five tries, scaled. */
	best = UINT64_MAX;
	for (i = 0; i < 5; i++) {
		t = now_ns();
		spin(1000000);
		t = now_ns() - t;
		if (t < best)
			best = t;
	}
	chain = best ? 1000000ull * 1000000ull / best : 1000000;
	if (chain < 1000)
		chain = 1000;

	if (pthread_barrier_init(&start_line, NULL, (unsigned int)n + 1) ||
	    pthread_barrier_init(&finish_line, NULL, (unsigned int)n + 1)) {
		fprintf(stderr, "hostspeed: cannot make barriers\n");
		return 1;
	}
	fifo_ok = !sched_setscheduler(0, SCHED_FIFO, &fifo);
	if (!fifo_ok)
		fprintf(stderr, "hostspeed: no SCHED_FIFO (%s): bursts may start late on a busy machine\n",
			strerror(errno));
	/* The threads never take the signals: main alone decides to stop. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	for (i = 0, cpu = 0; i < n; i++, cpu++) {
		while (!CPU_ISSET(cpu, &allowed))
			cpu++;
		w[i].cpu = cpu;
		/* Threads inherit the policy set above. */
		if (pthread_create(&w[i].thread, NULL, work, &w[i])) {
			fprintf(stderr, "hostspeed: cannot start thread %d\n", i);
			return 1;
		}
	}
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	if (publish(argv[1], 0, 0, 0)) {
		fprintf(stderr, "hostspeed: cannot write %s: %s\n", argv[1], strerror(errno));
		stopping = 1;
		err = 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stopping) {
		next.tv_nsec += period_ms * 1000000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			if (stopping)
				break;
		if (stopping)
			break;
		pthread_barrier_wait(&start_line);
		pthread_barrier_wait(&finish_line);
		t = 0;
		for (i = 0; i < n; i++)
			if (w[i].ns > t)
				t = w[i].ns;
		bursts++;
		iters += chain * (uint64_t)n;
		ns += t;
		if (publish(argv[1], bursts, iters, ns)) {
			fprintf(stderr, "hostspeed: cannot write %s: %s\n", argv[1], strerror(errno));
			err = 1;
			break;
		}
	}
	quit = 1;
	pthread_barrier_wait(&start_line);
	for (i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
	free(w);
	return err;
}
