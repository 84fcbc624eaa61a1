// SPDX-License-Identifier: GPL-2.0
/*
 * A VMM whose ring page faults forever: the tx avail ring of a hostile
 * device is registered with userfaultfd and never served, and its vqs
 * are polled by the sidecore that also polls a victim device (whose vqs
 * busy-poll on demand at the capped busyloop timeout when moved there).
 * The sidecore must not sleep in that fault: it hands the hostile vq to
 * its own worker (counted), where the fault may last as long as the VMM
 * likes. Meanwhile the victim keeps streaming, and moves (of every vq,
 * the stuck one too), the victim's close and an rmmod attempt all end
 * at once. Then the userfaultfd is closed and the hostile device closes
 * too.
 *
 *   isolation_uffd [-c cpu]
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <linux/vhost.h>

#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

/* SET_VRING_BUSYLOOP_TIMEOUT's cap (vhost_sidecore/vring.h). */
#define BUSYLOOP_CAP_US	10000
#define OP_MAX_MS	100

static int core_cpu = 1;
/* The hostile VMM's control pipe, for the watchdog. */
static int ctl_fd = -1;

/*
 * On a module that lets the fault wedge it, anything that takes its
 * global lock (even a read of its debugfs) never returns until the fault
 * is served: after a minute, serve it (close the userfaultfd) so that the
 * test ends and reports.
 */
static void watchdog(int sig)
{
	if (write(ctl_fd, "c", 1) != 1)
		_exit(3);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The hostile VMM: a device whose tx avail page is registered with a
 * userfaultfd that nobody serves. 'c' on @ctl closes the userfaultfd,
 * end of file exits (closing the device).
 */
static void hostile(int ready, int ctl)
{
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
		.indirect = true, .mrg_rxbuf = true, .version_1 = true,
		.ifname = "hostile", .busyloop_us = BUSYLOOP_CAP_US,
	};
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	long page = sysconf(_SC_PAGESIZE);
	unsigned long start;
	struct vg_dev d;
	int uffd;
	char c;

	if (vg_setup(&d, &cfg))
		_exit(1);
	/* Runs queued by the setup look at the ring: let them end first. */
	usleep(200000);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		printf("# userfaultfd: %s\n", strerror(errno));
		_exit(2);
	}
	/* Drop the page, then have its next fault wait for us forever. */
	start = (unsigned long)d.tx.avail & ~(page - 1);
	reg.range.start = start;
	reg.range.len = page;
	if (madvise((void *)start, page, MADV_DONTNEED) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("# UFFDIO_REGISTER: %s\n", strerror(errno));
		_exit(2);
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	while (read(ctl, &c, 1) == 1)
		if (c == 'c')
			close(uffd);
	_exit(0);
}

struct op {
	int kind;		/* 0: vq_move, 1: close, 2: rmmod */
	int dev, vq, fd;
	const char *target;
	int err;
	double ms;
};

static void *op_thread(void *arg)
{
	struct op *o = arg;
	double t0 = now_s();

	switch (o->kind) {
	case 0:
		o->err = sysfs_write("vq_move", "%d %d %s", o->dev, o->vq,
				     o->target);
		break;
	case 1:
		o->err = close(o->fd) ? -errno : 0;
		break;
	case 2:
		o->err = vsc_sh("rmmod vhost_sidecore 2>/dev/null");
		break;
	}
	o->ms = (now_s() - t0) * 1000;
	return NULL;
}

/* Run @o in a thread; false if it did not end within 5 s (left behind). */
static bool op_run(struct op *o)
{
	struct timespec ts;
	pthread_t t;

	if (pthread_create(&t, NULL, op_thread, o))
		return false;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	if (pthread_timedjoin_np(t, NULL, &ts)) {
		pthread_detach(t);
		o->ms = 5000;
		return false;
	}
	return true;
}

static bool move_timed(int dev, int vq, const char *target, double *ms)
{
	struct op o = { .kind = 0, .dev = dev, .vq = vq, .target = target };
	bool done = op_run(&o);

	*ms = o.ms;
	return done && !o.err;
}

static bool wait_mode(pid_t pid, const char *mode, int ms)
{
	struct vg_counters c0, c1;

	for (; ms > 0; ms -= 10) {
		if (!vg_read_counters(pid, 0, 0, &c0) &&
		    !vg_read_counters(pid, 1, 0, &c1) &&
		    !strcmp(c0.mode, mode) && !strcmp(c1.mode, mode))
			return true;
		usleep(10000);
	}
	return false;
}

static bool place(pid_t pid, const char *target, const char *mode)
{
	struct vg_counters c;
	int vq;

	for (vq = 0; vq < 2; vq++)
		if (vg_read_counters(pid, vq, 0, &c) ||
		    (strcmp(c.mode, mode) &&
		     sysfs_write("vq_move", "%d %d %s", c.dev, vq, target)))
			return false;
	return wait_mode(pid, mode, 2000);
}

static double rate(struct vg_dev *v, uint32_t stream)
{
	struct vg_stream_result res;

	if (!vg_stream_for(v, 2, stream, 5000, &res) || res.seconds <= 0) {
		vg_stream_report(&res);
		return -1;
	}
	return (res.tx.received + res.rx.received) / res.seconds;
}

static int set_busyloop(int fd, unsigned int vq, unsigned int us)
{
	struct vhost_vring_state s = { .index = vq, .num = us };

	return ioctl(fd, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &s) ? errno : 0;
}

int main(int argc, char **argv)
{
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
		.indirect = true, .mrg_rxbuf = true, .version_1 = true,
		.ifname = "victim", .busyloop_us = BUSYLOOP_CAP_US,
	};
	int ready[2], ctl[2], status, opt, i;
	double alone, during, ms[4], hms[4], t_end;
	struct vg_counters hc = { 0 }, vc = { 0 };
	char mode[32], cpu[16], c;
	bool ok, moves_ok, hmoves_ok, exited;
	struct op cl, rm;
	struct vg_dev v;
	pid_t pid;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c') {
			fprintf(stderr, "usage: %s [-c cpu]\n", argv[0]);
			return 2;
		}
		core_cpu = atoi(optarg);
	}
	vg_test_start("tun");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		ktap_exit_skip("needs 2 CPUs: a sidecore and the rest");
	ktap.planned = 9;
	snprintf(cpu, sizeof(cpu), "%d", core_cpu);
	snprintf(mode, sizeof(mode), "sidecore:%d", core_cpu);

	/* The busyloop timeout is capped, with EINVAL above the cap. */
	if (!set_policy("manual", cpu) || vg_setup(&v, &cfg))
		ktap_exit_skip("cannot set up the victim (policy manual, CPU %d)",
			       core_cpu);
	ktap_result(set_busyloop(v.fd, 1, BUSYLOOP_CAP_US + 1) == EINVAL &&
		    set_busyloop(v.fd, 1, BUSYLOOP_CAP_US) == 0,
		    "busyloop timeout: %d us taken, %d us refused with EINVAL",
		    BUSYLOOP_CAP_US, BUSYLOOP_CAP_US + 1);

	if (pipe(ready) || pipe(ctl))
		ktap_exit_skip("pipe");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(ready[0]);
		close(ctl[1]);
		hostile(ready[1], ctl[0]);
	}
	close(ready[1]);
	close(ctl[0]);
	ctl_fd = ctl[1];
	signal(SIGALRM, watchdog);
	alarm(60);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		ktap_exit_skip("the hostile VMM could not register its ring with userfaultfd");
	}

	/* The victim alone on the sidecore, then with the hostile device. */
	ok = place(getpid(), cpu, mode);
	alone = ok ? rate(&v, 1) : -1;
	ok = ok && place(pid, cpu, mode);
	for (i = 0; ok && i < 200; i++) {
		if (!vg_read_counters(pid, 1, 0, &hc) && hc.handoff)
			break;
		usleep(10000);
	}
	ktap_result(ok && hc.handoff && hc.handoffs >= 1 && !hc.broken,
		    "hostile vq on %s: handed to its worker (%llu hand-offs), not broken",
		    mode, hc.handoffs);
	during = rate(&v, 2);
	ktap_result(alone > 0 && during >= alone / 3,
		    "victim on the same sidecore: lossless, %.0f frames/s, %.2f of its %.0f alone",
		    during, alone > 0 ? during / alone : 0, alone);

	/*
	 * Moves: the victim's vqs (busy-polling at the capped timeout on
	 * demand) away and back, then the stuck hostile vq itself.
	 */
	vg_read_counters(getpid(), 1, 0, &vc);
	moves_ok = move_timed(vc.dev, 1, "ondemand", &ms[0]);
	if (moves_ok) {
		/* Streaming on demand: its worker busy-polls, then moves. */
		struct vg_stream_job job = { .d = &v, .seconds = 1.5,
					     .stream = 3, .stall_ms = 5000 };
		pthread_t t;

		pthread_create(&t, NULL, vg_stream_thread, &job);
		usleep(500000);
		moves_ok = move_timed(vc.dev, 1, cpu, &ms[1]) &&
			   move_timed(vc.dev, 1, "ondemand", &ms[2]) &&
			   move_timed(vc.dev, 1, cpu, &ms[3]);
		pthread_join(t, NULL);
		moves_ok = moves_ok && job.ok;
	}
	ktap_result(moves_ok && ms[0] < OP_MAX_MS && ms[1] < OP_MAX_MS &&
		    ms[2] < OP_MAX_MS && ms[3] < OP_MAX_MS,
		    "victim tx vq (busyloop %d us) moved 4 times under traffic, lossless: %.1f %.1f %.1f %.1f ms (max %d)",
		    BUSYLOOP_CAP_US, ms[0], ms[1], ms[2], ms[3], OP_MAX_MS);
	vg_read_counters(pid, 1, 0, &hc);
	hmoves_ok = move_timed(hc.dev, 1, "ondemand", &hms[0]) &&
		    move_timed(hc.dev, 1, cpu, &hms[1]) &&
		    move_timed(hc.dev, 0, "ondemand", &hms[2]) &&
		    move_timed(hc.dev, 0, cpu, &hms[3]);
	ktap_result(hmoves_ok && hms[0] < OP_MAX_MS && hms[1] < OP_MAX_MS &&
		    hms[2] < OP_MAX_MS && hms[3] < OP_MAX_MS,
		    "the stuck hostile vqs (busyloop %d us) moved 4 times: %.1f %.1f %.1f %.1f ms (max %d)",
		    BUSYLOOP_CAP_US, hms[0], hms[1], hms[2], hms[3], OP_MAX_MS);

	rm = (struct op){ .kind = 2 };
	ktap_result(op_run(&rm) && rm.err && rm.ms < 1000,
		    "rmmod attempt refused at once (devices open): %.1f ms", rm.ms);
	cl = (struct op){ .kind = 1, .fd = v.fd };
	ktap_result(op_run(&cl) && !cl.err && cl.ms < OP_MAX_MS,
		    "victim closed in %.1f ms (max %d)", cl.ms, OP_MAX_MS);
	v.fd = -1;
	vg_teardown(&v);
	vg_read_counters(pid, 1, 0, &hc);
	ktap_result(hc.handoff && !hc.broken,
		    "the hostile vq is still with its worker (%llu hand-offs) and not broken",
		    hc.handoffs);

	/* Now serve it: close the userfaultfd; then the VMM exits. */
	if (alarm(0) == 0)
		ktap_diag("the watchdog had to close the userfaultfd: the module was wedged");
	if (write(ctl[1], "c", 1) != 1)
		ktap_diag("cannot tell the hostile VMM to close its userfaultfd");
	close(ctl[1]);
	close(ready[0]);
	exited = false;
	for (t_end = now_s() + 10; now_s() < t_end;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			break;
		}
		usleep(10000);
	}
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ktap_result(exited && WIFEXITED(status) && !WEXITSTATUS(status) &&
		    vg_read_counters(pid, 1, 0, &hc),
		    "userfaultfd closed: the hostile device closed too");
	set_policy("ondemand", "");
	return ktap_finish();
}
