// SPDX-License-Identifier: GPL-2.0
/*
 * Two rules of tenant isolation that live in the data path:
 *
 * - tun frees and replaces its ring when the tap's txqueuelen changes:
 *   a polled vq must never peek at the old one. A VMM changes txqueuelen
 *   in a loop while its vq is polled and streaming: the stream stays
 *   lossless and the kernel log clean (on a KASAN kernel a lockless peek
 *   at the freed ring is a use-after-free report).
 *
 * - a vq stops at its fault line: dirty logging is on and the bitmap
 *   becomes read-only (so setting a dirty bit fails); a burst of frames
 *   queued with one kick must not move at all once the vq is broken, and
 *   its packet counters must not move after the fault.
 *
 * - the vq-broken netlink event is rate-limited with the log line: a VMM
 *   re-attaching the backend of a vq its guest keeps breaking, 50 times,
 *   makes at most a burst of events and lines, while every break counts.
 *
 * Both on demand and on a sidecore (the last one on demand only).
 *
 *   isolation_ring [-c cpu] [-t seconds]
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "lib/hostile_cases.h"
#include "lib/isolation.h"
#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

static int core_cpu = 1;
static double secs = 5;

/* --- txqueuelen changed in a loop --- */

struct resizer {
	const char *ifname;
	volatile bool stop;
	unsigned long changes;
};

static void *resize_thread(void *arg)
{
	struct resizer *r = arg;
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), i = 0;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", r->ifname);
	while (s >= 0 && !r->stop) {
		/* Never below what the stream keeps in flight. */
		ifr.ifr_qlen = (i++ & 1) ? 1000 : 600;
		if (!ioctl(s, SIOCSIFTXQLEN, &ifr))
			r->changes++;
		usleep(2000);
	}
	if (s >= 0)
		close(s);
	return NULL;
}

static void txqueuelen(const char *where, const char *target)
{
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
		.indirect = true, .mrg_rxbuf = true, .version_1 = true,
		.ifname = "qlentap",
		/*
		 * A txqueuelen change deactivates the tap's qdisc for a
		 * while, dropping what is sent to it meanwhile: inject
		 * around it, straight into tun's ring (which is resized).
		 */
		.qdisc_bypass = true,
	};
	struct resizer r = { .ifname = "qlentap" };
	const char *dev = getenv("VSC_RING_DEV");
	struct vg_stream_result res;
	char mark[64];
	struct vg_dev d;
	pthread_t t;
	bool ok;

	snprintf(mark, sizeof(mark), "vsc-isolation-ring-%d-txqueuelen-%s",
		 getpid(), target);
	iso_mark(mark);
	if (dev)
		cfg.dev = dev;
	if (vg_setup(&d, &cfg) || (!dev && !iso_place(getpid(), target, where))) {
		ktap_result(0, "%s: txqueuelen loop: setup", where);
		vg_teardown(&d);
		return;
	}
	pthread_create(&t, NULL, resize_thread, &r);
	ok = vg_stream_for(&d, secs, 7, 5000, &res);
	r.stop = true;
	pthread_join(t, NULL);
	vg_stream_report(&res);
	vg_teardown(&d);
	ktap_result(ok && r.changes > 100 && iso_log_clean(mark),
		    "%s: txqueuelen changed %lu times while streaming: lossless, no report",
		    where, r.changes);
}

/* --- a broken vq stops at its fault line --- */

static int set_vring_log(struct vg_dev *d, struct vg_vq *vq, int idx)
{
	struct vhost_vring_addr a = {
		.index = idx,
		.flags = 1u << VHOST_VRING_F_LOG,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
		.log_guest_addr = vg_gpa(d, vq->used),
	};

	return ioctl(d->fd, VHOST_SET_VRING_ADDR, &a);
}

static bool wait_err(struct vg_vq *vq, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (vg_vq_error(vq))
			return true;
		usleep(10000);
	}
	return false;
}

static void fault_line(const char *where, const char *target)
{
	bool polled = strcmp(target, "ondemand");
	/* No event index: a run starts by writing the used flags (logged). */
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = false,
		.mrg_rxbuf = true, .version_1 = true, .ifname = "logtap",
		.gpa_base = 1 << 20,
	};
	long page = sysconf(_SC_PAGESIZE);
	struct vg_counters t0 = { 0 }, r0 = { 0 }, t1 = { 0 }, r1 = { 0 };
	struct vg_counters t2 = { 0 }, r2 = { 0 };
	uint8_t frame[VG_FRAME_MAX];
	struct vg_stream_result res;
	int i, sent = 0, got = 0, n;
	bool ok, errs;
	uint64_t f, base;
	struct vg_dev d;
	uint8_t *log;

	if (vg_setup(&d, &cfg) || !iso_place(getpid(), target, where)) {
		for (i = 0; i < 3; i++)
			ktap_result(0, "%s: fault line: setup", where);
		vg_teardown(&d);
		return;
	}
	/* A bitmap for all of guest memory, in a page of its own. */
	log = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	base = (uintptr_t)log;
	f = d.features | (1ULL << VHOST_F_LOG_ALL);
	ok = log != MAP_FAILED &&
	     (cfg.gpa_base + d.mem_size) / 4096 / 8 < (uint64_t)page &&
	     !ioctl(d.fd, VHOST_SET_LOG_BASE, &base) &&
	     !ioctl(d.fd, VHOST_SET_FEATURES, &f) &&
	     !set_vring_log(&d, &d.rx, 0) && !set_vring_log(&d, &d.tx, 1) &&
	     vg_stream(&d, 300, 8, 5000, &res);
	ktap_result(ok, "%s: fault line: 300 frames each way while logging", where);

	/*
	 * The counters a run adds as it ends can trail the used entries it
	 * published: the fault line is drawn once they hold the 300 frames
	 * each way the driver saw (at most 2 s).
	 */
	for (i = 0; i < 200; i++) {
		vg_read_counters(getpid(), 1, 0, &t0);
		vg_read_counters(getpid(), 0, 0, &r0);
		if (t0.packets >= 300 && r0.packets >= 300)
			break;
		usleep(10000);
	}
	/* The bitmap cannot be written any more: the next log breaks. */
	mprotect(log, page, PROT_READ);
	for (i = 0; i < 100; i++) {
		vg_frame_build(frame, 100, false, 9, i);
		sent += !vg_tx_add(&d, frame, 100);
		vg_frame_build(frame, 100, true, 9, i);
		vg_host_send(&d, frame, 100);
	}
	vg_force_kick(&d.tx);
	vg_force_kick(&d.rx);
	errs = wait_err(&d.tx, 3000) && wait_err(&d.rx, 3000);
	vg_read_counters(getpid(), 1, 0, &t1);
	vg_read_counters(getpid(), 0, 0, &r1);
	usleep(300000);
	vg_read_counters(getpid(), 1, 0, &t2);
	vg_read_counters(getpid(), 0, 0, &r2);
	while ((n = vg_host_recv(&d, frame, sizeof(frame))) > 0) {
		uint32_t stream;
		uint64_t seq;

		if (vg_frame_parse(frame, n, &stream, &seq) == 0 && stream == 9)
			got++;
	}
	ktap_result(errs && t1.broken && r1.broken,
		    "%s: fault line: both vqs broken by the failed dirty-bit writes", where);
	/*
	 * On demand the first write of a run is the used flags (logged):
	 * nothing moves. On a sidecore the flags are already written; the
	 * first logged write is the first used batch (64 entries), whose
	 * frames went out before the fault line. After it: nothing.
	 */
	ktap_result(errs && t2.packets == t1.packets &&
		    t2.packets - t0.packets <= (polled ? 64 : 0) &&
		    got == (int)(t2.packets - t0.packets) &&
		    r2.packets == r0.packets &&
		    vg_rx_get(&d, frame, sizeof(frame)) == 0,
		    "%s: fault line: of %d frames queued each way, %llu tx frames moved (max %d, those before it), none after; rx %llu -> %llu; %d reached the host",
		    where, sent, t2.packets - t0.packets, polled ? 64 : 0,
		    r0.packets, r2.packets, got);
	vg_teardown(&d);
	munmap(log, page);
}

/* --- the vq-broken event, rate-limited --- */

/* Has process @pid a generic netlink socket in a multicast group? */
static bool genl_joined(pid_t pid)
{
	char line[256];
	unsigned int proto, groups;
	int portid;
	bool found = false;
	FILE *f = fopen("/proc/net/netlink", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %u %d %x", &proto, &portid, &groups) == 3 &&
			proto == 16 && portid == pid && groups;
	fclose(f);
	return found;
}

static void broken_events(void)
{
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
		.mrg_rxbuf = true, .version_1 = true, .ifname = "brktap",
	};
	char path[] = "/tmp/vsc-broken-XXXXXX", mark[64], cmd[512];
	struct vg_counters c = { 0 };
	int i, fd, events = -1, lines = -1, breaks = 0, limit = 0;
	double t0;
	pid_t mon = -1;
	struct vg_dev d;
	FILE *p;

	fd = mkstemp(path);
	snprintf(mark, sizeof(mark), "vsc-isolation-ring-%d-broken", getpid());
	iso_mark(mark);
	if (fd < 0 || vg_setup(&d, &cfg)) {
		ktap_result(0, "broken-vq events: setup");
		goto out;
	}
	/*
	 * The operator's monitor, subscribed before the first break, in the
	 * initial network namespace (the family's; this test has its own).
	 */
	mon = fork();
	if (!mon) {
		dup2(fd, 1);
		execlp("nsenter", "nsenter", "--net=/proc/1/ns/net",
		       VSC_TOP "/tools/sidecorectl/sidecorectl", "monitor",
		       (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && !genl_joined(mon); i++)
		usleep(50000);
	/* A descriptor loop: every attach breaks the vq again at once. */
	t0 = iso_now();
	hostile_cases[0].make(&d, &d.tx);
	for (i = 0; i < 50; i++) {
		breaks += wait_err(&d.tx, 2000);
		if (vg_set_backend(&d, -1) || vg_set_backend(&d, d.tap))
			break;
	}
	breaks += wait_err(&d.tx, 2000);
	/* The log line's own limit: a burst of 10 per started 5 s. */
	limit = 10 * (1 + (int)((iso_now() - t0) / 5));
	usleep(300000);
	vg_read_counters(getpid(), 1, 0, &c);
	kill(mon, SIGTERM);
	waitpid(mon, NULL, 0);
	snprintf(cmd, sizeof(cmd), "grep -c 'vq-broken dev %d vq 1' %s", c.dev,
		 path);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &events) != 1)
		events = -1;
	if (p)
		pclose(p);
	snprintf(cmd, sizeof(cmd),
		 "dmesg | sed -n '\\|%s|,$p' | grep -c 'device %d (owner pid [0-9]*) vq 1 stopped'",
		 mark, c.dev);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &lines) != 1)
		lines = -1;
	if (p)
		pclose(p);
	ktap_result(breaks == 51 && c.errors == 51 && events >= 1 &&
		    events <= limit && lines >= 1 && lines <= limit,
		    "broken-vq events: 51 breaks (%llu counted) made %d netlink events and %d log lines (at most %d each)",
		    c.errors, events, lines, limit);
out:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	vg_teardown(&d);
}

int main(int argc, char **argv)
{
	char cpu[16], mode[32];
	int opt;

	while ((opt = getopt(argc, argv, "c:t:")) != -1) {
		switch (opt) {
		case 'c':
			core_cpu = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-c cpu] [-t seconds]\n", argv[0]);
			return 2;
		}
	}
	iso_test_start(9, core_cpu, cpu, mode);
	if (!set_policy("manual", cpu))
		ktap_exit_skip("cannot set policy manual on CPU %d", core_cpu);
	txqueuelen("ondemand", "ondemand");
	txqueuelen(mode, cpu);
	fault_line("ondemand", "ondemand");
	fault_line(mode, cpu);
	broken_events();
	set_policy("ondemand", "");
	return ktap_finish();
}
