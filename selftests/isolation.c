// SPDX-License-Identifier: GPL-2.0
/*
 * Tenant isolation: a hostile guest next to a victim device, first with
 * the vqs of both polled by the same sidecore, then with both on demand.
 * For each attack:
 *
 *   (a) tx chains the backend rejects, refilled without end;
 *   (b) rx drops: a host-side flood of frames larger than all the
 *       buffers the guest posted (one byte each, 1024 of them);
 *   (c) chains of maximal work: a 1024-entry indirect table per chain,
 *       zero-length descriptors, INDIRECT together with NEXT;
 *   (d) every malformed ring of hostile.c;
 *
 * the victim must keep at least a third of the frame rate it had alone
 * (measured just before, in the same boot, lossless both times, with the
 * attacker's process spinning on a CPU as hard as while it attacks, at
 * nice -20 as if it had a vCPU of its own: the control differs from the
 * attack only in what the device sees), the
 * attacker's longest handler run must stay within the weight (its frames
 * and its time are reported), a move of one of the victim's vqs and back
 * and the close of the victim must each finish in under 100 ms, and the
 * kernel log must stay clean.
 *
 *   isolation [-t seconds] [-c cpu] [-p sidecore|ondemand] [-a name]
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
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "lib/hostile_cases.h"
#include "lib/isolation.h"
#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

/* The module's weight (vhost_sidecore/net.h). */
#define WEIGHT_FRAMES	256
/*
 * A run ends at its turn (1 ms) or its weight; its wall time also holds
 * whatever stopped the test VM's CPUs meanwhile (a loaded host, TCG):
 * the bound on time only catches runs that do not end.
 */
#define RUN_MAX_NS	5000000000ULL
/* The victim's share the issue sets. */
#define SHARE_MIN	(1.0 / 3)
/* Attack windows in the switchback (a median of this many ratios). */
#define SWITCHES	3
_Static_assert(SWITCHES == 3, "run_attack() prints 7 windows and 3 ratios");
/* Checks per attack and placement. */
#define NCHECKS		6

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int core_cpu = 1;
static char cpu[16], mode[32];	/* "1", "sidecore:1" */
static double secs = 1.5;
static const char *only_attack;
static const char *only_place;
/* Ends an attack that wedged the module (lib/isolation.h). */
static struct iso_watchdog wd;

static const struct vg_config victim_cfg = {
	.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
	.indirect = true, .mrg_rxbuf = true, .version_1 = true,
	.ifname = "victim",
};

/* --- the attacks, run in a child process (the hostile VMM) --- */

/* Guest memory of the maximal-work attacks: one shared table. */
#define BIG_TABLE	65536
static struct vring_desc *table;
static uint8_t *table_data;

/*
 * The tx attacks build one chain at head 0 and name it in every avail
 * slot (a guest may repeat a head); the avail index is then kept a whole
 * ring ahead of the used index: the ring never runs dry, whatever the
 * device's speed, at the cost of one store and a kick per round.
 */
static void tx_all_head0(struct vg_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->tx.num; i++)
		d->tx.avail->ring[i] = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void step_tx_full(struct vg_dev *d)
{
	uint16_t used = __atomic_load_n(&d->tx.used->idx, __ATOMIC_ACQUIRE);
	uint16_t want = used + d->tx.num;

	/*
	 * Every avail entry names head 0: a refill is one index store, and
	 * a kick only when the device asks for one, as a guest's driver
	 * does. With no syscall in the way the ring stays full for as long
	 * as the device keeps reading it.
	 */
	if (want != d->tx.avail_idx) {
		d->tx.avail_idx = want;
		vg_vq_publish(d, &d->tx);
	}
}

/* (a) A 12-byte header and one byte: the backend refuses it. */
static void start_rejected(struct vg_dev *d)
{
	memset(d->tx.buf[0], 0, d->hdr_len + 1);
	set_desc(&d->tx.desc[0], vg_gpa(d, d->tx.buf[0]), d->hdr_len + 1, 0, 0);
	tx_all_head0(d);
}

/* (b) 1024 one-byte rx buffers: every frame needs more than the 1024
 * segments a frame may take, and is dropped after reading them all. */
static void start_rx_tiny(struct vg_dev *d)
{
	unsigned int i;

	/* Setup posted one-descriptor buffers in every slot: shrink them. */
	for (i = 0; i < d->rx.num; i++)
		set_desc(&d->rx.desc[i], vg_gpa(d, d->rx.buf[i]), 1,
		    VRING_DESC_F_WRITE, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Set once the attack starts; before, the attacker only spins. */
static volatile bool attacking;

/* Spins in the control too (the spinning thread of (b)). */
static void *flood_thread(void *arg)
{
	struct vg_dev *d = arg;
	uint8_t frame[VG_FRAME_MAX];

	vg_frame_build(frame, VG_FRAME_MAX, true, 99, 0);
	for (;;)
		if (attacking)
			vg_host_send(d, frame, VG_FRAME_MAX);
	return NULL;
}

static void cfg_rx_tiny(struct vg_config *c)
{
	c->qsize = 1024;
	c->mrg_rxbuf = true;
}

static void cfg_tables(struct vg_config *c)
{
	c->extra_mem = BIG_TABLE * sizeof(struct vring_desc) + 8192 + 4096;
}

static void alloc_tables(struct vg_dev *d)
{
	table = vg_galloc(d, BIG_TABLE * sizeof(*table), 4096);
	table_data = vg_galloc(d, 8192, 64);
}

/* (c) One ring descriptor, an indirect table of 1024: a header, then
 * 1023 one-byte segments. A valid 1023-byte frame, at the cost of the
 * most descriptors a chain may have. */
static void start_long_indirect(struct vg_dev *d)
{
	int i;

	alloc_tables(d);
	set_desc(&table[0], vg_gpa(d, table_data), d->hdr_len, VRING_DESC_F_NEXT, 1);
	for (i = 1; i < 1024; i++)
		set_desc(&table[i], vg_gpa(d, table_data + 64 + i), 1,
		    i < 1023 ? VRING_DESC_F_NEXT : 0, i + 1);
	set_desc(&d->tx.desc[0], vg_gpa(d, table), 1024 * sizeof(*table),
	    VRING_DESC_F_INDIRECT, 0);
	tx_all_head0(d);
}

/* (c) The same table with 1022 zero-length descriptors between the
 * header and a 60-byte frame: reads that move nothing. */
static void start_zero_len(struct vg_dev *d)
{
	int i;

	alloc_tables(d);
	set_desc(&table[0], vg_gpa(d, table_data), d->hdr_len, VRING_DESC_F_NEXT, 1);
	for (i = 1; i < 1023; i++)
		set_desc(&table[i], vg_gpa(d, table_data), 0, VRING_DESC_F_NEXT,
		    i + 1);
	set_desc(&table[1023], vg_gpa(d, table_data + 64), 60, 0, 0);
	set_desc(&d->tx.desc[0], vg_gpa(d, table), 1024 * sizeof(*table),
	    VRING_DESC_F_INDIRECT, 0);
	tx_all_head0(d);
}

/* (c) Every ring descriptor INDIRECT|NEXT, each pointing at a table of
 * 65536 zero-length descriptors: num x 65536 reads for one chain, unless
 * the combination the spec forbids is refused. */
static void start_ind_next(struct vg_dev *d)
{
	unsigned int n = d->tx.num, i;

	alloc_tables(d);
	for (i = 0; i < BIG_TABLE; i++)
		set_desc(&table[i], 0, 0, i + 1 < BIG_TABLE ? VRING_DESC_F_NEXT : 0,
		    i + 1);
	for (i = 0; i < n; i++)
		set_desc(&d->tx.desc[i], vg_gpa(d, table), BIG_TABLE * sizeof(*table),
		    VRING_DESC_F_INDIRECT | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
		    i + 1);
	tx_all_head0(d);
}

struct attack {
	const char *name;
	int vq;				/* the vq attacked (for its counters) */
	void (*cfg)(struct vg_config *c);
	void (*start)(struct vg_dev *d);
	void (*step)(struct vg_dev *d);	/* one round; sleeps when idle */
	bool flood;			/* host floods the tap meanwhile */
	const struct hostile *hostile;	/* (d): one malformed ring */
};

static const struct attack attacks[] = {
	{ .name = "rejected tx chains", .vq = 1, .start = start_rejected,
	  .step = step_tx_full },
	{ .name = "rx drops (frames larger than the buffers)", .vq = 0,
	  .cfg = cfg_rx_tiny, .start = start_rx_tiny, .flood = true },
	{ .name = "long indirect tables", .vq = 1, .cfg = cfg_tables,
	  .start = start_long_indirect, .step = step_tx_full },
	{ .name = "zero-length descriptors", .vq = 1, .cfg = cfg_tables,
	  .start = start_zero_len, .step = step_tx_full },
	{ .name = "INDIRECT|NEXT chains", .vq = 1, .cfg = cfg_tables,
	  .start = start_ind_next, .step = step_tx_full },
};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))
#define NALL (NATTACKS + NHOSTILE)

static struct attack attack_of(size_t i)
{
	struct attack a = { 0 };

	if (i < NATTACKS)
		return attacks[i];
	a.hostile = &hostile_cases[i - NATTACKS];
	a.name = a.hostile->name;
	a.vq = a.hostile->rx ? 0 : 1;
	return a;
}

static bool told(int ctl)
{
	struct pollfd pfd = { .fd = ctl, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/*
 * The hostile VMM and guest: set up, say ready, spin (the control:
 * the victim is measured against a process as busy as an attacker),
 * then attack from the first byte on @ctl until the next one (or the
 * parent going away), spinning all the time.
 */
static void attacker(const struct attack *a, int ready, int ctl)
{
	struct vg_config cfg = victim_cfg;
	uint8_t frame[VG_FRAME_MAX];
	struct vg_dev d;
	unsigned long n;
	pthread_t t;
	char c;

	/*
	 * A guest refills its rings from vCPUs of its own: give the one
	 * thread that spins here (the refill, or the flood) nearly a CPU of
	 * its own, in the control as in the attack.
	 */
	setpriority(PRIO_PROCESS, 0, -20);
	cfg.ifname = "attacker";
	if (a->cfg)
		a->cfg(&cfg);
	if (vg_setup(&d, &cfg))
		_exit(1);
	if (a->start)
		a->start(&d);
	if (a->flood)
		pthread_create(&t, NULL, flood_thread, &d);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	while (!told(ctl))
		if (a->flood)
			usleep(10000);
	if (read(ctl, &c, 1) != 1 || c != 'g')
		_exit(0);
	if (a->hostile) {
		a->hostile->make(&d, a->hostile->rx ? &d.rx : &d.tx);
		if (a->hostile->rx) {
			vg_frame_build(frame, 200, true, 2, 0);
			vg_host_send(&d, frame, 200);
		}
	}
	attacking = true;
	for (n = 0; ; n++) {
		/* A refill looks at the parent every 4096 rounds only: it
		 * must not wait on a syscall of its own. */
		if ((!a->step || !attacking || !(n & 4095)) && told(ctl)) {
			/* 'p': pause (spin as in the control), 'g': resume. */
			if (read(ctl, &c, 1) != 1 || (c != 'p' && c != 'g'))
				break;
			attacking = c == 'g';
		}
		/* Paused, a refill spins on the pipe, as in the control. */
		if (a->step && attacking)
			a->step(&d);
		else if (a->flood || !a->step)
			usleep(10000);
	}
	/* Stop (or the parent died): the exit tears it all down. */
	_exit(0);
}

/* --- the victim's side --- */

/* Frames per second both ways, or -1 on loss, reorder or a stall. */
static double victim_rate(struct vg_dev *v, double t, uint32_t stream)
{
	struct vg_stream_result res;
	bool ok = vg_stream_for(v, t, stream, 5000, &res);

	if (!ok || res.seconds <= 0) {
		vg_stream_report(&res);
		return -1;
	}
	return (res.tx.received + res.rx.received) / res.seconds;
}

/* A case that could not be run: its checks but the last fail. */
static void fail_checks(const char *where, const char *name, const char *why)
{
	int i;

	for (i = 0; i < NCHECKS - 1; i++)
		ktap_result(0, "%s: %s: %s", where, name, why);
}

static void run_attack(const struct attack *a, const char *where,
		       bool polled, uint32_t stream)
{
	char mark[64], c;
	int ready[2], ctl[2], status;
	double alone, attacked, t_end, t, ms[2] = { 0 }, share = 0;
	double w[2 * SWITCHES + 1], ratio[SWITCHES];
	int i;
	struct vg_counters ac = { 0 }, vc;
	struct iso_op cl = { .kind = ISO_CLOSE };
	static unsigned int cases;
	bool moved, closed, exited, lossless = true;
	struct vg_dev v;
	pid_t pid;

	snprintf(mark, sizeof(mark), "vsc-isolation-%d-%u", getpid(), ++cases);
	iso_mark(mark);
	ktap_diag("%s: %s (kernel log mark %s)", where, a->name, mark);

	pid = -1;
	ready[0] = ready[1] = ctl[0] = ctl[1] = -1;
	if (vg_setup(&v, &victim_cfg) || pipe(ready) || pipe(ctl)) {
		fail_checks(where, a->name, "victim set up");
		goto out;
	}
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(ready[0]);
		close(ctl[1]);
		attacker(a, ready[1], ctl[0]);
	}
	close(ready[1]);
	close(ctl[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1 ||
	    (polled && (!iso_place(getpid(), cpu, mode) ||
			!iso_place(pid, cpu, mode)))) {
		fail_checks(where, a->name, "attacker set up and placed");
		goto out;
	}

	/*
	 * The victim with the attacker spinning, then attacking. This
	 * machine's speed drifts by more than the effect, so a repeatable
	 * attack is measured in switchback: control and attack windows
	 * alternate (C A C A C A C), each attack window is compared with
	 * the mean of the two controls around it, and the median of those
	 * ratios is the victim's share. A malformed ring breaks its vq
	 * once: one control, one attack, shorter.
	 */
	iso_watchdog_arm(&wd, ctl[1], 60);
	if (a->hostile) {
		t = secs > 0.5 ? 0.5 : secs;
		alone = victim_rate(&v, t, stream);
		if (write(ctl[1], "g", 1) != 1) {
			fail_checks(where, a->name, "attack started");
			goto out;
		}
		usleep(300000);
		attacked = victim_rate(&v, t, stream + 1);
		share = alone > 0 && attacked > 0 ? attacked / alone : 0;
		lossless = alone > 0 && attacked > 0;
	} else {
		t = secs / 2;
		for (i = 0; i < 2 * SWITCHES + 1; i++) {
			if (i && write(ctl[1], i % 2 ? "g" : "p", 1) != 1) {
				fail_checks(where, a->name, "attack started and paused");
				goto out;
			}
			/* Let the switch take hold (a ring drains). */
			if (i)
				usleep(200000);
			w[i] = victim_rate(&v, t, stream + i);
		}
		alone = attacked = 0;
		for (i = 0; i < SWITCHES; i++) {
			double c = (w[2 * i] + w[2 * i + 2]) / 2;

			ratio[i] = w[2 * i] > 0 && w[2 * i + 2] > 0 &&
				   w[2 * i + 1] > 0 ? w[2 * i + 1] / c : 0;
			alone += c / SWITCHES;
			attacked += w[2 * i + 1] / SWITCHES;
		}
		for (i = 0; i < 2 * SWITCHES + 1; i++)
			lossless = lossless && w[i] > 0;
		qsort(ratio, SWITCHES, sizeof(ratio[0]), cmp_double);
		share = ratio[SWITCHES / 2];
		ktap_diag("%s: %s: victim frames/s, control and attack alternating: %.0f %.0f %.0f %.0f %.0f %.0f %.0f; paired ratios %.2f %.2f %.2f",
			  where, a->name, w[0], w[1], w[2], w[3], w[4], w[5],
			  w[6], ratio[0], ratio[1], ratio[2]);
		/* Attacking again for what follows. */
		if (write(ctl[1], "g", 1) != 1) {
			fail_checks(where, a->name, "attack resumed");
			goto out;
		}
		usleep(200000);
	}

	/* Under attack still: move one victim vq away and back, close it. */
	vg_read_counters(getpid(), 0, 0, &vc);
	moved = iso_move(vc.dev, 0, polled ? "ondemand" : cpu, &ms[0]) &&
		iso_move(vc.dev, 0, polled ? cpu : "ondemand", &ms[1]);
	vg_read_counters(pid, a->vq, 0, &ac);
	cl.fd = v.fd;
	closed = iso_op_run(&cl) && !cl.err;
	v.fd = -1;

	ktap_result(lossless && share >= SHARE_MIN,
		    "%s: %s: victim lossless at %.0f frames/s, %.2f of its %.0f with the attacker idle",
		    where, a->name, attacked, share, alone);
	/*
	 * Frames per run, longest and on average (the average also on a
	 * module that does not count the longest: a run past the weight
	 * shows there).
	 */
	ktap_result(ac.runs && ac.run_frames_max <= WEIGHT_FRAMES &&
		    (ac.packets + ac.drops) / ac.runs <= WEIGHT_FRAMES &&
		    ac.run_ns_max < RUN_MAX_NS,
		    "%s: %s: attacker's runs: longest %llu frames, %.1f on average (max %d), %.2f ms (wall, max %.0f)",
		    where, a->name, ac.run_frames_max,
		    ac.runs ? (double)(ac.packets + ac.drops) / ac.runs : 0,
		    WEIGHT_FRAMES, ac.run_ns_max / 1e6, RUN_MAX_NS / 1e6);
	ktap_result(ac.packets + ac.drops + ac.errors + ac.handoffs > 0,
		    "%s: %s: the attack took effect: %llu frames sent, %llu dropped, %llu errors, %llu hand-offs",
		    where, a->name, ac.packets, ac.drops, ac.errors, ac.handoffs);
	ktap_result(moved && ms[0] < ISO_OP_MAX_MS && ms[1] < ISO_OP_MAX_MS,
		    "%s: %s: victim vq moved to %s in %.1f ms and back in %.1f ms (max %d)",
		    where, a->name, polled ? "ondemand" : cpu, ms[0], ms[1],
		    ISO_OP_MAX_MS);
	ktap_result(closed && cl.ms < ISO_OP_MAX_MS,
		    "%s: %s: victim closed in %.1f ms (max %d)", where, a->name,
		    cl.ms, ISO_OP_MAX_MS);

out:
	if (iso_watchdog_disarm(&wd))
		ktap_diag("the watchdog had to stop the attack: the module was wedged");
	/* Stop the attack; its owner's exit tears its device down. */
	if (ctl[1] >= 0 && write(ctl[1], "s", 1) != 1)
		ktap_diag("cannot tell the attacker to stop");
	if (ctl[1] >= 0)
		close(ctl[1]);
	if (ready[0] >= 0)
		close(ready[0]);
	exited = pid < 0;
	for (t_end = iso_now() + 30; pid > 0 && iso_now() < t_end;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			break;
		}
		usleep(10000);
	}
	if (pid > 0 && !exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	vg_teardown(&v);
	ktap_result(exited && iso_log_clean(mark),
		    "%s: %s: attacker gone in time, kernel log clean",
		    where, a->name);
}

static void run_place(bool polled)
{
	const char *where = polled ? "shared sidecore" : "on demand";
	size_t i;

	/* Manual: vqs are placed by hand; moves need a running sidecore. */
	if (!set_policy("manual", cpu)) {
		for (i = 0; i < NALL; i++) {
			fail_checks(where, attack_of(i).name, "policy manual");
			ktap_result(0, "%s: %s: policy manual", where,
				    attack_of(i).name);
		}
		return;
	}
	for (i = 0; i < NALL; i++) {
		struct attack a = attack_of(i);

		if (only_attack && !strstr(a.name, only_attack))
			continue;
		run_attack(&a, where, polled, 100 + 2 * i);
	}
	set_policy("ondemand", "");
}

int main(int argc, char **argv)
{
	size_t i, n = 0;
	int opt;

	while ((opt = getopt(argc, argv, "t:c:p:a:")) != -1) {
		switch (opt) {
		case 't':
			secs = atof(optarg);
			break;
		case 'c':
			core_cpu = atoi(optarg);
			break;
		case 'p':
			only_place = optarg;
			break;
		case 'a':
			only_attack = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-t seconds] [-c cpu] [-p sidecore|ondemand] [-a attack]\n",
				argv[0]);
			return 2;
		}
	}
	for (i = 0; i < NALL; i++)
		n += !only_attack || strstr(attack_of(i).name, only_attack);
	iso_test_start(NCHECKS * n * (only_place ? 1 : 2), core_cpu, cpu,
		       mode);
	/* An attacker may be gone when told to stop. */
	signal(SIGPIPE, SIG_IGN);
	iso_watchdog_start(&wd, 's');
	if (!only_place || !strcmp(only_place, "sidecore"))
		run_place(true);
	if (!only_place || !strcmp(only_place, "ondemand"))
		run_place(false);
	return ktap_finish();
}
