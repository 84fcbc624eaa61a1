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

#include "lib/isolation.h"
#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

/* SET_VRING_BUSYLOOP_TIMEOUT's cap (vhost_sidecore/vring.h). */
#define BUSYLOOP_CAP_US	10000

static int core_cpu = 1;
/* Serves the fault if the module wedged (lib/isolation.h). */
static struct iso_watchdog wd;

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
	bool ok, moves_ok, hmoves_ok, exited, ran;
	struct iso_op cl, rm;
	struct vg_dev v;
	pid_t pid;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c') {
			fprintf(stderr, "usage: %s [-c cpu]\n", argv[0]);
			return 2;
		}
		core_cpu = atoi(optarg);
	}
	iso_test_start(9, core_cpu, cpu, mode);

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
	signal(SIGPIPE, SIG_IGN);
	iso_watchdog_start(&wd, 'c');
	iso_watchdog_arm(&wd, ctl[1], 60);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		ktap_exit_skip("the hostile VMM could not register its ring with userfaultfd");
	}

	/* The victim alone on the sidecore, then with the hostile device. */
	ok = iso_place(getpid(), cpu, mode);
	alone = ok ? rate(&v, 1) : -1;
	ok = ok && iso_place(pid, cpu, mode);
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
	moves_ok = iso_move(vc.dev, 1, "ondemand", &ms[0]);
	if (moves_ok) {
		/* Streaming on demand: its worker busy-polls, then moves. */
		struct vg_stream_job job = { .d = &v, .seconds = 1.5,
					     .stream = 3, .stall_ms = 5000 };
		pthread_t t;

		pthread_create(&t, NULL, vg_stream_thread, &job);
		usleep(500000);
		moves_ok = iso_move(vc.dev, 1, cpu, &ms[1]) &&
			   iso_move(vc.dev, 1, "ondemand", &ms[2]) &&
			   iso_move(vc.dev, 1, cpu, &ms[3]);
		pthread_join(t, NULL);
		moves_ok = moves_ok && job.ok;
	}
	ktap_result(moves_ok && ms[0] < ISO_OP_MAX_MS && ms[1] < ISO_OP_MAX_MS &&
		    ms[2] < ISO_OP_MAX_MS && ms[3] < ISO_OP_MAX_MS,
		    "victim tx vq (busyloop %d us) moved 4 times under traffic, lossless: %.1f %.1f %.1f %.1f ms (max %d)",
		    BUSYLOOP_CAP_US, ms[0], ms[1], ms[2], ms[3], ISO_OP_MAX_MS);
	vg_read_counters(pid, 1, 0, &hc);
	hmoves_ok = iso_move(hc.dev, 1, "ondemand", &hms[0]) &&
		    iso_move(hc.dev, 1, cpu, &hms[1]) &&
		    iso_move(hc.dev, 0, "ondemand", &hms[2]) &&
		    iso_move(hc.dev, 0, cpu, &hms[3]);
	ktap_result(hmoves_ok && hms[0] < ISO_OP_MAX_MS && hms[1] < ISO_OP_MAX_MS &&
		    hms[2] < ISO_OP_MAX_MS && hms[3] < ISO_OP_MAX_MS,
		    "the stuck hostile vqs (busyloop %d us) moved 4 times: %.1f %.1f %.1f %.1f ms (max %d)",
		    BUSYLOOP_CAP_US, hms[0], hms[1], hms[2], hms[3], ISO_OP_MAX_MS);

	/* Run first: a call among ktap_result()'s arguments may come after
	 * the others are read (the order is unspecified). */
	rm = (struct iso_op){ .kind = ISO_RMMOD };
	ran = iso_op_run(&rm);
	ktap_result(ran && rm.err == -EWOULDBLOCK && rm.ms < 1000,
		    "rmmod attempt refused at once (devices open): %s in %.1f ms",
		    strerror(-rm.err), rm.ms);
	cl = (struct iso_op){ .kind = ISO_CLOSE, .fd = v.fd };
	ran = iso_op_run(&cl);
	ktap_result(ran && !cl.err && cl.ms < ISO_OP_MAX_MS,
		    "victim closed in %.1f ms (max %d)", cl.ms, ISO_OP_MAX_MS);
	v.fd = -1;
	vg_teardown(&v);
	vg_read_counters(pid, 1, 0, &hc);
	ktap_result(hc.handoff && !hc.broken,
		    "the hostile vq is still with its worker (%llu hand-offs) and not broken",
		    hc.handoffs);

	/* Now serve it: close the userfaultfd; then the VMM exits. */
	if (iso_watchdog_disarm(&wd))
		ktap_diag("the watchdog had to close the userfaultfd: the module was wedged");
	if (write(ctl[1], "c", 1) != 1)
		ktap_diag("cannot tell the hostile VMM to close its userfaultfd");
	close(ctl[1]);
	close(ready[0]);
	exited = false;
	for (t_end = iso_now() + 10; iso_now() < t_end;) {
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
