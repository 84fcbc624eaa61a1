// SPDX-License-Identifier: GPL-2.0
/*
 * Ring fuzzer: a guest that writes random and mutated descriptor chains
 * into the split rings of our device, interleaved with valid sequenced
 * frames, while a second thread keeps rewriting the garbage part of the
 * rings and the memory it points at.
 *
 * The descriptor table is split in two: the first VALID_DESCS entries
 * (and their buffers and indirect tables) hold the valid chains, the rest
 * the garbage. Garbage never points or links at the valid part, even
 * with a flag the mutator turned on (every garbage descriptor's next names
 * garbage or nothing), and each vq's garbage lives in its own half of the
 * arena (the rx device writes where rx garbage points, which must never
 * be a table that points at tx's rings), so what the oracle expects of
 * valid frames does not depend on what the garbage does:
 *
 *  - tx: every valid frame whose head the device returned in the used
 *    ring arrives on the tap once, intact and in order, and none arrives
 *    twice; without a break every chain is returned;
 *  - rx: a valid buffer holding one of our frames holds it intact, in
 *    one buffer, in sequence order, and every used entry names a head we
 *    made available and a length that fits it;
 *  - a vq the device stopped (its error eventfd) has its reason line in
 *    the kernel log, and nothing else stops it: a batch the device
 *    neither finished nor refused within the timeout is a hang;
 *  - a victim device, on the same sidecore or worker pool, keeps
 *    streaming without loss.
 *
 * Each batch draws from its own generator, seeded from (seed, config,
 * batch), so one failing batch replays alone: the failure line gives
 * the command (-c CONFIG -B BATCH, the mutator thread off with -M), and
 * the fuzzer itself replays it on a fresh device and drops chains one at
 * a time while it still fails, to print the shortest chain list.
 *
 *   fuzz_ring [-s SEED] [-n CHAINS] [-t SECONDS] [-c CONFIG] [-B BATCH]
 *             [-k MASK] [-M] [-v]
 *
 * Environment: VSC_FUZZ_SEED, VSC_FUZZ_CHAINS, VSC_FUZZ_RING_SECONDS (the
 * defaults of -s, -n, -t), VSC_TIMEOUT_SCALE (slow kernels).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "lib/rng.h"
#include "lib/vgtest.h"

KTAP_DEFINE_STATE;

#define QSIZE		256
#define VALID_DESCS	64		/* 32 slots of two descriptors */
#define VALID_SLOTS	(VALID_DESCS / 2)
#define ARENA_SIZE	(512 << 10)
#define ARENA_HALF	(ARENA_SIZE / 2)	/* rx garbage, then tx's */
#define BATCH_MAX	64
#define TX_STREAM	0x7a11d
#define RX_STREAM	0x7a11e
#define GARBAGE_STREAM	0x6a6a6a
#define SLICE_CHAINS	50000		/* per slice, at most */
#define TX_SEEN_MAX	(1 << 18)	/* valid tx frames of a slice */
#define BREAKS_PER_DEV	8		/* the log's rate limit is 10 per 5 s */

struct fz_cfg {
	const char *name;
	bool sidecore;		/* both devices polled by the sidecore */
	bool moves;		/* the fuzzed vqs move back and forth */
	bool event_idx, indirect, mrg, v1;
};

static const struct fz_cfg cfgs[] = {
	{ "ondemand event_idx indirect mrg", false, false, true, true, true, true },
	{ "ondemand legacy header", false, false, false, false, false, false },
	{ "ondemand indirect no-mrg", false, false, false, true, false, true },
	{ "sidecore event_idx indirect mrg", true, false, true, true, true, true },
	{ "sidecore legacy header", true, false, false, true, false, false },
	{ "moves event_idx mrg", true, true, true, false, true, true },
	{ "moves indirect no-event_idx", true, true, false, true, false, true },
};
#define NCFG (sizeof(cfgs) / sizeof(cfgs[0]))

/* What one position of a batch holds. */
struct slot {
	uint16_t head;
	bool valid;
	uint64_t seq;		/* tx: the frame's sequence number */
	size_t cap;		/* rx: writable bytes of a valid chain */
};

struct fz_stats {
	uint64_t chains, chains_sc, batches, valid_tx, valid_rx, garbage;
	uint64_t breaks, stuck, jumps, moves, devices, rx_frames;
	uint64_t failures, reordered;
	double t_tx, t_rx, t_break;	/* seconds spent in each */
};

struct fz {
	const struct fz_cfg *cfg;
	int ci;
	uint64_t seed;
	struct vg_dev d;
	bool have_dev;
	int devid;
	char *arena;
	uint64_t mem_lo, mem_hi;	/* guest addresses of all memory */
	uint16_t pub[2], used[2];
	uint64_t tx_seq, tx_next, tx_last, rx_seq, rx_last;
	uint8_t tx_seen[TX_SEEN_MAX / 8];	/* valid tx frames arrived */
	bool tx_any, rx_any;
	int breaks_on_dev;
	bool on_sidecore;
	int kmsg;
	struct fz_stats st;
	/* mutator thread */
	pthread_t mut;
	bool mut_on;
	volatile int mut_run;
	uint64_t mut_writes;
	/* replay */
	uint64_t mask;		/* positions of a batch left out */
	bool replaying, verbose;
	char fail[256];
};

static int scale = 1;
/* Quiet periods grow less: on a slow kernel a stuck batch only costs. */
static int quiet_scale = 1;
static const char *sc_cpu = "1";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t gpa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void __attribute__((format(printf, 2, 3)))
fz_fail(struct fz *f, const char *fmt, ...)
{
	va_list ap;

	if (f->fail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(f->fail, sizeof(f->fail), fmt, ap);
	va_end(ap);
}

/* ---- garbage ---------------------------------------------------------- */

/* The half of the arena that @vq's garbage uses. */
static char *g_arena(struct fz *f, struct vg_vq *vq)
{
	return f->arena + (vq == &f->d.rx ? 0 : ARENA_HALF);
}

/* A guest address for a garbage descriptor: anything but the valid part. */
static uint64_t g_addr(struct fz *f, struct rng *r, struct vg_vq *vq,
		       bool write)
{
	uint64_t arena = gpa(g_arena(f, vq));

	static const uint64_t wild[] = {
		0, 0x1000, 0x7ffffffff000ULL, 0x800000000000ULL,
		0xffff888000000000ULL, 0xfffffffffffff000ULL, ~0ULL,
	};

	switch (rng_below(r, 12)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		return arena + rng_below(r, ARENA_HALF);
	case 6:		/* the last bytes of guest memory, and past it */
		return f->mem_hi - rng_below(r, 128);
	case 7:		/* just below it */
		return f->mem_lo - 1 - rng_below(r, 4096);
	case 8:
		return wild[rng_below(r, sizeof(wild) / sizeof(wild[0]))] -
			rng_below(r, 64);
	case 9:
		/*
		 * The rings themselves, as data: only for reading (the
		 * device writing into them would rewrite the valid part).
		 */
		if (!write) {
			switch (rng_below(r, 3)) {
			case 0:
				return gpa(&vq->desc[VALID_DESCS]) +
					rng_below(r, 16 * (QSIZE - VALID_DESCS));
			case 1:
				return gpa(vq->avail) + rng_below(r, 2 * QSIZE);
			default:
				return gpa(vq->used) + rng_below(r, 8 * QSIZE);
			}
		}
		return arena + ARENA_HALF - rng_below(r, 256);
	case 10:	/* a page boundary in the arena */
		return arena + 4096 * (1 + rng_below(r, ARENA_HALF / 4096 - 1)) -
			rng_below(r, 16);
	default:
		return rng_next(r);
	}
}

static uint32_t g_len(struct rng *r)
{
	switch (rng_below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return 1 + rng_below(r, 16);
	case 2:
		return 0x7fffffff + rng_below(r, 3);
	case 3:
		return ~0U - rng_below(r, 16);
	case 4:
		return rng_below(r, 1 << 20);
	case 5:
		return 65536 + rng_below(r, 64);
	default:
		return rng_below(r, 4096);
	}
}

static uint16_t g_next(struct rng *r, unsigned int limit)
{
	switch (rng_below(r, 10)) {
	case 0:
		return limit + rng_below(r, 65536 - limit);	/* out of range */
	case 1:
		return ~0;
	default:
		return rng_below(r, limit);
	}
}

static uint16_t g_garbage_index(struct rng *r)
{
	return VALID_DESCS + rng_below(r, QSIZE - VALID_DESCS);
}

static uint16_t g_flags(struct rng *r, bool rx)
{
	uint16_t fl = 0;

	if (rng_pct(r, rx ? 85 : 10))
		fl |= VRING_DESC_F_WRITE;
	if (rng_pct(r, 50))
		fl |= VRING_DESC_F_NEXT;
	if (rng_pct(r, 8))
		fl |= VRING_DESC_F_INDIRECT;
	if (rng_pct(r, 3))
		fl |= (uint16_t)rng_next(r) & ~7;		/* unknown bits */
	return fl;
}

/* A random indirect table in the arena; returns its address, sets len. */
static uint64_t g_indirect(struct fz *f, struct rng *r, struct vg_vq *vq,
			   bool rx, uint32_t *len)
{
	/*
	 * Mostly short; at times up to past the 1024 segments of a chain
	 * (UIO_MAXIOV), the 64 K / 16 a length field allows.
	 */
	unsigned int n = rng_pct(r, 95) ? rng_below(r, 10) :
		(rng_pct(r, 50) ? 1000 + rng_below(r, 50) : rng_below(r, 4096)), i;
	struct vring_desc *t;
	size_t off = rng_below(r, (ARENA_HALF - 16 * (n + 16)) / 16) * 16;

	t = (struct vring_desc *)(g_arena(f, vq) + off);
	for (i = 0; i < n; i++) {
		t[i].addr = g_addr(f, r, vq, rx);
		t[i].len = rng_pct(r, 70) ? rng_below(r, 2048) : g_len(r);
		t[i].flags = g_flags(r, rx);
		t[i].next = rng_pct(r, 80) ? i + 1 : g_next(r, n + 2);
	}
	switch (rng_below(r, 8)) {
	case 0:
		*len = rng_below(r, 16 * n + 16);		/* not a multiple */
		break;
	case 1:
		*len = g_len(r);
		break;
	case 2:
		*len = 0;
		break;
	default:
		*len = 16 * n;
	}
	if (rng_pct(r, 10))
		return g_addr(f, r, vq, rx);		/* table elsewhere */
	return gpa(t);
}

static void g_desc(struct fz *f, struct rng *r, struct vg_vq *vq, bool rx,
		   struct vring_desc *d)
{
	d->addr = g_addr(f, r, vq, rx);
	d->len = g_len(r);
	d->flags = g_flags(r, rx);
	d->next = g_garbage_index(r);
	if (d->flags & VRING_DESC_F_INDIRECT && rng_pct(r, 70))
		d->addr = g_indirect(f, r, vq, rx, &d->len);
}

/* A malformed chain: random descriptors, random links. */
static uint16_t g_malformed(struct fz *f, struct rng *r, struct vg_vq *vq,
			    bool rx)
{
	uint16_t head = g_garbage_index(r), cur = head, nxt;
	unsigned int n = 1 + rng_below(r, 6), i;

	for (i = 0; i < n; i++) {
		struct vring_desc *d = &vq->desc[cur];

		g_desc(f, r, vq, rx, d);
		if (i + 1 < n) {
			/* in the partition, itself (a loop), or out of range */
			nxt = rng_pct(r, 80) ? g_garbage_index(r) :
				(rng_pct(r, 50) ? cur : g_next(r, QSIZE));
			if (nxt < VALID_DESCS)
				nxt += QSIZE;
			d->flags |= VRING_DESC_F_NEXT;
			d->next = nxt;
			if (nxt >= QSIZE)
				break;
			cur = nxt;
		} else if (rng_pct(r, 80)) {
			d->flags &= ~VRING_DESC_F_NEXT;
		}
		if (d->next < VALID_DESCS)
			d->next += QSIZE;
	}
	return head;
}

/*
 * A chain a driver could have written, in descriptors of its own (from
 * @cursor on), into the arena: for tx a header with random fields before
 * a frame of the garbage stream, split at random points; for rx writable
 * buffers of random sizes, some too small for any frame. At times one
 * descriptor is then replaced by a random one.
 */
static uint16_t g_plausible(struct fz *f, struct rng *r, struct vg_vq *vq,
			    bool rx, unsigned int *cursor)
{
	unsigned int n = rng_pct(r, 60) ? 1 : (rng_pct(r, 75) ? 2 :
					      3 + rng_below(r, 2));
	size_t hl = f->d.hdr_len, off = rng_below(r, ARENA_HALF - 4096), total;
	uint8_t *p = (uint8_t *)g_arena(f, vq) + off;
	uint16_t head = 0, prev = 0, idx;
	size_t done = 0, cut;
	unsigned int i, j;

	if (rx) {
		/*
		 * Without mergeable buffers a chain must hold a whole frame
		 * (one that cannot stops the ring until reset), so most do.
		 */
		if (!f->cfg->mrg)
			total = rng_pct(r, 90) ? hl + VG_FRAME_MAX + rng_below(r, 600) :
				rng_below(r, hl + VG_FRAME_MAX);
		else
			total = rng_pct(r, 95) ? hl + rng_below(r, 1600) :
				rng_below(r, 64);
	} else {
		size_t flen = vg_frame_len(rng_next(r), VG_FRAME_MIN,
					   VG_FRAME_MAX);

		/* Mostly a zero header, at times any bytes at all. */
		for (j = 0; j < hl; j++)
			p[j] = rng_pct(r, 70) ? 0 : (uint8_t)rng_next(r);
		vg_frame_build(p + hl, flen, false, GARBAGE_STREAM, rng_next(r));
		total = hl + flen;
	}
	for (i = 0; i < n; i++) {
		struct vring_desc *d;

		idx = VALID_DESCS + (*cursor)++ % (QSIZE - VALID_DESCS);
		d = &vq->desc[idx];
		cut = i + 1 < n ? rng_below(r, total - done + 1) : total - done;
		/* next names garbage even where NEXT is off: see mutator() */
		*d = (struct vring_desc){ gpa(p + done), cut,
			rx ? VRING_DESC_F_WRITE : 0, g_garbage_index(r) };
		done += cut;
		if (i)
			vq->desc[prev].flags |= VRING_DESC_F_NEXT,
			vq->desc[prev].next = idx;
		else
			head = idx;
		prev = idx;
	}
	if (rng_pct(r, 1)) {
		struct vring_desc *d = &vq->desc[head];

		for (i = rng_below(r, n); i; i--)
			d = &vq->desc[d->next];
		uint16_t keep = d->next, fl = d->flags & VRING_DESC_F_NEXT;

		g_desc(f, r, vq, rx, d);
		d->next = keep;
		d->flags = (d->flags & ~VRING_DESC_F_NEXT) | fl;
	}
	return head;
}

/*
 * The mutator: rewrites, a field at a time, garbage descriptors, arena
 * bytes (indirect tables, frames, headers) and the guest-written ring
 * fields that are not indexes, while the device works.
 */
static void *mutator(void *arg)
{
	struct fz *f = arg;
	struct rng r = { .s = f->seed ^ 0x6d757461746f72ULL };
	unsigned int i = 0;

	while (__atomic_load_n(&f->mut_run, __ATOMIC_RELAXED)) {
		struct vg_vq *vq = rng_below(&r, 2) ? &f->d.tx : &f->d.rx;
		struct vring_desc *d = &vq->desc[g_garbage_index(&r)];
		bool rx = vq == &f->d.rx;

		switch (rng_below(&r, 10)) {
		case 0: case 1: case 2: case 3: case 4:
			f->arena[rng_below(&r, ARENA_SIZE)] = (char)rng_next(&r);
			break;
		case 5:
			d->len = rng_pct(&r, 80) ? rng_below(&r, 2048) : g_len(&r);
			break;
		case 6:
			d->flags ^= 1 << rng_below(&r, 3);
			break;
		case 7:
			if (rng_pct(&r, 50))
				d->addr = g_addr(f, &r, vq, rx);
			else
				d->next = QSIZE + rng_below(&r, 64);
			break;
		case 8:
			__atomic_store_n(&vq->avail->flags,
					 rng_pct(&r, 80) ? 0 : (uint16_t)rng_next(&r),
					 __ATOMIC_RELAXED);
			break;
		default:
			/* used_event */
			__atomic_store_n(&vq->avail->ring[QSIZE],
					 (uint16_t)rng_next(&r), __ATOMIC_RELAXED);
		}
		f->mut_writes++;
		/* A racing guest, not a flood: a write every half millisecond. */
		if (++i % 4 == 0)
			usleep(2000);
	}
	return NULL;
}

static void mutator_start(struct fz *f)
{
	if (!f->mut_on || f->mut_run)
		return;
	f->mut_run = 1;
	if (pthread_create(&f->mut, NULL, mutator, f))
		f->mut_run = 0;
}

static void mutator_stop(struct fz *f)
{
	if (!f->mut_run)
		return;
	__atomic_store_n(&f->mut_run, 0, __ATOMIC_RELAXED);
	pthread_join(f->mut, NULL);
}

/* ---- the device -------------------------------------------------------- */

static void drain_fd(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

static int move_vqs(struct fz *f, bool sidecore)
{
	int i, r = 0;

	for (i = 0; i < 2 && !r; i++)
		r = sysfs_write("vq_move", "%d %d %s", f->devid, i,
				sidecore ? sc_cpu : "ondemand");
	if (!r) {
		f->on_sidecore = sidecore;
		f->st.moves++;
	}
	return r;
}

/* The vq back to empty rings at index 0, backend attached. */
static int reset_vq(struct fz *f, int i)
{
	struct vg_vq *vq = i ? &f->d.tx : &f->d.rx;
	struct vhost_vring_file b = { .index = i, .fd = -1 };
	struct vhost_vring_state s = { .index = i, .num = 0 };

	if (ioctl(f->d.fd, VHOST_NET_SET_BACKEND, &b) ||
	    ioctl(f->d.fd, VHOST_SET_VRING_BASE, &s))
		return -errno;
	vq->avail->flags = 0;
	vq->avail->idx = 0;
	vq->avail->ring[QSIZE] = 0;
	vq->used->flags = 0;
	vq->used->idx = 0;
	memset(&vq->used->ring[QSIZE], 0, 2);
	f->pub[i] = f->used[i] = 0;
	drain_fd(vq->err);
	drain_fd(vq->call);
	b.fd = f->d.tap;
	if (ioctl(f->d.fd, VHOST_NET_SET_BACKEND, &b))
		return -errno;
	return 0;
}

static void dev_close(struct fz *f)
{
	if (f->have_dev)
		vg_teardown(&f->d);
	f->have_dev = false;
}

static int dev_setup(struct fz *f, const struct vg_config *cfg,
		     struct vg_counters *c);

static int dev_open(struct fz *f)
{
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = QSIZE, .ifname = "fuzz",
		.event_idx = f->cfg->event_idx, .indirect = f->cfg->indirect,
		.mrg_rxbuf = f->cfg->mrg, .version_1 = f->cfg->v1,
		.rx_buf = 1536, .extra_mem = ARENA_SIZE + 8192,
		.no_backend = true,
	};
	struct vg_counters c;
	bool mut = f->mut_run;
	int r;

	/* The mutator writes into the memory about to go. */
	mutator_stop(f);
	r = dev_setup(f, &cfg, &c);
	if (r)
		return r;
	if (mut)
		mutator_start(f);
	f->devid = c.dev;
	f->breaks_on_dev = 0;
	f->on_sidecore = false;
	f->st.devices++;
	if (f->cfg->sidecore)
		return move_vqs(f, true) ? -EIO : 0;
	return 0;
}

static int dev_setup(struct fz *f, const struct vg_config *cfg,
		     struct vg_counters *c)
{
	int r, i;

	dev_close(f);
	r = vg_setup(&f->d, cfg);
	f->have_dev = true;
	if (r)
		return r;
	f->arena = vg_galloc(&f->d, ARENA_SIZE, 4096);
	if (!f->arena)
		return -ENOMEM;
	f->mem_lo = gpa(f->d.mem);
	f->mem_hi = gpa(f->d.mem) + f->d.mem_size;
	for (i = 0; i < 2; i++) {
		struct vg_vq *vq = i ? &f->d.tx : &f->d.rx;
		unsigned int j;

		/* The library links its free list through desc 0: not here. */
		for (j = VALID_DESCS; j < QSIZE; j++)
			vq->desc[j] = (struct vring_desc){ 0, 0, 0,
				VALID_DESCS + (j + 1 - VALID_DESCS) %
					      (QSIZE - VALID_DESCS) };
		r = reset_vq(f, i);
		if (r)
			return r;
	}
	return vg_read_counters(getpid(), 1, 0, c) ? -ENOENT : 0;
}

/*
 * A new device file on the same memory, rings and tap, set up as
 * vg_setup() does: what a VMM does when it reopens the device. Cheaper
 * than a new tap, and a new device has a fresh log rate limit.
 */
static int dev_reopen(struct fz *f)
{
	struct vg_counters c;
	int i, r;

	r = vg_reopen(&f->d);
	if (r)
		return r;
	for (i = 0; i < 2; i++)
		if (reset_vq(f, i))
			return -errno;
	if (vg_read_counters(getpid(), 1, 0, &c))
		return -ENOENT;
	f->devid = c.dev;
	f->breaks_on_dev = 0;
	f->on_sidecore = false;
	f->st.devices++;
	if (f->cfg->sidecore && move_vqs(f, true))
		return -EIO;
	return 0;
}

/* Look for the vq's stop line in the kernel log, up to @ms. */
static bool kmsg_find(struct fz *f, int vq, int ms)
{
	char rec[1024], want[128];
	double end = now() + ms / 1000.0;
	ssize_t n;

	snprintf(want, sizeof(want), "device %d (owner pid %d) vq %d stopped: ",
		 f->devid, getpid(), vq);
	for (;;) {
		n = read(f->kmsg, rec, sizeof(rec) - 1);
		if (n > 0) {
			char *msg;

			rec[n] = 0;
			msg = strchr(rec, ';');
			if (msg && strstr(msg, want)) {
				char *reason = strstr(msg, want) + strlen(want);

				if (f->verbose)
					printf("# stop: %s", reason);
				return reason[0] && reason[0] != '\n';
			}
			continue;
		}
		if (n < 0 && errno == EPIPE)
			continue;		/* overwritten records */
		if (now() > end)
			return false;
		usleep(2000);
	}
}

static bool err_fired(struct vg_vq *vq)
{
	return vg_vq_error(vq);
}

static void kick_if_asked(struct fz *f, struct vg_vq *vq, uint16_t old,
			  uint16_t new)
{
	uint64_t one = 1;
	bool kick;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (f->cfg->event_idx)
		kick = vring_need_event(__atomic_load_n(
				(uint16_t *)&vq->used->ring[QSIZE],
				__ATOMIC_ACQUIRE), new, old);
	else
		kick = !(__atomic_load_n(&vq->used->flags, __ATOMIC_ACQUIRE) &
			 VRING_USED_F_NO_NOTIFY);
	if (kick && write(vq->kick, &one, sizeof(one)) != sizeof(one))
		perror("kick");
}

static void force_kick(struct vg_vq *vq)
{
	uint64_t one = 1;

	if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
		perror("kick");
}

static uint16_t used_idx(struct vg_vq *vq)
{
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
}

static void after_break_(struct fz *f, int vqi);

/*
 * After a stop: its reason line, then the vq reset (and, when the log's
 * rate limit could hide the next line, a new device).
 */
static void after_break(struct fz *f, int vqi)
{
	double t0 = now();

	after_break_(f, vqi);
	f->st.t_break += now() - t0;
}

static void after_break_(struct fz *f, int vqi)
{
	f->st.breaks++;
	f->breaks_on_dev++;
	if (!kmsg_find(f, vqi, 2000 * scale))
		fz_fail(f, "vq %d of device %d stopped without a reason line",
			vqi, f->devid);
	if (f->breaks_on_dev >= BREAKS_PER_DEV) {
		if (dev_reopen(f))
			fz_fail(f, "cannot open a new device: %s", strerror(errno));
		return;
	}
	if (reset_vq(f, vqi))
		fz_fail(f, "cannot reset vq %d after its stop: %s", vqi,
			strerror(errno));
}

/* ---- batches ----------------------------------------------------------- */

static void fill_stale(struct fz *f, struct rng *r, struct vg_vq *vq)
{
	unsigned int i;

	/* Entries past the published index name only garbage heads. */
	for (i = 0; i < QSIZE; i++)
		vq->avail->ring[i] = g_garbage_index(r);
}

/* A valid tx chain in slot @s: header and frame, split or indirect. */
static uint16_t v_tx(struct fz *f, struct rng *r, unsigned int s, uint64_t seq)
{
	struct vg_vq *vq = &f->d.tx;
	uint16_t head = 2 * s;
	uint8_t *buf = vq->buf[head];
	size_t hl = f->d.hdr_len, flen = vg_frame_len(seq ^ rng_next(r),
						      VG_FRAME_MIN, VG_FRAME_MAX);
	size_t total = hl + flen, cut;
	unsigned int layout = rng_below(r, f->cfg->indirect ? 4 : 3);

	memset(buf, 0, hl);
	vg_frame_build(buf + hl, flen, false, TX_STREAM, seq);
	/* Without VERSION_1 the header has a descriptor of its own. */
	cut = f->cfg->v1 ? 1 + rng_below(r, total - 1) : hl;
	if (layout == 0 && f->cfg->v1) {
		vq->desc[head] = (struct vring_desc){ gpa(buf), total, 0, 0 };
	} else if (layout < 3) {
		vq->desc[head] = (struct vring_desc){ gpa(buf), cut,
			VRING_DESC_F_NEXT, head + 1 };
		vq->desc[head + 1] = (struct vring_desc){ gpa(buf + cut),
			total - cut, 0, 0 };
	} else {
		struct vring_desc *t = vq->ind[head];

		t[0] = (struct vring_desc){ gpa(buf), cut, VRING_DESC_F_NEXT, 1 };
		t[1] = (struct vring_desc){ gpa(buf + cut), total - cut, 0, 0 };
		vq->desc[head] = (struct vring_desc){ gpa(t), 2 * sizeof(*t),
			VRING_DESC_F_INDIRECT, 0 };
	}
	return head;
}

/*
 * A valid rx chain in slot @s; sets its capacity. Without VERSION_1 the
 * header has a descriptor of its own.
 */
static uint16_t v_rx(struct fz *f, struct rng *r, unsigned int s, size_t *cap)
{
	struct vg_vq *vq = &f->d.rx;
	uint16_t head = 2 * s;
	uint8_t *buf = vq->buf[head];
	size_t hl = f->d.hdr_len, total = hl + f->d.cfg.rx_buf;
	size_t cut = f->cfg->v1 ? 1 + rng_below(r, total - 1) : hl;
	unsigned int layout = rng_below(r, f->cfg->indirect ? 3 : 2);

	memset(buf, 0, hl + 64);
	*cap = total;
	if (layout == 0 && f->cfg->v1) {
		vq->desc[head] = (struct vring_desc){ gpa(buf), total,
			VRING_DESC_F_WRITE, 0 };
	} else if (layout < 2) {
		vq->desc[head] = (struct vring_desc){ gpa(buf), cut,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, head + 1 };
		vq->desc[head + 1] = (struct vring_desc){ gpa(buf + cut),
			total - cut, VRING_DESC_F_WRITE, 0 };
	} else {
		struct vring_desc *t = vq->ind[head];

		t[0] = (struct vring_desc){ gpa(buf), cut,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 };
		t[1] = (struct vring_desc){ gpa(buf + cut), total - cut,
			VRING_DESC_F_WRITE, 0 };
		vq->desc[head] = (struct vring_desc){ gpa(t), 2 * sizeof(*t),
			VRING_DESC_F_INDIRECT, 0 };
	}
	return head;
}

/* Print a chain as the device will find it (verbose replays). */
static void dump_chain(struct fz *f, struct vg_vq *vq, unsigned int pos,
		       const struct slot *sl)
{
	uint16_t i = sl->head;
	unsigned int n;

	printf("#  [%u] head %u %s", pos, sl->head, sl->valid ? "valid" : "garbage");
	if (sl->valid && vq == &f->d.tx)
		printf(" seq %" PRIu64, sl->seq);
	printf("\n");
	for (n = 0; n < 8 && i < QSIZE; n++) {
		struct vring_desc *d = &vq->desc[i];

		printf("#     desc %u: addr 0x%llx len %u flags 0x%x next %u\n",
		       i, (unsigned long long)d->addr, d->len, d->flags, d->next);
		if (!(d->flags & VRING_DESC_F_NEXT))
			break;
		i = d->next;
	}
}

/* Build a batch in @vq; returns the number of avail entries it publishes. */
static unsigned int build_batch(struct fz *f, struct rng *r, bool rx,
				struct slot *sl, unsigned int *n)
{
	struct vg_vq *vq = rx ? &f->d.rx : &f->d.tx;
	unsigned int k = 1 + rng_below(r, BATCH_MAX), i, nvalid = 0, total;
	unsigned int cursor = rng_below(r, QSIZE);
	uint16_t pub = f->pub[rx ? 0 : 1];

	fill_stale(f, r, vq);
	for (i = 0; i < k; i++) {
		bool valid = nvalid < VALID_SLOTS && rng_pct(r, 30);
		struct slot s = { .valid = valid };

		if (valid) {
			if (rx) {
				s.head = v_rx(f, r, nvalid, &s.cap);
			} else {
				s.seq = f->tx_seq + nvalid;
				s.head = v_tx(f, r, nvalid, s.seq);
			}
			nvalid++;
		} else if (rng_pct(r, 1)) {
			s.head = g_malformed(f, r, vq, rx);
		} else {
			s.head = g_plausible(f, r, vq, rx, &cursor);
		}
		sl[i] = s;
	}
	/* Sequence numbers as drawn, whatever a replay leaves out. */
	if (!rx)
		f->tx_next = f->tx_seq + nvalid;
	/* Leave out what the replay asked to (the positions keep order). */
	for (i = 0, *n = 0; i < k; i++) {
		if (f->mask & (1ULL << i))
			continue;
		sl[(*n)++] = sl[i];
	}
	for (i = 0; i < *n; i++) {
		vq->avail->ring[(uint16_t)(pub + i) % QSIZE] = sl[i].head;
		if (f->verbose)
			dump_chain(f, vq, i, &sl[i]);
	}
	total = *n;
	/* An index jump over stale entries, past the ring size at times. */
	if (rng_pct(r, 3)) {
		total += 1 + rng_below(r, 2 * QSIZE);
		f->st.jumps++;
	}
	if (rng_pct(r, 20))
		vq->avail->flags = rng_pct(r, 50) ? VRING_AVAIL_F_NO_INTERRUPT :
			(uint16_t)rng_next(r);
	else
		vq->avail->flags = 0;
	if (f->cfg->event_idx)
		vq->avail->ring[QSIZE] = rng_pct(r, 80) ?
			(uint16_t)(pub + total - 1) : (uint16_t)rng_next(r);
	return total;
}

static int wait_used(struct fz *f, struct vg_vq *vq, uint16_t target,
		     double timeout, bool *broken)
{
	double end = now() + timeout;
	bool forced = false;

	for (;;) {
		uint16_t u = used_idx(vq);

		if (err_fired(vq)) {
			*broken = true;
			return 0;
		}
		if (u == target)
			return 0;
		if (now() > end) {
			if (forced)
				return -ETIMEDOUT;
			/* One kick regardless, to tell a lost wakeup apart. */
			force_kick(vq);
			forced = true;
			end = now() + timeout;
			continue;
		}
		usleep(50);
	}
}

/* Count the heads published at [from, from + n) that match @id. */
static int avail_count(struct vg_vq *vq, uint16_t from, unsigned int n,
		       uint16_t id)
{
	unsigned int i;
	int c = 0;

	for (i = 0; i < n; i++)
		c += vq->avail->ring[(uint16_t)(from + i) % QSIZE] == id;
	return c;
}

static void check_used_ids(struct fz *f, struct vg_vq *vq, uint16_t from,
			   uint16_t to, unsigned int total)
{
	uint16_t i;

	if ((uint16_t)(to - from) > total) {
		fz_fail(f, "used index moved by %u for %u entries",
			(uint16_t)(to - from), total);
		return;
	}
	for (i = from; i != to; i++) {
		uint32_t id = vq->used->ring[i % QSIZE].id;
		uint16_t j;
		int seen = 0;

		for (j = from; j != to; j++)
			seen += vq->used->ring[j % QSIZE].id == id;
		if (id >= QSIZE || seen > avail_count(vq, from, total, id)) {
			fz_fail(f, "used entry %u names head %u, published %d times",
				i, id, id < QSIZE ?
				avail_count(vq, from, total, id) : 0);
			return;
		}
	}
}

static void tx_batch(struct fz *f, struct rng *r)
{
	struct vg_vq *vq = &f->d.tx;
	struct slot sl[BATCH_MAX];
	unsigned int n, total, i, nvalid = 0;
	uint16_t from = f->pub[1], to, u;
	bool broken = false, must[BATCH_MAX] = { 0 }, got[BATCH_MAX] = { 0 };
	uint8_t frame[70000];
	double end;

	total = build_batch(f, r, false, sl, &n);
	to = from + total;
	for (i = 0; i < n; i++)
		nvalid += sl[i].valid;
	__atomic_store_n(&vq->avail->idx, to, __ATOMIC_RELEASE);
	f->pub[1] = to;
	kick_if_asked(f, vq, from, to);
	if (f->cfg->moves && rng_pct(r, 10))
		move_vqs(f, !f->on_sidecore);
	if (wait_used(f, vq, to, 3.0 * scale, &broken)) {
		fz_fail(f, "tx: %u of %u chains returned in %d s, vq not stopped",
			(uint16_t)(used_idx(vq) - from), total, 6 * scale);
		return;
	}
	u = used_idx(vq);
	check_used_ids(f, vq, from, u, total);
	/* The valid heads returned must have reached the tap. */
	for (i = 0; i < n; i++) {
		uint16_t j;

		if (!sl[i].valid)
			continue;
		for (j = from; j != u; j++)
			if (vq->used->ring[j % QSIZE].id == sl[i].head)
				must[i] = true;
		if (!broken && !must[i])
			fz_fail(f, "tx: valid head %u not returned", sl[i].head);
	}
	end = now() + 1.0 * scale;
	for (;;) {
		int len = vg_host_recv(&f->d, frame, sizeof(frame));
		uint32_t stream;
		uint64_t seq;
		bool missing = false;

		if (len <= 0) {
			for (i = 0; i < n; i++)
				missing |= must[i] && !got[i];
			if (!missing || now() > end)
				break;
			usleep(200);
			continue;
		}
		if (vg_frame_parse(frame, len, &stream, &seq) == 1 ||
		    stream != TX_STREAM)
			continue;
		if (vg_frame_parse(frame, len, &stream, &seq)) {
			fz_fail(f, "tx: frame %" PRIu64 " arrived corrupt", seq);
			continue;
		}
		/*
		 * Each valid frame arrives once. Their order is counted, not
		 * required: frames of one vq that two executors sent (a move,
		 * a sidecore handing a vq to its worker) travel through two
		 * CPUs' backlogs on the host, which may swap them.
		 */
		if (seq >= f->tx_next || seq >= TX_SEEN_MAX ||
		    (f->tx_seen[seq / 8] & (1 << seq % 8))) {
			fz_fail(f, "tx: frame %" PRIu64 " arrived twice or was never sent (last %" PRIu64 ")",
				seq, f->tx_last);
			continue;
		}
		f->tx_seen[seq / 8] |= 1 << seq % 8;
		if (f->tx_any && seq < f->tx_last) {
			f->st.reordered++;
			printf("# tx: frame %" PRIu64 " arrived after %" PRIu64 " (%s)\n",
			       seq, f->tx_last,
			       f->on_sidecore ? "on a sidecore" : "on demand");
			seq = f->tx_last;
		}
		f->tx_any = true;
		f->tx_last = seq;
		f->st.valid_tx++;
		for (i = 0; i < n; i++)
			if (sl[i].valid && sl[i].seq == seq)
				got[i] = true;
	}
	for (i = 0; i < n; i++)
		if (must[i] && !got[i])
			fz_fail(f, "tx: frame %" PRIu64 " returned but never arrived",
				sl[i].seq);
	f->tx_seq = f->tx_next;
	f->st.chains += (uint16_t)(u - from) + broken;
	if (f->on_sidecore)
		f->st.chains_sc += (uint16_t)(u - from) + broken;
	f->st.garbage += n - nvalid;
	if (broken)
		after_break(f, 1);
}

static void rx_batch(struct fz *f, struct rng *r)
{
	struct vg_vq *vq = &f->d.rx;
	struct slot sl[BATCH_MAX];
	unsigned int n, total, i, sent = 0, idle = 0;
	uint16_t from = f->pub[0], to, u, j;
	bool broken = false;
	uint8_t frame[VG_FRAME_MAX];
	double end;

	total = build_batch(f, r, true, sl, &n);
	to = from + total;
	__atomic_store_n(&vq->avail->idx, to, __ATOMIC_RELEASE);
	f->pub[0] = to;
	kick_if_asked(f, vq, from, to);
	if (f->cfg->moves && rng_pct(r, 10))
		move_vqs(f, !f->on_sidecore);
	/*
	 * Frames in rounds, as many as chains are left, until every chain
	 * is used, the vq stops, or two rounds move nothing (no frame
	 * fits what is left). Frames not taken wait in the tap's queue.
	 */
	end = now() + 2.0 * scale;
	while (used_idx(vq) != to && !(broken = err_fired(vq)) &&
	       idle < 2 && now() < end) {
		uint16_t before = used_idx(vq), seen = before;
		unsigned int m = (uint16_t)(to - before), k;
		double quiet;

		for (k = 0; k < (m < 32 ? m : 32); k++) {
			size_t len = vg_frame_len(rng_next(r), VG_FRAME_MIN,
						  VG_FRAME_MAX);

			vg_frame_build(frame, len, true, RX_STREAM, f->rx_seq);
			if (vg_host_send(&f->d, frame, len) < 0)
				break;
			f->rx_seq++;
			sent++;
		}
		quiet = now() + 0.005 * quiet_scale;
		while (used_idx(vq) != to && !err_fired(vq) && now() < quiet) {
			if (used_idx(vq) != seen) {
				seen = used_idx(vq);
				quiet = now() + 0.005 * quiet_scale;
			}
			usleep(50);
		}
		idle = used_idx(vq) == before ? idle + 1 : 0;
	}
	if (!broken)
		broken = err_fired(vq);
	u = used_idx(vq);
	check_used_ids(f, vq, from, u, total);
	for (j = from; j != u; j++) {
		struct vring_used_elem e = vq->used->ring[j % QSIZE];
		struct virtio_net_hdr_mrg_rxbuf *h;
		uint32_t stream;
		uint64_t seq;
		int p;

		for (i = 0; i < n; i++)
			if (sl[i].valid && sl[i].head == e.id)
				break;
		if (i == n)
			continue;
		if (e.len > sl[i].cap) {
			fz_fail(f, "rx: used length %u over the %zu of head %u",
				e.len, sl[i].cap, e.id);
			continue;
		}
		if (e.len < f->d.hdr_len)
			continue;
		h = vq->buf[e.id];
		p = vg_frame_parse((uint8_t *)h + f->d.hdr_len,
				   e.len - f->d.hdr_len, &stream, &seq);
		if (p == 1 || stream != RX_STREAM)
			continue;
		if (p) {
			uint32_t says;

			/* the body's length field, after the ethernet header */
			memcpy(&says, (uint8_t *)h + f->d.hdr_len + 14 + 16, 4);
			fz_fail(f, "rx: frame %" PRIu64 " corrupt in head %u (used length %u, num_buffers %u, the frame says %u bytes, position %u of the used entries)",
				seq, e.id, e.len, h->num_buffers, says,
				(uint16_t)(j - from));
			continue;
		}
		if (f->cfg->mrg && h->num_buffers != 1)
			fz_fail(f, "rx: frame %" PRIu64 " in %u buffers", seq,
				h->num_buffers);
		if ((f->rx_any && seq <= f->rx_last) || seq >= f->rx_seq)
			fz_fail(f, "rx: frame %" PRIu64 " repeated or out of order (last %" PRIu64 ")",
				seq, f->rx_last);
		f->rx_any = true;
		f->rx_last = seq;
		f->st.valid_rx++;
	}
	f->st.rx_frames += sent;
	f->st.chains += (uint16_t)(u - from) + broken;
	if (f->on_sidecore)
		f->st.chains_sc += (uint16_t)(u - from) + broken;
	for (i = 0; i < n; i++)
		f->st.garbage += !sl[i].valid;
	if (broken) {
		after_break(f, 0);
	} else if (u != to) {
		/* Nothing the device can do with what is left: start over. */
		f->st.stuck++;
		if (reset_vq(f, 0))
			fz_fail(f, "cannot reset rx after a stuck batch");
	}
}

static uint64_t batch_seed(uint64_t seed, int ci, uint64_t b)
{
	struct rng r = { .s = seed ^ ((uint64_t)ci << 56) ^ (b * 0x2545f4914f6cdd1dULL) };

	return rng_next(&r);
}

static void run_batch(struct fz *f, uint64_t b)
{
	struct rng r = { .s = batch_seed(f->seed, f->ci, b) };

	double t0 = now();

	if (rng_below(&r, 2)) {
		tx_batch(f, &r);
		f->st.t_tx += now() - t0;
	} else {
		rx_batch(f, &r);
		f->st.t_rx += now() - t0;
	}
	f->st.batches++;
}

/* ---- the victim -------------------------------------------------------- */

/* A second device in a child streaming until @stop_fd closes. */
static pid_t victim_start(bool sidecore, int *stop_w)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct vg_config cfg = {
			.dev = VSC_DEV_PATH, .qsize = 256, .ifname = "victim",
			.event_idx = true, .indirect = true, .mrg_rxbuf = true,
			.version_1 = true,
		};
		struct vg_stream_result res;
		struct vg_counters c;
		struct vg_dev d;
		uint64_t frames = 0;
		uint32_t stream = 100;
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };

		close(p[1]);
		if (vg_setup(&d, &cfg) || vg_read_counters(getpid(), 0, 0, &c))
			_exit(2);
		if (sidecore && (sysfs_write("vq_move", "%d 0 %s", c.dev, sc_cpu) ||
				 sysfs_write("vq_move", "%d 1 %s", c.dev, sc_cpu)))
			_exit(3);
		while (poll(&pfd, 1, 0) == 0) {
			/* Paced: the victim shows harm, it is not the load. */
			usleep(50000);
			if (!vg_stream(&d, 200, stream++, 10000 * scale, &res)) {
				printf("# victim: stream %u failed after %" PRIu64 " frames\n",
				       stream - 1, frames);
				vg_stream_report(&res);
				fflush(stdout);
				_exit(1);
			}
			frames += res.tx.received;
		}
		printf("# victim: %" PRIu64 " frames each way, none lost\n",
		       frames);
		fflush(stdout);
		vg_teardown(&d);
		_exit(0);
	}
	close(p[0]);
	*stop_w = p[1];
	return pid;
}

static int victim_stop(pid_t pid, int stop_w)
{
	int status;

	close(stop_w);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- driver ------------------------------------------------------------ */

/* Replay batch @b alone on a fresh device, mutator off. Fails? */
static bool replay_fails(struct fz *base, uint64_t b, uint64_t mask)
{
	struct fz f = { 0 };

	f.cfg = base->cfg;
	f.ci = base->ci;
	f.seed = base->seed;
	f.kmsg = base->kmsg;
	f.mask = mask;
	f.replaying = true;
	if (dev_open(&f)) {
		dev_close(&f);
		return false;
	}
	lseek(f.kmsg, 0, SEEK_END);
	run_batch(&f, b);
	dev_close(&f);
	return f.fail[0];
}

static void minimize(struct fz *f, uint64_t b)
{
	uint64_t mask = 0;
	unsigned int i;

	if (!replay_fails(f, b, 0)) {
		printf("# replay of batch %" PRIu64 " alone (no mutator) passes: the failure needs the earlier state or the race\n",
		       b);
		return;
	}
	for (i = 0; i < BATCH_MAX; i++)
		if (replay_fails(f, b, mask | (1ULL << i)))
			mask |= 1ULL << i;
	printf("# shortest: fuzz_ring -s %" PRIu64 " -c %d -B %" PRIu64 " -k 0x%" PRIx64 " -M -v\n",
	       f->seed, f->ci, b, mask);
}

/* What the slices of one configuration added up to. */
struct cfg_run {
	struct fz_stats st;
	uint64_t next_batch, mut_writes, victim_frames;
	double seconds;
	int slices;
	bool failed, victim_failed;
};

/*
 * One slice of a configuration: a victim device, the fuzzed device, and
 * batches from run->next_batch on until @chains or @seconds are used up
 * or a check fails.
 */
static void run_slice(int ci, uint64_t seed, uint64_t chains, double seconds,
		      bool mut, bool verbose, int kmsg, struct cfg_run *run)
{
	const struct fz_cfg *c = &cfgs[ci];
	struct fz f = { 0 };
	int stop_w = -1, vrc;
	pid_t victim;
	double t0 = now(), end = t0 + seconds;
	uint64_t b = run->next_batch;
	bool ok_setup;

	f.cfg = c;
	f.ci = ci;
	f.seed = seed;
	f.kmsg = kmsg;
	f.mut_on = mut;
	f.verbose = verbose;
	victim = victim_start(c->sidecore, &stop_w);
	ok_setup = victim > 0 && !dev_open(&f);
	if (!ok_setup)
		fz_fail(&f, "setup");
	mutator_start(&f);
	for (; ok_setup && !f.fail[0] && f.st.chains < chains &&
	     f.tx_seq < TX_SEEN_MAX - BATCH_MAX && now() < end; b++)
		run_batch(&f, b);
	mutator_stop(&f);
	if (f.fail[0] && ok_setup) {
		printf("# seed %" PRIu64 " config %d (%s) batch %" PRIu64 ": %s\n",
		       seed, ci, c->name, b - 1, f.fail);
		printf("# replay: fuzz_ring -s %" PRIu64 " -c %d -B %" PRIu64 " -M -v\n",
		       seed, ci, b - 1);
		dev_close(&f);
		minimize(&f, b - 1);
	}
	dev_close(&f);
	vrc = victim > 0 ? victim_stop(victim, stop_w) : -1;
	if (!ok_setup)
		printf("# %s: setup failed\n", c->name);
	run->failed |= f.fail[0] != 0;
	run->victim_failed |= vrc != 0;
	run->next_batch = b;
	run->slices++;
	run->st.batches += f.st.batches;
	run->st.chains += f.st.chains;
	run->st.chains_sc += f.st.chains_sc;
	run->st.garbage += f.st.garbage;
	run->st.valid_tx += f.st.valid_tx;
	run->st.valid_rx += f.st.valid_rx;
	run->st.breaks += f.st.breaks;
	run->st.stuck += f.st.stuck;
	run->st.jumps += f.st.jumps;
	run->st.moves += f.st.moves;
	run->st.devices += f.st.devices;
	run->st.reordered += f.st.reordered;
	run->st.t_tx += f.st.t_tx;
	run->st.t_rx += f.st.t_rx;
	run->st.t_break += f.st.t_break;
	run->mut_writes += f.mut_writes;
	run->seconds += now() - t0;
}

static void report_config(int ci, const struct cfg_run *run)
{
	const struct fz_cfg *c = &cfgs[ci];
	const struct fz_stats *st = &run->st;

	printf("# %s: %d slices, %" PRIu64 " batches, %" PRIu64 " chains (%" PRIu64 " on a sidecore, %" PRIu64 " garbage), %" PRIu64 " valid tx frames, %" PRIu64 " valid rx frames, %" PRIu64 " stops, %" PRIu64 " stuck rx, %" PRIu64 " index jumps, %" PRIu64 " moves, %" PRIu64 " devices, %.1f s\n",
	       c->name, run->slices, st->batches, st->chains, st->chains_sc,
	       st->garbage, st->valid_tx, st->valid_rx, st->breaks, st->stuck,
	       st->jumps, st->moves, st->devices, run->seconds);
	printf("#   time: tx batches %.1f s, rx batches %.1f s (stops %.1f s of these); %" PRIu64 " valid tx frames arrived out of order\n",
	       st->t_tx, st->t_rx, st->t_break, st->reordered);
	ktap_result(run->slices && !run->failed,
		    "%s: %" PRIu64 " chains, valid frames intact, every stop explained",
		    c->name, st->chains);
	ktap_result(run->slices && !run->victim_failed,
		    "%s: the victim %s streamed without loss", c->name,
		    c->sidecore ? "on the same sidecore" : "beside it");
}

/*
 * The next configuration: each once in order, then the one with the
 * fewest chains in whichever placement (on demand or sidecore) is
 * behind, so that about half of all chains run on a sidecore.
 */
static int pick_config(const struct cfg_run *runs)
{
	uint64_t sc = 0, od = 0, best = ~0ULL;
	int i, pick = -1;
	bool want_sc;

	for (i = 0; i < (int)NCFG; i++) {
		if (!runs[i].slices)
			return i;
		sc += runs[i].st.chains_sc;
		od += runs[i].st.chains - runs[i].st.chains_sc;
	}
	want_sc = sc <= od;
	for (i = 0; i < (int)NCFG; i++) {
		if (runs[i].failed || cfgs[i].sidecore != want_sc)
			continue;
		if (runs[i].st.chains < best) {
			best = runs[i].st.chains;
			pick = i;
		}
	}
	return pick;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

int main(int argc, char **argv)
{
	uint64_t seed = env_u64("VSC_FUZZ_SEED", 0);
	uint64_t chains = env_u64("VSC_FUZZ_CHAINS", ~0ULL);
	double seconds = (double)env_u64("VSC_FUZZ_RING_SECONDS", 30);
	int only = -1, opt, kmsg, i;
	int64_t batch = -1;
	uint64_t mask = 0;
	bool mut = true, verbose = false;
	struct cfg_run runs[NCFG] = { 0 };
	struct fz_stats tot = { 0 };
	uint64_t mut_writes = 0, done;
	double t0, slice, elapsed;
	char cpus[16];

	while ((opt = getopt(argc, argv, "s:n:t:c:B:k:Mvh")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			chains = strtoull(optarg, NULL, 0);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'c':
			only = atoi(optarg);
			break;
		case 'B':
			batch = strtoll(optarg, NULL, 0);
			break;
		case 'k':
			mask = strtoull(optarg, NULL, 0);
			break;
		case 'M':
			mut = false;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n CHAINS] [-t SECONDS] [-c CONFIG] [-B BATCH] [-k MASK] [-M] [-v]\n",
				argv[0]);
			for (i = 0; i < (int)NCFG; i++)
				fprintf(stderr, "  config %d: %s\n", i, cfgs[i].name);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (getenv("VSC_TIMEOUT_SCALE"))
		scale = atoi(getenv("VSC_TIMEOUT_SCALE")) ?: 1;
	quiet_scale = scale > 2 ? 2 : scale;
	if (only >= (int)NCFG) {
		fprintf(stderr, "no config %d\n", only);
		return 2;
	}

	vg_test_start("tun");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		ktap_exit_skip("needs 2 CPUs: a sidecore and the rest");
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0)
		ktap_exit_skip("cannot read /dev/kmsg");
	lseek(kmsg, 0, SEEK_END);
	snprintf(cpus, sizeof(cpus), "%s", sc_cpu);
	if (!set_policy("manual", cpus))
		ktap_exit_skip("cannot set policy manual on CPU %s", sc_cpu);
	printf("# fuzz_ring: seed %" PRIu64 ", up to %" PRIu64 " chains in %.0f s, mutator %s\n",
	       seed, chains, seconds, mut ? "on" : "off");

	if (batch >= 0) {
		/* One batch, as a failure line printed it. */
		struct fz f = { 0 };

		ktap.planned = 1;
		f.cfg = &cfgs[only < 0 ? 0 : only];
		f.ci = only < 0 ? 0 : only;
		f.seed = seed;
		f.kmsg = kmsg;
		f.mask = mask;
		f.verbose = verbose;
		f.mut_on = mut;
		if (dev_open(&f))
			fz_fail(&f, "setup");
		mutator_start(&f);
		if (!f.fail[0])
			run_batch(&f, batch);
		mutator_stop(&f);
		dev_close(&f);
		if (f.fail[0])
			printf("# %s\n", f.fail);
		ktap_result(!f.fail[0], "%s: batch %" PRId64, f.cfg->name, batch);
		set_policy("ondemand", "");
		return ktap_finish();
	}

	ktap.planned = only < 0 ? 2 * (int)NCFG + 1 : 2;
	t0 = now();
	slice = seconds / (2 * NCFG);
	if (slice < 3 * scale)
		slice = 3 * scale;
	if (slice > 20 * scale)
		slice = 20 * scale;
	for (;;) {
		double left = seconds - (now() - t0);
		int ci = only >= 0 ? only : pick_config(runs);

		for (i = 0, done = 0; i < (int)NCFG; i++)
			done += runs[i].st.chains;
		if (ci < 0 || left <= 0 || done >= chains || runs[ci].failed)
			break;
		run_slice(ci, seed, chains - done < SLICE_CHAINS ?
			  chains - done : SLICE_CHAINS,
			  left < slice ? left : slice, mut, verbose, kmsg,
			  &runs[ci]);
	}
	for (i = 0; i < (int)NCFG; i++) {
		if (only >= 0 && i != only)
			continue;
		report_config(i, &runs[i]);
		tot.chains += runs[i].st.chains;
		tot.chains_sc += runs[i].st.chains_sc;
		tot.breaks += runs[i].st.breaks;
		tot.valid_tx += runs[i].st.valid_tx;
		tot.valid_rx += runs[i].st.valid_rx;
		tot.batches += runs[i].st.batches;
		mut_writes += runs[i].mut_writes;
	}
	elapsed = now() - t0;
	printf("# fuzz_ring: seed %" PRIu64 ": %" PRIu64 " chains (%" PRIu64 " on sidecores) in %" PRIu64 " batches, %" PRIu64 " stops, %" PRIu64 "+%" PRIu64 " valid frames, %" PRIu64 " mutator writes, %.1f s, %.0f chains/s\n",
	       seed, tot.chains, tot.chains_sc, tot.batches, tot.breaks,
	       tot.valid_tx, tot.valid_rx, mut_writes, elapsed,
	       tot.chains / (elapsed ?: 1));
	if (only < 0)
		ktap_result(tot.chains_sc * 5 >= tot.chains * 2,
			    "about half of the chains ran on a sidecore (%" PRIu64 " of %" PRIu64 ")",
			    tot.chains_sc, tot.chains);
	set_policy("ondemand", "");
	return ktap_finish();
}
