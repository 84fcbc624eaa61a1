// SPDX-License-Identifier: GPL-2.0
/*
 * Data path: stream sequence-numbered, checksummed frames both ways
 * through a tap, for every combination of event_idx, indirect and
 * mrg_rxbuf (plus a legacy layout and a device-supplied header), on our
 * device and on the in-tree /dev/vhost-net: the driver tests the ABI, not
 * our quirks. Zero loss, duplication, reordering or corruption. On our
 * device the module's counters must agree with what the driver saw.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

struct layout {
	const char *name;
	bool event_idx, indirect, mrg, version_1, vhost_hdr;
};

static const struct layout layouts[] = {
	{ "event_idx=0 indirect=0 mrg_rxbuf=0", 0, 0, 0, 1, 0 },
	{ "event_idx=1 indirect=0 mrg_rxbuf=0", 1, 0, 0, 1, 0 },
	{ "event_idx=0 indirect=1 mrg_rxbuf=0", 0, 1, 0, 1, 0 },
	{ "event_idx=1 indirect=1 mrg_rxbuf=0", 1, 1, 0, 1, 0 },
	{ "event_idx=0 indirect=0 mrg_rxbuf=1", 0, 0, 1, 1, 0 },
	{ "event_idx=1 indirect=0 mrg_rxbuf=1", 1, 0, 1, 1, 0 },
	{ "event_idx=0 indirect=1 mrg_rxbuf=1", 0, 1, 1, 1, 0 },
	{ "event_idx=1 indirect=1 mrg_rxbuf=1", 1, 1, 1, 1, 0 },
	{ "legacy 10-byte header (no VERSION_1)", 1, 1, 0, 0, 0 },
	{ "device-supplied header (VHOST_NET_F_VIRTIO_NET_HDR)", 1, 0, 1, 1, 1 },
};

/*
 * In-tree vhost-net before Linux 6.9 ("vhost: Added pad cleanup if
 * vnet_hdr is not present") builds a tx frame's virtio_net_hdr for tun
 * from whatever the page fragment held when the device supplies the
 * header (sock_hlen 0). On a kernel that zeroes pages on allocation
 * (Debian's init_on_alloc=1) that is zero and all works; on one that does
 * not (our debug kernel) tun rejects the batch, vhost-net drops it without
 * publishing used entries and the tx ring stalls. That is upstream's bug,
 * not ours: the reference run reports it as XFAIL there, on 6.9 and
 * later it must pass.
 */
static bool vhost_net_hdr_bug(void)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 9);
}

static unsigned long long drain(int fd)
{
	unsigned long long v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		v = 0;
	return v;
}

static void run(const char *dev, bool ours, const struct layout *l,
		uint64_t frames)
{
	struct vg_config cfg = {
		.dev = dev, .qsize = 256, .event_idx = l->event_idx,
		.indirect = l->indirect, .mrg_rxbuf = l->mrg,
		.version_1 = l->version_1, .vhost_hdr = l->vhost_hdr,
		/* Mergeable: small buffers, so frames span several. */
		.rx_buf = l->mrg ? 512 : 1536, .ifname = "vgtap0",
		.strict_hdr = ours,
		/* The 16-bit ring indexes wrap half way through the stream. */
		.base_idx = (uint16_t)(65536 - frames / 2),
	};
	struct vg_stream_result res;
	struct vg_counters c[2];
	struct vg_dev d;
	unsigned long long signals[2];
	bool ok;

	if (vg_setup(&d, &cfg)) {
		ktap_result(0, "%s %s: setup", dev, l->name);
		vg_teardown(&d);
		return;
	}
	ok = vg_stream(&d, frames, 1, 10000, &res);
	vg_stream_report(&res);
	ktap_diag("driver: kicks rx %lu tx %lu, suppressed rx %lu tx %lu, calls rx %lu tx %lu",
		  d.rx.kicks, d.tx.kicks, d.rx.kicks_suppressed,
		  d.tx.kicks_suppressed, d.rx.calls, d.tx.calls);
	if (!ok && !ours && l->vhost_hdr && vhost_net_hdr_bug())
		ktap_xfail("in-tree vhost-net before 6.9 leaves the tx header uninitialised (fixed upstream by 'vhost: Added pad cleanup if vnet_hdr is not present')",
			   "%s %s: %llu frames each way, none lost, duplicated, reordered or corrupt",
			   dev, l->name, (unsigned long long)frames);
	else
		ktap_result(ok, "%s %s: %llu frames each way, none lost, duplicated, reordered or corrupt",
			    dev, l->name, (unsigned long long)frames);

	if (ours) {
		/* The handler has published its last used entries by now. */
		signals[0] = d.rx.calls + drain(d.rx.call);
		signals[1] = d.tx.calls + drain(d.tx.call);
		if (vg_read_counters(getpid(), 0, 0, &c[0]) ||
		    vg_read_counters(getpid(), 1, 0, &c[1])) {
			ktap_result(0, "%s %s: counters readable", dev, l->name);
		} else {
			ktap_diag("module rx: packets %llu kicks %llu signals %llu runs %llu; tx: packets %llu kicks %llu signals %llu runs %llu",
				  c[0].packets, c[0].kicks, c[0].signals, c[0].runs,
				  c[1].packets, c[1].kicks, c[1].signals, c[1].runs);
			ktap_result(c[0].packets == frames && c[1].packets == frames &&
				    c[0].kicks == d.rx.kicks && c[1].kicks == d.tx.kicks &&
				    c[0].signals == signals[0] && c[1].signals == signals[1],
				    "%s %s: module counters (packets, kicks, signals) agree with the driver",
				    dev, l->name);
		}
	}
	vg_teardown(&d);
}

int main(int argc, char **argv)
{
	uint64_t frames = 20000;
	bool vhost_net = true;
	struct stat st;
	size_t i;
	int opt;

	while ((opt = getopt(argc, argv, "n:V")) != -1) {
		switch (opt) {
		case 'n':
			frames = strtoull(optarg, NULL, 0);
			break;
		case 'V':
			vhost_net = false;
			break;
		default:
			fprintf(stderr, "usage: %s [-n frames] [-V (skip in-tree vhost-net)]\n",
				argv[0]);
			return 2;
		}
	}

	vg_test_start("tun vhost_net");

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		run(VSC_DEV_PATH, true, &layouts[i], frames);
	if (vhost_net && !stat("/dev/vhost-net", &st)) {
		for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
			run("/dev/vhost-net", false, &layouts[i], frames);
	} else {
		ktap_skip("in-tree /dev/vhost-net not available");
	}
	return ktap_finish();
}
