/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tenant-isolation tests share: control operations that must not
 * hang, run in a thread and given up on after a few seconds (on a module
 * that lets a tenant wedge it, they end only once the attack stops), a
 * watchdog that ends the attack after a minute (a thread stuck in the
 * module cannot take a signal), placing a device's vqs by hand, and the
 * kernel log since a mark.
 */
#ifndef VSC_ISOLATION_H
#define VSC_ISOLATION_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "util.h"
#include "vgtest.h"
#include "vguest.h"

/*
 * The start of every isolation test: TAP header and skips (vgtest.h),
 * two CPUs (a sidecore on @cpu and the rest), the plan; @cpus gets "N"
 * and @mode "sidecore:N" (debugfs's name for it).
 */
static inline void iso_test_start(int planned, int cpu, char cpus[16],
				  char mode[32])
{
	vg_test_start("tun");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		ktap_exit_skip("needs 2 CPUs: a sidecore and the rest");
	ktap.planned = planned;
	snprintf(cpus, 16, "%d", cpu);
	snprintf(mode, 32, "sidecore:%d", cpu);
}

/* Moves and closes must end within this (the bound). */
#define ISO_OP_MAX_MS	100

static inline double iso_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum iso_op_kind { ISO_MOVE, ISO_CLOSE, ISO_RMMOD };

struct iso_op {
	enum iso_op_kind kind;
	int dev, vq, fd;
	char target[16];	/* ISO_MOVE: a CPU or "ondemand" */
	int err;
	double ms;
};

static void *iso_op_thread(void *arg)
{
	struct iso_op *o = arg;
	double t0 = iso_now();

	switch (o->kind) {
	case ISO_MOVE:
		o->err = sysfs_write("vq_move", "%d %d %s", o->dev, o->vq,
				     o->target);
		break;
	case ISO_CLOSE:
		o->err = close(o->fd) ? -errno : 0;
		break;
	case ISO_RMMOD:
		/* What rmmod does, without a shell to time as well. */
		o->err = syscall(SYS_delete_module, "vhost_sidecore",
				 O_NONBLOCK) ? -errno : 0;
		break;
	}
	o->ms = (iso_now() - t0) * 1000;
	return NULL;
}

/*
 * Run @o in a thread. True when it ended within 5 s (its result in @o);
 * otherwise the thread is left behind with a copy of its own, @o->ms is
 * 5000 and @o->err -ETIMEDOUT.
 */
static inline bool iso_op_run(struct iso_op *o)
{
	struct iso_op *copy = malloc(sizeof(*copy));
	struct timespec ts;
	pthread_t t;

	if (!copy || (*copy = *o, pthread_create(&t, NULL, iso_op_thread, copy))) {
		free(copy);
		o->err = -ENOMEM;
		return false;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	if (pthread_timedjoin_np(t, NULL, &ts)) {
		pthread_detach(t);
		o->ms = 5000;
		o->err = -ETIMEDOUT;
		return false;
	}
	*o = *copy;
	free(copy);
	return true;
}

/* Move vq @vq of device @dev to @target; its time in *@ms. */
static inline bool iso_move(int dev, int vq, const char *target, double *ms)
{
	struct iso_op o = { .kind = ISO_MOVE, .dev = dev, .vq = vq };

	snprintf(o.target, sizeof(o.target), "%s", target);
	iso_op_run(&o);
	*ms = o.ms;
	return !o.err;
}

static inline bool iso_mode_is(pid_t pid, int vq, const char *mode)
{
	struct vg_counters c;

	return !vg_read_counters(pid, vq, 0, &c) && !strcmp(c.mode, mode);
}

/*
 * Both vqs of @pid's (first) device to @target ("1" or "ondemand"), then
 * wait up to 2 s until debugfs shows them in @mode.
 */
static inline bool iso_place(pid_t pid, const char *target, const char *mode)
{
	struct vg_counters c;
	int vq, ms;

	for (vq = 0; vq < 2; vq++)
		if (vg_read_counters(pid, vq, 0, &c) ||
		    (strcmp(c.mode, mode) &&
		     sysfs_write("vq_move", "%d %d %s", c.dev, vq, target)))
			return false;
	for (ms = 0; ms < 2000; ms += 10) {
		if (iso_mode_is(pid, 0, mode) && iso_mode_is(pid, 1, mode))
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * The watchdog: once armed, after @secs it writes @byte to @fd (the
 * attacker's control pipe: stop, or serve the fault), once.
 */
struct iso_watchdog {
	long long at_ms;	/* 0: off, -1: it fired */
	int fd;
	char byte;
};

static void *iso_watchdog_thread(void *arg)
{
	struct iso_watchdog *w = arg;

	for (;;) {
		long long at = __atomic_load_n(&w->at_ms, __ATOMIC_ACQUIRE);

		if (at > 0 && iso_now() * 1000 > at &&
		    __atomic_compare_exchange_n(&w->at_ms, &at, -1, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) &&
		    write(__atomic_load_n(&w->fd, __ATOMIC_ACQUIRE), &w->byte,
			  1) != 1)
			_exit(3);
		usleep(100000);
	}
	return NULL;
}

static inline void iso_watchdog_start(struct iso_watchdog *w, char byte)
{
	pthread_t t;

	w->at_ms = 0;
	w->byte = byte;
	if (!pthread_create(&t, NULL, iso_watchdog_thread, w))
		pthread_detach(t);
}

static inline void iso_watchdog_arm(struct iso_watchdog *w, int fd, int secs)
{
	__atomic_store_n(&w->fd, fd, __ATOMIC_RELEASE);
	__atomic_store_n(&w->at_ms, (long long)(iso_now() * 1000) + secs * 1000,
			 __ATOMIC_RELEASE);
}

/* Disarm; true if it had fired (the module was wedged). */
static inline bool iso_watchdog_disarm(struct iso_watchdog *w)
{
	return __atomic_exchange_n(&w->at_ms, 0, __ATOMIC_ACQ_REL) < 0;
}

/* Put a mark in the kernel log, for iso_log_clean(). */
static inline void iso_mark(const char *mark)
{
	FILE *f = fopen("/dev/kmsg", "w");

	if (f) {
		fprintf(f, "%s\n", mark);
		fclose(f);
	}
}

/*
 * No report in the kernel log since @mark? A KCSAN report (from its
 * "BUG: KCSAN" line to its closing "=====") counts only if one of its
 * stacks names the module: KCSAN also reports races inside the rest of
 * the kernel (the timer tick's, a device QEMU emulates), which the
 * module cannot cause; make check-debug lists those apart.
 */
static inline bool iso_log_clean(const char *mark)
{
	return vsc_sh("dmesg | sed -n '\\|%s|,$p' | awk '"
		      "/BUG: KCSAN:/ { ink = 1; mine = 0; next } "
		      "ink && /vhost_sidecore/ { mine = 1 } "
		      "ink && /=========/ { ink = 0; if (mine) bad = 1; next } "
		      "ink { next } "
		      "/WARNING:|BUG:|Oops|soft lockup|stall|blocked for more than|KASAN|UBSAN|KCSAN|lockdep|use-after-free|no longer affine/ { bad = 1 } "
		      "END { if (ink && mine) bad = 1; exit bad }'",
		      mark) == 0;
}

#endif
