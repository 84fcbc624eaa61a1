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

#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

struct hostile {
	const char *name;
	bool rx;		/* fault in the rx ring (needs a frame to arrive) */
	const char *expect;	/* words of the log line */
	void (*make)(struct vg_dev *d, struct vg_vq *vq);
};

static char *buf_of(struct vg_vq *vq, int head)
{
	return vq->buf[head];
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

static uint64_t gpa(void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void make_loop(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 64, VRING_DESC_F_NEXT, h);
	vg_push_kick(vq, h);
}

static void make_head_range(struct vg_dev *d, struct vg_vq *vq)
{
	vg_push_kick(vq, vq->num + 3);
}

static void make_next_range(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 64, VRING_DESC_F_NEXT,
		 vq->num + 1);
	vg_push_kick(vq, h);
}

static void make_outside(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	/* Just past the only memory region. */
	set_desc(&vq->desc[h], gpa(d->mem) + d->mem_size, 64, 0, 0);
	vg_push_kick(vq, h);
}

static void make_straddle(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	/* Starts inside the region, ends past it. */
	set_desc(&vq->desc[h], gpa(d->mem) + d->mem_size - 32, 64, 0, 0);
	vg_push_kick(vq, h);
}

static void make_overflow(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], 0xfffffffffffff000ULL, 0x2000, 0, 0);
	vg_push_kick(vq, h);
}

static void make_nested(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);
	struct vring_desc *t = vq->ind[h];

	set_desc(&t[0], gpa(vq->ind[h]) + 32, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc(&vq->desc[h], gpa(t), 16, VRING_DESC_F_INDIRECT, 0);
	vg_push_kick(vq, h);
}

static void make_ind_len(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], gpa(vq->ind[h]), 24, VRING_DESC_F_INDIRECT, 0);
	vg_push_kick(vq, h);
}

static void make_ind_outside(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], 0x1000, 32, VRING_DESC_F_INDIRECT, 0);
	vg_push_kick(vq, h);
}

static void make_ind_loop(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);
	struct vring_desc *t = vq->ind[h];

	set_desc(&t[0], gpa(buf_of(vq, h)), 16, VRING_DESC_F_NEXT, 1);
	set_desc(&t[1], gpa(buf_of(vq, h)), 16, VRING_DESC_F_NEXT, 0);
	set_desc(&vq->desc[h], gpa(t), 32, VRING_DESC_F_INDIRECT, 0);
	vg_push_kick(vq, h);
}

static void make_avail_jump(struct vg_dev *d, struct vg_vq *vq)
{
	uint64_t one = 1;

	vq->avail_idx += vq->num + 1;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
		printf("# kick failed\n");
}

static void make_tx_writable(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 1);

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 128, VRING_DESC_F_WRITE, 0);
	vg_push_kick(vq, h);
}

static void make_out_after_in(struct vg_dev *d, struct vg_vq *vq)
{
	int h = vg_desc_alloc(vq, 2);
	uint16_t second = vq->desc[h].next;

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 64,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, second);
	set_desc(&vq->desc[second], gpa(buf_of(vq, h)) + 64, 64, 0, 0);
	vg_push_kick(vq, h);
}

static void make_rx_readable(struct vg_dev *d, struct vg_vq *vq)
{
	/* The rx ring is full: spoil the buffer the device takes next. */
	uint16_t h = vq->avail->ring[vq->last_used & (vq->num - 1)];

	set_desc(&vq->desc[h], gpa(buf_of(vq, h)), 256, 0, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static const struct hostile cases[] = {
	{ "descriptor loop", false, "descriptor loop", make_loop },
	{ "avail entry beyond the ring", false, "outside the ring", make_head_range },
	{ "next index beyond the ring", false, "links to", make_next_range },
	{ "buffer outside the memory table", false, "outside guest memory", make_outside },
	{ "buffer straddling the end of memory", false, "outside guest memory", make_straddle },
	{ "address + length overflow", false, "outside guest memory", make_overflow },
	{ "nested indirect table", false, "nested indirect", make_nested },
	{ "indirect length not a multiple of 16", false, "not a positive multiple", make_ind_len },
	{ "indirect table outside memory", false, "indirect table", make_ind_outside },
	{ "loop in an indirect table", false, "loop in indirect table", make_ind_loop },
	{ "avail index jump beyond the ring size", false, "avail index moved", make_avail_jump },
	{ "writable descriptor in a tx chain", false, "writable segments", make_tx_writable },
	{ "readable descriptor after a writable one", false, "readable descriptor", make_out_after_in },
	{ "readable descriptor in an rx chain", true, "readable and", make_rx_readable },
};

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

int main(void)
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

	vg_test_start("tun");

	cfg.ifname = "bystander";
	if (vg_setup(&bystander, &cfg))
		ktap_exit_skip("cannot set up the bystander device");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hostile *h = &cases[i];
		int vqi = h->rx ? 0 : 1;
		struct vg_vq *vq;
		bool err, stopped;

		cfg.ifname = "victim";
		if (vg_setup(&victim, &cfg)) {
			ktap_result(0, "%s: setup", h->name);
			vg_teardown(&victim);
			continue;
		}
		/* Healthy first: some traffic on the victim. */
		if (!vg_stream(&victim, 200, 2, 5000, &res)) {
			vg_stream_report(&res);
			ktap_result(0, "%s: victim works before the fault", h->name);
			vg_teardown(&victim);
			continue;
		}
		vq = h->rx ? &victim.rx : &victim.tx;
		h->make(&victim, vq);
		if (h->rx) {
			vg_frame_build(frame, 200, true, 2, 0);
			vg_host_send(&victim, frame, 200);
		}
		err = wait_error(vq, 3000);
		ktap_result(err, "%s: error eventfd signalled", h->name);

		if (vg_read_counters(getpid(), vqi, 1, &c)) {
			ktap_result(0, "%s: vq state readable", h->name);
		} else {
			ktap_result(c.broken && c.errors == 1,
				    "%s: vq %d of device %d marked broken", h->name,
				    vqi, c.dev);
			ktap_result(log_has(c.dev, vqi, h->expect),
				    "%s: one log line names the fault ('%s')",
				    h->name, h->expect);
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
		ktap_result(stopped, "%s: stopped vq passes no more frames", h->name);
		if (!vg_read_counters(getpid(), vqi, 1, &c))
			ktap_result(count_lines(c.dev) == 1,
				    "%s: exactly one log line for the device", h->name);

		ktap_result(vg_stream(&bystander, 1000, 4 + i, 5000, &res),
			    "%s: the other device still passes 1000 frames each way",
			    h->name);
		vg_teardown(&victim);
	}
	vg_teardown(&bystander);
	return ktap_finish();
}
