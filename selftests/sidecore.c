// SPDX-License-Identifier: GPL-2.0
/*
 * Sidecores: exitless polling, parked cost, lossless moves under traffic
 * (the move storm), CPU hotplug and teardown while a sidecore polls.
 *
 *   sidecore [-s storm-seconds] [-c sidecore-cpu]
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

static int core_cpu = 1;		/* the sidecore CPU of single-core cases */

static const struct vg_config base_cfg = {
	.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
	.indirect = true, .mrg_rxbuf = true, .version_1 = true,
	.ifname = "sctap0", .strict_hdr = true,
};

/* Mode column of our device's vq (debugfs): "ondemand" or "sidecore:N". */
static bool vq_mode_is(pid_t pid, int nth, int vq, const char *mode)
{
	struct vg_counters c;

	return !vg_read_counters(pid, vq, nth, &c) && !strcmp(c.mode, mode);
}

static bool wait_mode(pid_t pid, int nth, const char *mode, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (vq_mode_is(pid, nth, 0, mode) && vq_mode_is(pid, nth, 1, mode))
			return true;
		usleep(10000);
	}
	return false;
}

static void test_config(void)
{
	char buf[64];

	ktap_result(set_policy("ondemand", ""), "policy ondemand with no cpus");
	ktap_result(sysfs_write("policy", "sidecore") == -EINVAL,
		    "policy sidecore without cpus is refused (EINVAL)");
	ktap_result(sysfs_write("policy", "bogus") == -EINVAL &&
		    !sysfs_read("policy", buf, sizeof(buf)) &&
		    !strcmp(buf, "ondemand"),
		    "an unknown policy is refused and changes nothing");
	ktap_result(sysfs_write("cpus", "9999") == -EINVAL,
		    "a CPU the machine cannot have is refused");
	ktap_result(set_policy("sidecore", "1") &&
		    !sysfs_read("running", buf, sizeof(buf)) &&
		    !strcmp(buf, "1"),
		    "policy sidecore cpus=1 runs a sidecore on CPU 1 (running: %s)",
		    buf);
	ktap_result(sysfs_write("sidecores", "2") == -EINVAL,
		    "more sidecores than CPUs in cpus is refused");
	ktap_result(sysfs_write("vq_move", "0 0 ondemand") == -EBUSY,
		    "a move by hand outside policy manual is refused (EBUSY)");
	ktap_result(set_policy("ondemand", "") &&
		    !sysfs_read("running", buf, sizeof(buf)) && !buf[0],
		    "back to ondemand: no sidecore runs");
}

static void test_parked(void)
{
	char comm[32];
	long long a, b;
	pid_t pid;

	if (!set_policy("sidecore", "1")) {
		ktap_result(0, "parked: policy sidecore");
		return;
	}
	snprintf(comm, sizeof(comm), "vsc-core/%d", core_cpu);
	pid = kthread_pid(comm);
	usleep(200000);
	a = schedstat_ns(pid);
	sleep(5);
	b = schedstat_ns(pid);
	ktap_diag("%s (pid %d): %lld ns of CPU in 5 s", comm, pid, b - a);
	ktap_result(pid > 0 && a >= 0 && b == a,
		    "parked: a sidecore with nothing to poll uses no CPU over 5 s");
	set_policy("ondemand", "");
}

/* vqs polled by each sidecore (debugfs), as "cpu:n cpu:n". */
static void core_loads(char *out, size_t len)
{
	char line[256];
	unsigned int cpu, n;
	size_t o = 0;
	FILE *f = fopen("/sys/kernel/debug/vhost_sidecore/sidecores", "r");

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %*s %u", &cpu, &n) == 2 && o < len)
			o += snprintf(out + o, len - o, "%s%u:%u", o ? " " : "",
				      cpu, n);
	if (f)
		fclose(f);
}

static void test_balance(void)
{
	struct vg_dev d[2];
	char loads[64];
	int i;

	if (!set_policy("sidecore", "0-1")) {
		ktap_result(0, "balance: policy sidecore cpus=0-1");
		return;
	}
	for (i = 0; i < 2; i++) {
		struct vg_config cfg = base_cfg;

		cfg.ifname = i ? "bal1" : "bal0";
		if (vg_setup(&d[i], &cfg)) {
			ktap_result(0, "balance: setup");
			while (i-- > 0)
				vg_teardown(&d[i]);
			return;
		}
	}
	core_loads(loads, sizeof(loads));
	ktap_result(!strcmp(loads, "0:2 1:2"),
		    "balance: 4 vqs on 2 sidecores, 2 each (%s)", loads);
	sysfs_write("cpus", "1");
	core_loads(loads, sizeof(loads));
	ktap_result(!strcmp(loads, "1:4"),
		    "balance: cpus=1 moves them all to CPU 1 (%s)", loads);
	sysfs_write("cpus", "0-1");
	core_loads(loads, sizeof(loads));
	ktap_result(!strcmp(loads, "0:2 1:2"),
		    "balance: cpus=0-1 again spreads them (%s)", loads);
	sysfs_write("sidecores", "1");
	core_loads(loads, sizeof(loads));
	ktap_result(!strcmp(loads, "0:4"),
		    "balance: sidecores=1 keeps the first CPU only (%s)", loads);
	for (i = 0; i < 2; i++)
		vg_teardown(&d[i]);
	core_loads(loads, sizeof(loads));
	ktap_result(!strcmp(loads, "0:0"),
		    "balance: closed devices leave the sidecore empty (%s)", loads);
	set_policy("ondemand", "");
}

/* One sidecore's counters (debugfs), or -1 when it does not run. */
struct core_counters {
	unsigned long long passes, empty_polls, busy_ns, idle_ns, runs;
	unsigned long long packets, mm_switches, sleeps, sleep_ns;
};

static int core_counters(int cpu, struct core_counters *c)
{
	char line[256];
	unsigned int n;
	int r = -1, at;
	FILE *f = fopen("/sys/kernel/debug/vhost_sidecore/sidecores", "r");

	while (f && r && fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %*s %u %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &at, &n, &c->passes, &c->empty_polls, &c->busy_ns,
			   &c->idle_ns, &c->runs, &c->packets,
			   &c->mm_switches, &c->sleeps, &c->sleep_ns) == 11 &&
		    at == cpu)
			r = 0;
	if (f)
		fclose(f);
	return r;
}

#define PACED 100

/*
 * Kicks per 1000 frames of a stream with the given policy; -1 on failure.
 * @paced: the kicks PACED frames sent one at a time needed. A stream's
 * kick rate depends on how fast each side runs; paced frames do not: an
 * on-demand worker sleeps between them and needs a kick for each, a
 * sidecore polls and needs none.
 */
static double exitless_run(const char *policy, bool event_idx, bool *agree,
			   unsigned long *paced)
{
	struct vg_config cfg = base_cfg;
	struct vg_stream_result res;
	struct vg_counters c[2];
	char mode[32];
	uint64_t frames = 20000;
	struct vg_dev d;
	double per;
	bool ok;

	*agree = false;
	*paced = ~0UL;
	cfg.event_idx = event_idx;
	snprintf(mode, sizeof(mode), "sidecore:%d", core_cpu);
	if (!set_policy(policy, "1"))
		return -1;
	if (vg_setup(&d, &cfg)) {
		vg_teardown(&d);
		return -1;
	}
	if (!strcmp(policy, "sidecore") && !wait_mode(getpid(), 0, mode, 1000)) {
		ktap_diag("vqs not on %s", mode);
		vg_teardown(&d);
		return -1;
	}
	ok = vg_stream(&d, frames, 3, 20000, &res);
	vg_stream_report(&res);
	per = 1000.0 * (d.tx.kicks + d.rx.kicks) / (2.0 * frames);
	ktap_diag("%s event_idx=%d: driver kicks rx %lu tx %lu, suppressed rx %lu tx %lu: %.2f per 1000 frames",
		  policy, event_idx, d.rx.kicks, d.tx.kicks,
		  d.rx.kicks_suppressed, d.tx.kicks_suppressed, per);
	*agree = !vg_read_counters(getpid(), 0, 0, &c[0]) &&
		 !vg_read_counters(getpid(), 1, 0, &c[1]) &&
		 c[0].kicks == d.rx.kicks && c[1].kicks == d.tx.kicks &&
		 c[0].packets == frames && c[1].packets == frames;
	if (*agree)
		ktap_diag("module: kicks rx %llu tx %llu, packets rx %llu tx %llu",
			  c[0].kicks, c[1].kicks, c[0].packets, c[1].packets);
	if (!strcmp(policy, "sidecore")) {
		struct core_counters cc;

		/* The sidecore moved every frame, and says so. */
		*agree = *agree && !core_counters(core_cpu, &cc) &&
			 cc.packets == 2 * frames && cc.busy_ns && cc.runs &&
			 cc.mm_switches;
		if (*agree)
			ktap_diag("sidecore %d: packets %llu runs %llu busy %llu ns, idle %llu ns, mm switches %llu",
				  core_cpu, cc.packets, cc.runs, cc.busy_ns,
				  cc.idle_ns, cc.mm_switches);
	}
	*paced = vg_tx_paced_kicks(&d, PACED);
	ktap_diag("%s event_idx=%d: %lu kicks for %d paced frames",
		  policy, event_idx, *paced, PACED);
	vg_teardown(&d);
	set_policy("ondemand", "");
	return ok ? per : -1;
}

static void test_exitless(void)
{
	unsigned long sp, op;
	bool agree;
	double s;
	int ei;

	for (ei = 0; ei <= 1; ei++) {
		s = exitless_run("sidecore", ei, &agree, &sp);
		ktap_result(s >= 0 && s < 1.0 && sp <= PACED / 20,
			    "exitless event_idx=%d: sidecore: %.2f kicks per 1000 frames streamed, %lu for %d paced, lossless",
			    ei, s, sp, PACED);
		ktap_result(agree,
			    "exitless event_idx=%d: module kick and packet counters (per vq and per sidecore) agree with the driver",
			    ei);
		s = exitless_run("ondemand", ei, &agree, &op);
		ktap_result(s >= 0 && op >= PACED / 2 && op > 10 * sp,
			    "exitless event_idx=%d: ondemand: %lu kicks for %d paced frames (more than 10x sidecore's %lu)",
			    ei, op, PACED, sp);
	}
}

/* --- idle back-off --- */

#define PARAMS "/sys/module/vhost_sidecore/parameters/"

static int param_write(const char *name, const char *v)
{
	char path[128];
	int fd, r = 0;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) != (ssize_t)strlen(v))
		r = -errno;
	close(fd);
	return r;
}

/*
 * An idle polled sidecore sleeps between passes (and counts it) unless
 * idle_sleep_us is 0; either way it still takes a frame published without
 * a kick, and the counters add up (sleep time is part of idle time).
 */
static void test_idle_backoff(void)
{
	struct vg_config cfg = base_cfg;
	struct core_counters a, b, c, e;
	char mode[32], keep[16] = "0";
	FILE *f;
	unsigned long kicks;
	struct vg_dev d;
	bool ok;

	snprintf(mode, sizeof(mode), "sidecore:%d", core_cpu);
	f = fopen(PARAMS "idle_sleep_us", "re");
	if (!f || !fgets(keep, sizeof(keep), f) || access(PARAMS "idle_sleep_us", W_OK)) {
		ktap_result(0, "idle back-off: the idle_sleep_us parameter exists");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	keep[strcspn(keep, "\n")] = '\0';
	if (!set_policy("sidecore", "1") || vg_setup(&d, &cfg) ||
	    !wait_mode(getpid(), 0, mode, 1000) || param_write("idle_sleep_us", "50")) {
		ktap_result(0, "idle back-off: setup");
		vg_teardown(&d);
		set_policy("ondemand", "");
		return;
	}
	usleep(200000);
	ok = !core_counters(core_cpu, &a);
	sleep(1);
	ok = ok && !core_counters(core_cpu, &b);
	ktap_diag("idle_sleep_us 50, 1 s idle: %llu passes, %llu sleeps of %llu ns in all, idle %llu ns",
		  b.passes - a.passes, b.sleeps - a.sleeps,
		  b.sleep_ns - a.sleep_ns, b.idle_ns - a.idle_ns);
	ktap_result(ok && b.sleeps > a.sleeps && b.passes > a.passes &&
		    b.sleep_ns - a.sleep_ns <= b.idle_ns - a.idle_ns &&
		    b.packets == a.packets,
		    "idle back-off: an idle polled sidecore sleeps between passes, counted within its idle time");
	kicks = vg_tx_paced_kicks(&d, 20);
	ktap_result(kicks <= 1 && vg_tx_inflight(&d) == 0,
		    "idle back-off: 20 frames 2 ms apart still go without kicks (%lu)",
		    kicks);
	/* A sleep already begun still ends and counts: let it. */
	ok = !param_write("idle_sleep_us", "0");
	usleep(200000);
	ok = ok && !core_counters(core_cpu, &c);
	sleep(1);
	ok = ok && !core_counters(core_cpu, &e);
	ktap_result(ok && e.sleeps == c.sleeps && e.passes > c.passes,
		    "idle back-off: idle_sleep_us=0 spins (%llu passes in 1 s, no sleep)",
		    e.passes - c.passes);
	ktap_result(param_write("idle_sleep_us", "-1") < 0 &&
		    param_write("idle_sleep_us", "ten") < 0,
		    "idle back-off: idle_sleep_us refuses -1 and words");
	param_write("idle_sleep_us", keep);
	vg_teardown(&d);
	set_policy("ondemand", "");
}

/* --- move storm --- */

/* Device ids of @pid's devices, from debugfs. */
static int dev_ids(pid_t pid, int *ids, int max)
{
	struct vg_counters c;
	int n = 0;

	while (n < max && !vg_read_counters(pid, 0, n, &c))
		ids[n++] = c.dev;
	return n;
}

/* One owner process: two devices streaming for @secs, each in a thread. */
static int storm_owner(int idx, double secs, int ready_fd)
{
	struct vg_dev d[2];
	struct vg_stream_job s[2];
	pthread_t t[2];
	char ifname[2][16];
	int i, bad = 0;

	if (vg_new_netns())
		return 1;
	for (i = 0; i < 2; i++) {
		struct vg_config cfg = base_cfg;

		snprintf(ifname[i], sizeof(ifname[i]), "storm%d", i);
		cfg.ifname = ifname[i];
		cfg.event_idx = i;	/* one of each */
		if (vg_setup(&d[i], &cfg))
			return 1;
	}
	if (write(ready_fd, "r", 1) != 1)
		return 1;
	close(ready_fd);
	for (i = 0; i < 2; i++) {
		s[i] = (struct vg_stream_job){ .d = &d[i], .seconds = secs,
					       .stall_ms = 30000,
					       .stream = 100 + 2 * idx + i };
		pthread_create(&t[i], NULL, vg_stream_thread, &s[i]);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		printf("# owner %d device %d: %s\n", idx, i,
		       s[i].ok ? "lossless" : "FAILED");
		vg_stream_report(&s[i].res);
		bad |= !s[i].ok;
		vg_teardown(&d[i]);
	}
	fflush(stdout);
	return bad;
}

static void test_storm(double secs)
{
	int ids[4], nids = 0, pipefd[2], i, status, failed = 0;
	unsigned long long moves0, moves = 0, refused = 0;
	pid_t pids[2];
	struct timespec ts;
	double end;
	char c;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		ktap_skip("move storm: needs 2 CPUs");
		return;
	}
	if (!set_policy("manual", "0-1")) {
		ktap_result(0, "move storm: policy manual cpus=0-1");
		return;
	}
	moves0 = sysfs_u64("moves");
	if (pipe(pipefd))
		return;
	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			close(pipefd[0]);
			fflush(stdout);
			_exit(storm_owner(i, secs, pipefd[1]));
		}
	}
	close(pipefd[1]);
	for (i = 0; i < 2; i++)
		if (read(pipefd[0], &c, 1) != 1)
			break;
	close(pipefd[0]);
	for (i = 0; i < 2; i++)
		nids += dev_ids(pids[i], ids + nids, 4 - nids);
	ktap_diag("devices %d %d (owner %d) and %d %d (owner %d)",
		  ids[0], ids[1], pids[0], ids[2], ids[3], pids[1]);
	/*
	 * Real-time mover: under TCG the two polling sidecores and four
	 * streams would otherwise leave it a fair share of the two CPUs.
	 */
	sched_setscheduler(0, SCHED_FIFO, &(struct sched_param){ .sched_priority = 10 });
	srand(42);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + ts.tv_nsec / 1e9 + secs;
	for (;;) {
		static const char *const targets[] = { "ondemand", "0", "1" };

		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec + ts.tv_nsec / 1e9 >= end || nids < 4)
			break;
		if (sysfs_write("vq_move", "%d %d %s", ids[rand() % 4],
				rand() % 2, targets[rand() % 3]))
			refused++;
		else
			moves++;
		usleep(1000);
	}
	sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){ 0 });
	/* Let the streams finish on whatever executor they are on. */
	for (i = 0; i < 2; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	moves = sysfs_u64("moves") - moves0;
	vsc_sh("sed 's/^/# /' /sys/kernel/debug/vhost_sidecore/sidecores");
	ktap_diag("%llu moves in %.0f s (%llu refused); move latency max %llu ns, last %llu ns",
		  moves, secs, refused, sysfs_u64("move_ns_max"),
		  sysfs_u64("move_ns_last"));
	/* One move is asked for every ms; under TCG a move takes ~1 ms. */
	ktap_result(nids == 4 && !failed && !refused && moves > secs * 20,
		    "move storm: 4 devices, 2 owners, %llu moves in %.0f s: no loss, duplicate, reorder or corruption",
		    moves, secs);
	set_policy("ondemand", "");
}

/* --- CPU hotplug --- */

static int cpu_online(int cpu, int on)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, on ? "1" : "0", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

static void test_hotplug(void)
{
	struct vg_config cfg = base_cfg;
	struct vg_stream_job s;
	char mode[32], running[32];
	struct vg_counters c;
	struct vg_dev d;
	pthread_t t;
	bool off_ok, on_ok;
	int i;

	snprintf(mode, sizeof(mode), "sidecore:%d", core_cpu);
	if (access("/sys/devices/system/cpu/cpu1/online", W_OK)) {
		ktap_skip("hotplug: CPU 1 cannot go offline here");
		return;
	}
	if (!set_policy("sidecore", "1") || vg_setup(&d, &cfg)) {
		ktap_result(0, "hotplug: setup");
		return;
	}
	s = (struct vg_stream_job){ .d = &d, .seconds = 8, .stall_ms = 30000,
				    .stream = 11 };
	pthread_create(&t, NULL, vg_stream_thread, &s);
	sleep(2);
	off_ok = !cpu_online(1, 0) && wait_mode(getpid(), 0, "ondemand", 2000) &&
		 !sysfs_read("running", running, sizeof(running)) &&
		 !running[0];
	ktap_result(off_ok, "hotplug: CPU 1 offline under traffic: its vqs went to the worker, sidecore stopped");
	sleep(2);
	on_ok = !cpu_online(1, 1) && wait_mode(getpid(), 0, mode, 2000) &&
		!sysfs_read("running", running, sizeof(running)) &&
		!strcmp(running, "1");
	ktap_result(on_ok, "hotplug: CPU 1 online again: sidecore back, vqs polled again");
	pthread_join(t, NULL);
	vg_stream_report(&s.res);
	for (i = 0; i < 2; i++)
		if (!vg_read_counters(getpid(), i, 0, &c))
			ktap_diag("vq %d: packets %llu drops %llu errors %llu handoffs %llu",
				  i, c.packets, c.drops, c.errors, c.handoffs);
	vsc_sh("ip -s -o link show %s | sed 's/^/# /'", cfg.ifname);
	ktap_result(s.ok, "hotplug: the stream across offline/online lost nothing");
	cpu_online(1, 1);
	vg_teardown(&d);
	set_policy("ondemand", "");
}

/* --- teardown while a sidecore polls --- */

enum td_case { TD_CLOSE, TD_KILL, TD_RESET_OWNER };

static void td_child(enum td_case what, int ready, int go)
{
	struct vg_config cfg = base_cfg;
	struct vg_stream_job s;
	struct vg_dev d;
	pthread_t t;
	char c;

	if (vg_new_netns() || vg_setup(&d, &cfg))
		_exit(1);
	s = (struct vg_stream_job){ .d = &d, .seconds = 60, .stall_ms = 30000,
				    .stream = 5 };
	pthread_create(&t, NULL, vg_stream_thread, &s);
	/* Traffic flows on the sidecore; wait for the parent's go. */
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		_exit(1);
	switch (what) {
	case TD_CLOSE:
		close(d.fd);
		_exit(0);
	case TD_RESET_OWNER:
		_exit(ioctl(d.fd, VHOST_RESET_OWNER) ? 1 : 0);
	case TD_KILL:
		pause();
	}
	_exit(0);
}

static void test_teardown_case(enum td_case what, const char *name)
{
	int status, ready[2], go[2];
	struct vg_counters c0 = { 0 }, c1 = { 0 };
	char mode[32], c;
	bool polled = false, moving;
	pid_t pid;

	snprintf(mode, sizeof(mode), "sidecore:%d", core_cpu);
	if (pipe(ready) || pipe(go))
		return;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(ready[0]);
		close(go[1]);
		td_child(what, ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1) {
		polled = wait_mode(pid, 0, mode, 2000);
		/* Let some frames go through first. */
		vg_read_counters(pid, 1, 0, &c0);
		usleep(500000);
		vg_read_counters(pid, 1, 0, &c1);
	}
	moving = polled && c1.packets > c0.packets;
	if (what == TD_KILL)
		kill(pid, SIGKILL);
	if (write(go[1], "g", 1) != 1)
		moving = false;
	close(go[1]);
	close(ready[0]);
	waitpid(pid, &status, 0);
	ktap_result(moving && !vq_mode_is(pid, 0, 0, "ondemand") &&
		    !vq_mode_is(pid, 0, 0, mode) &&
		    (what == TD_KILL || (WIFEXITED(status) && !WEXITSTATUS(status))),
		    "teardown mid-poll: %s (traffic was flowing on %s); the device is gone",
		    name, mode);
}

static void *remap_thread(void *arg)
{
	struct vg_dev *d = arg;
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mt;
	int i, bad = 0;

	memset(&mt, 0, sizeof(mt));
	mt.m.nregions = 1;
	mt.r.guest_phys_addr = d->gpa_base;
	mt.r.memory_size = d->mem_size;
	mt.r.userspace_addr = (uintptr_t)d->mem;
	for (i = 0; i < 100; i++) {
		if (ioctl(d->fd, VHOST_SET_MEM_TABLE, &mt))
			bad++;
		usleep(20000);
	}
	return (void *)(long)bad;
}

static void test_teardown(void)
{
	struct vg_config cfg = base_cfg;
	struct vg_stream_job s;
	struct vg_dev d;
	pthread_t t, m;
	void *bad;
	bool attach_ok;
	int i;

	if (!set_policy("sidecore", "1")) {
		ktap_result(0, "teardown: policy sidecore");
		return;
	}
	test_teardown_case(TD_CLOSE, "close while traffic flows");
	test_teardown_case(TD_KILL, "owner killed while traffic flows");
	test_teardown_case(TD_RESET_OWNER, "RESET_OWNER while traffic flows");

	/* Backend detached and attached again, mid-poll: nothing lost. */
	if (vg_setup(&d, &cfg)) {
		ktap_result(0, "teardown: setup");
		return;
	}
	s = (struct vg_stream_job){ .d = &d, .seconds = 6, .stall_ms = 30000,
				    .stream = 21 };
	pthread_create(&t, NULL, vg_stream_thread, &s);
	attach_ok = true;
	for (i = 0; i < 5; i++) {
		usleep(500000);
		attach_ok &= !vg_set_backend(&d, -1);
		usleep(100000);
		attach_ok &= !vg_set_backend(&d, d.tap);
	}
	pthread_join(t, NULL);
	vg_stream_report(&s.res);
	ktap_result(attach_ok && s.ok,
		    "teardown mid-poll: SET_BACKEND -1 and back, 5 times: stream lossless");

	/* Memory table replaced (same layout) 100 times mid-poll. */
	s = (struct vg_stream_job){ .d = &d, .seconds = 4, .stall_ms = 30000,
				    .stream = 22 };
	pthread_create(&t, NULL, vg_stream_thread, &s);
	pthread_create(&m, NULL, remap_thread, &d);
	pthread_join(m, &bad);
	pthread_join(t, NULL);
	vg_stream_report(&s.res);
	ktap_result(!bad && s.ok,
		    "teardown mid-poll: SET_MEM_TABLE 100 times: stream lossless");
	vg_teardown(&d);
	set_policy("ondemand", "");
}

int main(int argc, char **argv)
{
	double storm = 30;
	int opt;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		switch (opt) {
		case 's':
			storm = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-s move-storm-seconds]\n",
				argv[0]);
			return 2;
		}
	}
	vg_test_start("tun");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		ktap_exit_skip("needs 2 CPUs");
	if (access(SYSFS "policy", W_OK)) {
		ktap_result(0, "no " SYSFS "policy");
		return ktap_finish();
	}

	test_config();
	test_parked();
	test_balance();
	test_exitless();
	test_idle_backoff();
	test_storm(storm);
	test_hotplug();
	test_teardown();
	set_policy("ondemand", "");
	return ktap_finish();
}
