// SPDX-License-Identifier: GPL-2.0
/*
 * A guest behind a vIOMMU (VIRTIO_F_ACCESS_PLATFORM): rings and buffers
 * at I/O virtual addresses that the device learns through IOTLB messages
 * on its fd, as QEMU sends them for -device intel-iommu,device-iotlb=on.
 *
 * The process is both the VMM (a thread answers the device's misses with
 * updates of one 4 KiB page, as a vIOMMU with 4 KiB mappings does) and
 * the guest driver. Frames are streamed both ways on demand and on a
 * sidecore, with every translation invalidated once a millisecond
 * meanwhile; a tenant whose misses go unanswered must not hold up
 * another on the same sidecore; translations without the access a ring
 * or buffer needs stop that vq only; dirty logging maps the device's
 * writes back to guest-physical pages; and every malformed, foreign or
 * out-of-range message is refused with the errno a VMM can act on.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "lib/isolation.h"
#include "lib/ktap.h"
#include "lib/rng.h"
#include "lib/util.h"
#include "lib/vgtest.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

#define IOVA_BASE	0x40000000ULL	/* the guest's DMA window */
#define PAGE		4096ULL
#define RW		VHOST_ACCESS_RW

static char sc_cpu[16], sc_mode[32];

static struct vg_config iommu_cfg(const char *ifname, bool layout)
{
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .version_1 = true,
		.event_idx = layout, .indirect = layout, .mrg_rxbuf = layout,
		.rx_buf = layout ? 512 : 1536, .ifname = ifname,
		.strict_hdr = true, .iommu = true, .iova_base = IOVA_BASE,
		.gpa_base = 1 << 20,
	};

	return cfg;
}

/* Both vqs of the @nth device of this process to @target, in @mode. */
static bool place(int nth, const char *target, const char *mode)
{
	struct vg_counters c;
	int vq, ms;

	for (vq = 0; vq < 2; vq++)
		if (vg_read_counters(getpid(), vq, nth, &c) ||
		    (strcmp(c.mode, mode) &&
		     sysfs_write("vq_move", "%d %d %s", c.dev, vq, target)))
			return false;
	for (ms = 0; ms < 2000; ms += 10) {
		if (!vg_read_counters(getpid(), 0, nth, &c) &&
		    !strcmp(c.mode, mode) &&
		    !vg_read_counters(getpid(), 1, nth, &c) &&
		    !strcmp(c.mode, mode))
			return true;
		usleep(10000);
	}
	return false;
}

static void offers(void)
{
	uint64_t f = 0, b = 0, bad = 1ULL << 3;
	int fd = open(VSC_DEV_PATH, O_RDWR | O_CLOEXEC);
	bool ok;

	ok = fd >= 0 && !ioctl(fd, VHOST_GET_FEATURES, &f) &&
	     !ioctl(fd, VHOST_GET_BACKEND_FEATURES, &b);
	ktap_result(ok && (f & (1ULL << VIRTIO_F_ACCESS_PLATFORM)) &&
		    b == ((1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
			  (1ULL << VHOST_BACKEND_F_IOTLB_BATCH)),
		    "offers VIRTIO_F_ACCESS_PLATFORM, IOTLB_MSG_V2 and IOTLB_BATCH (features 0x%llx, backend 0x%llx)",
		    (unsigned long long)f, (unsigned long long)b);
	ktap_result(fd >= 0 && ioctl(fd, VHOST_SET_BACKEND_FEATURES, &bad) &&
		    errno == EOPNOTSUPP,
		    "an unknown backend feature is refused (EOPNOTSUPP)");
	if (fd >= 0)
		close(fd);
}

/* Every translation dropped once a millisecond, while @stop is not set. */
struct storm {
	int fd;
	volatile int stop;
	unsigned long sent, failed;
};

static void *storm_thread(void *arg)
{
	struct storm *s = arg;

	while (!s->stop) {
		if (vg_iotlb_msg(s->fd, VHOST_IOTLB_INVALIDATE, 0, ~0ULL, 0, 0))
			s->failed++;
		else
			s->sent++;
		usleep(1000);
	}
	return NULL;
}

static void stream(const char *where, bool sidecore, bool layout,
		   bool invalidate)
{
	struct vg_config cfg = iommu_cfg("iotap0", layout);
	struct vg_stream_result res;
	struct storm s = { 0 };
	struct vg_iotlb t;
	pthread_t th;
	struct vg_dev d;
	bool ok;
	const char *what = layout ? "event_idx+indirect+mrg_rxbuf" :
				    "plain rings";

	if (vg_setup(&d, &cfg) || vg_iotlb_start(&d, &t, PAGE, RW)) {
		ktap_result(0, "%s, %s: setup", where, what);
		vg_teardown(&d);
		return;
	}
	if (sidecore && !place(0, sc_cpu, sc_mode)) {
		ktap_result(0, "%s, %s: vqs on the sidecore", where, what);
		vg_iotlb_stop(&t);
		vg_teardown(&d);
		return;
	}
	s.fd = d.fd;
	if (invalidate)
		pthread_create(&th, NULL, storm_thread, &s);
	ok = vg_stream(&d, 2000, 7, 10000, &res);
	if (invalidate) {
		s.stop = 1;
		pthread_join(th, NULL);
	}
	vg_stream_report(&res);
	ktap_diag("misses %lu, updates %lu, outside %lu, errors %lu, invalidations %lu (%lu refused)",
		  t.misses, t.updates, t.outside, t.errors, s.sent, s.failed);
	ktap_result(ok && t.misses > 0 && !t.outside && !t.errors && !s.failed &&
		    (!invalidate || s.sent > 10) &&
		    (!sidecore || (iso_mode_is(getpid(), 0, sc_mode) &&
				   iso_mode_is(getpid(), 1, sc_mode))),
		    "%s, %s%s: 2000 frames each way through 4 KiB translations, none lost, duplicated, reordered or corrupt",
		    where, what,
		    invalidate ? ", every translation dropped each ms" : "");
	vg_iotlb_stop(&t);
	vg_teardown(&d);
}

/*
 * Tenant A's misses go unanswered while B streams on the same sidecore:
 * B is not held up, A resumes once answered.
 */
static void unanswered(void)
{
	struct vg_config ca = iommu_cfg("iotapa", false);
	struct vg_config cb = iommu_cfg("iotapb", true);
	struct vg_stream_result res;
	struct vg_iotlb ta, tb;
	struct pollfd p;
	struct vg_dev a, b;
	uint8_t frame[200], got[VG_FRAME_MAX + 64];
	int i, n = 0, ms;
	bool ok;

	if (vg_setup(&a, &ca) || vg_setup(&b, &cb) ||
	    vg_iotlb_start(&a, &ta, PAGE, RW) ||
	    vg_iotlb_start(&b, &tb, PAGE, RW)) {
		ktap_result(0, "two tenants behind vIOMMUs: setup");
		goto out;
	}
	ta.paused = 1;
	ok = place(0, sc_cpu, sc_mode) && place(1, sc_cpu, sc_mode);
	ktap_result(ok, "two tenants behind vIOMMUs polled by one sidecore");
	memset(frame, 0, sizeof(frame));
	memcpy(frame, vg_host_mac, 6);
	memcpy(frame + 6, vg_guest_mac, 6);
	frame[12] = VG_ETHERTYPE >> 8;
	frame[13] = VG_ETHERTYPE & 0xff;
	for (i = 0; i < 8; i++) {
		frame[20] = i;
		vg_tx_add(&a, frame, sizeof(frame));
	}
	vg_tx_publish(&a);
	p.fd = a.fd;
	p.events = POLLIN;
	ktap_result(poll(&p, 1, 2000) == 1,
		    "tenant A's first run posts a miss (its fd is readable)");

	ok = vg_stream(&b, 2000, 8, 10000, &res);
	vg_stream_report(&res);
	ktap_result(ok, "tenant B streams 2000 frames each way on the sidecore while A waits for its VMM");

	ta.paused = 0;
	for (ms = 0; ms < 5000 && n < 8; ms += 10) {
		int r = vg_host_recv(&a, got, sizeof(got));

		if (r == (int)sizeof(frame) && got[12] == frame[12] &&
		    got[13] == frame[13] && got[20] == n)
			n++;
		else if (r == 0)
			usleep(10000);
	}
	ktap_diag("tenant A: misses %lu updates %lu; B: misses %lu", ta.misses,
		  ta.updates, tb.misses);
	ktap_result(n == 8 && !vg_vq_error(&a.tx),
		    "tenant A's 8 frames arrive once its VMM answers (%d)", n);
out:
	vg_iotlb_stop(&ta);
	vg_iotlb_stop(&tb);
	vg_teardown(&a);
	vg_teardown(&b);
}

/* Translations that lack the access a ring or buffer needs. */
static void permissions(uint8_t perm, const char *name)
{
	struct vg_config cfg = iommu_cfg("iotapp", false);
	uint8_t frame[100] = { 0 };
	struct vg_iotlb t;
	struct vg_dev d;
	int ms;

	if (vg_setup(&d, &cfg) || vg_iotlb_start(&d, &t, PAGE, perm)) {
		ktap_result(0, "%s translations: setup", name);
		vg_teardown(&d);
		return;
	}
	vg_tx_add(&d, frame, sizeof(frame));
	vg_tx_publish(&d);
	for (ms = 0; ms < 3000; ms += 10) {
		if (vg_vq_error(&d.tx) && vg_vq_error(&d.rx))
			break;
		usleep(10000);
	}
	ktap_result(vg_vq_error(&d.tx) && vg_vq_error(&d.rx),
		    "%s translations only: both vqs stop with an error (a ring needs %s)",
		    name, perm == VHOST_ACCESS_RO ? "writing" : "reading");
	vg_iotlb_stop(&t);
	vg_teardown(&d);
}

static bool logged(const struct vg_dev *d, const uint8_t *log, const void *p,
		   size_t len)
{
	uint64_t a = (uint64_t)((const char *)p - (const char *)d->mem) +
		     d->gpa_base, end = a + len;

	for (a &= ~(PAGE - 1); a < end; a += PAGE)
		if (!(log[a / PAGE / 8] & (1u << (a / PAGE % 8))))
			return false;
	return true;
}

/* LOG_ALL behind a vIOMMU: writes logged at their guest-physical pages. */
static void dirty_log(void)
{
	struct vg_config cfg = iommu_cfg("iotapl", true);
	struct vg_stream_result res;
	struct vhost_vring_addr a;
	struct vg_iotlb t;
	struct vg_dev d;
	uint64_t f, base;
	size_t logsize, i;
	uint8_t *log;
	bool ok, rx_ok = true;
	int q;

	if (vg_setup(&d, &cfg) || vg_iotlb_start(&d, &t, PAGE, RW)) {
		ktap_result(0, "dirty log behind a vIOMMU: setup");
		vg_teardown(&d);
		return;
	}
	logsize = ((d.gpa_base + d.mem_size) / PAGE + 7) / 8 + 8;
	log = calloc(1, logsize);
	base = (uintptr_t)log;
	f = d.features | (1ULL << VHOST_F_LOG_ALL);
	ok = !ioctl(d.fd, VHOST_SET_LOG_BASE, &base) &&
	     !ioctl(d.fd, VHOST_SET_FEATURES, &f);
	for (q = 0; q < 2 && ok; q++) {
		struct vg_vq *vq = q ? &d.tx : &d.rx;

		memset(&a, 0, sizeof(a));
		a.index = q;
		a.flags = 1u << VHOST_VRING_F_LOG;
		a.desc_user_addr = vg_gpa(&d, vq->desc);
		a.avail_user_addr = vg_gpa(&d, vq->avail);
		a.used_user_addr = vg_gpa(&d, vq->used);
		/* What QEMU gives behind a vIOMMU: the ring's I/O address. */
		a.log_guest_addr = vg_gpa(&d, vq->used);
		ok = !ioctl(d.fd, VHOST_SET_VRING_ADDR, &a);
	}
	ktap_result(ok, "dirty log behind a vIOMMU: logging turned on while running");
	ok = vg_stream(&d, 3000, 9, 10000, &res);
	for (i = 0; i < d.rx.num; i++)
		rx_ok &= logged(&d, log, d.rx.buf[i], d.hdr_len + d.cfg.rx_buf);
	ktap_result(ok && rx_ok &&
		    logged(&d, log, d.rx.used, 4 + 8 * d.rx.num + 2) &&
		    logged(&d, log, d.tx.used, 4 + 8 * d.tx.num + 2),
		    "dirty log behind a vIOMMU: 3000 frames each way, every rx buffer and both used rings logged at their guest-physical pages");
	vg_iotlb_stop(&t);
	vg_teardown(&d);
	free(log);
}

struct bad_msg {
	const char *what;
	uint32_t type;		/* outer: VHOST_IOTLB_MSG(_V2) */
	uint32_t asid;
	uint8_t itype;
	uint64_t iova, size, uaddr;
	uint8_t perm;
	size_t len;		/* 0: the whole message */
	int err;
};

static int send_raw(int fd, const struct bad_msg *b)
{
	struct vhost_msg_v2 m;
	size_t len = b->len ? b->len : sizeof(m);

	memset(&m, 0, sizeof(m));
	m.type = b->type;
	m.asid = b->asid;
	m.iotlb.type = b->itype;
	m.iotlb.iova = b->iova;
	m.iotlb.size = b->size;
	m.iotlb.uaddr = b->uaddr;
	m.iotlb.perm = b->perm;
	return write(fd, &m, len) == (ssize_t)len ? 0 : errno;
}

static void hostile(void)
{
	struct vg_config cfg = iommu_cfg("iotaph", false);
	struct vg_config plain = {
		.dev = VSC_DEV_PATH, .version_1 = true, .no_backend = true,
	};
	struct vg_stream_result res;
	struct vg_dev d, p;
	struct vg_iotlb t;
	struct vhost_msg_v2 m;
	struct rng rng = { 0x10715 };
	uint64_t hva, backend;
	int i, errs = 0, bad = 0, st, fl;
	pid_t pid;
	bool ok;

	/* No backend yet: no vq runs, so no miss is pending. */
	cfg.no_backend = true;
	if (vg_setup(&d, &cfg)) {
		ktap_result(0, "hostile IOTLB messages: setup");
		vg_teardown(&d);
		return;
	}
	hva = (uintptr_t)d.mem;
	{
		const struct bad_msg cases[] = {
			{ "an empty update", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, 0, hva, RW, 0, EINVAL },
			{ "an update that wraps the I/O address space", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, ~0ULL - 4095, 8192, hva, RW, 0, EINVAL },
			{ "an invalidation that wraps", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_INVALIDATE, 8192, ~0ULL, 0, 0, 0, EINVAL },
			{ "an empty invalidation", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_INVALIDATE, 0, 0, 0, 0, 0, EINVAL },
			{ "access 0", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, hva, 0, 0, EINVAL },
			{ "access 4", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, hva, 4, 0, EINVAL },
			{ "access 0xff", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, hva, 0xff, 0, EINVAL },
			{ "a kernel address", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, 0xffff888000000000ULL, RW, 0, EFAULT },
			{ "a range past the end of user memory (5-level paging too)", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, 0x2000, 0xfffffffffff000ULL, RW, 0, EFAULT },
			{ "a huge size", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, 0, ~0ULL, hva, RW, 0, EFAULT },
			{ "address space 1 (no ASID support)", VHOST_IOTLB_MSG_V2, 1, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, hva, RW, 0, EINVAL },
			{ "a miss written by the VMM", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_MISS, IOVA_BASE, PAGE, hva, RW, 0, EINVAL },
			{ "an access-fail message", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_ACCESS_FAIL, IOVA_BASE, PAGE, hva, RW, 0, EINVAL },
			{ "message type 0", VHOST_IOTLB_MSG_V2, 0, 0, IOVA_BASE, PAGE, hva, RW, 0, EINVAL },
			{ "message type 200", VHOST_IOTLB_MSG_V2, 0, 200, IOVA_BASE, PAGE, hva, RW, 0, EINVAL },
			{ "an unknown layout (3)", 3, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, hva, RW, 0, EINVAL },
			{ "a short write (8 bytes)", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, hva, RW, 8, EINVAL },
			{ "a 2-byte write", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, hva, RW, 2, EINVAL },
			{ "a batch without IOTLB_BATCH", VHOST_IOTLB_MSG_V2, 0, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0, 0, EINVAL },
		};

		for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
			int e = send_raw(d.fd, &cases[i]);

			if (e != cases[i].err) {
				ktap_diag("%s: errno %d, expected %d", cases[i].what, e,
					  cases[i].err);
				errs++;
			}
		}
		ktap_result(!errs, "%d malformed or out-of-range IOTLB messages refused with EINVAL or EFAULT",
			    (int)(sizeof(cases) / sizeof(cases[0])));
	}

	backend = (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
		  (1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	ok = !ioctl(d.fd, VHOST_SET_BACKEND_FEATURES, &backend) &&
	     !vg_iotlb_msg(d.fd, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0) &&
	     !vg_iotlb_msg(d.fd, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE, hva, RW) &&
	     !vg_iotlb_msg(d.fd, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0) &&
	     !vg_iotlb_msg(d.fd, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0);
	ktap_result(ok, "with IOTLB_BATCH: batch begin, update, end (and a stray end) accepted");

	/* Someone else's process: no messages either way. */
	pid = fork();
	if (!pid) {
		int e1, e2;

		e1 = vg_iotlb_msg(d.fd, VHOST_IOTLB_UPDATE, IOVA_BASE, PAGE,
				  hva, RW);
		e2 = read(d.fd, &m, sizeof(m)) < 0 ? errno : 0;
		_exit(e1 == -EPERM && e2 == EPERM ? 0 : 1);
	}
	ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	     !WEXITSTATUS(st);
	ktap_result(ok, "a process other than the owner can neither write nor read IOTLB messages (EPERM)");

	fl = fcntl(d.fd, F_GETFL);
	fcntl(d.fd, F_SETFL, fl | O_NONBLOCK);
	{
		struct pollfd pf = { .fd = d.fd, .events = POLLIN | POLLOUT };

		ok = read(d.fd, &m, sizeof(m)) < 0 && errno == EAGAIN &&
		     poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT &&
		     read(d.fd, &m, 8) < 0 && errno == EINVAL;
	}
	fcntl(d.fd, F_SETFL, fl);
	ktap_result(ok, "no miss pending: read EAGAIN (O_NONBLOCK), poll not readable, a short buffer EINVAL");

	/*
	 * Random messages: overlapping, nested, partial and foreign
	 * ranges, inside and outside our memory, some with bad fields.
	 */
	for (i = 0; i < 5000; i++) {
		uint64_t iova = IOVA_BASE + (rng_below(&rng, 64) - 8) * PAGE +
				rng_below(&rng, 4) * 1024;
		uint64_t size = (rng_below(&rng, 16) + 1) * PAGE / (1 + rng_below(&rng, 2));
		uint8_t type = rng_pct(&rng, 70) ? VHOST_IOTLB_UPDATE :
						    VHOST_IOTLB_INVALIDATE;
		uint8_t perm = rng_below(&rng, 5);
		uint64_t ua = hva + rng_below(&rng, 64) * PAGE;

		if (rng_one_in(&rng, 50))
			size = ~0ULL - rng_below(&rng, 3);
		if (vg_iotlb_msg(d.fd, type, iova, size, ua, perm))
			bad++;
	}
	ktap_diag("%d of 5000 random messages refused", bad);
	/* Then a clean slate, a backend and a VMM that answers. */
	ok = !vg_iotlb_msg(d.fd, VHOST_IOTLB_INVALIDATE, 0, ~0ULL, 0, 0) &&
	     !vg_set_backend(&d, d.tap) &&
	     !vg_iotlb_start(&d, &t, PAGE, RW);
	ok = ok && vg_stream(&d, 500, 10, 10000, &res);
	vg_stream_report(&res);
	vg_iotlb_stop(&t);
	ktap_result(ok && bad > 0 && bad < 5000,
		    "after 5000 random overlapping updates and invalidations, 500 frames each way");

	/* More translations than the IOTLB keeps: the oldest go. */
	bad = 0;
	for (i = 0; i < 5000; i++)
		if (vg_iotlb_msg(d.fd, VHOST_IOTLB_UPDATE,
				 0x100000000ULL + (uint64_t)i * 2 * PAGE, PAGE,
				 hva, VHOST_ACCESS_RO))
			bad++;
	ok = !bad && !vg_iotlb_start(&d, &t, PAGE, RW) &&
	     vg_stream(&d, 500, 11, 10000, &res);
	vg_iotlb_stop(&t);
	ktap_result(ok, "5000 updates beyond the 2048 cached are accepted (oldest retired), traffic still flows");
	vg_teardown(&d);

	/* Before ACCESS_PLATFORM: there is no IOTLB to talk to. */
	ok = !vg_setup(&p, &plain) &&
	     vg_iotlb_msg(p.fd, VHOST_IOTLB_UPDATE, 0, PAGE,
			  (uintptr_t)p.mem, RW) == -EINVAL;
	ktap_result(ok, "without VIRTIO_F_ACCESS_PLATFORM an update is refused (EINVAL)");
	vg_teardown(&p);
}

/* A reader waiting for a miss, then the owner resets or closes. */
struct reader {
	int fd, err;
	ssize_t n;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	struct vhost_msg_v2 m;

	r->n = read(r->fd, &m, sizeof(m));
	r->err = r->n < 0 ? errno : 0;
	return NULL;
}

static void teardown(void)
{
	struct vg_config cfg = iommu_cfg("iotapt", false);
	uint8_t frame[100] = { 0 };
	struct reader r = { 0 };
	struct pollfd p;
	pthread_t th;
	struct vg_dev d;
	bool ok;
	int i;

	cfg.no_backend = true;
	if (vg_setup(&d, &cfg)) {
		ktap_result(0, "teardown behind a vIOMMU: setup");
		vg_teardown(&d);
		return;
	}
	cfg.no_backend = false;
	r.fd = d.fd;
	pthread_create(&th, NULL, reader_thread, &r);
	usleep(200000);
	ioctl(d.fd, VHOST_RESET_OWNER);
	pthread_join(th, NULL);
	ktap_result(r.n < 0 && r.err == EPERM,
		    "a read waiting for a miss ends (EPERM) when the owner resets the device");
	vg_teardown(&d);

	/* Misses pending and unread at close: nothing leaks or hangs. */
	for (i = 0; i < 20; i++) {
		ok = !vg_setup(&d, &cfg);
		vg_tx_add(&d, frame, sizeof(frame));
		vg_tx_publish(&d);
		p.fd = d.fd;
		p.events = POLLIN;
		ok = ok && poll(&p, 1, 2000) == 1;
		vg_teardown(&d);
		if (!ok)
			break;
	}
	ktap_result(ok, "20 devices closed with misses pending");
}

int main(void)
{
	char mark[64];

	iso_test_start(0, 1, sc_cpu, sc_mode);
	snprintf(mark, sizeof(mark), "iotlb-%d", getpid());
	iso_mark(mark);

	offers();
	stream("on demand", false, false, false);
	stream("on demand", false, true, false);
	stream("on demand", false, true, true);
	if (!set_policy("manual", sc_cpu)) {
		ktap_result(0, "a sidecore on CPU %s", sc_cpu);
	} else {
		stream("on sidecore", true, false, false);
		stream("on sidecore", true, true, true);
		unanswered();
		set_policy("ondemand", "");
	}
	permissions(VHOST_ACCESS_RO, "read-only");
	permissions(VHOST_ACCESS_WO, "write-only");
	dirty_log();
	hostile();
	teardown();
	ktap_result(iso_log_clean(mark),
		    "kernel log: no warning, BUG or lockdep report since the start");
	return ktap_finish();
}
