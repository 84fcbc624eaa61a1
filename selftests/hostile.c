// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guest: for each malformed ring a guest could write, the device
 * must stop that virtqueue, signal its error eventfd and log one line
 * naming the fault, while a second device keeps passing traffic. The
 * kernel log must stay free of WARN/BUG/Oops (checked by the runner).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_ring.h>

#include "lib/hostile_cases.h"
#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

/* tx frames queued before each bad chain, in the same publish. */
#define QUEUED 8

/*
 * Results per case: six, and one more for a bad tx chain (the frames
 * before it). An avail index jump stops the vq before any chain is read.
 */
static bool frames_before(const struct hostile *h)
{
	return !h->rx && h->make != make_avail_jump;
}

static int checks(const struct hostile *h)
{
	return frames_before(h) ? 7 : 6;
}

static bool wait_error(struct vg_vq *vq, int ms)
{
	while (ms > 0) {
		if (vg_vq_error(vq))
			return true;
		usleep(10000);
		ms -= 10;
	}
	return false;
}

static bool log_has(int dev, int vq, const char *words)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "dmesg | grep -q 'device %d (owner pid [0-9]*) vq %d stopped: .*%s'",
		 dev, vq, words);
	return vsc_sh("%s", cmd) == 0;
}

static int count_lines(int dev)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "dmesg | grep -c 'device %d (owner pid'", dev);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

/*
 * One pass over every case. @where is "ondemand" (each device on its own
 * worker) or "sidecore:N" (policy sidecore: the bystander and the victim
 * polled by the same sidecore).
 */
static void run_cases(const char *where)
{
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
		.indirect = true, .mrg_rxbuf = true, .version_1 = true,
	};
	struct vg_stream_result res;
	struct vg_dev bystander, victim;
	uint8_t frame[VG_FRAME_MAX];
	struct vg_counters c;
	size_t i;
	int q;

	cfg.ifname = "bystander";
	if (vg_setup(&bystander, &cfg)) {
		for (i = 0; i < NHOSTILE; i++)
			for (q = 0; q < checks(&hostile_cases[i]); q++)
				ktap_result(0, "%s: %s: bystander setup", where,
					    hostile_cases[i].name);
		vg_teardown(&bystander);
		return;
	}

	for (i = 0; i < NHOSTILE; i++) {
		const struct hostile *h = &hostile_cases[i];
		int vqi = h->rx ? 0 : 1;
		struct vg_vq *vq;
		bool err, stopped;

		cfg.ifname = "victim";
		if (vg_setup(&victim, &cfg)) {
			ktap_result(0, "%s: %s: setup", where, h->name);
			vg_teardown(&victim);
			continue;
		}
		/* Healthy first: some traffic on the victim. */
		if (!vg_stream(&victim, 200, 2, 5000, &res) ||
		    vg_read_counters(getpid(), vqi, 1, &c) ||
		    strcmp(c.mode, where)) {
			vg_stream_report(&res);
			ktap_result(0, "%s: %s: victim works there before the fault",
				    where, h->name);
			vg_teardown(&victim);
			continue;
		}
		vq = h->rx ? &victim.rx : &victim.tx;
		/*
		 * tx: frames queued before the bad chain and published with
		 * it are read before the fault, and go out.
		 */
		for (q = 0; frames_before(h) && q < QUEUED; q++) {
			vg_frame_build(frame, 100 + q, false, 6, q);
			vg_tx_add(&victim, frame, 100 + q);
		}
		h->make(&victim, vq);
		if (h->rx) {
			vg_frame_build(frame, 200, true, 2, 0);
			vg_host_send(&victim, frame, 200);
		}
		err = wait_error(vq, 3000);
		ktap_result(err, "%s: %s: error eventfd signalled", where, h->name);
		if (frames_before(h)) {
			int got = 0, len, tries;
			uint32_t stream;
			uint64_t seq;

			for (tries = 0; tries < 100 && got < QUEUED; tries++) {
				len = vg_host_recv(&victim, frame, sizeof(frame));
				if (len <= 0) {
					usleep(10000);
					continue;
				}
				if (!vg_frame_parse(frame, len, &stream, &seq) &&
				    stream == 6 && seq == (uint64_t)got)
					got++;
			}
			ktap_result(got == QUEUED,
				    "%s: %s: the %d frames before the bad chain went out (%d)",
				    where, h->name, QUEUED, got);
		}

		if (vg_read_counters(getpid(), vqi, 1, &c)) {
			ktap_result(0, "%s: %s: vq state readable", where, h->name);
		} else {
			ktap_result(c.broken && c.errors == 1,
				    "%s: %s: vq %d of device %d marked broken",
				    where, h->name, vqi, c.dev);
			ktap_result(log_has(c.dev, vqi, h->expect),
				    "%s: %s: one log line names the fault ('%s')",
				    where, h->name, h->expect);
		}

		/*
		 * The broken vq moves nothing any more: more work and a kick
		 * neither pass frames nor log a second fault.
		 */
		if (!h->rx) {
			vg_frame_build(frame, 100, false, 3, 0);
			vg_tx_add(&victim, frame, 100);
			vg_force_kick(&victim.tx);
			usleep(300000);
			stopped = vg_host_recv(&victim, frame, sizeof(frame)) <= 0;
		} else {
			vg_frame_build(frame, 100, true, 3, 1);
			vg_host_send(&victim, frame, 100);
			vg_force_kick(&victim.rx);
			usleep(300000);
			stopped = vg_rx_get(&victim, frame, sizeof(frame)) == 0;
		}
		ktap_result(stopped, "%s: %s: stopped vq passes no more frames",
			    where, h->name);
		if (!vg_read_counters(getpid(), vqi, 1, &c))
			ktap_result(count_lines(c.dev) == 1,
				    "%s: %s: exactly one log line for the device",
				    where, h->name);
		else
			ktap_result(0, "%s: %s: vq state readable", where, h->name);

		ktap_result(vg_stream(&bystander, 1000, 4 + i, 5000, &res),
			    "%s: %s: the other device still passes 1000 frames each way",
			    where, h->name);
		vg_teardown(&victim);
	}
	vg_teardown(&bystander);
}

int main(void)
{
	size_t i;
	int per_pass = 0;

	/* The checks of every case, on demand and on a shared sidecore. */
	vg_test_start("tun");
	for (i = 0; i < NHOSTILE; i++)
		per_pass += checks(&hostile_cases[i]);
	ktap.planned = 2 * per_pass;

	run_cases("ondemand");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || !set_policy("sidecore", "1")) {
		for (i = 0; i < (size_t)per_pass; i++)
			ktap_result(0, "sidecore:1: policy sidecore on CPU 1");
	} else {
		run_cases("sidecore:1");
		set_policy("ondemand", "");
	}
	return ktap_finish();
}
