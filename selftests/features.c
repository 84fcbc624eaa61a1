// SPDX-License-Identifier: GPL-2.0
/*
 * Features beyond moving frames, each on our device and on in-tree
 * vhost-net:
 *  - busy polling (SET_VRING_BUSYLOOP_TIMEOUT, QEMU's poll-us=): while the
 *    device spins after a frame, the guest's next frame needs no kick;
 *  - dirty logging (VHOST_F_LOG_ALL, SET_LOG_BASE/FD, VHOST_VRING_F_LOG),
 *    what QEMU live migration relies on: every guest page the device
 *    wrote is marked, pages it only read are not, and nothing is marked
 *    once logging is off again.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

static void busyloop(const char *dev)
{
	struct vg_config cfg = {
		.dev = dev, .qsize = 256, .event_idx = true, .mrg_rxbuf = true,
		.version_1 = true, .ifname = "bltap",
	};
	struct vhost_vring_state s = { .index = 1 };
	unsigned long plain, spinning;
	struct vg_dev d;
	const int n = 100;

	if (vg_setup(&d, &cfg)) {
		ktap_result(0, "%s: busyloop setup", dev);
		vg_teardown(&d);
		return;
	}
	plain = vg_tx_paced_kicks(&d, n);
	/* 10 ms: our cap (vhost-net has none). */
	s.num = 10000;
	ioctl(d.fd, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &s);
	s.num = 0;
	ktap_result(!ioctl(d.fd, VHOST_GET_VRING_BUSYLOOP_TIMEOUT, &s) &&
		    s.num == 10000, "%s: busyloop timeout reads back", dev);
	/* The first frame wakes the device; it then spins for 10 ms. */
	spinning = vg_tx_paced_kicks(&d, n);
	ktap_diag("%s: kicks for %d frames 2 ms apart: %lu without busy poll, %lu with 10 ms",
		  dev, n, plain, spinning);
	ktap_result(plain >= n * 8 / 10,
		    "%s: without busy polling nearly every frame needs a kick", dev);
	ktap_result(spinning <= n / 5,
		    "%s: with busy polling the device spins and kicks are suppressed",
		    dev);
	vg_teardown(&d);
}

static bool bit(const uint8_t *log, uint64_t gpa)
{
	uint64_t page = gpa / 4096;

	return log[page / 8] & (1u << (page % 8));
}

/* Every page of [p, p + len) logged (want) or none (!want)? */
static bool range_logged(struct vg_dev *d, const uint8_t *log, const void *p,
			 size_t len, bool want)
{
	uint64_t a = vg_gpa(d, p), end = a + len;

	for (a &= ~4095ULL; a < end; a += 4096)
		if (bit(log, a) != want)
			return false;
	return true;
}

static int set_vring_log(struct vg_dev *d, struct vg_vq *vq, int idx, bool on)
{
	struct vhost_vring_addr a = {
		.index = idx,
		.flags = on ? 1u << VHOST_VRING_F_LOG : 0,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
		.log_guest_addr = vg_gpa(d, vq->used),
	};

	return ioctl(d->fd, VHOST_SET_VRING_ADDR, &a);
}

static void dirty_log(const char *dev)
{
	struct vg_config cfg = {
		.dev = dev, .qsize = 256, .event_idx = true, .mrg_rxbuf = true,
		.version_1 = true, .ifname = "dltap",
		.gpa_base = 1 << 20,	/* guest RAM at 1 MiB, not identity */
	};
	struct vg_stream_result res;
	uint64_t f, base;
	size_t logsize, rxbuf, i;
	struct pollfd p;
	uint8_t *log;
	bool ok, rx_ok = true, tx_clean = true;
	int efd;
	struct vg_dev d;

	if (vg_setup(&d, &cfg)) {
		ktap_result(0, "%s: dirty log setup", dev);
		vg_teardown(&d);
		return;
	}
	logsize = ((cfg.gpa_base + d.mem_size) / 4096 + 7) / 8 + 8;
	log = calloc(1, logsize);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	base = (uintptr_t)log;

	/* As QEMU starts migrating a running guest. */
	f = d.features | (1ULL << VHOST_F_LOG_ALL);
	ok = !ioctl(d.fd, VHOST_SET_LOG_BASE, &base) &&
	     !ioctl(d.fd, VHOST_SET_LOG_FD, &efd) &&
	     !ioctl(d.fd, VHOST_SET_FEATURES, &f) &&
	     !set_vring_log(&d, &d.rx, 0, true) &&
	     !set_vring_log(&d, &d.tx, 1, true);
	ktap_result(ok, "%s: logging turned on while running", dev);

	ok = vg_stream(&d, 3000, 5, 10000, &res);
	ktap_result(ok, "%s: 3000 frames each way while logging", dev);

	rxbuf = d.hdr_len + d.cfg.rx_buf;
	for (i = 0; i < d.rx.num; i++)
		rx_ok &= range_logged(&d, log, d.rx.buf[i], rxbuf, true);
	ktap_result(rx_ok, "%s: every rx buffer page the device wrote is logged", dev);
	ktap_result(range_logged(&d, log, d.rx.used, 4 + 8 * d.rx.num + 2, true) &&
		    range_logged(&d, log, d.tx.used, 4 + 8 * d.tx.num + 2, true),
		    "%s: both used rings are logged", dev);
	/* Interior pages of the tx buffer area: only ever read. */
	for (i = 1; i + 1 < d.tx.num; i++)
		tx_clean &= range_logged(&d, log, d.tx.buf[i], 2048, false) ||
			    ((uintptr_t)d.tx.buf[i] & ~4095UL) ==
			    ((uintptr_t)d.tx.buf[0] & ~4095UL);
	ktap_result(tx_clean, "%s: pages only read (tx buffers) are not logged", dev);
	p.fd = efd;
	p.events = POLLIN;
	ktap_result(poll(&p, 1, 0) == 1, "%s: the log eventfd was signalled", dev);

	/* Migration over: logging off, nothing more is marked. */
	f = d.features;
	ok = !set_vring_log(&d, &d.rx, 0, false) &&
	     !set_vring_log(&d, &d.tx, 1, false) &&
	     !ioctl(d.fd, VHOST_SET_FEATURES, &f);
	memset(log, 0, logsize);
	ok &= vg_stream(&d, 1000, 6, 10000, &res);
	for (i = 0; i < logsize && ok; i++)
		ok = !log[i];
	ktap_result(ok, "%s: logging off: 1000 more frames mark nothing", dev);

	vg_teardown(&d);
	close(efd);
	free(log);
}

int main(void)
{
	const char *devs[] = { VSC_DEV_PATH, "/dev/vhost-net" };
	struct stat st;
	size_t i;

	vg_test_start("tun vhost_net");
	for (i = 0; i < 2; i++) {
		if (stat(devs[i], &st)) {
			ktap_skip("%s not available", devs[i]);
			continue;
		}
		busyloop(devs[i]);
		dirty_log(devs[i]);
	}
	return ktap_finish();
}
