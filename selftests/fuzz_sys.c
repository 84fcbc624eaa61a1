// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_sys: a seeded, reproducible syscall fuzzer for /dev/vhost-sidecore-net.
 *
 * Part 1, sequences. Sequence N of seed S is a list of 5-40 operations
 * drawn from a PRNG seeded with (S, N) alone, run in a fresh process: it
 * opens one or more devices and then issues, with edge-case arguments:
 *
 *   ioctls  SET_OWNER RESET_OWNER GET/SET_FEATURES GET/SET_BACKEND_FEATURES
 *           SET_MEM_TABLE SET_LOG_BASE SET_LOG_FD SET_VRING_NUM
 *           SET_VRING_ADDR SET_VRING_BASE GET_VRING_BASE SET_VRING_KICK
 *           SET_VRING_CALL SET_VRING_ERR SET/GET_VRING_ENDIAN
 *           SET/GET_VRING_BUSYLOOP_TIMEOUT VHOST_NET_SET_BACKEND, ioctl
 *           numbers we do not implement (newer vhost, vsock, tty, random)
 *   files   open (flags), close, dup, read, write (vhost_msg and
 *           vhost_msg_v2 IOTLB messages), poll
 *   guest   a QEMU-like setup, kicks, frames sent into the tap, garbage or
 *           well-formed chains written into the rings, ring memory
 *           unmapped under a live vq, eventfds closed while in use
 *   tasks   2-4 threads on the same fds, forked children that inherit them
 *           (a non-owner must get EPERM, SET_OWNER EBUSY), children killed
 *           with SIGKILL mid-ioctl, the last fd held by a dying child, bursts
 *           of up to 48 devices, rmmod attempts while devices are open
 *
 * while a thread of the main process drives the control plane: sysfs
 * (policy, cpus, sidecores, vq_move, manager knobs, good and bad values),
 * generic netlink (config-get/set, dev-get do and dump, core-get, vq-move),
 * and reads of the debugfs and sysfs summaries. Every few hundred
 * sequences the module is unloaded (refused while a device is open) and
 * loaded again.
 *
 * The syzkaller vhost description (vhost_net resource of fd_vhost) covers:
 * openat$vnet, ioctl$VHOST_SET_OWNER, ioctl$VHOST_RESET_OWNER,
 * ioctl$VHOST_GET_FEATURES, ioctl$VHOST_SET_FEATURES,
 * ioctl$VHOST_GET/SET_BACKEND_FEATURES, ioctl$VHOST_SET_MEM_TABLE,
 * ioctl$VHOST_SET_LOG_BASE, ioctl$VHOST_SET_LOG_FD,
 * ioctl$VHOST_SET_VRING_NUM/ADDR/BASE, ioctl$VHOST_GET_VRING_BASE,
 * ioctl$VHOST_SET_VRING_KICK/CALL/ERR, ioctl$VHOST_SET/GET_VRING_ENDIAN,
 * ioctl$VHOST_SET/GET_VRING_BUSYLOOP_TIMEOUT, ioctl$VHOST_NET_SET_BACKEND,
 * write$vhost_msg, write$vhost_msg_v2 (IOTLB), and the vsock-only
 * ioctl$VHOST_VSOCK_SET_GUEST_CID / SET_RUNNING: all of them are issued
 * here (the vsock ones as "unknown" ioctls, which must fail cleanly).
 *
 * Oracle: every syscall succeeds or fails with an errno from the set this
 * operation may return (decided from dev.c, net.c, vring.c, sysfs.c and
 * netlink.c), calls that cannot be valid never succeed, the owner model
 * holds (owner: never EPERM; anyone else: EPERM), no syscall takes more
 * than a few seconds, the module holds no device once a sequence's
 * processes are gone, no worker thread is left, and at the end a fresh
 * device streams frames both ways with none lost. The kernel log
 * (KASAN, lockdep, WARNING...) is the runner's to check; lines that would
 * trip it are printed here too.
 *
 * Part 2, fault injection (-f; default on when fail-nth and failslab
 * exist): for each operation of a QEMU-like device life, of the sysfs
 * sidecore start/stop and vq moves, and of the netlink requests, fail
 * the 1st, 2nd, 3rd... fault point (slab, page, usercopy) of that one
 * syscall with /proc/thread-self/fail-nth until the operation runs out of
 * fault points. Each failure must be clean (allowed errno), the operation
 * must then succeed when redone, the rest of the device's life must go
 * on, and after each operation a fresh device must stream. The verbose
 * failslab stacks in /dev/kmsg name the call site of every injection.
 * Then, with no device open, the module itself: unloaded, then loaded
 * (finit_module) with its Nth fault point failed, the loader's and our
 * init's alike (a load has more than the budget: from the last fault
 * point down through our init first), without and with parameters
 * (policy=sidecore...); a failed load returns a clean errno and leaves
 * nothing behind, and a plain load then works. The sidecore a
 * policy=sidecore load starts runs in cpuhp/1, failed there with
 * task-filter. Last, the kernel threads fail-nth cannot reach: the
 * on-demand worker, the sidecore and the manager get make-it-fail with
 * failslab or fail_page_alloc armed for one failure at interval 1..K
 * while a guest streams; once disarmed, the same device must carry 2000
 * frames each way without a loss.
 *
 * Usage: fuzz_sys [-s SEED] [-n SEQUENCES] [-t SECONDS] [-f] [-v]
 *                 [-r SEQNO [-k OP,OP,...]]
 *   environment: VSC_FUZZ_SEED, VSC_FUZZ_SEQS, VSC_FUZZ_SYS_SECONDS (25),
 *                VSC_FUZZ_FAULTS=0 (no fault injection)
 * Replay one sequence, printing each operation:
 *   fuzz_sys -s SEED -r SEQNO -v
 * and only some of its operations (what the minimizer prints):
 *   fuzz_sys -s SEED -r SEQNO -k 0,3,7 -v
 *
 * Exit: 0 pass, 1 fail, 4 skip (KTAP on stdout).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <linux/vhost_sidecore.h>

#include "lib/ktap.h"
#include "lib/rng.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

#define MODNAME		"vhost_sidecore"
#define DBGFS		"/sys/kernel/debug/vhost_sidecore/"
#define MAX_DEVS	8
#define NEFD		6	/* kick0 call0 kick1 call1 err log */
#define HANG_S		5	/* one syscall may take this long */
#define SEQ_LIMIT_S	60	/* one whole sequence */
#define BUSYLOOP_CAP	10000	/* vring.h VSC_BUSYLOOP_MAX_US */
#define NSLOTS		16	/* progress slots (threads, children) */
#define SLOT_MAIN	0
#define SLOT_CHILD	5
#define SLOT_KCHILD	6
#define SLOT_CTL	15
#define ERRNO_MAX	256
#define MAX_OPS		40
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- PRNG */

static struct rng rng_of(uint64_t a, uint64_t b)
{
	struct rng r = { a * 0x2545f4914f6cdd1dULL ^ (b + 0x632be59bd9b4e019ULL) };

	rng_next(&r);
	return r;
}

/* -------------------------------------------------------- shared state */

struct prog {
	int64_t start;			/* ns, 0: idle */
	int op;
	char what[56];
};

/* Counters and the first failure, shared by every process of the run. */
struct shared {
	uint64_t syscalls;
	uint64_t ops;
	uint64_t err[ERRNO_MAX];
	uint64_t ctl_ops;
	uint64_t ctl_nl;		/* netlink requests answered */
	uint64_t ctl_err[ERRNO_MAX];
	int fail;
	int fail_op;
	char fail_msg[768];
	int suicide;
	struct prog prog[NSLOTS];
	uint64_t op_ns[64], op_n[64];	/* time per operation type */
	uint64_t seq_ns;		/* in sequence processes, all told */
	pid_t mif_tids[8];		/* kernel threads given make-it-fail */
};

static struct shared *sh;
static __thread int my_slot;
static uint64_t g_seed;
static uint64_t g_seqno;
static int g_verbose;
static uint64_t g_features;		/* what GET_FEATURES answers */
static uint64_t g_backend_features;
static unsigned int g_max_regions = 64;
static int g_ncpus;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void prog_begin(int op, const char *what)
{
	struct prog *p = &sh->prog[my_slot];

	p->op = op;
	snprintf(p->what, sizeof(p->what), "%s", what);
	__atomic_store_n(&p->start, now_ns(), __ATOMIC_RELEASE);
}

static void prog_end(void)
{
	__atomic_store_n(&sh->prog[my_slot].start, 0, __ATOMIC_RELEASE);
}

static const struct {
	int e;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EINTR, "EINTR" }, { EIO, "EIO" }, { ENXIO, "ENXIO" },
	{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
	{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
	{ ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" }, { EPIPE, "EPIPE" },
	{ ERANGE, "ERANGE" }, { ENOTSOCK, "ENOTSOCK" },
	{ EMSGSIZE, "EMSGSIZE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ ENOBUFS, "ENOBUFS" }, { ETIMEDOUT, "ETIMEDOUT" },
	{ ENETDOWN, "ENETDOWN" }, { ENOTCONN, "ENOTCONN" },
};

static const char *ename(int e)
{
	static __thread char buf[16];
	size_t i;

	if (!e)
		return "ok";
	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].e == e)
			return errno_names[i].name;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* ------------------------------------------------------ errno oracle */

/* Allowed errno lists, 0-terminated, from the module's code paths. */
static const int A_NONE[] = { 0 };
static const int A_OPEN[] = { ENOMEM, EBUSY, EMFILE, ENFILE, 0 };
static const int A_SET_OWNER[] = { EBUSY, ENOMEM, 0 };
static const int A_RESET_OWNER[] = { EPERM, 0 };
static const int A_GET_U64[] = { EPERM, EFAULT, 0 };
/* EBUSY: ACCESS_PLATFORM toggled under a backend; ENOMEM: a new IOTLB. */
static const int A_SET_FEAT[] = { EPERM, EFAULT, EOPNOTSUPP, EBUSY, ENOMEM, 0 };
static const int A_MEM[] = { EPERM, EFAULT, EOPNOTSUPP, E2BIG, ENOMEM, EINVAL, 0 };
static const int A_LOG_BASE[] = { EPERM, EFAULT, 0 };
static const int A_LOG_FD[] = { EPERM, EFAULT, EBADF, EINVAL, 0 };
static const int A_VR_NUM[] = { EPERM, EFAULT, ENOBUFS, EBUSY, EINVAL, 0 };
static const int A_VR_ADDR[] = { EPERM, EFAULT, ENOBUFS, EOPNOTSUPP, EINVAL, 0 };
static const int A_VR_GET[] = { EPERM, EFAULT, ENOBUFS, 0 };
static const int A_VR_FILE[] = { EPERM, EFAULT, ENOBUFS, EBADF, EINVAL, 0 };
static const int A_VR_BUSY[] = { EPERM, EFAULT, ENOBUFS, EINVAL, 0 };
static const int A_BACKEND[] = { EPERM, EFAULT, ENOBUFS, ENOTSOCK, EINVAL, ENOMEM, 0 };
static const int A_UNKNOWN[] = { EPERM, EFAULT, ENOBUFS, ENOTTY, 0 };
/* IOTLB messages: reads are non-blocking here (EAGAIN: no miss). */
static const int A_READ[] = { EPERM, EINVAL, EAGAIN, EFAULT, EBADF, 0 };
static const int A_WRITE[] = { EPERM, EINVAL, EFAULT, ENOMEM, EBADF, 0 };
static const int A_RMMOD[] = { EAGAIN, EBUSY, 0 };
static const int A_SYSFS[] = { EINVAL, ERANGE, EBUSY, ENOENT, ENOSPC, ENOMEM, 0 };
static const int A_NETLINK[] = { EINVAL, ERANGE, EBUSY, ENOENT, ENOSPC, ENOMEM,
				 EMSGSIZE, 0 };

static bool in_list(const int *l, int e)
{
	for (; *l; l++)
		if (*l == e)
			return true;
	return false;
}

static void list_str(const int *l, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; *l && n < len; l++)
		n += snprintf(buf + n, len - n, "%s%s", n ? " " : "", ename(*l));
}

static void __attribute__((format(printf, 1, 2))) fail_msg(const char *fmt, ...)
{
	char buf[sizeof(sh->fail_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (__atomic_exchange_n(&sh->fail, 1, __ATOMIC_ACQ_REL))
		return;
	snprintf(sh->fail_msg, sizeof(sh->fail_msg), "%s", buf);
}

/* ------------------------------------------------------------ misc io */

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = strlen(s);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	n = n < 0 ? -errno : (n == len ? 0 : -EIO);
	close(fd);
	return (int)n;
}

static long module_refcnt(void)
{
	char buf[32];

	if (read_file("/sys/module/" MODNAME "/refcnt", buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/* Device ids listed by debugfs vqs (each twice: one line per vq). */
static int debugfs_dev_ids(int *ids, int max)
{
	static char buf[1 << 16];
	char *line, *save;
	int n = 0;

	if (read_file(DBGFS "vqs", buf, sizeof(buf)) < 0)
		return -1;
	line = strtok_r(buf, "\n", &save);	/* header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		int id = atoi(line);

		if (n && ids[n - 1] == id)
			continue;
		if (n < max)
			ids[n++] = id;
	}
	return n;
}

/* Threads whose comm starts with @prefix. */
static int threads_named(const char *prefix)
{
	char path[300], comm[64];
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (read_file(path, comm, sizeof(comm)) > 0 &&
		    !strncmp(comm, prefix, strlen(prefix)))
			n++;
	}
	closedir(d);
	return n;
}

static int worker_threads(void)
{
	return threads_named("vhost-sc-");
}

static int delete_module(unsigned int flags)
{
	return syscall(SYS_delete_module, MODNAME, flags) ? -errno : 0;
}

/* -------------------------------------------- fds shared by sequences */

/* Backends and odd fds, opened once and inherited by every sequence. */
static struct {
	int tap, mq[2], pkt, udp, pipe[2], memfd, other_tap, sendpkt;
	int tap_ifindex, mq_ifindex;
} R = { -1, { -1, -1 }, -1, -1, { -1, -1 }, -1, -1, -1, 0, 0 };

static int if_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = -1;

	if (s < 0)
		return -1;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (!ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return r;
}

static int tap_open(const char *name, int flags)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | flags;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The initial network namespace, where the genl family lives (netnsok). */
static int init_netns = -1, test_netns = -1;

static int open_resources_before_netns(void)
{
	init_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	/* A tap of the initial network namespace, not the test's. */
	R.other_tap = tap_open("fzother0", 0);
	return R.other_tap < 0 ? -1 : 0;
}

static int open_resources(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };

	test_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	R.tap = tap_open("fztap0", 0);
	R.mq[0] = tap_open("fzmq0", IFF_MULTI_QUEUE);
	R.mq[1] = tap_open("fzmq0", IFF_MULTI_QUEUE);
	if (R.tap < 0 || R.mq[0] < 0 || R.mq[1] < 0)
		return -1;
	if (if_up("fztap0") || if_up("fzmq0"))
		return -1;
	R.tap_ifindex = if_nametoindex("fztap0");
	R.mq_ifindex = if_nametoindex("fzmq0");
	R.pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	R.sendpkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	R.udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	R.memfd = memfd_create("fuzz_sys", MFD_CLOEXEC);
	if (R.pkt < 0 || R.sendpkt < 0 || R.udp < 0 || R.memfd < 0 ||
	    pipe2(R.pipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	sll.sll_ifindex = R.tap_ifindex;
	sll.sll_protocol = htons(ETH_P_ALL);
	if (bind(R.pkt, (struct sockaddr *)&sll, sizeof(sll)))
		return -1;
	return 0;
}

/* --------------------------------------------------- sequence context */

enum { OWN_NONE, OWN_ME, OWN_OTHER, OWN_UNKNOWN };

struct slotd {
	int fd;
	int own;
	int group;			/* dup()s of one file share a group */
};

#define MEM_SIZE	(1 << 19)
#define VQ_AREA(i)	((size_t)(i) * 0x4000)
#define BUF_AREA	0x10000
#define LOG_AREA	0x7f000
#define VICTIM_SIZE	0x10000
#define CLOSED_FD	900		/* never open: fds are allocated lowest first */
#define PAGE		4096

struct sctx {
	uint64_t seqno;
	struct slotd d[MAX_DEVS];
	int ngroups;
	int efd[NEFD];
	uint8_t *mem;
	uint8_t *victim;
	bool victim_mapped;
	uint8_t *guard;			/* page + PROT_NONE page */
	uint8_t *ro;			/* read-only page */
	bool strict;			/* owner model checkable */
};

struct op {
	uint8_t type;
	uint64_t p[3];
};

enum {
	OP_OPEN, OP_CLOSE, OP_DUP, OP_SET_OWNER, OP_RESET_OWNER, OP_GET_FEATURES,
	OP_SET_FEATURES, OP_GET_BACKEND_FEATURES, OP_SET_BACKEND_FEATURES,
	OP_SET_MEM_TABLE, OP_SET_LOG_BASE, OP_SET_LOG_FD, OP_SET_VRING_NUM,
	OP_SET_VRING_ADDR, OP_SET_VRING_BASE, OP_GET_VRING_BASE,
	OP_SET_VRING_KICK, OP_SET_VRING_CALL, OP_SET_VRING_ERR,
	OP_SET_VRING_ENDIAN, OP_GET_VRING_ENDIAN, OP_SET_BUSYLOOP,
	OP_GET_BUSYLOOP, OP_SET_BACKEND, OP_UNKNOWN_IOCTL, OP_READ, OP_WRITE,
	OP_POLL, OP_SETUP, OP_KICK, OP_HOST_SEND, OP_RING_FILL,
	OP_VICTIM_UNMAP, OP_VICTIM_MAP, OP_EFD_CLOSE, OP_EFD_NEW, OP_THREADS,
	OP_FORK, OP_FORK_KILL, OP_HANDOFF, OP_BURST, OP_RMMOD_TRY, OP_SLEEP,
	OP_NR
};

#define F_SUB	1	/* may run in a thread or a forked child */

static const struct {
	const char *name;
	unsigned int weight;
	unsigned int flags;
} opinfo[OP_NR] = {
	[OP_OPEN] = { "OPEN", 6, 0 },
	[OP_CLOSE] = { "CLOSE", 3, 0 },
	[OP_DUP] = { "DUP", 1, 0 },
	[OP_SET_OWNER] = { "SET_OWNER", 5, F_SUB },
	[OP_RESET_OWNER] = { "RESET_OWNER", 3, F_SUB },
	[OP_GET_FEATURES] = { "GET_FEATURES", 2, F_SUB },
	[OP_SET_FEATURES] = { "SET_FEATURES", 4, F_SUB },
	[OP_GET_BACKEND_FEATURES] = { "GET_BACKEND_FEATURES", 1, F_SUB },
	[OP_SET_BACKEND_FEATURES] = { "SET_BACKEND_FEATURES", 2, F_SUB },
	[OP_SET_MEM_TABLE] = { "SET_MEM_TABLE", 5, F_SUB },
	[OP_SET_LOG_BASE] = { "SET_LOG_BASE", 2, F_SUB },
	[OP_SET_LOG_FD] = { "SET_LOG_FD", 2, F_SUB },
	[OP_SET_VRING_NUM] = { "SET_VRING_NUM", 4, F_SUB },
	[OP_SET_VRING_ADDR] = { "SET_VRING_ADDR", 5, F_SUB },
	[OP_SET_VRING_BASE] = { "SET_VRING_BASE", 3, F_SUB },
	[OP_GET_VRING_BASE] = { "GET_VRING_BASE", 3, F_SUB },
	[OP_SET_VRING_KICK] = { "SET_VRING_KICK", 3, F_SUB },
	[OP_SET_VRING_CALL] = { "SET_VRING_CALL", 3, F_SUB },
	[OP_SET_VRING_ERR] = { "SET_VRING_ERR", 2, F_SUB },
	[OP_SET_VRING_ENDIAN] = { "SET_VRING_ENDIAN", 2, F_SUB },
	[OP_GET_VRING_ENDIAN] = { "GET_VRING_ENDIAN", 1, F_SUB },
	[OP_SET_BUSYLOOP] = { "SET_VRING_BUSYLOOP_TIMEOUT", 2, F_SUB },
	[OP_GET_BUSYLOOP] = { "GET_VRING_BUSYLOOP_TIMEOUT", 1, F_SUB },
	[OP_SET_BACKEND] = { "NET_SET_BACKEND", 6, F_SUB },
	[OP_UNKNOWN_IOCTL] = { "UNKNOWN_IOCTL", 2, F_SUB },
	[OP_READ] = { "READ", 1, F_SUB },
	[OP_WRITE] = { "WRITE_IOTLB", 2, F_SUB },
	[OP_POLL] = { "POLL", 1, F_SUB },
	[OP_SETUP] = { "SETUP", 6, F_SUB },
	[OP_KICK] = { "KICK", 4, F_SUB },
	[OP_HOST_SEND] = { "HOST_SEND", 4, F_SUB },
	[OP_RING_FILL] = { "RING_FILL", 4, F_SUB },
	[OP_VICTIM_UNMAP] = { "VICTIM_UNMAP", 1, 0 },
	[OP_VICTIM_MAP] = { "VICTIM_MAP", 1, 0 },
	[OP_EFD_CLOSE] = { "EVENTFD_CLOSE", 2, 0 },
	[OP_EFD_NEW] = { "EVENTFD_NEW", 1, 0 },
	[OP_THREADS] = { "THREADS", 2, 0 },
	[OP_FORK] = { "FORK", 2, 0 },
	[OP_FORK_KILL] = { "FORK_KILL", 1, 0 },
	[OP_HANDOFF] = { "HANDOFF", 1, 0 },
	[OP_BURST] = { "BURST", 1, 0 },
	[OP_RMMOD_TRY] = { "RMMOD_TRY", 1, 0 },
	[OP_SLEEP] = { "SLEEP", 2, F_SUB },
};

/*
 * Operations that cost tens of milliseconds (threads, processes, 48
 * devices, an rmmod): only in one sequence in twelve, so that the common
 * sequence is a few milliseconds of ioctls.
 */
static bool heavy_op(int t)
{
	return t == OP_THREADS || t == OP_FORK || t == OP_FORK_KILL ||
	       t == OP_HANDOFF || t == OP_BURST || t == OP_RMMOD_TRY ||
	       t == OP_SLEEP;
}

static bool op_allowed(int t, bool sub, bool heavy)
{
	return (!sub || (opinfo[t].flags & F_SUB)) && (heavy || !heavy_op(t));
}

static int pick_type(struct rng *r, bool sub, bool heavy)
{
	unsigned int total = 0, x;
	int t;

	for (t = 0; t < OP_NR; t++)
		if (op_allowed(t, sub, heavy))
			total += opinfo[t].weight;
	x = rng_below(r, total);
	for (t = 0; t < OP_NR; t++) {
		if (!op_allowed(t, sub, heavy))
			continue;
		if (x < opinfo[t].weight)
			return t;
		x -= opinfo[t].weight;
	}
	return OP_SLEEP;
}

/* The operations of sequence @seqno: a function of (seed, seqno) only. */
static int gen_ops(uint64_t seqno, struct op *ops, int *tail)
{
	struct rng r = rng_of(g_seed, seqno);
	int n = 0, i, nopen = 1 + rng_below(&r, 3), len;
	bool heavy = rng_one_in(&r, 12);

	/* Mostly short; a long one now and then. */
	len = rng_one_in(&r, 10) ? 5 + rng_below(&r, 36) : 5 + rng_below(&r, 12);
	for (i = 0; i < nopen + len && n < MAX_OPS + 3; i++, n++) {
		ops[n].type = i < nopen ? OP_OPEN : pick_type(&r, false, heavy);
		ops[n].p[0] = rng_next(&r);
		ops[n].p[1] = rng_next(&r);
		ops[n].p[2] = rng_next(&r);
	}
	/* 0: exit with the fds open, 1: close them all, 2: die by SIGKILL */
	*tail = rng_one_in(&r, 12) ? 2 : (int)rng_below(&r, 2);
	return n;
}

/* ------------------------------------------------------ one syscall */

struct call {
	char what[160];
	const int *allowed;
	bool must_fail;		/* no valid call looks like this */
	int want;		/* owner model: errno demanded, -1 "not EPERM" */
};

static __thread int cur_op = -1;

static void call_fail(const struct call *c, const char *res, const char *why)
{
	fail_msg("seed %llu sequence %llu failed at op %d: %s -> %s: %s",
		 (unsigned long long)g_seed,
		 (unsigned long long)g_seqno, cur_op, c->what, res, why);
}

/* Account one syscall's result @r (errno @e) against the oracle. */
static bool account(const struct call *c, long r, int e)
{
	char res[32], why[200], allowed[160];

	__atomic_fetch_add(&sh->syscalls, 1, __ATOMIC_RELAXED);
	if (r < 0 && e > 0 && e < ERRNO_MAX)
		__atomic_fetch_add(&sh->err[e], 1, __ATOMIC_RELAXED);
	if (r < 0)
		snprintf(res, sizeof(res), "%s", ename(e));
	else
		snprintf(res, sizeof(res), "%ld", r);
	if (g_verbose)
		printf("# [%d/%d] %s -> %s\n", cur_op, my_slot, c->what, res);
	if (r < 0 && !in_list(c->allowed, e)) {
		list_str(c->allowed, allowed, sizeof(allowed));
		snprintf(why, sizeof(why), "errno not in {%s}", allowed);
		call_fail(c, res, why);
		return false;
	}
	if (r >= 0 && c->must_fail) {
		call_fail(c, res, "succeeded, but no valid call has these arguments");
		return false;
	}
	if (c->want > 0 && !(r < 0 && e == c->want)) {
		snprintf(why, sizeof(why), "the owner model demands %s",
			 ename(c->want));
		call_fail(c, res, why);
		return false;
	}
	if (c->want < 0 && r < 0 && e == EPERM) {
		call_fail(c, res, "EPERM for the owner");
		return false;
	}
	return true;
}

/* ioctl on slot @slot, timed by the watchdog, accounted. -errno or result. */
static long dev_ioctl(struct sctx *s, int slot, unsigned long cmd, void *arg,
		      struct call *c)
{
	long r;
	int e;

	prog_begin(cur_op, c->what);
	r = ioctl(s->d[slot].fd, cmd, arg);
	e = errno;
	prog_end();
	account(c, r, e);
	return r < 0 ? -e : r;
}

enum { K_FREE, K_SET_OWNER, K_NEEDS_OWNER };

/* What the owner model demands of an ioctl of kind @k on @slot. */
static int owner_want(const struct sctx *s, int slot, int k)
{
	if (!s->strict)
		return 0;
	switch (s->d[slot].own) {
	case OWN_OTHER:
		return k == K_SET_OWNER ? EBUSY : EPERM;
	case OWN_NONE:
		return k == K_NEEDS_OWNER ? EPERM : 0;
	case OWN_ME:
		return k == K_SET_OWNER ? EBUSY : -1;
	}
	return 0;
}

static void set_own(struct sctx *s, int slot, int own)
{
	int i, n = 0;

	for (i = 0; i < MAX_DEVS; i++)
		if (s->d[i].fd >= 0 && s->d[i].group == s->d[slot].group)
			n++;
	if (!s->strict || n > 1)
		own = OWN_UNKNOWN;
	for (i = 0; i < MAX_DEVS; i++)
		if (s->d[i].fd >= 0 && s->d[i].group == s->d[slot].group)
			s->d[i].own = own;
}

static void all_own(struct sctx *s, int from, int to)
{
	int i;

	for (i = 0; i < MAX_DEVS; i++)
		if (s->d[i].fd >= 0 && (from < 0 || s->d[i].own == from))
			s->d[i].own = to;
}

static int pick_dev(const struct sctx *s, uint64_t p)
{
	int i, slot = (int)(p % MAX_DEVS);

	for (i = 0; i < MAX_DEVS; i++) {
		int j = (slot + i) % MAX_DEVS;

		if (s->d[j].fd >= 0)
			return j;
	}
	return -1;
}

static int free_slot(const struct sctx *s)
{
	int i;

	for (i = 0; i < MAX_DEVS; i++)
		if (s->d[i].fd < 0)
			return i;
	return -1;
}

static int ndevs(const struct sctx *s)
{
	int i, n = 0;

	for (i = 0; i < MAX_DEVS; i++)
		n += s->d[i].fd >= 0;
	return n;
}

/* ---------------------------------------------------- edge arguments */

static uint64_t hva(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#define KERNEL_ADDR	0xffffffff81000000ULL
#define TOP_USER	0x7ffffffff000ULL

/*
 * A pointer for an ioctl argument of @size bytes holding @data: usually
 * a copy on our stack (@buf), sometimes one no copy can use (NULL, low,
 * kernel, running into a PROT_NONE page, or read-only for @out).
 */
static void *arg_ptr(struct sctx *s, struct rng *r, void *buf, size_t size,
		     bool out, bool *bad, char *desc, size_t dlen)
{
	*bad = false;
	snprintf(desc, dlen, "%s", "");
	if (!rng_one_in(r, 12))
		return buf;
	*bad = true;
	switch (rng_below(r, out ? 5 : 4)) {
	case 0:
		snprintf(desc, dlen, " arg=NULL");
		return NULL;
	case 1:
		snprintf(desc, dlen, " arg=0x8");
		return (void *)8;
	case 2:
		snprintf(desc, dlen, " arg=kernel");
		return (void *)(uintptr_t)KERNEL_ADDR;
	case 3:
		/* Starts readable, runs into the guard page. */
		snprintf(desc, dlen, " arg=guard-edge");
		memcpy(s->guard + PAGE - 2, buf, 2);
		return s->guard + PAGE - 2;
	default:
		snprintf(desc, dlen, " arg=read-only");
		return s->ro;
	}
}

static unsigned int pick_index(struct rng *r)
{
	static const unsigned int v[] = { 2, 3, 0xffffffffu, 0x80000000u, 256 };

	if (!rng_one_in(r, 6))
		return rng_below(r, 2);
	return v[rng_below(r, 5)];
}

/* A feature word: supported mixes, 0, everything, unknown bits. */
static uint64_t pick_features(struct rng *r)
{
	static const uint64_t bits[] = {
		1ULL << VIRTIO_RING_F_EVENT_IDX, 1ULL << VIRTIO_RING_F_INDIRECT_DESC,
		1ULL << VIRTIO_NET_F_MRG_RXBUF, 1ULL << VIRTIO_F_VERSION_1,
		1ULL << VHOST_NET_F_VIRTIO_NET_HDR, 1ULL << VHOST_F_LOG_ALL,
		1ULL << VIRTIO_F_ACCESS_PLATFORM, 1ULL << VIRTIO_F_NOTIFY_ON_EMPTY,
		1ULL << VIRTIO_F_ANY_LAYOUT, 1ULL << VIRTIO_F_RING_PACKED,
		1ULL << 40, 1ULL << 63,
	};
	uint64_t f = 0;
	int i;

	switch (rng_below(r, 8)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2:
		return g_features;
	case 3:
		return rng_next(r);
	default:
		for (i = 0; i < (int)ARRAY_SIZE(bits); i++)
			if (rng_one_in(r, 3))
				f |= bits[i];
		/* Mostly what the device offers. */
		return rng_one_in(r, 3) ? f : (f & g_features);
	}
}

enum {
	FD_EVENTFD, FD_UNBIND, FD_CLOSED, FD_MEMFD, FD_PIPE, FD_SELF, FD_TAP,
	FD_HUGE, FD_NEG2, FD_OTHERDEV, FD_MQ0, FD_MQ1, FD_PKT, FD_UDP,
	FD_OTHERNS, FD_NR
};

static const char *const fd_kind_name[FD_NR] = {
	"eventfd", "-1", "closed", "memfd", "pipe", "self", "tap", "huge",
	"-2", "other-device", "mq-tap-0", "mq-tap-1", "packet", "udp",
	"tap-other-netns",
};

static int fd_of_kind(struct sctx *s, struct rng *r, int slot, int kind,
		      int *okind)
{
	int i, e;

	*okind = kind;
	switch (kind) {
	case FD_EVENTFD:
		e = s->efd[rng_below(r, NEFD)];
		if (e < 0)
			*okind = FD_CLOSED;
		return e < 0 ? CLOSED_FD : e;
	case FD_UNBIND:
		return -1;
	case FD_CLOSED:
		return CLOSED_FD;
	case FD_MEMFD:
		return R.memfd;
	case FD_PIPE:
		return R.pipe[rng_below(r, 2)];
	case FD_SELF:
		return s->d[slot].fd;
	case FD_TAP:
		return R.tap;
	case FD_HUGE:
		return 1 << 30;
	case FD_NEG2:
		return -2;
	case FD_OTHERDEV:
		for (i = 0; i < MAX_DEVS; i++)
			if (i != slot && s->d[i].fd >= 0)
				return s->d[i].fd;
		return s->d[slot].fd;
	case FD_MQ0:
		return R.mq[0];
	case FD_MQ1:
		return R.mq[1];
	case FD_PKT:
		return R.pkt;
	case FD_UDP:
		return R.udp;
	default:
		return R.other_tap;
	}
}

/* An eventfd argument (kick, call, err, log): mostly a live eventfd. */
static int pick_efd_arg(struct sctx *s, struct rng *r, int slot, int *kind)
{
	static const int odd[] = { FD_UNBIND, FD_CLOSED, FD_MEMFD, FD_PIPE,
				   FD_SELF, FD_TAP, FD_HUGE, FD_NEG2, FD_UDP };

	if (rng_one_in(r, 2))
		return fd_of_kind(s, r, slot, FD_EVENTFD, kind);
	return fd_of_kind(s, r, slot, odd[rng_below(r, 9)], kind);
}

static bool backend_kind_ok(int kind)
{
	return kind == FD_UNBIND || kind == FD_TAP || kind == FD_MQ0 ||
	       kind == FD_MQ1 || kind == FD_PKT || kind == FD_OTHERNS;
}

static int pick_backend_arg(struct sctx *s, struct rng *r, int slot, int *kind)
{
	static const int good[] = { FD_TAP, FD_TAP, FD_MQ0, FD_MQ1, FD_PKT,
				    FD_OTHERNS, FD_UNBIND };

	if (rng_one_in(r, 2))
		return fd_of_kind(s, r, slot, good[rng_below(r, 7)], kind);
	return fd_of_kind(s, r, slot, rng_below(r, FD_NR), kind);
}

/* Ring addresses of vq @i in guest memory, the way SETUP lays them out. */
static void good_addr(struct sctx *s, unsigned int i, struct vhost_vring_addr *a)
{
	uint8_t *base = s->mem + VQ_AREA(i & 1);

	memset(a, 0, sizeof(*a));
	a->index = i;
	a->desc_user_addr = hva(base);
	a->avail_user_addr = hva(base + 0x1000);
	a->used_user_addr = hva(base + 0x2000);
	a->log_guest_addr = hva(base + 0x2000);
}

/* A log base under which the bitmap for our memory is LOG_AREA. */
static uint64_t good_log_base(struct sctx *s)
{
	return hva(s->mem + LOG_AREA) - hva(s->mem) / (VHOST_PAGE_SIZE * 8);
}

static void mem_region(struct sctx *s, struct vhost_memory_region *m)
{
	memset(m, 0, sizeof(*m));
	m->guest_phys_addr = hva(s->mem);
	m->memory_size = MEM_SIZE;
	m->userspace_addr = hva(s->mem);
}

/* ------------------------------------------------------- the ioctls */

#define DESC(c, ...) snprintf((c)->what, sizeof((c)->what), __VA_ARGS__)

static void do_set_owner(struct sctx *s, int slot)
{
	struct call c = { .allowed = A_SET_OWNER };
	long r;

	DESC(&c, "SET_OWNER dev%d", slot);
	c.want = owner_want(s, slot, K_SET_OWNER);
	r = dev_ioctl(s, slot, VHOST_SET_OWNER, NULL, &c);
	if (!r)
		set_own(s, slot, OWN_ME);
	else if (r == -EBUSY && s->d[slot].own != OWN_ME)
		set_own(s, slot, OWN_UNKNOWN);
}

static void do_reset_owner(struct sctx *s, int slot)
{
	struct call c = { .allowed = A_RESET_OWNER };

	DESC(&c, "RESET_OWNER dev%d", slot);
	c.want = owner_want(s, slot, K_NEEDS_OWNER);
	if (!dev_ioctl(s, slot, VHOST_RESET_OWNER, NULL, &c))
		set_own(s, slot, OWN_NONE);
}

static void do_get_u64(struct sctx *s, struct rng *r, int slot, bool backend)
{
	struct call c = { .allowed = A_GET_U64 };
	uint64_t v = 0, want = backend ? g_backend_features : g_features;
	char d[32];
	bool bad;
	void *p = arg_ptr(s, r, &v, sizeof(v), true, &bad, d, sizeof(d));

	DESC(&c, "GET_%sFEATURES dev%d%s", backend ? "BACKEND_" : "", slot, d);
	c.must_fail = bad;
	c.want = owner_want(s, slot, K_FREE);
	if (!dev_ioctl(s, slot, backend ? VHOST_GET_BACKEND_FEATURES :
			       VHOST_GET_FEATURES, p, &c) && !bad && v != want)
		fail_msg("seed %llu sequence %llu failed at op %d: %s -> 0x%llx, not 0x%llx",
			 (unsigned long long)g_seed, (unsigned long long)g_seqno,
			 cur_op, c.what, (unsigned long long)v,
			 (unsigned long long)want);
}

static void do_set_u64(struct sctx *s, struct rng *r, int slot, bool backend)
{
	struct call c = { .allowed = A_SET_FEAT };
	uint64_t v, sup = backend ? g_backend_features : g_features;
	char d[32];
	bool bad;
	void *p;

	if (backend) {
		static const uint64_t bv[] = { 0, 0, 1, 2, 3, 4, 0x10, ~0ULL };

		v = bv[rng_below(r, 8)];
	} else {
		v = pick_features(r);
	}
	p = arg_ptr(s, r, &v, sizeof(v), false, &bad, d, sizeof(d));
	DESC(&c, "SET_%sFEATURES dev%d 0x%llx%s", backend ? "BACKEND_" : "",
	     slot, (unsigned long long)v, d);
	c.must_fail = bad || (v & ~sup);
	c.want = owner_want(s, slot, K_FREE);
	dev_ioctl(s, slot, backend ? VHOST_SET_BACKEND_FEATURES :
		  VHOST_SET_FEATURES, p, &c);
}

static bool regions_overlap(const struct vhost_memory_region *a,
			    const struct vhost_memory_region *b)
{
	uint64_t ae = a->guest_phys_addr + a->memory_size - 1;
	uint64_t be = b->guest_phys_addr + b->memory_size - 1;

	return a->guest_phys_addr <= be && b->guest_phys_addr <= ae;
}

static bool region_bad(const struct vhost_memory_region *m)
{
	return !m->memory_size ||
	       m->guest_phys_addr + m->memory_size - 1 < m->guest_phys_addr ||
	       m->userspace_addr >= (1ULL << 63) ||
	       m->userspace_addr + m->memory_size < m->userspace_addr ||
	       m->userspace_addr + m->memory_size > (1ULL << 63);
}

static void do_set_mem_table(struct sctx *s, struct rng *r, int slot)
{
	static const char *const kname[] = { "mem", "victim", "overlap", "empty",
		"wrap", "top", "kernel", "unmapped", "random" };
	struct call c = { .allowed = A_MEM };
	unsigned int max = g_max_regions, n, fill, i, j;
	struct vhost_memory *t;
	size_t size, dn = 0;
	bool bad = false;
	void *p;

	switch (rng_below(r, 9)) {
	case 0:
		n = 0;
		break;
	case 1:
		n = max;
		break;
	case 2:
		n = max + 1;
		break;
	case 3:
		n = 0xffffffffu;
		break;
	case 4:
		n = 2;
		break;
	default:
		n = 1;
		break;
	}
	fill = n > max + 1 ? 0 : n;
	size = sizeof(*t) + fill * sizeof(t->regions[0]);
	t = calloc(1, size);
	if (!t)
		return;
	t->nregions = n;
	if (rng_one_in(r, 20))
		t->padding = 1 + rng_below(r, 7);
	dn = snprintf(c.what, sizeof(c.what), "SET_MEM_TABLE dev%d n=%u%s [",
		      slot, n, t->padding ? " padding" : "");
	for (i = 0; i < fill; i++) {
		struct vhost_memory_region *m = &t->regions[i];
		unsigned int k = i == 0 ? (rng_one_in(r, 3) ? rng_below(r, 9) : 0) :
				 rng_below(r, 9);

		mem_region(s, m);
		switch (k) {
		case 1:
			m->guest_phys_addr = m->userspace_addr = hva(s->victim);
			m->memory_size = VICTIM_SIZE;
			break;
		case 2:
			m->memory_size = PAGE;
			break;
		case 3:
			m->memory_size = 0;
			break;
		case 4:
			m->guest_phys_addr = ~0ULL - 0xfff;
			m->memory_size = 0x2000;
			break;
		case 5:
			m->guest_phys_addr = 1ULL << 40;
			m->userspace_addr = TOP_USER - PAGE * rng_below(r, 3);
			m->memory_size = PAGE * (1 + rng_below(r, 2));
			break;
		case 6:
			m->guest_phys_addr = 2ULL << 40;
			m->userspace_addr = 0xffff888000000000ULL;
			m->memory_size = PAGE;
			break;
		case 7:
			m->guest_phys_addr = 3ULL << 40;
			m->userspace_addr = 0x10000;
			m->memory_size = 0x10000;
			break;
		case 8:
			m->guest_phys_addr = rng_next(r);
			m->memory_size = rng_next(r) >> rng_below(r, 64);
			m->userspace_addr = rng_next(r) >> rng_below(r, 64);
			break;
		}
		if (rng_one_in(r, 20))
			m->flags_padding = rng_next(r);
		if (i < 4 && dn < sizeof(c.what))
			dn += snprintf(c.what + dn, sizeof(c.what) - dn, "%s%s",
				       i ? " " : "", kname[k]);
		if (region_bad(m))
			bad = true;
		for (j = 0; j < i; j++)
			if (regions_overlap(m, &t->regions[j]))
				bad = true;
	}
	if (dn < sizeof(c.what))
		snprintf(c.what + dn, sizeof(c.what) - dn, "%s]",
			 fill > 4 ? " ..." : "");
	if (n > max || t->padding)
		bad = true;
	p = t;
	/* Sometimes the table runs into an unreadable page. */
	if (fill && fill < 100 && rng_one_in(r, 10)) {
		p = s->guard + PAGE - size + 16;
		memcpy(p, t, size - 16);
		if (n <= max && !t->padding)
			bad = true;
		strncat(c.what, " truncated", sizeof(c.what) - strlen(c.what) - 1);
	} else if (rng_one_in(r, 20)) {
		p = NULL;
		bad = true;
		strncat(c.what, " arg=NULL", sizeof(c.what) - strlen(c.what) - 1);
	}
	c.must_fail = bad;
	c.want = owner_want(s, slot, K_NEEDS_OWNER);
	dev_ioctl(s, slot, VHOST_SET_MEM_TABLE, p, &c);
	free(t);
}

static void do_set_log_base(struct sctx *s, struct rng *r, int slot)
{
	struct call c = { .allowed = A_LOG_BASE };
	uint64_t v;
	char d[32];
	bool bad;
	void *p;

	switch (rng_below(r, 7)) {
	case 0:
		v = 0;
		break;
	case 1:
		v = good_log_base(s) + 1;
		break;
	case 2:
		v = 0x1000;
		break;
	case 3:
		v = TOP_USER;
		break;
	case 4:
		v = KERNEL_ADDR;
		break;
	case 5:
		v = ~0ULL;
		break;
	default:
		v = good_log_base(s);
		break;
	}
	p = arg_ptr(s, r, &v, sizeof(v), false, &bad, d, sizeof(d));
	DESC(&c, "SET_LOG_BASE dev%d 0x%llx%s", slot, (unsigned long long)v, d);
	c.must_fail = bad;
	c.want = owner_want(s, slot, K_NEEDS_OWNER);
	dev_ioctl(s, slot, VHOST_SET_LOG_BASE, p, &c);
}

static void do_set_log_fd(struct sctx *s, struct rng *r, int slot)
{
	struct call c = { .allowed = A_LOG_FD };
	int kind, fd = pick_efd_arg(s, r, slot, &kind);
	char d[32];
	bool bad;
	void *p = arg_ptr(s, r, &fd, sizeof(fd), false, &bad, d, sizeof(d));

	DESC(&c, "SET_LOG_FD dev%d fd=%d(%s)%s", slot, fd, fd_kind_name[kind], d);
	c.must_fail = bad || (kind != FD_EVENTFD && kind != FD_UNBIND);
	c.want = owner_want(s, slot, K_NEEDS_OWNER);
	dev_ioctl(s, slot, VHOST_SET_LOG_FD, p, &c);
}

/* The vring ioctls that take a vhost_vring_state. */
static void do_vring_state(struct sctx *s, struct rng *r, int slot, int op)
{
	struct call c = { 0 };
	struct vhost_vring_state st = { .index = pick_index(r) };
	unsigned long cmd = 0;
	const char *name = opinfo[op].name;
	bool bad, out = false, invalid = false;
	char d[32];
	void *p;

	switch (op) {
	case OP_SET_VRING_NUM: {
		static const unsigned int v[] = { 0, 1, 2, 3, 255, 256, 257,
			1024, 32768, 65536, 0xffffffffu };

		st.num = rng_one_in(r, 3) ? 1u << rng_below(r, 9) : v[rng_below(r, 11)];
		invalid = !st.num || st.num > 32768 || (st.num & (st.num - 1));
		cmd = VHOST_SET_VRING_NUM;
		c.allowed = A_VR_NUM;
		break;
	}
	case OP_SET_VRING_BASE: {
		static const unsigned int v[] = { 0, 1, 0xfff0, 0xffff, 0x10000,
			0xffffffffu };

		st.num = rng_one_in(r, 2) ? rng_below(r, 0x10000) : v[rng_below(r, 6)];
		invalid = st.num > 0xffff;
		cmd = VHOST_SET_VRING_BASE;
		c.allowed = A_VR_NUM;
		break;
	}
	case OP_GET_VRING_BASE:
		cmd = VHOST_GET_VRING_BASE;
		c.allowed = A_VR_GET;
		out = true;
		break;
	case OP_SET_VRING_ENDIAN:
		st.num = rng_one_in(r, 3) ? rng_below(r, 2) : (rng_one_in(r, 2) ? 2 : rng_next(r));
		invalid = st.num > 1;
		cmd = VHOST_SET_VRING_ENDIAN;
		c.allowed = A_VR_NUM;
		break;
	case OP_GET_VRING_ENDIAN:
		cmd = VHOST_GET_VRING_ENDIAN;
		c.allowed = A_VR_GET;
		out = true;
		break;
	case OP_SET_BUSYLOOP: {
		static const unsigned int v[] = { 0, 0, 1, 50, BUSYLOOP_CAP,
			BUSYLOOP_CAP + 1, 0xffffffffu };

		st.num = v[rng_below(r, 7)];
		invalid = st.num > BUSYLOOP_CAP;
		cmd = VHOST_SET_VRING_BUSYLOOP_TIMEOUT;
		c.allowed = A_VR_BUSY;
		break;
	}
	default:
		cmd = VHOST_GET_VRING_BUSYLOOP_TIMEOUT;
		c.allowed = A_VR_GET;
		out = true;
		break;
	}
	p = arg_ptr(s, r, &st, sizeof(st), out, &bad, d, sizeof(d));
	DESC(&c, "%s dev%d index=%u num=%u%s", name, slot, st.index, st.num, d);
	c.must_fail = bad || invalid || st.index >= 2;
	c.want = owner_want(s, slot, K_NEEDS_OWNER);
	if (dev_ioctl(s, slot, cmd, p, &c) >= 0 && out && !bad &&
	    op == OP_GET_VRING_ENDIAN && st.num > 1)
		fail_msg("seed %llu sequence %llu failed at op %d: %s -> endianness %u",
			 (unsigned long long)g_seed, (unsigned long long)g_seqno,
			 cur_op, c.what, st.num);
}

static void do_set_vring_addr(struct sctx *s, struct rng *r, int slot)
{
	static const char *const kname[] = { "good", "unaligned", "top", "kernel",
		"victim", "zero", "random" };
	struct call c = { .allowed = A_VR_ADDR };
	struct vhost_vring_addr a;
	unsigned int index = pick_index(r), k = rng_one_in(r, 2) ? 0 : rng_below(r, 7);
	char d[32];
	bool bad;
	void *p;

	good_addr(s, index, &a);
	switch (k) {
	case 1:
		a.avail_user_addr += 1;
		if (rng_one_in(r, 2))
			a.used_user_addr += 2;
		break;
	case 2:
		a.desc_user_addr = TOP_USER;
		a.used_user_addr = TOP_USER + PAGE - 4;
		break;
	case 3:
		a.used_user_addr = KERNEL_ADDR;
		break;
	case 4:
		a.desc_user_addr = hva(s->victim);
		a.avail_user_addr = hva(s->victim + 0x1000);
		a.used_user_addr = hva(s->victim + 0x2000);
		a.log_guest_addr = a.used_user_addr;
		break;
	case 5:
		a.desc_user_addr = a.avail_user_addr = a.used_user_addr = 0;
		break;
	case 6:
		a.desc_user_addr = rng_next(r);
		a.avail_user_addr = rng_next(r) & ~1ULL;
		a.used_user_addr = rng_next(r) & ~3ULL;
		a.log_guest_addr = rng_next(r) & ~3ULL;
		break;
	}
	if (rng_one_in(r, 5))
		a.flags = 1u << VHOST_VRING_F_LOG;
	else if (rng_one_in(r, 12))
		a.flags = rng_one_in(r, 2) ? 2 : ~0u;
	if (rng_one_in(r, 12))
		a.log_guest_addr |= 1;
	p = arg_ptr(s, r, &a, sizeof(a), false, &bad, d, sizeof(d));
	DESC(&c, "SET_VRING_ADDR dev%d index=%u %s flags=0x%x log=0x%llx%s",
	     slot, index, kname[k], a.flags,
	     (unsigned long long)a.log_guest_addr, d);
	c.must_fail = bad || index >= 2 || (a.flags & ~(1u << VHOST_VRING_F_LOG)) ||
		      (a.avail_user_addr & 1) || (a.used_user_addr & 3) ||
		      (a.log_guest_addr & 3);
	c.want = owner_want(s, slot, K_NEEDS_OWNER);
	dev_ioctl(s, slot, VHOST_SET_VRING_ADDR, p, &c);
}

static void do_vring_file(struct sctx *s, struct rng *r, int slot, int op)
{
	struct call c = { 0 };
	struct vhost_vring_file f = { .index = pick_index(r) };
	unsigned long cmd;
	int kind;
	char d[32];
	bool bad, invalid;
	void *p;

	if (op == OP_SET_BACKEND) {
		f.fd = pick_backend_arg(s, r, slot, &kind);
		invalid = !backend_kind_ok(kind);
		cmd = VHOST_NET_SET_BACKEND;
		c.allowed = A_BACKEND;
	} else {
		f.fd = pick_efd_arg(s, r, slot, &kind);
		invalid = kind != FD_EVENTFD && kind != FD_UNBIND;
		cmd = op == OP_SET_VRING_KICK ? VHOST_SET_VRING_KICK :
		      op == OP_SET_VRING_CALL ? VHOST_SET_VRING_CALL :
		      VHOST_SET_VRING_ERR;
		c.allowed = A_VR_FILE;
	}
	p = arg_ptr(s, r, &f, sizeof(f), false, &bad, d, sizeof(d));
	DESC(&c, "%s dev%d index=%u fd=%d(%s)%s", opinfo[op].name, slot, f.index,
	     f.fd, fd_kind_name[kind], d);
	c.must_fail = bad || invalid || f.index >= 2;
	c.want = owner_want(s, slot, K_NEEDS_OWNER);
	dev_ioctl(s, slot, cmd, p, &c);
}

/* ioctl numbers we do not implement; a few the VFS answers itself. */
static void do_unknown_ioctl(struct sctx *s, struct rng *r, int slot)
{
	static const struct {
		unsigned long cmd;
		const char *name;
		bool vfs;		/* the VFS handles it: may succeed */
	} cmds[] = {
		{ _IOW(VHOST_VIRTIO, 0x08, unsigned int), "NEW_WORKER(0x08)", false },
		{ _IOR(VHOST_VIRTIO, 0x83, __u64), "GET_FEATURES_ARRAY(0x83)", false },
		{ _IOW(VHOST_VIRTIO, 0x60, __u64), "VSOCK_SET_GUEST_CID", false },
		{ _IOW(VHOST_VIRTIO, 0x61, int), "VSOCK_SET_RUNNING", false },
		{ _IOW(VHOST_VIRTIO, 0x40, __u64), "SCSI_SET_ENDPOINT-ish", false },
		{ _IOW(VHOST_VIRTIO, 0x25, struct vhost_vring_state), "0x25", false },
		{ _IOR(VHOST_VIRTIO, 0x26, __u64), "0x26", false },
		{ _IO(VHOST_VIRTIO, 0x7f), "0x7f", false },
		{ 0, "0", false },
		{ 0xffffffffUL, "0xffffffff", false },
		{ 0x5401, "TCGETS", false },
		{ FIONREAD, "FIONREAD", false },
		{ FIONBIO, "FIONBIO", true },
		{ FIOCLEX, "FIOCLEX", true },
		{ FIONCLEX, "FIONCLEX", true },
	};
	static const unsigned long ours[] = {
		VHOST_GET_FEATURES, VHOST_SET_FEATURES, VHOST_SET_OWNER,
		VHOST_RESET_OWNER, VHOST_SET_MEM_TABLE, VHOST_SET_LOG_BASE,
		VHOST_SET_LOG_FD, VHOST_SET_VRING_NUM, VHOST_SET_VRING_ADDR,
		VHOST_SET_VRING_BASE, VHOST_GET_VRING_BASE,
		VHOST_SET_VRING_ENDIAN, VHOST_GET_VRING_ENDIAN,
		VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL, VHOST_SET_VRING_ERR,
		VHOST_SET_VRING_BUSYLOOP_TIMEOUT,
		VHOST_GET_VRING_BUSYLOOP_TIMEOUT, VHOST_NET_SET_BACKEND,
		VHOST_GET_BACKEND_FEATURES, VHOST_SET_BACKEND_FEATURES,
	};
	struct call c = { .allowed = A_UNKNOWN };
	unsigned int i, n = ARRAY_SIZE(cmds);
	unsigned int k = rng_below(r, n);
	unsigned long cmd = cmds[k].cmd;
	const char *name = cmds[k].name;
	bool bad, vfs = cmds[k].vfs;
	uint32_t buf[32];
	char d[32];
	void *p;

	if (rng_one_in(r, 8)) {
		cmd = (unsigned long)rng_next(r) & 0xffffffffUL;
		name = "random";
		vfs = false;
		for (i = 0; i < n; i++)
			if (cmds[i].cmd == cmd)
				vfs = cmds[i].vfs;
	}
	for (i = 0; i < ARRAY_SIZE(ours); i++)
		if (ours[i] == cmd)
			return;
	for (i = 0; i < 32; i++)
		buf[i] = (uint32_t)rng_next(r);
	if (rng_one_in(r, 2))
		buf[0] = rng_below(r, 2);
	if (cmd == FIONBIO)
		buf[0] = 0;
	p = arg_ptr(s, r, buf, sizeof(buf), false, &bad, d, sizeof(d));
	DESC(&c, "ioctl dev%d cmd=0x%lx(%s) arg0=%u%s", slot, cmd, name,
	     bad ? 0 : buf[0], d);
	if (vfs) {
		/* FIONBIO and friends: the VFS answers, for anyone. */
		c.allowed = bad ? A_GET_U64 : A_NONE;
	} else {
		c.must_fail = true;
		c.want = owner_want(s, slot, K_NEEDS_OWNER);
	}
	dev_ioctl(s, slot, cmd, p, &c);
}

static void do_rw(struct sctx *s, struct rng *r, int slot, bool wr)
{
	struct call c = { .allowed = wr ? A_WRITE : A_READ };
	union {
		struct vhost_msg v1;
		struct vhost_msg_v2 v2;
		uint8_t raw[128];
	} m;
	size_t len;
	long ret;
	int e, fl;
	unsigned int i;

	for (i = 0; i < sizeof(m.raw); i++)
		m.raw[i] = (uint8_t)rng_next(r);
	if (rng_one_in(r, 2)) {
		m.v2.type = VHOST_IOTLB_MSG_V2;
		m.v2.asid = rng_below(r, 2);
		m.v2.iotlb.type = 1 + rng_below(r, 6);
		m.v2.iotlb.iova = hva(s->mem);
		m.v2.iotlb.size = MEM_SIZE;
		m.v2.iotlb.uaddr = hva(s->mem);
		m.v2.iotlb.perm = VHOST_ACCESS_RW;
		len = sizeof(m.v2);
	} else {
		m.v1.type = rng_one_in(r, 2) ? VHOST_IOTLB_MSG : (int)rng_next(r);
		m.v1.iotlb.type = 1 + rng_below(r, 6);
		len = sizeof(m.v1);
	}
	if (rng_one_in(r, 4))
		len = rng_below(r, sizeof(m.raw) + 1);
	DESC(&c, "%s dev%d %zu bytes (vhost_msg%s)", wr ? "write" : "read", slot,
	     len, len == sizeof(m.v2) ? "_v2" : "");
	if (wr) {
		/*
		 * The owner is checked once the message is whole: a known
		 * layout, long enough, address space 0 (both are 72 bytes).
		 */
		bool whole = len >= sizeof(m.v2) &&
			     (m.v1.type == VHOST_IOTLB_MSG ||
			      (m.v2.type == VHOST_IOTLB_MSG_V2 && !m.v2.asid));

		c.must_fail = !whole;
		c.want = whole ? owner_want(s, slot, K_NEEDS_OWNER) : 0;
	} else {
		/* Only the owner reads misses; a buffer takes a message. */
		c.must_fail = len < sizeof(m.v2);
		c.want = owner_want(s, slot, K_NEEDS_OWNER);
		/*
		 * Never wait for a miss: left set (a restore could race
		 * with another thread's read of the same file).
		 */
		fcntl(s->d[slot].fd, F_SETFL,
		      fcntl(s->d[slot].fd, F_GETFL) | O_NONBLOCK);
	}
	/* Not open for it (or not open at all): the VFS says EBADF first. */
	fl = fcntl(s->d[slot].fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == (wr ? O_RDONLY : O_WRONLY)) {
		c.must_fail = true;
		c.want = 0;
	}
	prog_begin(cur_op, c.what);
	ret = wr ? write(s->d[slot].fd, &m, len) : read(s->d[slot].fd, &m, len);
	e = errno;
	prog_end();
	if (!len && ret == 0)
		c.must_fail = false;
	account(&c, ret, e);
}

static void do_poll(struct sctx *s, int slot)
{
	struct call c = { .allowed = A_NONE };
	struct pollfd pfd = { .fd = s->d[slot].fd, .events = POLLIN | POLLOUT };
	long r;
	int e;

	DESC(&c, "poll dev%d", slot);
	prog_begin(cur_op, c.what);
	r = poll(&pfd, 1, 0);
	e = errno;
	prog_end();
	if (account(&c, r, e) && (pfd.revents & POLLNVAL))
		fail_msg("seed %llu sequence %llu failed at op %d: poll: POLLNVAL",
			 (unsigned long long)g_seed, (unsigned long long)g_seqno,
			 cur_op);
}

/* ------------------------------------------------------ guest actions */

/* What QEMU sends to start a device, with some choices randomised. */
static void do_setup(struct sctx *s, struct rng *r, int slot)
{
	static const uint64_t opt[] = {
		1ULL << VIRTIO_RING_F_EVENT_IDX, 1ULL << VIRTIO_RING_F_INDIRECT_DESC,
		1ULL << VIRTIO_NET_F_MRG_RXBUF, 1ULL << VIRTIO_F_VERSION_1,
		1ULL << VHOST_NET_F_VIRTIO_NET_HDR, 1ULL << VIRTIO_F_NOTIFY_ON_EMPTY,
	};
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r[2];
	} mt;
	struct call c = { 0 };
	uint64_t f = 0, lb = good_log_base(s);
	unsigned int i, num = 1u << (4 + rng_below(r, 5));
	bool log = rng_one_in(r, 8);
	int kind, backend;

	if (s->d[slot].own == OWN_ME && s->strict)
		do_reset_owner(s, slot);
	do_set_owner(s, slot);
	for (i = 0; i < ARRAY_SIZE(opt); i++)
		if (rng_one_in(r, 2))
			f |= opt[i];
	f &= g_features;
	if (log) {
		c.allowed = A_LOG_BASE;
		c.want = owner_want(s, slot, K_NEEDS_OWNER);
		DESC(&c, "setup: SET_LOG_BASE dev%d good", slot);
		dev_ioctl(s, slot, VHOST_SET_LOG_BASE, &lb, &c);
		f |= (1ULL << VHOST_F_LOG_ALL) & g_features;
	}
	c.allowed = A_SET_FEAT;
	c.want = owner_want(s, slot, K_FREE);
	DESC(&c, "setup: SET_FEATURES dev%d 0x%llx", slot, (unsigned long long)f);
	dev_ioctl(s, slot, VHOST_SET_FEATURES, &f, &c);
	memset(&mt, 0, sizeof(mt));
	mt.m.nregions = rng_one_in(r, 3) ? 2 : 1;
	mem_region(s, &mt.r[0]);
	mt.r[1].guest_phys_addr = mt.r[1].userspace_addr = hva(s->victim);
	mt.r[1].memory_size = VICTIM_SIZE;
	c.allowed = A_MEM;
	c.want = owner_want(s, slot, K_NEEDS_OWNER);
	DESC(&c, "setup: SET_MEM_TABLE dev%d %u regions", slot, mt.m.nregions);
	dev_ioctl(s, slot, VHOST_SET_MEM_TABLE, &mt, &c);
	for (i = 0; i < 2; i++) {
		struct vhost_vring_state st = { .index = i, .num = num };
		struct vhost_vring_file vf = { .index = i };
		struct vhost_vring_addr a;

		c.allowed = A_VR_NUM;
		DESC(&c, "setup: SET_VRING_NUM dev%d %u %u", slot, i, num);
		dev_ioctl(s, slot, VHOST_SET_VRING_NUM, &st, &c);
		st.num = rng_one_in(r, 4) ? 0xfff0 + rng_below(r, 16) : 0;
		DESC(&c, "setup: SET_VRING_BASE dev%d %u %u", slot, i, st.num);
		dev_ioctl(s, slot, VHOST_SET_VRING_BASE, &st, &c);
		good_addr(s, i, &a);
		if (log)
			a.flags = 1u << VHOST_VRING_F_LOG;
		c.allowed = A_VR_ADDR;
		DESC(&c, "setup: SET_VRING_ADDR dev%d %u", slot, i);
		dev_ioctl(s, slot, VHOST_SET_VRING_ADDR, &a, &c);
		c.allowed = A_VR_FILE;
		vf.fd = s->efd[2 * i] >= 0 ? s->efd[2 * i] : CLOSED_FD;
		DESC(&c, "setup: SET_VRING_KICK dev%d %u fd=%d", slot, i, vf.fd);
		dev_ioctl(s, slot, VHOST_SET_VRING_KICK, &vf, &c);
		vf.fd = s->efd[2 * i + 1] >= 0 ? s->efd[2 * i + 1] : CLOSED_FD;
		DESC(&c, "setup: SET_VRING_CALL dev%d %u fd=%d", slot, i, vf.fd);
		dev_ioctl(s, slot, VHOST_SET_VRING_CALL, &vf, &c);
		vf.fd = s->efd[4] >= 0 ? s->efd[4] : CLOSED_FD;
		DESC(&c, "setup: SET_VRING_ERR dev%d %u fd=%d", slot, i, vf.fd);
		dev_ioctl(s, slot, VHOST_SET_VRING_ERR, &vf, &c);
	}
	if (rng_one_in(r, 8))
		return;
	{
		static const int kinds[] = { FD_TAP, FD_TAP, FD_TAP, FD_MQ0,
					     FD_MQ1, FD_PKT, FD_OTHERNS };

		backend = fd_of_kind(s, r, slot, kinds[rng_below(r, 7)], &kind);
	}
	for (i = 0; i < 2; i++) {
		struct vhost_vring_file vf = { .index = i, .fd = backend };

		c.allowed = A_BACKEND;
		DESC(&c, "setup: NET_SET_BACKEND dev%d %u fd=%d(%s)", slot, i,
		     backend, fd_kind_name[kind]);
		dev_ioctl(s, slot, VHOST_NET_SET_BACKEND, &vf, &c);
	}
}

static void kick(struct sctx *s, int i)
{
	uint64_t one = 1;

	if (s->efd[i] >= 0 && write(s->efd[i], &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		fail_msg("seed %llu sequence %llu failed at op %d: eventfd write: %s",
			 (unsigned long long)g_seed, (unsigned long long)g_seqno,
			 cur_op, strerror(errno));
}

static void frame_at(uint8_t *p, size_t len, uint32_t tag)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t i;

	memset(p, 0, 12);		/* virtio-net header */
	p += 12;
	memcpy(p, bcast, 6);
	memcpy(p + 6, vg_guest_mac, 6);
	p[12] = VG_ETHERTYPE >> 8;
	p[13] = VG_ETHERTYPE & 0xff;
	for (i = 14; i + 12 < len; i++)
		p[i] = (uint8_t)(tag + i);
}

/* Write what a (sometimes broken) driver would into vq @v's rings. */
static void do_ring_fill(struct sctx *s, struct rng *r)
{
	unsigned int v = rng_below(r, 2), j, k = 1 + rng_below(r, 16), mode = rng_below(r, 5);
	uint8_t *base = s->mem + VQ_AREA(v);
	struct vring_desc *desc = (struct vring_desc *)base;
	struct vring_avail *avail = (struct vring_avail *)(base + 0x1000);
	uint16_t idx = avail->idx;

	switch (mode) {
	case 0:		/* garbage over part of a ring */
		for (j = 0; j < 512; j++)
			base[(rng_below(r, 3) << 12) + rng_below(r, 0x1000)] = (uint8_t)rng_next(r);
		break;
	case 1:		/* avail index far ahead */
		__atomic_store_n(&avail->idx, (uint16_t)rng_next(r), __ATOMIC_RELEASE);
		break;
	default:	/* plausible chains, some of them wrong */
		for (j = 0; j < k; j++) {
			uint16_t head = rng_below(r, 256);
			uint8_t *buf = s->mem + BUF_AREA + (head % 200) * 2048;

			frame_at(buf, 2048, (uint32_t)rng_next(r));
			desc[head].addr = hva(buf);
			desc[head].len = rng_one_in(r, 8) ? (uint32_t)rng_next(r) :
					 12 + 60 + rng_below(r, 1500);
			desc[head].flags = v == 0 ? VRING_DESC_F_WRITE : 0;
			if (rng_one_in(r, 4)) {
				desc[head].flags |= VRING_DESC_F_NEXT;
				desc[head].next = rng_below(r, 300);
			}
			if (mode == 3 && rng_one_in(r, 2)) {
				struct vring_desc *ind = (struct vring_desc *)
					(s->mem + BUF_AREA + 200 * 2048);
				unsigned int n = rng_below(r, 8), q;

				for (q = 0; q < n; q++) {
					ind[q].addr = hva(buf);
					ind[q].len = 64 + rng_below(r, 64);
					ind[q].flags = rng_one_in(r, 2) ? VRING_DESC_F_NEXT : 0;
					ind[q].next = rng_below(r, n + 1);
				}
				desc[head].addr = hva(ind);
				desc[head].len = 16 * n + (rng_one_in(r, 6) ? 8 : 0);
				desc[head].flags = VRING_DESC_F_INDIRECT |
						   (rng_one_in(r, 6) ? VRING_DESC_F_NEXT : 0);
			}
			avail->ring[(uint16_t)(idx + j) % 256] = head;
		}
		__atomic_store_n(&avail->idx, (uint16_t)(idx + k), __ATOMIC_RELEASE);
		break;
	}
	if (rng_one_in(r, 2))
		kick(s, 2 * v);
}

static void do_host_send(struct sctx *s, struct rng *r)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t frame[1514];
	size_t len = 60 + rng_below(r, 1454);
	unsigned int n = 1 + rng_below(r, 8), i;

	frame_at(frame, sizeof(frame), (uint32_t)rng_next(r));
	memmove(frame, frame + 12, sizeof(frame) - 12);
	memcpy(frame, vg_guest_mac, 6);
	memcpy(frame + 6, vg_host_mac, 6);
	sll.sll_ifindex = rng_one_in(r, 4) ? R.mq_ifindex : R.tap_ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, vg_guest_mac, 6);
	for (i = 0; i < n; i++)
		if (sendto(R.sendpkt, frame, len, MSG_DONTWAIT,
			   (struct sockaddr *)&sll, sizeof(sll)) < 0)
			break;
	(void)s;
}

static void do_victim(struct sctx *s, bool unmap)
{
	void *p;

	if (unmap && s->victim_mapped) {
		munmap(s->victim, VICTIM_SIZE);
		s->victim_mapped = false;
	} else if (!unmap && !s->victim_mapped) {
		p = mmap(s->victim, VICTIM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		s->victim_mapped = p == s->victim;
	}
}

static void do_efd(struct sctx *s, struct rng *r, bool close_it)
{
	unsigned int i = rng_below(r, NEFD);

	if (close_it && s->efd[i] >= 0) {
		close(s->efd[i]);
		s->efd[i] = -1;
	} else if (!close_it && s->efd[i] < 0) {
		s->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
}

/* ---------------------------------------------------- the dispatcher */

static void exec_op(struct sctx *s, const struct op *o, int k);

/* Sub-operations of a thread or a child: regenerated from one seed word. */
static void run_subops(struct sctx *s, uint64_t seed, int n, int64_t deadline)
{
	struct rng r = rng_of(seed, 0x5b);
	struct op o;
	int i;

	for (i = 0; (n < 0 || i < n) && !sh->fail; i++) {
		if (deadline && now_ns() > deadline)
			break;
		o.type = pick_type(&r, true, true);
		o.p[0] = rng_next(&r);
		o.p[1] = rng_next(&r);
		o.p[2] = rng_next(&r);
		exec_op(s, &o, cur_op);
	}
}

struct thread_job {
	struct sctx *s;
	uint64_t seed;
	int slot, n, op;
};

static void *thread_fn(void *arg)
{
	struct thread_job *j = arg;

	my_slot = j->slot;
	cur_op = j->op;
	run_subops(j->s, j->seed, j->n, 0);
	return NULL;
}

static void do_threads(struct sctx *s, struct rng *r, int k)
{
	struct thread_job jobs[4];
	pthread_t t[4];
	int n = 2 + rng_below(r, 3), i, started = 0;
	bool strict = s->strict;

	s->strict = false;
	for (i = 0; i < n; i++) {
		jobs[i] = (struct thread_job){ s, rng_next(r), 1 + i, 3 + rng_below(r, 6), k };
		if (pthread_create(&t[i], NULL, thread_fn, &jobs[i]))
			break;
		started++;
	}
	/* The main thread joins in. */
	run_subops(s, rng_next(r), 2 + rng_below(r, 4), 0);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	s->strict = strict;
	all_own(s, -1, OWN_UNKNOWN);
}

/* A forked child: the parent's owned devices are someone else's there. */
static void child_begin(struct sctx *s, int slot)
{
	my_slot = slot;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	all_own(s, OWN_ME, OWN_OTHER);
}

static void reap(pid_t pid, int slot)
{
	int st;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (slot >= 0)
		__atomic_store_n(&sh->prog[slot].start, 0, __ATOMIC_RELEASE);
}

static void do_fork(struct sctx *s, struct rng *r, int type)
{
	uint64_t seed = rng_next(r);
	int n = 3 + rng_below(r, 8), i;
	useconds_t delay = rng_below(r, 8000);
	bool killit = type == OP_FORK_KILL || (type == OP_HANDOFF && rng_one_in(r, 2));
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		child_begin(s, killit ? SLOT_KCHILD : SLOT_CHILD);
		if (type == OP_HANDOFF)
			usleep(2000);	/* the parent closes its copies */
		run_subops(s, seed, killit ? -1 : n,
			   killit ? now_ns() + 2000000000LL : 0);
		_exit(sh->fail ? 1 : 0);
	}
	if (type == OP_HANDOFF) {
		for (i = 0; i < MAX_DEVS; i++) {
			if (s->d[i].fd < 0)
				continue;
			if (close(s->d[i].fd))
				fail_msg("seed %llu sequence %llu failed at op %d: close: %s",
					 (unsigned long long)g_seed,
					 (unsigned long long)g_seqno, cur_op,
					 strerror(errno));
			s->d[i].fd = -1;
		}
	}
	if (killit) {
		usleep(delay);
		kill(pid, SIGKILL);
	}
	reap(pid, killit ? SLOT_KCHILD : SLOT_CHILD);
	/* Unowned devices may now belong to the (dead) child. */
	all_own(s, OWN_NONE, OWN_UNKNOWN);
}

/* Many devices at once, each maybe owned, closed in a random order. */
static void do_burst(struct sctx *s, struct rng *r)
{
	int fds[48], n = rng_one_in(r, 8) ? 16 + rng_below(r, 33) : 4 + rng_below(r, 13);
	bool own = rng_one_in(r, 3);
	int i, j, t;
	struct call c = { 0 };

	for (i = 0; i < n; i++) {
		c.allowed = A_OPEN;
		DESC(&c, "burst: open #%d", i);
		prog_begin(cur_op, c.what);
		fds[i] = open(VSC_DEV_PATH, O_RDWR | O_CLOEXEC);
		prog_end();
		if (!account(&c, fds[i], errno) || fds[i] < 0)
			break;
		if (own) {
			long ret;

			c.allowed = A_SET_OWNER;
			DESC(&c, "burst: SET_OWNER #%d", i);
			prog_begin(cur_op, c.what);
			ret = ioctl(fds[i], VHOST_SET_OWNER);
			prog_end();
			account(&c, ret, errno);
		}
	}
	n = i;
	for (i = n - 1; i > 0; i--) {
		j = rng_below(r, i + 1);
		t = fds[i];
		fds[i] = fds[j];
		fds[j] = t;
	}
	for (i = 0; i < n; i++) {
		c.allowed = A_NONE;
		DESC(&c, "burst: close #%d", i);
		prog_begin(cur_op, c.what);
		t = close(fds[i]);
		prog_end();
		account(&c, t, errno);
	}
	(void)s;
}

static void do_rmmod_try(struct sctx *s)
{
	struct call c = { .allowed = A_RMMOD, .must_fail = true };
	int r;

	if (!ndevs(s))
		return;
	DESC(&c, "delete_module(%s, O_NONBLOCK) with %d devices open", MODNAME,
	     ndevs(s));
	prog_begin(cur_op, c.what);
	r = delete_module(O_NONBLOCK);
	prog_end();
	account(&c, r ? -1 : 0, -r);
}

static void do_open(struct sctx *s, struct rng *r)
{
	static const int fl[] = { O_RDWR, O_RDWR | O_CLOEXEC,
				  O_RDWR | O_NONBLOCK, O_RDONLY, O_WRONLY };
	struct call c = { .allowed = A_OPEN };
	int slot = free_slot(s), flags = fl[rng_below(r, 5)], fd;

	if (slot < 0)
		return;
	DESC(&c, "open flags=0x%x -> dev%d", flags, slot);
	prog_begin(cur_op, c.what);
	fd = open(VSC_DEV_PATH, flags);
	prog_end();
	account(&c, fd, errno);
	if (fd < 0)
		return;
	s->d[slot] = (struct slotd){ fd, OWN_NONE, ++s->ngroups };
}

static void do_close(struct sctx *s, int slot)
{
	struct call c = { .allowed = A_NONE };
	int r;

	DESC(&c, "close dev%d", slot);
	prog_begin(cur_op, c.what);
	r = close(s->d[slot].fd);
	prog_end();
	account(&c, r, errno);
	s->d[slot].fd = -1;
}

static void do_dup(struct sctx *s, int slot)
{
	int n = free_slot(s), fd;

	if (n < 0)
		return;
	fd = dup(s->d[slot].fd);
	if (fd < 0)
		return;
	s->d[n] = (struct slotd){ fd, OWN_UNKNOWN, s->d[slot].group };
	s->d[slot].own = OWN_UNKNOWN;
}

static void exec_op(struct sctx *s, const struct op *o, int k)
{
	struct rng r = rng_of(o->p[0], o->p[1]);
	int slot = pick_dev(s, o->p[2]);
	int t = o->type;
	int64_t t0 = now_ns();

	__atomic_fetch_add(&sh->ops, 1, __ATOMIC_RELAXED);
	/* Operations on a device need one. */
	if (slot < 0 && t != OP_OPEN && t != OP_BURST && t != OP_SLEEP &&
	    t != OP_KICK && t != OP_HOST_SEND && t != OP_RING_FILL &&
	    t != OP_VICTIM_MAP && t != OP_VICTIM_UNMAP && t != OP_EFD_CLOSE &&
	    t != OP_EFD_NEW)
		return;
	if (g_verbose > 1)
		printf("# [%d/%d] %s\n", k, my_slot, opinfo[t].name);
	switch (t) {
	case OP_OPEN:
		do_open(s, &r);
		break;
	case OP_CLOSE:
		do_close(s, slot);
		break;
	case OP_DUP:
		do_dup(s, slot);
		break;
	case OP_SET_OWNER:
		do_set_owner(s, slot);
		break;
	case OP_RESET_OWNER:
		do_reset_owner(s, slot);
		break;
	case OP_GET_FEATURES:
		do_get_u64(s, &r, slot, false);
		break;
	case OP_SET_FEATURES:
		do_set_u64(s, &r, slot, false);
		break;
	case OP_GET_BACKEND_FEATURES:
		do_get_u64(s, &r, slot, true);
		break;
	case OP_SET_BACKEND_FEATURES:
		do_set_u64(s, &r, slot, true);
		break;
	case OP_SET_MEM_TABLE:
		do_set_mem_table(s, &r, slot);
		break;
	case OP_SET_LOG_BASE:
		do_set_log_base(s, &r, slot);
		break;
	case OP_SET_LOG_FD:
		do_set_log_fd(s, &r, slot);
		break;
	case OP_SET_VRING_NUM:
	case OP_SET_VRING_BASE:
	case OP_GET_VRING_BASE:
	case OP_SET_VRING_ENDIAN:
	case OP_GET_VRING_ENDIAN:
	case OP_SET_BUSYLOOP:
	case OP_GET_BUSYLOOP:
		do_vring_state(s, &r, slot, t);
		break;
	case OP_SET_VRING_ADDR:
		do_set_vring_addr(s, &r, slot);
		break;
	case OP_SET_VRING_KICK:
	case OP_SET_VRING_CALL:
	case OP_SET_VRING_ERR:
	case OP_SET_BACKEND:
		do_vring_file(s, &r, slot, t);
		break;
	case OP_UNKNOWN_IOCTL:
		do_unknown_ioctl(s, &r, slot);
		break;
	case OP_READ:
		do_rw(s, &r, slot, false);
		break;
	case OP_WRITE:
		do_rw(s, &r, slot, true);
		break;
	case OP_POLL:
		do_poll(s, slot);
		break;
	case OP_SETUP:
		do_setup(s, &r, slot);
		break;
	case OP_KICK:
		kick(s, rng_below(&r, NEFD));
		break;
	case OP_HOST_SEND:
		do_host_send(s, &r);
		break;
	case OP_RING_FILL:
		do_ring_fill(s, &r);
		break;
	case OP_VICTIM_UNMAP:
		do_victim(s, true);
		break;
	case OP_VICTIM_MAP:
		do_victim(s, false);
		break;
	case OP_EFD_CLOSE:
		do_efd(s, &r, true);
		break;
	case OP_EFD_NEW:
		do_efd(s, &r, false);
		break;
	case OP_THREADS:
		do_threads(s, &r, k);
		break;
	case OP_FORK:
	case OP_FORK_KILL:
	case OP_HANDOFF:
		do_fork(s, &r, t);
		break;
	case OP_BURST:
		do_burst(s, &r);
		break;
	case OP_RMMOD_TRY:
		do_rmmod_try(s);
		break;
	case OP_SLEEP:
		usleep(rng_below(&r, 3000));
		break;
	}
	if (my_slot == SLOT_MAIN) {
		__atomic_fetch_add(&sh->op_ns[t], now_ns() - t0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->op_n[t], 1, __ATOMIC_RELAXED);
	}
}

/* ------------------------------------------------ one sequence, alone */

static int sctx_init(struct sctx *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < MAX_DEVS; i++)
		s->d[i].fd = -1;
	s->strict = true;
	s->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s->victim = mmap(NULL, VICTIM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s->guard = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s->ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->mem == MAP_FAILED || s->victim == MAP_FAILED ||
	    s->guard == MAP_FAILED || s->ro == MAP_FAILED)
		return -1;
	if (mprotect(s->guard + PAGE, PAGE, PROT_NONE))
		return -1;
	s->victim_mapped = true;
	for (i = 0; i < NEFD; i++)
		s->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return 0;
}

/* Hammer the devices from a thread while the process kills itself. */
static void *suicide_fn(void *arg)
{
	struct sctx *s = arg;

	my_slot = 4;
	run_subops(s, (uint64_t)(uintptr_t)arg ^ g_seqno, -1,
		   now_ns() + 1000000000LL);
	return NULL;
}

static void __attribute__((noreturn))
seq_main(uint64_t seqno, const bool *keep)
{
	struct op ops[MAX_OPS + 3];
	struct sctx s;
	int n, k, tail, i;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	g_seqno = seqno;
	my_slot = SLOT_MAIN;
	n = gen_ops(seqno, ops, &tail);
	if (sctx_init(&s)) {
		fail_msg("seed %llu sequence %llu: setup: %s",
			 (unsigned long long)g_seed, (unsigned long long)seqno,
			 strerror(errno));
		_exit(1);
	}
	for (k = 0; k < n && !sh->fail; k++) {
		if (keep && !keep[k])
			continue;
		cur_op = k;
		exec_op(&s, &ops[k], k);
	}
	cur_op = n;
	if (!sh->fail && tail == 2) {
		pthread_t t;

		if (!pthread_create(&t, NULL, suicide_fn, &s))
			usleep(500 + (seqno % 3000));
		fflush(stdout);
		__atomic_store_n(&sh->suicide, 1, __ATOMIC_RELEASE);
		kill(getpid(), SIGKILL);
	}
	if (!sh->fail && tail == 1)
		for (i = 0; i < MAX_DEVS; i++)
			if (s.d[i].fd >= 0)
				do_close(&s, i);
	fflush(stdout);
	_exit(sh->fail ? 1 : 0);
}

/* Everything a sequence's processes left behind must go away with them. */
static bool wait_released(int64_t timeout_ns, long *left)
{
	int64_t end = now_ns() + timeout_ns;
	int st;

	for (;;) {
		while (waitpid(-1, &st, WNOHANG) > 0)
			;	/* orphans reparented to us (subreaper) */
		*left = module_refcnt();
		if (*left == 0)
			return true;
		if (now_ns() > end)
			return false;
		usleep(1000);
	}
}

static void dump_stacks(pid_t pgid)
{
	char path[300], buf[4096];
	struct dirent *e;
	DIR *d = opendir("/proc");

	while (d && (e = readdir(d))) {
		int pid = atoi(e->d_name), n;

		if (pid <= 0 || getpgid(pid) != pgid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stack", pid);
		n = read_file(path, buf, sizeof(buf));
		if (n > 0) {
			char *line, *save;

			printf("# stack of %d:\n", pid);
			for (line = strtok_r(buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				printf("#   %s\n", line);
		}
	}
	if (d)
		closedir(d);
}

static bool g_wedged;

/*
 * Watch a process (group) until it exits: no slot of sh->prog may stay in
 * one syscall for more than @hang_s. Returns its wait status, or -1 when
 * it hung (a failure is recorded).
 */
static int watch(pid_t pid, int hang_s, int limit_s, const char *who)
{
	int64_t start = now_ns(), t;
	int st, fd = syscall(SYS_pidfd_open, pid, 0), i;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		if (fd >= 0)
			poll(&p, 1, 100);
		else
			usleep(2000);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		t = now_ns();
		for (i = 0; i < NSLOTS; i++) {
			struct prog *pr = &sh->prog[i];
			int64_t s0 = __atomic_load_n(&pr->start, __ATOMIC_ACQUIRE);

			if (i == SLOT_CTL || !s0 || t - s0 < hang_s * 1000000000LL)
				continue;
			fail_msg("%s: op %d: %s did not return in %d s",
				 who, pr->op, pr->what, hang_s);
			goto hung;
		}
		if (t - start > limit_s * 1000000000LL) {
			fail_msg("%s: still running after %d s", who, limit_s);
			goto hung;
		}
	}
	if (fd >= 0)
		close(fd);
	return st;
hung:
	dump_stacks(pid);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (i == 100) {
		printf("# %s: pid %d cannot be killed (stuck in the kernel)\n",
		       who, pid);
		g_wedged = true;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Run sequence @seqno (only the ops in @keep, if given). true: it passed. */
static bool run_sequence(uint64_t seqno, const bool *keep)
{
	char who[64];
	int64_t t0;
	long left;
	pid_t pid;
	int st;

	__atomic_store_n(&sh->fail, 0, __ATOMIC_RELEASE);
	sh->fail_msg[0] = '\0';
	sh->suicide = 0;
	memset(sh->prog, 0, sizeof(sh->prog[0]) * SLOT_CTL);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fail_msg("fork: %s", strerror(errno));
		return false;
	}
	if (!pid)
		seq_main(seqno, keep);
	snprintf(who, sizeof(who), "seed %llu sequence %llu",
		 (unsigned long long)g_seed, (unsigned long long)seqno);
	t0 = now_ns();
	st = watch(pid, HANG_S, SEQ_LIMIT_S, who);
	sh->seq_ns += now_ns() - t0;
	kill(-pid, SIGKILL);	/* children still alive */
	if (st == -1)
		return false;
	if (WIFSIGNALED(st) && !(WTERMSIG(st) == SIGKILL && sh->suicide))
		fail_msg("%s: the sequence process died of signal %d", who,
			 WTERMSIG(st));
	if (!wait_released(3000000000LL, &left))
		fail_msg("%s: the module still holds %ld references 3 s after the sequence's processes exited",
			 who, left);
	return !sh->fail;
}

/* Delta debugging, simple: drop operations one at a time while it fails. */
static void minimize(uint64_t seqno)
{
	struct op ops[MAX_OPS + 3];
	bool keep[MAX_OPS + 3];
	char line[512];
	int n, tail, i, changed, pass;
	int64_t end = now_ns() + 90 * 1000000000LL;
	size_t m;

	n = gen_ops(seqno, ops, &tail);
	for (i = 0; i < n; i++)
		keep[i] = true;
	printf("# minimizing: %d operations\n", n);
	for (pass = 0, changed = 1; changed && pass < 3; pass++) {
		changed = 0;
		for (i = n - 1; i >= 0 && now_ns() < end && !g_wedged; i--) {
			if (!keep[i])
				continue;
			keep[i] = false;
			if (run_sequence(seqno, keep))
				keep[i] = true;		/* needed */
			else
				changed = 1;
		}
	}
	/* Leave the last failure's message in sh. */
	run_sequence(seqno, keep);
	m = snprintf(line, sizeof(line), "fuzz_sys -s %llu -r %llu -k ",
		     (unsigned long long)g_seed, (unsigned long long)seqno);
	for (i = 0; i < n && m < sizeof(line); i++)
		if (keep[i])
			m += snprintf(line + m, sizeof(line) - m, "%d,", i);
	if (m && line[m - 1] == ',')
		line[m - 1] = '\0';
	printf("# minimal: ");
	for (i = 0; i < n; i++)
		if (keep[i])
			printf("%d:%s ", i, opinfo[ops[i].type].name);
	printf("\n# replay: %s -v\n", line);
	if (sh->fail)
		printf("# minimal failure: %s\n", sh->fail_msg);
}

/* ---------------------------------------------- generic netlink, raw */

struct nl {
	int fd;
	uint16_t family;
	uint32_t seq;
};

struct nlbuf {
	size_t len;
	uint8_t b[4096] __attribute__((aligned(4)));
};

static void nl_start(struct nlbuf *m, uint16_t type, uint16_t flags,
		     uint8_t cmd, uint32_t seq)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->b;
	struct genlmsghdr *g = NLMSG_DATA(h);

	memset(m->b, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : VHOST_SIDECORE_FAMILY_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

static void nl_put(struct nlbuf *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->len);

	if (m->len + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(m->b))
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(NLA_HDRLEN + len) - NLA_HDRLEN - len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void nl_put_u32(struct nlbuf *m, uint16_t type, uint32_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

static int nl_send(struct nl *n, struct nlbuf *m)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	((struct nlmsghdr *)m->b)->nlmsg_len = m->len;
	return sendto(n->fd, m->b, m->len, 0, (struct sockaddr *)&sa,
		      sizeof(sa)) < 0 ? -errno : 0;
}

/*
 * Read the answer to request @seq: 0 or -errno from the kernel; -ETIMEDOUT
 * when nothing came. @family gets CTRL_ATTR_FAMILY_ID if asked.
 */
static int nl_recv(struct nl *n, uint32_t seq, uint16_t *family, int *nmsg)
{
	static __thread uint8_t buf[1 << 16] __attribute__((aligned(4)));

	for (;;) {
		ssize_t len = recv(n->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
				return err;
			}
			if (nmsg)
				(*nmsg)++;
			if (family) {
				struct genlmsghdr *g = NLMSG_DATA(h);
				struct nlattr *a = (struct nlattr *)((uint8_t *)g + GENL_HDRLEN);
				int rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

				while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
				       a->nla_len <= rem) {
					if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
						memcpy(family, (uint8_t *)a + NLA_HDRLEN,
						       sizeof(*family));
					rem -= NLA_ALIGN(a->nla_len);
					a = (struct nlattr *)((uint8_t *)a + NLA_ALIGN(a->nla_len));
				}
			}
		}
	}
}

static int nl_open(struct nl *n)
{
	struct timeval tv = { .tv_sec = 5 };
	struct nlbuf m;
	int r;

	/* The family is in the initial namespace only: the socket goes there. */
	if (init_netns >= 0 && setns(init_netns, CLONE_NEWNET))
		return -errno;
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	r = n->fd < 0 ? -errno : 0;
	if (test_netns >= 0 && setns(test_netns, CLONE_NEWNET) && !r) {
		close(n->fd);
		n->fd = -1;
		return -errno;
	}
	if (r)
		return r;
	setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n->family = 0;
	nl_start(&m, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, ++n->seq);
	nl_put(&m, CTRL_ATTR_FAMILY_NAME, VHOST_SIDECORE_FAMILY_NAME,
	       sizeof(VHOST_SIDECORE_FAMILY_NAME));
	r = nl_send(n, &m);
	if (!r)
		r = nl_recv(n, n->seq, &n->family, NULL);
	if (!r && !n->family)
		r = -ENOENT;
	if (r) {
		close(n->fd);
		n->fd = -1;
	}
	return r;
}

/* ------------------------------------------------------ control plane */

static pthread_rwlock_t ctl_lock = PTHREAD_RWLOCK_INITIALIZER;
static bool ctl_stop;
static uint64_t ctl_seed;
static char ctl_fail_what[200];

static void ctl_account(const char *what, int r)
{
	int e = -r;

	__atomic_fetch_add(&sh->ctl_ops, 1, __ATOMIC_RELAXED);
	if (e > 0 && e < ERRNO_MAX)
		__atomic_fetch_add(&sh->ctl_err[e], 1, __ATOMIC_RELAXED);
	if (g_verbose)
		printf("# [ctl] %s -> %s\n", what, ename(e));
	if (e && !in_list(strncmp(what, "netlink", 7) ? A_SYSFS : A_NETLINK, e) &&
	    !ctl_fail_what[0])
		snprintf(ctl_fail_what, sizeof(ctl_fail_what), "%s -> %s", what,
			 ename(e));
}

static int pick_dev_id(struct rng *r)
{
	int ids[64], n = debugfs_dev_ids(ids, 64);

	if (n <= 0 || rng_one_in(r, 6))
		return rng_one_in(r, 2) ? 0 : (int)rng_below(r, 100000);
	return ids[rng_below(r, n)];
}

static void ctl_sysfs(struct rng *r)
{
	static const char *const policies[] = { "ondemand", "sidecore", "manual",
		"dynamic", "manual", "bogus", "", "ondemand\n\n" };
	static const char *const cpus[] = { "1", "1", "0-1", "0", "", "1-0",
		"99", "abc", "0,1" };
	static const char *const cores[] = { "0", "1", "2", "x", "-1", "1" };
	static const char *const knobs[] = { "interval_ms", "dwell_ms",
		"grace_ms", "busy_load", "balance" };
	char file[64], val[64], what[160];
	int r0;

	switch (rng_below(r, 6)) {
	case 0:
		snprintf(file, sizeof(file), "policy");
		snprintf(val, sizeof(val), "%s", policies[rng_below(r, 8)]);
		break;
	case 1:
		snprintf(file, sizeof(file), "cpus");
		snprintf(val, sizeof(val), "%s", cpus[rng_below(r, 9)]);
		break;
	case 2:
		snprintf(file, sizeof(file), "sidecores");
		snprintf(val, sizeof(val), "%s", cores[rng_below(r, 6)]);
		break;
	case 3:
	case 4: {
		static const char *const tgt[] = { "1", "ondemand", "0", "7",
			"x", "1" };

		snprintf(file, sizeof(file), "vq_move");
		snprintf(val, sizeof(val), "%d %u %s", pick_dev_id(r),
			 rng_one_in(r, 8) ? 2 : rng_below(r, 2), tgt[rng_below(r, 6)]);
		break;
	}
	default: {
		static const unsigned int v[] = { 0, 5, 50, 100, 1000, 20000,
			700000 };

		snprintf(file, sizeof(file), "manager/%s", knobs[rng_below(r, 5)]);
		snprintf(val, sizeof(val), "%u", v[rng_below(r, 7)]);
		break;
	}
	}
	snprintf(what, sizeof(what), "sysfs %s <- '%s'", file, val);
	prog_begin(-1, what);
	r0 = sysfs_write(file, "%s", val);
	prog_end();
	ctl_account(what, r0);
}

static void ctl_read(struct rng *r)
{
	static const char *const files[] = { SYSFS "running", SYSFS "moves",
		SYSFS "policy", SYSFS "cpus", DBGFS "vqs", DBGFS "sidecores",
		SYSFS "manager/ticks" };
	static char buf[1 << 16];
	const char *f = files[rng_below(r, 7)];
	char what[128];
	int n;

	snprintf(what, sizeof(what), "read %s", f);
	prog_begin(-1, what);
	n = read_file(f, buf, sizeof(buf));
	prog_end();
	ctl_account(what, n < 0 ? n : 0);
}

static void ctl_netlink(struct nl *n, struct rng *r)
{
	struct nlbuf m;
	char what[128];
	int nmsg = 0, ret;
	uint8_t cmd;
	bool dump = false;

	switch (rng_below(r, 6)) {
	case 0:
		cmd = VHOST_SIDECORE_CMD_CONFIG_GET;
		nl_start(&m, n->family, NLM_F_ACK, cmd, ++n->seq);
		break;
	case 1:
		cmd = VHOST_SIDECORE_CMD_CONFIG_SET;
		nl_start(&m, n->family, NLM_F_ACK, cmd, ++n->seq);
		if (rng_one_in(r, 2))
			nl_put_u32(&m, VHOST_SIDECORE_A_CONFIG_POLICY, rng_below(r, 6));
		if (rng_one_in(r, 3)) {
			static const char *const c[] = { "1", "0-1", "", "zz", "4095" };
			const char *v = c[rng_below(r, 5)];

			nl_put(&m, VHOST_SIDECORE_A_CONFIG_CPUS, v, strlen(v) + 1);
		}
		if (rng_one_in(r, 3))
			nl_put_u32(&m, VHOST_SIDECORE_A_CONFIG_SIDECORES, rng_below(r, 3));
		if (rng_one_in(r, 2))
			nl_put_u32(&m, VHOST_SIDECORE_A_CONFIG_INTERVAL_MS,
				   rng_one_in(r, 4) ? 0 : 20 + rng_below(r, 200));
		if (rng_one_in(r, 4))
			nl_put_u32(&m, VHOST_SIDECORE_A_CONFIG_DWELL_MS, rng_next(r));
		break;
	case 2:
		cmd = VHOST_SIDECORE_CMD_DEV_GET;
		nl_start(&m, n->family, NLM_F_DUMP, cmd, ++n->seq);
		dump = true;
		break;
	case 3:
		cmd = VHOST_SIDECORE_CMD_DEV_GET;
		nl_start(&m, n->family, NLM_F_ACK, cmd, ++n->seq);
		if (!rng_one_in(r, 8))
			nl_put_u32(&m, VHOST_SIDECORE_A_DEV_ID, pick_dev_id(r));
		break;
	case 4:
		cmd = VHOST_SIDECORE_CMD_CORE_GET;
		nl_start(&m, n->family, NLM_F_DUMP, cmd, ++n->seq);
		dump = true;
		break;
	default: {
		int32_t cpu = rng_one_in(r, 2) ? -1 : (int32_t)rng_below(r, 3);

		cmd = VHOST_SIDECORE_CMD_VQ_MOVE;
		nl_start(&m, n->family, NLM_F_ACK, cmd, ++n->seq);
		nl_put_u32(&m, VHOST_SIDECORE_A_MOVE_DEV, pick_dev_id(r));
		nl_put_u32(&m, VHOST_SIDECORE_A_MOVE_VQ, rng_one_in(r, 8) ? 5 : rng_below(r, 2));
		if (!rng_one_in(r, 10))
			nl_put(&m, VHOST_SIDECORE_A_MOVE_CPU, &cpu, sizeof(cpu));
		break;
	}
	}
	snprintf(what, sizeof(what), "netlink cmd %u%s", cmd, dump ? " dump" : "");
	prog_begin(-1, what);
	ret = nl_send(n, &m);
	if (!ret)
		ret = nl_recv(n, n->seq, NULL, &nmsg);
	prog_end();
	if (ret != -ETIMEDOUT)
		__atomic_fetch_add(&sh->ctl_nl, 1, __ATOMIC_RELAXED);
	ctl_account(what, ret);
}

static void *ctl_fn(void *arg)
{
	struct rng r = rng_of(ctl_seed, 0xc7);
	struct nl n = { .fd = -1 };

	(void)arg;
	my_slot = SLOT_CTL;
	while (!__atomic_load_n(&ctl_stop, __ATOMIC_ACQUIRE)) {
		pthread_rwlock_rdlock(&ctl_lock);
		if (n.fd < 0 && nl_open(&n))
			n.fd = -1;
		switch (rng_below(&r, 4)) {
		case 0:
		case 1:
			ctl_sysfs(&r);
			break;
		case 2:
			ctl_read(&r);
			break;
		default:
			if (n.fd >= 0)
				ctl_netlink(&n, &r);
			break;
		}
		pthread_rwlock_unlock(&ctl_lock);
		usleep(20000 + rng_below(&r, 30000));
		/* A reloaded module has a new family id: look it up again. */
		if (n.fd >= 0 && rng_one_in(&r, 50)) {
			close(n.fd);
			n.fd = -1;
		}
	}
	if (n.fd >= 0)
		close(n.fd);
	return NULL;
}

/* The configuration as we found it, put back at the end. */
static const char *const cfg_files[] = { "manager/interval_ms", "manager/dwell_ms",
	"manager/grace_ms", "manager/busy_load", "manager/balance" };
static char cfg_saved[5][32], cfg_policy[32], cfg_cpus[64], cfg_cores[16];

static void config_save(void)
{
	unsigned int i;

	sysfs_read("policy", cfg_policy, sizeof(cfg_policy));
	sysfs_read("cpus", cfg_cpus, sizeof(cfg_cpus));
	sysfs_read("sidecores", cfg_cores, sizeof(cfg_cores));
	for (i = 0; i < 5; i++)
		sysfs_read(cfg_files[i], cfg_saved[i], sizeof(cfg_saved[i]));
}

static void config_reset(void)
{
	unsigned int i, pass;

	sysfs_write("policy", "ondemand");
	sysfs_write("sidecores", "0");
	/* Knobs check each other (grace_ms against interval_ms): twice. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < 5; i++)
			if (cfg_saved[i][0])
				sysfs_write(cfg_files[i], "%s", cfg_saved[i]);
	sysfs_write("cpus", "%s", cfg_cpus);
	if (cfg_cores[0])
		sysfs_write("sidecores", "%s", cfg_cores);
	if (cfg_policy[0])
		sysfs_write("policy", "%s", cfg_policy);
}

/* --------------------------------------------- fault injection: setup */

struct fi_save {
	char path[128];
	char val[64];
};

static struct fi_save fi_saves[48];
static int fi_nsaves;

static int fi_set(const char *dir, const char *file, const char *val)
{
	struct fi_save *s = &fi_saves[fi_nsaves];

	snprintf(s->path, sizeof(s->path), "/sys/kernel/debug/%s/%s", dir, file);
	if (read_file(s->path, s->val, sizeof(s->val)) < 0)
		return -1;
	s->val[strcspn(s->val, "\n")] = '\0';
	if (fi_nsaves < 47)
		fi_nsaves++;
	return write_file(s->path, val);
}

static void fi_restore(void)
{
	while (fi_nsaves > 0) {
		struct fi_save *s = &fi_saves[--fi_nsaves];

		write_file(s->path, s->val);
	}
}

/* Make every slab and order-0 page allocation a fault point, loudly. */
static int fi_configure(void)
{
	static const char *const dirs[] = { "failslab", "fail_page_alloc",
					    "fail_usercopy" };
	unsigned int i;
	int r = 0;

	for (i = 0; i < 3; i++) {
		if (fi_set(dirs[i], "verbose", "2") && i < 2)
			r = -1;
		fi_set(dirs[i], "verbose_ratelimit_interval_ms", "0");
		fi_set(dirs[i], "verbose_ratelimit_burst", "100000");
		fi_set(dirs[i], "probability", "0");
		fi_set(dirs[i], "task-filter", "N");
	}
	/* Knobs the thread passes turn: saved here, in the parent. */
	for (i = 0; i < 2; i++) {
		fi_set(dirs[i], "space", "0");
		fi_set(dirs[i], "interval", "1");
		fi_set(dirs[i], "times", "1");
	}
	if (fi_set("failslab", "ignore-gfp-wait", "N") ||
	    fi_set("fail_page_alloc", "ignore-gfp-wait", "N") ||
	    fi_set("fail_page_alloc", "ignore-gfp-highmem", "N") ||
	    fi_set("fail_page_alloc", "min-order", "0"))
		r = -1;
	return r;
}

/* ------------------------------------ fault injection: the kernel log */

struct fsite {
	char name[96];
	bool mod;
	unsigned int hits;
	unsigned int passes;	/* bit n: seen in fault pass n */
};

#define MAX_SITES 512
#define MAX_BAD 24

static struct {
	int fd;
	regex_t bad;
	bool in_trace;		/* after FAULT_INJECTION, before </TASK> */
	bool discard;		/* lines of our own fail-nth reads/writes */
	bool found;		/* this injection's site is known */
	bool trace_mod;		/* a frame of this stack is ours */
	bool trace_init;	/* ... is do_init_module() */
	unsigned int init_stack;	/* injections under do_init_module() */
	int pass;		/* FP_*: which pass the sites go to */
	unsigned int mod_stack;	/* injections with a frame of ours */
	char kind[24];
	unsigned int injections, silent_guess, bad_lines, page_fail, call_traces;
	bool have_bad;		/* bad compiled */
	unsigned int meminfo;
	struct fsite sites[MAX_SITES];
	int nsites;
	char bad_seen[MAX_BAD][200];
	int nbad;
	/* Sites of the current operation. */
	int op_sites[64];
	int op_nsites;
} K = { .fd = -1 };

/* What makes the CI call a kernel log dirty (tools/vmtest reads it too). */
#define CI_BAD_FILE VSC_TOP "/tools/kernel-log-bad.ere"

static void kmsg_open(void)
{
	char pat[1024];
	int n;

	K.fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (K.fd >= 0)
		lseek(K.fd, 0, SEEK_END);
	n = read_file(CI_BAD_FILE, pat, sizeof(pat));
	while (n > 0 && pat[n - 1] == '\n')
		pat[--n] = '\0';
	if (K.have_bad)
		regfree(&K.bad);
	K.have_bad = n > 0 && !regcomp(&K.bad, pat, REG_EXTENDED | REG_NOSUB);
	if (!K.have_bad) {
		ktap_result(false, "the CI's kernel log pattern %s is readable",
			    CI_BAD_FILE);
		exit(ktap_finish());
	}
}

static bool frame_skipped(const char *f)
{
	static const char *const skip[] = {
		"dump_stack", "should_fail", "__should_fail", "fail_dump",
		"slab_pre_alloc_hook", "slab_alloc", "__slab_alloc", "___slab_alloc",
		"kmem_cache_alloc", "__kmem_cache_alloc", "kmalloc", "__kmalloc",
		"kvmalloc", "__kvmalloc", "kzalloc", "kcalloc", "kmemdup",
		"kstrdup", "kstrndup", "kvasprintf", "kasprintf", "memdup_user",
		"vmemdup_user", "krealloc", "__alloc_pages", "alloc_pages",
		"__folio_alloc", "folio_alloc", "__get_free_pages", "get_zeroed_page",
		"alloc_page", "__vmalloc", "vmalloc", "vzalloc", "__get_vm_area",
		"alloc_vmap_area", "allocate_slab", "new_slab", "alloc_slab_page",
		"prepare_alloc_pages", "_copy_from_user", "_copy_to_user",
		"copy_from_user", "copy_to_user", "_copy_from_iter", "copy_from_iter",
		"copy_page_from_iter", "strncpy_from_user", "kstrto", "__kasan",
		"kasan_", "__alloc_skb", "alloc_skb", "__netdev_alloc_skb",
		"kmalloc_reserve", "__kmalloc_node_track_caller",
		"kmalloc_node_track_caller", "__kmem_cache_alloc_node",
		"__do_kmalloc_node", "kvzalloc", "copyin", "copyout",
		"simple_read_from_buffer", "proc_fail_nth"
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(skip); i++)
		if (!strncmp(f, skip[i], strlen(skip[i])))
			return true;
	return false;
}

static void site_add(const char *name, bool mod)
{
	int i;

	if (K.discard)
		return;
	for (i = 0; i < K.nsites; i++)
		if (!strcmp(K.sites[i].name, name))
			break;
	if (i == K.nsites) {
		if (K.nsites == MAX_SITES)
			return;
		snprintf(K.sites[i].name, sizeof(K.sites[i].name), "%s", name);
		K.sites[i].mod = mod;
		K.nsites++;
	}
	K.sites[i].hits++;
	K.sites[i].passes |= 1u << K.pass;
	if (K.op_nsites < 64) {
		int j;

		for (j = 0; j < K.op_nsites; j++)
			if (K.op_sites[j] == i)
				return;
		K.op_sites[K.op_nsites++] = i;
	}
}

static void kmsg_line(const char *msg)
{
	const char *p = msg;
	char func[96], mod[48];

	if (!regexec(&K.bad, msg, 0, NULL, 0)) {
		int i;

		K.bad_lines++;
		for (i = 0; i < K.nbad; i++)
			if (!strncmp(K.bad_seen[i], msg, 60))
				break;
		if (i == K.nbad && K.nbad < MAX_BAD)
			snprintf(K.bad_seen[K.nbad++], sizeof(K.bad_seen[0]), "%s", msg);
	}
	if (strstr(msg, "page allocation failure"))
		K.page_fail++;
	if (strstr(msg, "Call Trace:"))
		K.call_traces++;
	if (strstr(msg, "Mem-Info:"))
		K.meminfo++;
	if (!strncmp(msg, "FAULT_INJECTION: forcing a failure", 34)) {
		const char *n = strstr(msg, "name ");

		K.injections++;
		K.in_trace = true;
		K.found = false;
		K.trace_mod = false;
		K.trace_init = false;
		snprintf(K.kind, sizeof(K.kind), "%.*s", n ? (int)strcspn(n + 5, ",") : 1,
			 n ? n + 5 : "?");
		return;
	}
	if (!K.in_trace)
		return;
	if (strstr(msg, "</TASK>")) {
		if (!K.found)
			site_add("(no frame outside the allocator)", false);
		if (K.trace_mod && !K.discard)
			K.mod_stack++;
		if (K.trace_init && !K.discard)
			K.init_stack++;
		K.in_trace = false;
		return;
	}
	while (*p == ' ')
		p++;
	if (!strncmp(p, "? ", 2))
		return;
	if (strstr(p, "[" MODNAME "]"))
		K.trace_mod = true;
	if (!strncmp(p, "do_init_module+", 15))
		K.trace_init = true;
	if (K.found)
		return;
	mod[0] = '\0';
	if (sscanf(p, "%95[A-Za-z0-9_.]+0x%*x/0x%*x %47s", func, mod) < 1 ||
	    !strstr(p, "+0x"))
		return;
	if (frame_skipped(func))
		return;
	{
		char site[160];
		const char *plus = strchr(p, '/');

		/* function+offset, and the module if not built in */
		snprintf(site, sizeof(site), "%.*s%s%s", plus ? (int)(plus - p) : 60, p,
			 mod[0] ? " " : "", mod);
		site_add(site, strstr(mod, "[" MODNAME "]") != NULL);
	}
	K.found = true;
}

static void kmsg_drain(void)
{
	char rec[8192];

	if (K.fd < 0)
		return;
	for (;;) {
		ssize_t n = read(K.fd, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (n < 0) {
			if (errno == EPIPE)
				continue;	/* overwritten records: go on */
			break;
		}
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		kmsg_line(msg);
	}
}

/* ---------------------------------------- fault injection: operations */

enum {
	FS_OPEN, FS_SET_OWNER, FS_GET_FEATURES, FS_SET_FEATURES,
	FS_GET_BACKEND_FEATURES, FS_SET_BACKEND_FEATURES, FS_SET_MEM_TABLE,
	FS_NUM0, FS_BASE0, FS_ADDR0, FS_KICK0, FS_CALL0, FS_ERR0,
	FS_NUM1, FS_BASE1, FS_ADDR1, FS_KICK1, FS_CALL1, FS_ERR1,
	FS_BACKEND0, FS_BACKEND1, FS_DETACH0, FS_DETACH1, FS_GETBASE0,
	FS_GETBASE1, FS_RESET_OWNER, FS_CLOSE, FS_NR
};

static const char *const fs_name[FS_NR] = {
	"open", "SET_OWNER", "GET_FEATURES", "SET_FEATURES",
	"GET_BACKEND_FEATURES", "SET_BACKEND_FEATURES", "SET_MEM_TABLE",
	"SET_VRING_NUM 0", "SET_VRING_BASE 0", "SET_VRING_ADDR 0",
	"SET_VRING_KICK 0", "SET_VRING_CALL 0", "SET_VRING_ERR 0",
	"SET_VRING_NUM 1", "SET_VRING_BASE 1", "SET_VRING_ADDR 1",
	"SET_VRING_KICK 1", "SET_VRING_CALL 1", "SET_VRING_ERR 1",
	"NET_SET_BACKEND 0 tap", "NET_SET_BACKEND 1 tap",
	"NET_SET_BACKEND 0 -1", "NET_SET_BACKEND 1 -1", "GET_VRING_BASE 0",
	"GET_VRING_BASE 1", "RESET_OWNER", "close",
};

struct fctx {
	struct sctx s;		/* memory, eventfds */
	int dev;
	int fail_fd;
	int dev_id;
	bool ok;
	unsigned int points, total_points, failed_clean, degraded;
	unsigned int op_clean, op_degraded;
};

static struct fctx F;

/* Exactly one syscall: the step of a QEMU-like device life. */
static int fstep(int step)
{
	struct vhost_vring_state st = { .index = 0 };
	struct vhost_vring_addr a;
	struct vhost_vring_file vf = { .index = 0 };
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mt;
	uint64_t f = 0;
	unsigned int q = 0;
	long r;

	switch (step) {
	case FS_OPEN:
		r = open(VSC_DEV_PATH, O_RDWR | O_CLOEXEC);
		if (r >= 0)
			F.dev = (int)r;
		return r < 0 ? -errno : 0;
	case FS_CLOSE:
		r = close(F.dev);
		F.dev = -1;
		return r < 0 ? -errno : 0;
	case FS_SET_OWNER:
		r = ioctl(F.dev, VHOST_SET_OWNER);
		break;
	case FS_RESET_OWNER:
		r = ioctl(F.dev, VHOST_RESET_OWNER);
		break;
	case FS_GET_FEATURES:
		r = ioctl(F.dev, VHOST_GET_FEATURES, &f);
		break;
	case FS_SET_FEATURES:
		f = g_features & ((1ULL << VIRTIO_RING_F_EVENT_IDX) |
				  (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
				  (1ULL << VIRTIO_F_VERSION_1));
		r = ioctl(F.dev, VHOST_SET_FEATURES, &f);
		break;
	case FS_GET_BACKEND_FEATURES:
		r = ioctl(F.dev, VHOST_GET_BACKEND_FEATURES, &f);
		break;
	case FS_SET_BACKEND_FEATURES:
		r = ioctl(F.dev, VHOST_SET_BACKEND_FEATURES, &f);
		break;
	case FS_SET_MEM_TABLE:
		memset(&mt, 0, sizeof(mt));
		mt.m.nregions = 1;
		mem_region(&F.s, &mt.r);
		r = ioctl(F.dev, VHOST_SET_MEM_TABLE, &mt);
		break;
	case FS_GETBASE1:
		q = 1;
		/* fall through */
	case FS_GETBASE0:
		st.index = q;
		r = ioctl(F.dev, VHOST_GET_VRING_BASE, &st);
		break;
	case FS_BACKEND1:
	case FS_DETACH1:
		vf.index = 1;
		/* fall through */
	default:
		if (step >= FS_BACKEND0) {
			vf.fd = step <= FS_BACKEND1 ? R.tap : -1;
			r = ioctl(F.dev, VHOST_NET_SET_BACKEND, &vf);
			break;
		}
		q = step >= FS_NUM1;
		switch ((step - FS_NUM0) % 6) {
		case 0:
			st = (struct vhost_vring_state){ q, 256 };
			r = ioctl(F.dev, VHOST_SET_VRING_NUM, &st);
			break;
		case 1:
			st = (struct vhost_vring_state){ q, 0 };
			r = ioctl(F.dev, VHOST_SET_VRING_BASE, &st);
			break;
		case 2:
			good_addr(&F.s, q, &a);
			r = ioctl(F.dev, VHOST_SET_VRING_ADDR, &a);
			break;
		case 3:
			vf = (struct vhost_vring_file){ q, F.s.efd[2 * q] };
			r = ioctl(F.dev, VHOST_SET_VRING_KICK, &vf);
			break;
		case 4:
			vf = (struct vhost_vring_file){ q, F.s.efd[2 * q + 1] };
			r = ioctl(F.dev, VHOST_SET_VRING_CALL, &vf);
			break;
		default:
			vf = (struct vhost_vring_file){ q, F.s.efd[4] };
			r = ioctl(F.dev, VHOST_SET_VRING_ERR, &vf);
			break;
		}
		break;
	}
	return r < 0 ? -errno : 0;
}

static void fi_arm(int nth)
{
	char b[16];
	int n = snprintf(b, sizeof(b), "%d", nth);

	if (pwrite(F.fail_fd, b, n, 0) != n)
		fail_msg("fault injection: writing %d to fail-nth: %s", nth,
			 strerror(errno));
}

/* Was the armed fault consumed? Disarms in any case. */
static bool fi_disarm(void)
{
	char b[16];
	ssize_t n = pread(F.fail_fd, b, sizeof(b) - 1, 0);
	bool consumed;

	/* A failed read: its own copy-out took the last count. */
	if (n <= 0) {
		consumed = false;
	} else {
		b[n] = '\0';
		consumed = atoi(b) == 0;
	}
	if (pwrite(F.fail_fd, "0", 1, 0) != 1 && errno != EFAULT)
		fail_msg("fault injection: clearing fail-nth: %s", strerror(errno));
	return consumed;
}

static const int A_FI[] = { ENOMEM, EFAULT, ENOBUFS, EMSGSIZE, 0 };

static bool fi_errno_ok(int e, const int *extra)
{
	return in_list(A_FI, e) || (extra && in_list(extra, e));
}

/* Report one operation's injection points and call sites. */
static void fi_report_op(const char *name, unsigned int points)
{
	char buf[900];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < K.op_nsites && n < sizeof(buf) - 100; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "",
			      K.sites[K.op_sites[i]].name);
	printf("# faults: op %s: %u injection points (%u failed cleanly, %u succeeded anyway), sites: %s\n",
	       name, points, F.op_clean, F.op_degraded,
	       K.op_nsites ? buf : "(none logged)");
	F.op_clean = F.op_degraded = 0;
	K.op_nsites = 0;
	fflush(stdout);
}

/* A fresh device must still stream after an operation's injections. */
static bool fi_stream_check(const char *after)
{
	static const struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 128, .event_idx = true,
		.mrg_rxbuf = true, .version_1 = true, .ifname = "fzfi0",
	};
	struct vg_stream_result res;
	struct vg_dev d;
	bool ok;

	ok = !vg_setup(&d, &cfg) && vg_stream(&d, 200, 3, 10000, &res);
	vg_teardown(&d);
	if (!ok)
		fail_msg("fault injection: after %s, a fresh device does not stream",
			 after);
	return ok;
}

/* Run @step of the device life with its @nth fault point failed. */
static int fi_device_step(int step, int nth)
{
	int i, r, r2;
	bool consumed;

	F.dev = -1;
	for (i = 0; i < step; i++) {
		r = fstep(i);
		if (r) {
			fail_msg("fault injection: %s (nth %d): before it, %s failed: %s",
				 fs_name[step], nth, fs_name[i], ename(-r));
			goto out;
		}
	}
	prog_begin(step, fs_name[step]);
	fi_arm(nth);
	r = fstep(step);
	consumed = fi_disarm();
	prog_end();
	if (!consumed) {
		/* Fewer than nth fault points: done, if it succeeded. */
		if (r)
			fail_msg("fault injection: %s failed (%s) with no fault injected",
				 fs_name[step], ename(-r));
		for (i = step + 1; i < FS_NR && F.dev >= 0; i++)
			fstep(i);
		return 0;
	}
	if (r && !fi_errno_ok(-r, NULL)) {
		fail_msg("fault injection: %s with fault point %d failed: %s, not a clean errno",
			 fs_name[step], nth, ename(-r));
		goto out;
	}
	if (r) {
		F.failed_clean++;
		F.op_clean++;
		if (step != FS_CLOSE) {
			r2 = fstep(step);
			if (r2) {
				fail_msg("fault injection: %s failed (%s) with fault point %d, then again (%s) without",
					 fs_name[step], ename(-r), nth, ename(-r2));
				goto out;
			}
		}
	} else {
		F.degraded++;
		F.op_degraded++;
	}
	for (i = step + 1; i < FS_NR; i++) {
		r = fstep(i);
		if (r) {
			fail_msg("fault injection: after %s with fault point %d, %s failed: %s",
				 fs_name[step], nth, fs_name[i], ename(-r));
			goto out;
		}
	}
	return 1;
out:
	if (F.dev >= 0)
		close(F.dev);
	F.dev = -1;
	return -1;
}

static bool running_is(const char *want, int ms)
{
	char buf[64];

	do {
		if (!sysfs_read("running", buf, sizeof(buf)) && !strcmp(buf, want))
			return true;
		usleep(10000);
		ms -= 10;
	} while (ms > 0);
	return false;
}

/* The vq's mode in debugfs: "ondemand" or "sidecore:N". */
static bool vq_mode_is(int id, int vq, const char *want)
{
	static char buf[1 << 16];
	char *line, *save, comm[64], mode[32];
	int d, owner, q;

	if (read_file(DBGFS "vqs", buf, sizeof(buf)) < 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%d %d %63s %d %31s", &d, &owner, comm, &q, mode) == 5 &&
		    d == id && q == vq)
			return !strcmp(mode, want);
	return false;
}

static int own_dev_id(void)
{
	static char buf[1 << 16];
	char *line, *save, comm[64];
	int d, owner;

	if (read_file(DBGFS "vqs", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%d %d %63s", &d, &owner, comm) == 3 &&
		    owner == getpid())
			return d;
	return -1;
}

/* A running device of ours (steps up to both backends), or -1. */
static int fi_bring_up(void)
{
	int i;

	F.dev = -1;
	for (i = FS_OPEN; i <= FS_BACKEND1; i++)
		if (fstep(i)) {
			if (F.dev >= 0)
				close(F.dev);
			F.dev = -1;
			return -1;
		}
	return own_dev_id();
}

enum {
	FC_SC_START, FC_SC_STOP, FC_MOVE_TO, FC_MOVE_BACK, FC_NL_CONFIG_GET,
	FC_NL_CONFIG_SET, FC_NL_DEV_DUMP, FC_NL_DEV_GET, FC_NL_CORE_DUMP,
	FC_NL_VQ_MOVE, FC_NR
};

static const char *const fc_name[FC_NR] = {
	"sysfs sidecore start", "sysfs sidecore stop", "sysfs vq_move to a sidecore",
	"sysfs vq_move back to ondemand", "netlink config-get",
	"netlink config-set", "netlink dev-get dump", "netlink dev-get",
	"netlink core-get dump", "netlink vq-move",
};

/* The state operation @op starts from; -1 when it cannot be had. */
static int fc_prepare(int op)
{
	bool sc = op != FC_SC_START && op != FC_NL_CONFIG_GET &&
		  op != FC_NL_CONFIG_SET;
	bool manual = op == FC_MOVE_TO || op == FC_MOVE_BACK || op == FC_NL_VQ_MOVE;
	bool dev = manual || op == FC_NL_DEV_DUMP || op == FC_NL_DEV_GET;

	if (!set_policy("ondemand", "1") || sysfs_write("sidecores", "1"))
		return -1;
	if (op == FC_SC_START)
		return 0;
	if (sc && sysfs_write("policy", manual ? "manual" : "sidecore"))
		return -1;
	if (sc && !running_is("1", 2000))
		return -1;
	if (dev) {
		F.dev_id = fi_bring_up();
		if (F.dev_id < 0)
			return -1;
	}
	if (op == FC_MOVE_BACK &&
	    (sysfs_write("vq_move", "%d 0 1", F.dev_id) ||
	     !vq_mode_is(F.dev_id, 0, "sidecore:1")))
		return -1;
	return 0;
}

static void fc_cleanup(void)
{
	if (F.dev >= 0)
		close(F.dev);
	F.dev = -1;
	set_policy("ondemand", "");
}

/* One syscall for control operation @op; netlink answers in *@answer. */
static int fc_do(int op, struct nl *n, bool inject, int nth, bool *consumed,
		 int *answer)
{
	char val[64];
	struct nlbuf m;
	int r = 0;
	int32_t cpu = 1;

	*answer = 0;
	switch (op) {
	case FC_SC_START:
	case FC_SC_STOP:
	case FC_MOVE_TO:
	case FC_MOVE_BACK: {
		const char *file = op <= FC_SC_STOP ? "policy" : "vq_move";
		int fd;

		if (op == FC_SC_START)
			snprintf(val, sizeof(val), "sidecore");
		else if (op == FC_SC_STOP)
			snprintf(val, sizeof(val), "ondemand");
		else
			snprintf(val, sizeof(val), "%d 0 %s", F.dev_id,
				 op == FC_MOVE_TO ? "1" : "ondemand");
		{
			char path[128];

			snprintf(path, sizeof(path), SYSFS "%s", file);
			fd = open(path, O_WRONLY | O_CLOEXEC);
		}
		if (fd < 0)
			return -errno;
		if (inject)
			fi_arm(nth);
		r = write(fd, val, strlen(val)) < 0 ? -errno : 0;
		if (inject)
			*consumed = fi_disarm();
		close(fd);
		return r;
	}
	}
	switch (op) {
	case FC_NL_CONFIG_GET:
		nl_start(&m, n->family, NLM_F_ACK, VHOST_SIDECORE_CMD_CONFIG_GET, ++n->seq);
		break;
	case FC_NL_CONFIG_SET:
		nl_start(&m, n->family, NLM_F_ACK, VHOST_SIDECORE_CMD_CONFIG_SET, ++n->seq);
		nl_put_u32(&m, VHOST_SIDECORE_A_CONFIG_INTERVAL_MS, 100);
		nl_put(&m, VHOST_SIDECORE_A_CONFIG_CPUS, "1", 2);
		break;
	case FC_NL_DEV_DUMP:
		nl_start(&m, n->family, NLM_F_DUMP, VHOST_SIDECORE_CMD_DEV_GET, ++n->seq);
		break;
	case FC_NL_DEV_GET:
		nl_start(&m, n->family, NLM_F_ACK, VHOST_SIDECORE_CMD_DEV_GET, ++n->seq);
		nl_put_u32(&m, VHOST_SIDECORE_A_DEV_ID, F.dev_id);
		break;
	case FC_NL_CORE_DUMP:
		nl_start(&m, n->family, NLM_F_DUMP, VHOST_SIDECORE_CMD_CORE_GET, ++n->seq);
		break;
	default:
		nl_start(&m, n->family, NLM_F_ACK, VHOST_SIDECORE_CMD_VQ_MOVE, ++n->seq);
		nl_put_u32(&m, VHOST_SIDECORE_A_MOVE_DEV, F.dev_id);
		nl_put_u32(&m, VHOST_SIDECORE_A_MOVE_VQ, 0);
		nl_put(&m, VHOST_SIDECORE_A_MOVE_CPU, &cpu, sizeof(cpu));
		break;
	}
	if (inject)
		fi_arm(nth);
	r = nl_send(n, &m);
	if (inject)
		*consumed = fi_disarm();
	if (!r)
		*answer = nl_recv(n, n->seq, NULL, NULL);
	return r;
}

/* Is the effect of @op there (after a successful redo)? */
static bool fc_effect(int op)
{
	switch (op) {
	case FC_SC_START:
		return running_is("1", 2000);
	case FC_SC_STOP:
		return running_is("", 3000);
	case FC_MOVE_TO:
	case FC_NL_VQ_MOVE:
		return vq_mode_is(F.dev_id, 0, "sidecore:1");
	case FC_MOVE_BACK:
		return vq_mode_is(F.dev_id, 0, "ondemand");
	}
	return true;
}

static int fi_control_op(int op, int nth)
{
	struct nl n = { .fd = -1 };
	bool consumed = false;
	int r, answer, ret = -1;

	if (fc_prepare(op)) {
		fail_msg("fault injection: %s: cannot set up its starting state", fc_name[op]);
		goto out;
	}
	if (op >= FC_NL_CONFIG_GET && nl_open(&n)) {
		fail_msg("fault injection: %s: no netlink family", fc_name[op]);
		goto out;
	}
	prog_begin(op, fc_name[op]);
	r = fc_do(op, &n, true, nth, &consumed, &answer);
	prog_end();
	if (answer == -ETIMEDOUT) {
		fail_msg("fault injection: %s with fault point %d: no answer in 5 s",
			 fc_name[op], nth);
		goto out;
	}
	if (!consumed) {
		ret = 0;
		if (r || answer)
			fail_msg("fault injection: %s failed (%s/%s) with no fault injected",
				 fc_name[op], ename(-r), ename(-answer));
		goto out;
	}
	if ((r && !fi_errno_ok(-r, NULL)) || (answer && !fi_errno_ok(-answer, NULL))) {
		fail_msg("fault injection: %s with fault point %d: %s/%s, not a clean errno",
			 fc_name[op], nth, ename(-r), ename(-answer));
		goto out;
	}
	if (r || answer) {
		F.failed_clean++;
		F.op_clean++;
	} else {
		F.degraded++;
		F.op_degraded++;
	}
	/* Redo it without a fault: it must work and take effect. */
	if (n.fd >= 0) {
		close(n.fd);
		n.fd = -1;
		if (nl_open(&n)) {
			fail_msg("fault injection: %s: netlink gone after fault point %d",
				 fc_name[op], nth);
			goto out;
		}
	}
	r = fc_do(op, &n, false, 0, &consumed, &answer);
	if (r || answer || !fc_effect(op)) {
		fail_msg("fault injection: %s after fault point %d: redone it gives %s/%s%s",
			 fc_name[op], nth, ename(-r), ename(-answer),
			 r || answer ? "" : ", without its effect");
		goto out;
	}
	ret = 1;
out:
	if (n.fd >= 0)
		close(n.fd);
	fc_cleanup();
	return ret;
}

/* ------------------------------------------ fault injection: the passes */

enum { FP_SYSCALLS, FP_LOAD, FP_THREADS, FP_NR };

static const char *const fp_name[FP_NR] = {
	"syscalls (fail-nth)", "module load (fail-nth)", "kernel threads (task-filter)",
};

struct fpass {
	unsigned int points, clean, degraded, in_mod, unlogged;
	unsigned int mod_stack;		/* injections with a frame of ours */
	int64_t ns;
	bool capped;
};

static struct fpass FP[FP_NR];

static int timeout_scale(void)
{
	const char *e = getenv("VSC_TIMEOUT_SCALE");
	int s = e ? atoi(e) : 1;

	return s > 0 ? s : 1;
}

/* Distinct sites pass @pass logged, and how many of them are ours. */
static int pass_sites(int pass, int *mod)
{
	int i, n = 0;

	*mod = 0;
	for (i = 0; i < K.nsites; i++)
		if (K.sites[i].passes & (1u << pass)) {
			n++;
			*mod += K.sites[i].mod;
		}
	return n;
}

/* The sites logged since K.op_nsites was last reset, on one line. */
static void op_sites_str(char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < K.op_nsites && n + 100 < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
			      K.sites[K.op_sites[i]].name);
	if (!K.op_nsites)
		snprintf(buf, len, "(none logged)");
	K.op_nsites = 0;
}

/* -------------------- fault injection: kernel threads, with task-filter */

/*
 * fail-nth counts the fault points of the task that armed it. A kernel
 * thread's allocations are failed with the debugfs attributes instead:
 * task-filter=Y limits them to tasks with /proc/TID/make-it-fail set,
 * and should_fail() (lib/fault-inject.c) then fails, with probability
 * 100, the call on which its running count of such calls is a multiple of
 * "interval", while "times" is above 0 (each failure takes one off).
 * The count is never reset, so interval=N fails one of the next N calls:
 * walking N over 1..K reaches different allocations of a repeated path.
 */
static const char *const fa_dir[2] = { "failslab", "fail_page_alloc" };

static void __attribute__((format(printf, 3, 4)))
fa_write(int a, const char *file, const char *fmt, ...)
{
	char path[128], val[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", fa_dir[a], file);
	if (write_file(path, val))
		fail_msg("fault injection: cannot write %s to %s", val, path);
}

static int fa_times(int a)
{
	char path[128], b[32];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/times", fa_dir[a]);
	return read_file(path, b, sizeof(b)) > 0 ? atoi(b) : -2;
}

/* Set or clear make-it-fail of @tid; the parent clears what is left. */
static void make_it_fail(pid_t tid, bool on)
{
	char path[64];
	unsigned int i;

	if (on)
		for (i = 0; i < ARRAY_SIZE(sh->mif_tids); i++)
			if (!sh->mif_tids[i] || sh->mif_tids[i] == tid) {
				sh->mif_tids[i] = tid;
				break;
			}
	snprintf(path, sizeof(path), "/proc/%d/make-it-fail", (int)tid);
	if (write_file(path, on ? "1" : "0") && on)
		fail_msg("fault injection: cannot set %s", path);
}

static void make_it_fail_clear_all(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sh->mif_tids); i++)
		if (sh->mif_tids[i]) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%d/make-it-fail",
				 (int)sh->mif_tids[i]);
			write_file(path, "0");
			sh->mif_tids[i] = 0;
		}
}

/* Fail @times allocations of thread @tid (allocator @a), at @interval. */
static void kt_arm(int a, unsigned int interval, int times, pid_t tid)
{
	fa_write(a, "probability", "0");
	fa_write(a, "space", "0");
	fa_write(a, "interval", "%u", interval);
	fa_write(a, "times", "%d", times);
	fa_write(a, "task-filter", "Y");
	fa_write(a, "probability", "100");
	make_it_fail(tid, true);
}

/* Disarm; how many failures were injected. */
static int kt_disarm(int a, int times, pid_t tid)
{
	int left;

	make_it_fail(tid, false);
	fa_write(a, "probability", "0");
	left = fa_times(a);
	return left < 0 ? 0 : times - left;
}

/* --------------------- fault injection: module load and unload (fail-nth) */

#define FL_MAX_POINTS	600
#define FL_MAX_S	600

/*
 * A load that met an allocation failure: -ENOMEM (the loader, and each of
 * our vsc_*_init() for a failed allocation, kthread or registration),
 * -EFAULT (a failed copy of the parameter string).
 */
static const int A_LOAD[] = { ENOMEM, EFAULT, 0 };

static const char *const fl_params[] = {
	"",
	/* Its sidecore starts in cpuhp/1, not here: see fl_cpuhp(). */
	"policy=sidecore cpus=1 sidecores=1 dropin=1 max_mem_regions=128",
};

static char fl_path[640];
static int fl_fd = -1;
static bool fl_vhost_net_before;

/* What vsc_ensure_module() loads: $VSC_MODULE, build/RELEASE/, the tree's. */
static void fl_module_path(void)
{
	const char *mod = getenv("VSC_MODULE");
	char path[600];
	struct utsname u;

	if (mod && *mod) {
		snprintf(fl_path, sizeof(fl_path), "%s", mod);
		return;
	}
	snprintf(fl_path, sizeof(fl_path), "%s", VSC_TOP "/vhost_sidecore.ko");
	if (!uname(&u)) {
		snprintf(path, sizeof(path), VSC_TOP "/build/%s/vhost_sidecore.ko",
			 u.release);
		if (!access(path, R_OK))
			snprintf(fl_path, sizeof(fl_path), "%s", path);
	}
}

static bool module_listed(void)
{
	static char buf[1 << 17];
	const char *p = buf;

	if (read_file("/proc/modules", buf, sizeof(buf)) < 0)
		return false;
	while (p) {
		if (!strncmp(p, MODNAME " ", sizeof(MODNAME)))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* What a failed load left behind ("": nothing), given up to 1 s to go. */
static const char *fl_leftover(void)
{
	static char what[160];
	struct nl n = { .fd = -1 };
	int tries;

	for (tries = 0; tries < 20; tries++) {
		what[0] = '\0';
		if (module_listed())
			snprintf(what, sizeof(what), "%s in /proc/modules", MODNAME);
		else if (!access("/sys/module/" MODNAME, F_OK))
			snprintf(what, sizeof(what), "/sys/module/%s", MODNAME);
		else if (!access(VSC_DEV_PATH, F_OK))
			snprintf(what, sizeof(what), "%s", VSC_DEV_PATH);
		else if (!fl_vhost_net_before && !access("/dev/vhost-net", F_OK))
			snprintf(what, sizeof(what), "/dev/vhost-net");
		else if (!access(SYSFS, F_OK))
			snprintf(what, sizeof(what), "%s", SYSFS);
		else if (!access(DBGFS, F_OK))
			snprintf(what, sizeof(what), "%s", DBGFS);
		else if (threads_named("vsc-") > 0)
			snprintf(what, sizeof(what), "a vsc-* kernel thread");
		else if (!nl_open(&n)) {
			close(n.fd);
			n.fd = -1;
			snprintf(what, sizeof(what), "the generic netlink family %s",
				 VHOST_SIDECORE_FAMILY_NAME);
		}
		if (!what[0])
			break;
		usleep(50000);
	}
	return what;
}

static int fl_unload(void)
{
	int r = 0, i;

	prog_begin(1, "delete_module");
	for (i = 0; i < 300; i++) {
		r = delete_module(O_NONBLOCK);
		if (r != -EAGAIN && r != -EBUSY)
			break;
		usleep(10000);
	}
	prog_end();
	return r;
}

/* finit_module() of our module with @params; with @nth: that fault point failed. */
static int fl_load(const char *params, int nth, bool *consumed)
{
	long r;

	prog_begin(0, "finit_module");
	if (nth)
		fi_arm(nth);
	r = syscall(SYS_finit_module, fl_fd, params, 0) ? -errno : 0;
	if (nth)
		*consumed = fi_disarm();
	prog_end();
	return (int)r;
}

/* A load that returned 0: listed, serving, and it unloads. */
static bool fl_check_loaded(const char *what)
{
	int fd = open(VSC_DEV_PATH, O_RDWR | O_CLOEXEC), r;

	if (!module_listed() || fd < 0) {
		fail_msg("module load: %s: returned 0, but %s", what,
			 fd < 0 ? "the device does not open" :
				  "the module is not in /proc/modules");
		if (fd >= 0)
			close(fd);
		fl_unload();
		return false;
	}
	close(fd);
	r = fl_unload();
	if (r)
		fail_msg("module load: %s: then delete_module: %s", what, ename(-r));
	return !r;
}

/* A device on a fresh module must stream (fl_cpuhp()). */
static bool fl_streams(const char *after)
{
	static const struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 128, .event_idx = true,
		.mrg_rxbuf = true, .version_1 = true, .ifname = "fzld0",
	};
	struct vg_stream_result res;
	struct vg_dev d;
	bool ok;

	ok = !vg_setup(&d, &cfg) &&
	     vg_stream(&d, 500, 5, 10000 * timeout_scale(), &res);
	vg_teardown(&d);
	if (!ok)
		fail_msg("module load: after %s, a device does not stream", after);
	return ok;
}

/*
 * policy=sidecore starts its sidecore from our CPU-hotplug callback, which
 * cpuhp_setup_state() runs in the cpuhp/N thread of each CPU: no fail-nth
 * there, so fail cpuhp/1's allocations during the load with task-filter.
 * The callback never fails the load: the module must load, with or
 * without its sidecore, and serve.
 */
static void fl_cpuhp(struct fpass *P)
{
	const char *params = "policy=sidecore cpus=1";
	pid_t hp = kthread_pid("cpuhp/1");
	unsigned int pts = 0, nosc = 0, mod0 = K.mod_stack;
	int64_t ts = now_ns();
	char run[64], what[160], sites[900];
	int a, i, n, r;

	if (hp <= 0) {
		printf("# faults: module load, sidecore start in cpuhp/1: no cpuhp/1 thread, skipped\n");
		return;
	}
	K.op_nsites = 0;
	for (a = 0; a < 2 && !sh->fail; a++)
		for (i = 1; i <= 6 && !sh->fail; i++) {
			kt_arm(a, i, 1, hp);
			r = fl_load(params, 0, NULL);
			n = kt_disarm(a, 1, hp);
			kmsg_drain();
			snprintf(what, sizeof(what), "load '%s' with %s failing in cpuhp/1 (interval %d, %d injected)",
				 params, fa_dir[a], i, n);
			if (r) {
				fail_msg("module load: %s: %s", what, ename(-r));
				return;
			}
			pts += n;
			P->points += n;
			run[0] = '\0';
			sysfs_read("running", run, sizeof(run));
			if (n) {
				P->degraded++;
				nosc += !!strcmp(run, "1");
			}
			if (!fl_streams(what))
				return;
			if (!fl_check_loaded(what))
				return;
		}
	P->mod_stack += K.mod_stack - mod0;
	op_sites_str(sites, sizeof(sites));
	printf("# faults: module load '%s', sidecore start in cpuhp/1 (task-filter, interval 1..6): %u injection points, %u left it without its sidecore, all loaded and streamed, %.1f s, sites: %s\n",
	       params, pts, nosc, (now_ns() - ts) / 1e9, sites);
}

/* Counters of one parameter set of the module load pass. */
struct flset {
	unsigned int pts, clean, deg, inmod;
};

/*
 * One load of parameter set @s with fault point @nth failed, and its
 * checks. 1: the fault was taken, 0: the load had fewer fault points (it
 * loaded, and was unloaded), -1: a failure was recorded.
 */
static int fl_try(struct fpass *P, struct flset *c, unsigned int s, int nth,
		  bool *inmod, int *where)
{
	static unsigned int failed;
	unsigned int inj0, m0, i0;
	const char *what;
	char desc[200];
	bool consumed;
	int r;

	kmsg_drain();
	inj0 = K.injections;
	m0 = K.mod_stack;
	i0 = K.init_stack;
	r = fl_load(fl_params[s], nth, &consumed);
	K.discard = !consumed;
	kmsg_drain();
	K.discard = false;
	*inmod = K.mod_stack != m0;
	/* 1: under do_init_module(), 0: before it (the loader), -1: not logged */
	*where = K.injections == inj0 ? -1 : K.init_stack != i0;
	snprintf(desc, sizeof(desc), "load '%s' with fault point %d", fl_params[s], nth);
	if (!consumed) {
		if (r) {
			fail_msg("module load '%s': failed (%s) with no fault injected",
				 fl_params[s], ename(-r));
			return -1;
		}
		return fl_check_loaded(desc) ? 0 : -1;
	}
	c->pts++;
	P->points++;
	if (K.injections == inj0)
		P->unlogged++;
	if (*inmod) {
		c->inmod++;
		P->in_mod++;
	}
	if (!r) {
		c->deg++;
		P->degraded++;
		return fl_check_loaded(desc) ? 1 : -1;
	}
	if (!in_list(A_LOAD, -r)) {
		fail_msg("module load: %s: %s, not a clean errno%s", desc, ename(-r),
			 *inmod ? " (in our init)" : "");
		return -1;
	}
	c->clean++;
	P->clean++;
	what = fl_leftover();
	if (what[0]) {
		fail_msg("module load: %s failed (%s)%s and left %s behind", desc,
			 ename(-r), *inmod ? " in our init" : "", what);
		return -1;
	}
	/*
	 * A plain load after it: after each failure of ours, and after every
	 * 8th of the loader's (the next fault point's load passes through it
	 * anyway, and a leftover would fail that one with EEXIST or EBUSY).
	 */
	if (!*inmod && *where != 1 && failed++ % 8)
		return 1;
	r = fl_load(fl_params[s], 0, NULL);
	if (r) {
		fail_msg("module load: after %s failed, a plain load fails: %s",
			 desc, ename(-r));
		return -1;
	}
	return fl_check_loaded("the plain load after a failed one") ? 1 : -1;
}

/* The fault points of one whole load with @params (fail-nth counts them). */
static int fl_count_points(const char *params)
{
	char b[32];
	ssize_t n;
	int r;

	fi_arm(1000000);
	r = syscall(SYS_finit_module, fl_fd, params, 0) ? -errno : 0;
	n = pread(F.fail_fd, b, sizeof(b) - 1, 0);
	if (pwrite(F.fail_fd, "0", 1, 0) != 1)
		fail_msg("fault injection: clearing fail-nth: %s", strerror(errno));
	if (r) {
		fail_msg("module load '%s': fails with no fault injected: %s", params,
			 ename(-r));
		return -1;
	}
	if (fl_unload() || n <= 0)
		return -1;
	b[n] = '\0';
	return 1000000 - atoi(b);
}

/*
 * Pass 2: with no device open, unload, then load with the 1st, 2nd, ...
 * fault point failed until a load runs out of them. A failed load returns
 * a clean errno and leaves nothing (module, device node, sysfs, debugfs,
 * genl family, threads); a plain load then works. A load that succeeded
 * although a fault was injected (a fallback) counts as degraded. Ends
 * with the module loaded as we found it (no parameters).
 *
 * The loader has hundreds of fault points (module memory, sysfs, the
 * trace events' tracefs files) before our init runs, last: when a load
 * has more than the budget, walk from its last fault point down, through
 * our init, until 40 in a row fall outside it, then from the first up.
 */
static void fl_pass(void)
{
	struct fpass *P = &FP[FP_LOAD];
	int64_t t0 = now_ns();
	unsigned int s, mod0 = K.mod_stack, nsets = ARRAY_SIZE(fl_params);
	const char *what;
	char sites[900], how[200];
	long left = 0;
	int nth, r, fd, w = -1;

	K.pass = FP_LOAD;
	fl_module_path();
	/*
	 * From memory, not from the file: its own file system (9p in the
	 * test VM) would spend the budget on its read path.
	 */
	fd = open(fl_path, O_RDONLY | O_CLOEXEC);
	w = memfd_create("vhost_sidecore.ko", MFD_CLOEXEC);
	if (fd < 0 || w < 0) {
		fail_msg("module load: cannot open %s: %s", fl_path, strerror(errno));
		goto out;
	}
	for (;;) {
		static char buf[1 << 16];
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		if (write(w, buf, n) != n) {
			fail_msg("module load: copying %s: %s", fl_path, strerror(errno));
			goto out;
		}
	}
	/* The loader refuses a file open for writing (ETXTBSY): reopen it. */
	{
		char p[64];

		snprintf(p, sizeof(p), "/proc/self/fd/%d", w);
		fl_fd = open(p, O_RDONLY | O_CLOEXEC);
		close(w);
		w = -1;
		if (fl_fd < 0) {
			fail_msg("module load: reopening the copy: %s", strerror(errno));
			goto out;
		}
	}
	fl_vhost_net_before = !access("/dev/vhost-net", F_OK);
	printf("# faults: module load pass: %s\n", fl_path);
	if (!wait_released(3000000000LL, &left)) {
		fail_msg("module load: %ld references left with no device open", left);
		goto out;
	}
	r = fl_unload();
	if (r) {
		fail_msg("module load: cannot unload the module: %s", ename(-r));
		goto out;
	}
	what = fl_leftover();
	if (what[0]) {
		fail_msg("module load: after delete_module, %s is left", what);
		goto out;
	}
	if (g_ncpus < 2)
		nsets = 1;
	for (s = 0; s < nsets && !sh->fail; s++) {
		struct flset c = { 0 };
		int64_t ts = now_ns(), deadline;
		unsigned int budget;
		int total, low = 0, high = 0, where = -1;
		bool inm, capped = false;

		/* What is left of the budget, shared by the sets left. */
		budget = (FL_MAX_POINTS - P->points) / (nsets - s);
		deadline = ts + (t0 + FL_MAX_S * 1000000000LL - ts) / (nsets - s);
		K.op_nsites = 0;
		total = fl_count_points(fl_params[s]);
		if (total < 0)
			break;
		if ((unsigned int)total + 4 <= budget) {
			for (nth = 1; !sh->fail; nth++) {
				if (c.pts >= budget || now_ns() > deadline) {
					capped = true;
					break;
				}
				if (fl_try(P, &c, s, nth, &inm, &where) <= 0)
					break;
			}
		} else {
			/*
			 * More than the budget. Bisect for the first fault
			 * point under do_init_module() (before it: the
			 * loader; a point nobody logged tells nothing, try
			 * the next), walk from there to the end, then from
			 * the first point up with what is left. Our init
			 * alone has a few hundred, more than the time allows:
			 * with two sets, each takes every other point of it
			 * (the same code, but for what the parameters add).
			 */
			int lo = 0, hi = total + 1, mid, k;

			while (hi - lo > 1 && !sh->fail) {
				mid = lo + (hi - lo) / 2;
				for (k = mid, where = -1; k < hi && where < 0 && !sh->fail; k++)
					r = fl_try(P, &c, s, k, &inm, &where);
				if (where < 0 || r <= 0) {
					hi = mid;	/* no answer up there */
					continue;
				}
				if (where)
					hi = k - 1;
				else
					lo = k - 1;
			}
			low = hi;
			for (nth = low + (int)s % (int)nsets; !sh->fail; nth += nsets) {
				if (c.pts >= budget || now_ns() > deadline) {
					capped = true;
					break;
				}
				if (fl_try(P, &c, s, nth, &inm, &where) <= 0)
					break;
			}
			high = nth;
			for (nth = 1; nth < low && !sh->fail; nth++) {
				if (c.pts >= budget || now_ns() > deadline) {
					capped = true;
					break;
				}
				if (fl_try(P, &c, s, nth, &inm, &where) <= 0)
					break;
			}
		}
		P->capped |= capped;
		op_sites_str(sites, sizeof(sites));
		how[0] = '\0';
		if (low)
			snprintf(how, sizeof(how),
				 " (more than its budget of %u: every %u%s point from the first under do_init_module(), %d, to %d, then from point 1 to %d)",
				 budget, nsets, nsets > 1 ? "nd" : "st", low, high - 1, nth - 1);
		printf("# faults: module load '%s': %d fault points in a whole load; %u injected%s (%u failed cleanly, %u loaded anyway; %u inside our init), %.1f s%s, sites: %s\n",
		       fl_params[s], total, c.pts, how, c.clean, c.deg, c.inmod,
		       (now_ns() - ts) / 1e9, capped ? ", CAPPED" : "", sites);
	}
	P->mod_stack += K.mod_stack - mod0;
	if (!sh->fail && g_ncpus >= 2)
		fl_cpuhp(P);
out:
	if (fd >= 0)
		close(fd);
	if (w >= 0)
		close(w);
	if (fl_fd >= 0 && !module_listed()) {
		r = fl_load("", 0, NULL);
		if (r)
			fail_msg("module load: cannot load %s again: %s", fl_path,
				 ename(-r));
	}
	if (fl_fd >= 0)
		close(fl_fd);
	fl_fd = -1;
	P->ns = now_ns() - t0;
}

/* ------------------------ fault injection: the data path's kernel threads */

#define KT_MAX_S	480
#define KT_WALK		8	/* intervals 1..KT_WALK per allocator */
#define KT_WALK_MGR	4	/* the manager's cycles are slow */

enum { KT_WORKER, KT_SIDECORE, KT_MANAGER, KT_NR };

static const char *const kt_name[KT_NR] = {
	"on-demand worker vhost-sc-PID", "sidecore vsc-core/1", "manager vsc-manager",
};

struct ktctx {
	struct vg_dev d;
	uint32_t stream;
	int stall_ms;			/* the check after each injection */
	int armed_stall_ms;		/* while a fault is armed */
	int mon;			/* in the monitor group, or -1 */
	unsigned long events;
	int64_t t0;
};

static const struct nlattr *nla_find(const void *p, int rem, uint16_t type)
{
	const struct nlattr *a = p;

	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		rem -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const uint8_t *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

/* A socket in our family's monitor group: the events then get built. */
static int kt_monitor_open(void)
{
	static uint8_t buf[16384] __attribute__((aligned(4)));
	const struct nlattr *grps, *g, *id;
	struct nl n = { .fd = -1 };
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct nlbuf m;
	uint32_t grp;
	ssize_t len;

	if (nl_open(&n))
		return -1;
	nl_start(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, ++n.seq);
	nl_put(&m, CTRL_ATTR_FAMILY_NAME, VHOST_SIDECORE_FAMILY_NAME,
	       sizeof(VHOST_SIDECORE_FAMILY_NAME));
	if (nl_send(&n, &m))
		goto err;
	len = recv(n.fd, buf, sizeof(buf), 0);
	if (len <= 0 || !NLMSG_OK(h, (size_t)len) || h->nlmsg_type != GENL_ID_CTRL)
		goto err;
	grps = nla_find((uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN,
			h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
			CTRL_ATTR_MCAST_GROUPS);
	if (!grps || grps->nla_len < 2 * NLA_HDRLEN)
		goto err;
	g = (const void *)((const uint8_t *)grps + NLA_HDRLEN);	/* the first */
	if (g->nla_len < NLA_HDRLEN || g->nla_len > grps->nla_len - NLA_HDRLEN)
		goto err;
	id = nla_find((const uint8_t *)g + NLA_HDRLEN, g->nla_len - NLA_HDRLEN,
		      CTRL_ATTR_MCAST_GRP_ID);
	if (!id)
		goto err;
	memcpy(&grp, (const uint8_t *)id + NLA_HDRLEN, sizeof(grp));
	if (setsockopt(n.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
		goto err;
	return n.fd;
err:
	close(n.fd);
	return -1;
}

static void kt_monitor_drain(struct ktctx *k)
{
	static uint8_t buf[16384] __attribute__((aligned(4)));
	ssize_t len;

	if (k->mon < 0)
		return;
	for (;;) {
		len = recv(k->mon, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS)
			continue;	/* overrun: events were dropped, go on */
		if (len <= 0)
			break;
		k->events++;
	}
}

static bool kt_stream(struct ktctx *k, uint64_t frames, double seconds,
		      int stall_ms, struct vg_stream_result *res)
{
	bool ok = seconds > 0 ?
		  vg_stream_for(&k->d, seconds, ++k->stream, stall_ms, res) :
		  vg_stream(&k->d, frames, ++k->stream, stall_ms, res);

	kt_monitor_drain(k);
	return ok;
}

/* Put the device's vqs where target @t runs them; that thread's id. */
static pid_t kt_place(int t)
{
	char name[16];
	int id, q;

	switch (t) {
	case KT_WORKER:
		if (!set_policy("ondemand", ""))
			return -1;
		/* comm is 15 characters at most: as the kernel cuts it. */
		snprintf(name, sizeof(name), "vhost-sc-%d", (int)getpid());
		return kthread_pid(name);
	case KT_SIDECORE:
		id = own_dev_id();
		if (id < 0 || !set_policy("manual", "1") || !running_is("1", 3000))
			return -1;
		for (q = 0; q < 2; q++)
			if (sysfs_write("vq_move", "%d %d 1", id, q) ||
			    !vq_mode_is(id, q, "sidecore:1"))
				return -1;
		return kthread_pid("vsc-core/1");
	default:
		if (!set_policy("dynamic", "1"))
			return -1;
		return kthread_pid("vsc-manager");
	}
}

/*
 * Target @t: for each allocator, for interval 1..K, arm one failure (two
 * for pages: page_frag_alloc() first tries a high-order page with
 * __GFP_NOWARN, a failure nobody logs, then falls back to order 0) in the
 * thread alone, stream until it is taken (or give up after a while), disarm;
 * then the device must carry 2000 frames each way without a loss, and no
 * vq may be broken. Frames lost while armed are counted, not failed.
 */
static void kt_target(int t, struct ktctx *k, struct fpass *P)
{
	struct vg_stream_result res;
	struct vg_counters c;
	unsigned int arms = 0, pts = 0, missed = 0, stalls = 0, mod0 = K.mod_stack;
	unsigned int inj0 = K.injections;
	unsigned long ev0 = k->events;
	unsigned long long lost = 0, drops = 0, errors = 0;
	int walk = t == KT_MANAGER ? KT_WALK_MGR : KT_WALK;
	int64_t ts = now_ns(), window;
	char sites[900];
	int a, i, j, n, q, times;
	pid_t tid = kt_place(t);

	if (tid <= 0) {
		fail_msg("fault injection: cannot set up the %s", kt_name[t]);
		return;
	}
	if (!kt_stream(k, 500, 0, k->stall_ms, &res)) {
		vg_stream_report(&res);
		fail_msg("fault injection: %s: the device does not stream before any injection",
			 kt_name[t]);
		return;
	}
	/* A stream of 256 frames takes about 1 s on a debug kernel. */
	window = (int64_t)(t == KT_MANAGER ? 20 : 8) * 1000000000LL;
	K.op_nsites = 0;
	for (a = 0; a < 2 && !sh->fail; a++) {
		for (i = 1; i <= walk && !sh->fail; i++) {
			int64_t t1;

			if (now_ns() - k->t0 > KT_MAX_S * 1000000000LL) {
				P->capped = true;
				goto done;
			}
			times = a ? 2 : 1;
			kt_arm(a, i, times, tid);
			t1 = now_ns();
			while (fa_times(a) > 0 && now_ns() - t1 < window && !sh->fail) {
				if (t == KT_MANAGER) {
					/* Heavy: it starts a sidecore; quiet: it stops it. */
					kt_stream(k, 0, 2.5, k->armed_stall_ms, &res);
					for (j = 0; j < 60 && fa_times(a) > 0; j++) {
						usleep(50000);
						kt_monitor_drain(k);
					}
				} else {
					kt_stream(k, 256, 0, k->armed_stall_ms, &res);
				}
				lost += res.tx.lost + res.rx.lost;
				stalls += res.stalled;
			}
			n = kt_disarm(a, times, tid);
			arms++;
			kmsg_drain();
			pts += n;
			P->points += n;
			if (!n)
				missed++;
			if (!kt_stream(k, 2000, 0, k->stall_ms, &res)) {
				vg_stream_report(&res);
				fail_msg("fault injection: %s, %s at interval %d (%d injected): then 2000 frames each way do not pass (%s)",
					 kt_name[t], fa_dir[a], i, n,
					 res.stalled ? "stalled: a vq that never resumes" :
						       "lost, reordered or corrupt");
				goto done;
			}
			for (q = 0; q < 2; q++)
				if (!vg_read_counters(getpid(), q, 0, &c) && c.broken) {
					fail_msg("fault injection: %s, %s at interval %d: vq %d is broken",
						 kt_name[t], fa_dir[a], i, q);
					goto done;
				}
			if (kill(tid, 0)) {
				fail_msg("fault injection: %s, %s at interval %d: the thread is gone",
					 kt_name[t], fa_dir[a], i);
				goto done;
			}
		}
	}
done:
	for (q = 0; q < 2; q++)
		if (!vg_read_counters(getpid(), q, 0, &c)) {
			drops += c.drops;
			errors += c.errors;
		}
	P->mod_stack += K.mod_stack - mod0;
	op_sites_str(sites, sizeof(sites));
	printf("# faults: thread %s: %u arms (failslab, fail_page_alloc; interval 1..%d), %u injections (%u logged, %u in a stack through %s), %u arms took nothing, %llu frames lost and %u streams stalled while armed, all recovered; device drops %llu errors %llu; %.1f s, sites: %s\n",
	       kt_name[t], arms, walk, pts, K.injections - inj0, K.mod_stack - mod0,
	       MODNAME, missed,
	       lost, stalls, drops, errors, (now_ns() - ts) / 1e9, sites);
	if (t == KT_MANAGER)
		printf("# faults: thread %s: %lu monitor events received (%s)\n",
		       kt_name[t], k->events - ev0,
		       k->mon < 0 ? "no monitor socket" : "the manager builds them");
}

/* Pass 3: the allocations of the worker, the sidecore and the manager. */
static void kt_pass(void)
{
	static const struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
		.mrg_rxbuf = true, .version_1 = true, .ifname = "fzkt0",
	};
	struct fpass *P = &FP[FP_THREADS];
	struct ktctx k = { .mon = -1 };
	bool up = false;
	int t, a;

	K.pass = FP_THREADS;
	k.t0 = now_ns();
	k.stall_ms = 10000 * timeout_scale();
	k.armed_stall_ms = 2500 * timeout_scale();
	if (!set_policy("ondemand", "") || vg_setup(&k.d, &cfg)) {
		fail_msg("fault injection: threads: cannot set up a guest device");
		goto out;
	}
	up = true;
	k.mon = kt_monitor_open();
	for (t = 0; t < KT_NR && !sh->fail && !P->capped; t++) {
		if (t != KT_WORKER && g_ncpus < 2)
			continue;
		kt_target(t, &k, P);
	}
out:
	make_it_fail_clear_all();
	for (a = 0; a < 2; a++) {
		fa_write(a, "probability", "0");
		fa_write(a, "task-filter", "N");
	}
	if (up)
		vg_teardown(&k.d);
	if (k.mon >= 0)
		close(k.mon);
	set_policy("ondemand", "");
	P->ns = now_ns() - k.t0;
}

#define FI_MAX_NTH 400

/* The fault-injection pass, in a process of its own (one thread). */
static void __attribute__((noreturn)) fi_main(void)
{
	char path[64];
	int step, op, nth, r;
	int64_t t0 = now_ns();
	unsigned int mod0;

	my_slot = SLOT_MAIN;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* No page fault of ours may take an armed fault point. */
	mlockall(MCL_CURRENT | MCL_FUTURE);
	if (sctx_init(&F.s))
		_exit(2);
	F.dev = -1;
	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	F.fail_fd = open(path, O_RDWR | O_CLOEXEC);
	if (F.fail_fd < 0)
		_exit(2);
	kmsg_drain();
	K.op_nsites = 0;
	K.pass = FP_SYSCALLS;
	mod0 = K.mod_stack;
	for (step = 0; step < FS_NR && !sh->fail; step++) {
		F.points = 0;
		for (nth = 1; nth <= FI_MAX_NTH && !sh->fail; nth++) {
			r = fi_device_step(step, nth);
			/* Not consumed: what was logged came from our own fail-nth I/O. */
			K.discard = r == 0;
			kmsg_drain();
			K.discard = false;
			if (r <= 0)
				break;
			F.points++;
		}
		F.total_points += F.points;
		fi_report_op(fs_name[step], F.points);
		if (!sh->fail)
			fi_stream_check(fs_name[step]);
	}
	for (op = 0; op < FC_NR && !sh->fail; op++) {
		if (g_ncpus < 2 && op <= FC_NL_VQ_MOVE && op != FC_NL_CONFIG_GET)
			continue;
		F.points = 0;
		for (nth = 1; nth <= FI_MAX_NTH && !sh->fail; nth++) {
			r = fi_control_op(op, nth);
			K.discard = r == 0;
			kmsg_drain();
			K.discard = false;
			if (r <= 0)
				break;
			F.points++;
		}
		F.total_points += F.points;
		fi_report_op(fc_name[op], F.points);
		if (!sh->fail)
			fi_stream_check(fc_name[op]);
	}
	kmsg_drain();
	FP[FP_SYSCALLS].points = F.total_points;
	FP[FP_SYSCALLS].clean = F.failed_clean;
	FP[FP_SYSCALLS].degraded = F.degraded;
	FP[FP_SYSCALLS].mod_stack = K.mod_stack - mod0;
	FP[FP_SYSCALLS].ns = now_ns() - t0;
	/* The module's own load and unload, then the kernel threads. */
	if (!sh->fail)
		fl_pass();
	if (!sh->fail)
		fi_stream_check("the module load pass");
	if (!sh->fail)
		kt_pass();
	kmsg_drain();
	for (r = FP_LOAD; r < FP_NR; r++) {
		F.total_points += FP[r].points;
		F.failed_clean += FP[r].clean;
		F.degraded += FP[r].degraded;
	}
	for (r = 0; r < FP_NR; r++) {
		int m, n = pass_sites(r, &m);

		printf("# fault pass %s: %u points, %d distinct sites (%d in %s), %u injections with a %s frame in the stack%s, %.1f s%s\n",
		       fp_name[r], FP[r].points, n, m, MODNAME, FP[r].mod_stack,
		       MODNAME, r == FP_LOAD ? " (inside its init)" : "",
		       FP[r].ns / 1e9, FP[r].capped ? ", CAPPED" : "");
	}
	if (FP[FP_LOAD].unlogged)
		printf("# fault pass %s: %u of its injections were not logged (__GFP_NOWARN)\n",
		       fp_name[FP_LOAD], FP[FP_LOAD].unlogged);
	{
		int i, m = 0;

		for (i = 0; i < K.nsites; i++)
			m += K.sites[i].mod;
		printf("# fault injection: %u points, %d distinct sites (%d in %s), %u failed cleanly, %u degraded (succeeded anyway)\n",
		       F.total_points, K.nsites, m, MODNAME, F.failed_clean,
		       F.degraded);
		printf("# fault injection: kernel log: %u FAULT_INJECTION reports, %u 'Call Trace:', %u 'page allocation failure' (warn_alloc), %u 'Mem-Info:'\n",
		       K.injections, K.call_traces, K.page_fail, K.meminfo);
		for (i = 0; i < K.nsites; i++)
			if (K.sites[i].mod)
				printf("# fault site in %s: %s (%u)\n", MODNAME,
				       K.sites[i].name, K.sites[i].hits);
		printf("# fault injection: %u kernel log lines match the CI's BAD pattern\n",
		       K.bad_lines);
		for (i = 0; i < K.nbad; i++)
			printf("#   BAD: %s\n", K.bad_seen[i]);
	}
	fflush(stdout);
	_exit(sh->fail ? 1 : 0);
}

static bool fi_available(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return !access(path, W_OK) && !access("/sys/kernel/debug/failslab", F_OK);
}

static void kmemleak_check(void)
{
	static char buf[1 << 20];
	int n;

	if (access("/sys/kernel/debug/kmemleak", W_OK)) {
		ktap_diag("no kmemleak on this kernel: leak scan skipped");
		return;
	}
	write_file("/sys/kernel/debug/kmemleak", "scan");
	n = read_file("/sys/kernel/debug/kmemleak", buf, sizeof(buf));
	/* Objects of a module's init (do_init_module): ours, failed or not. */
	if (n > 0 && (strstr(buf, MODNAME) || strstr(buf, "do_init_module"))) {
		char *line, *save;

		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			printf("# kmemleak: %s\n", line);
		ktap_result(0, "kmemleak finds no object allocated by %s", MODNAME);
	} else {
		ktap_result(1, "kmemleak finds no object allocated by %s", MODNAME);
	}
}

static void fault_injection_pass(void)
{
	int st;
	pid_t pid;

	if (fi_configure()) {
		ktap_result(0, "fault injection configured (debugfs failslab, fail_page_alloc)");
		fi_restore();
		return;
	}
	if (!access("/sys/kernel/debug/kmemleak", W_OK))
		write_file("/sys/kernel/debug/kmemleak", "clear");
	__atomic_store_n(&sh->fail, 0, __ATOMIC_RELEASE);
	memset(sh->prog, 0, sizeof(sh->prog));
	kmsg_open();
	fflush(stdout);
	pid = fork();
	if (!pid)
		fi_main();
	st = pid > 0 ? watch(pid, 30, 1500 + FL_MAX_S + KT_MAX_S + 300,
			     "fault injection") : -1;
	make_it_fail_clear_all();
	fi_restore();
	/* The module pass reloads it: if it died there, load it back. */
	if (vsc_ensure_module())
		ktap_diag("fault injection: cannot load the module again");
	config_reset();
	if (sh->fail)
		printf("# %s\n", sh->fail_msg);
	ktap_result(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && !sh->fail,
		    "fault injection: every injected failure was clean and the device recovered");
	kmemleak_check();
}

/* ------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz_sys [-s SEED] [-n SEQUENCES] [-t SECONDS] [-f] [-v]\n"
		"                [-r SEQNO [-k OP,OP,...]]\n");
	exit(KSFT_FAIL);
}

static int probe_device(void)
{
	char buf[32];
	int fd;

	if (!read_file("/sys/module/" MODNAME "/parameters/max_mem_regions",
		       buf, sizeof(buf)))
		return -1;
	g_max_regions = atoi(buf);
	fd = open(VSC_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, VHOST_GET_FEATURES, &g_features) ||
	    ioctl(fd, VHOST_GET_BACKEND_FEATURES, &g_backend_features)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* rmmod is refused while a device is open, works once none is; reload. */
static bool unload_cycle(void)
{
	int fd, r;
	long left;

	pthread_rwlock_wrlock(&ctl_lock);
	fd = open(VSC_DEV_PATH, O_RDWR | O_CLOEXEC);
	r = delete_module(O_NONBLOCK);
	if (fd < 0 || !r || !in_list(A_RMMOD, -r)) {
		fail_msg("unload: with a device open, delete_module gives %s (open: %s)",
			 ename(-r), fd < 0 ? strerror(errno) : "ok");
		if (fd >= 0)
			close(fd);
		if (!r)
			vsc_ensure_module();
		pthread_rwlock_unlock(&ctl_lock);
		return false;
	}
	close(fd);
	if (!wait_released(3000000000LL, &left)) {
		fail_msg("unload: %ld references left with no device open", left);
		pthread_rwlock_unlock(&ctl_lock);
		return false;
	}
	r = delete_module(O_NONBLOCK);
	if (r)
		fail_msg("unload: with no device open, delete_module gives %s",
			 ename(-r));
	if (vsc_ensure_module() || probe_device())
		fail_msg("unload: cannot load the module again");
	pthread_rwlock_unlock(&ctl_lock);
	return !sh->fail;
}

static bool stream_ok(const char *what)
{
	static const struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
		.indirect = true, .mrg_rxbuf = true, .version_1 = true,
		.ifname = "fzchk0",
	};
	struct vg_stream_result res;
	struct vg_dev d;
	bool ok = false;

	if (!vg_setup(&d, &cfg)) {
		ok = vg_stream(&d, 3000, 11, 10000, &res);
		if (!ok)
			vg_stream_report(&res);
	}
	vg_teardown(&d);
	ktap_diag("fresh device, %s: %s", what, ok ? "streams" : "FAILS");
	return ok;
}

static void print_errnos(const uint64_t *err, char *buf, size_t len)
{
	size_t n = 0;
	int e;

	buf[0] = '\0';
	for (e = 1; e < ERRNO_MAX && n < len; e++)
		if (err[e])
			n += snprintf(buf + n, len - n, "%s%s: %llu", n ? ", " : "",
				      ename(e), (unsigned long long)err[e]);
}

int main(int argc, char **argv)
{
	const char *env;
	uint64_t nseq = 0, seqno, done = 0, total_err = 0, replay = 0;
	double seconds = 25;
	bool replay_mode = false, faults, faults_forced = false;
	bool keep[MAX_OPS + 3], *keepp = NULL, fuzz_ok = true;
	int64_t t0, deadline, ctl_start;
	int ids1[1];
	pthread_t ctl;
	char errs[2048];
	long left;
	int c, i;

	env = getenv("VSC_FUZZ_SEED");
	g_seed = env && *env ? strtoull(env, NULL, 0) :
		 (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	env = getenv("VSC_FUZZ_SEQS");
	if (env && *env)
		nseq = strtoull(env, NULL, 0);
	env = getenv("VSC_FUZZ_SYS_SECONDS");
	if (env && *env)
		seconds = atof(env);
	while ((c = getopt(argc, argv, "s:n:t:fvr:k:")) != -1) {
		switch (c) {
		case 's':
			g_seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nseq = strtoull(optarg, NULL, 0);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'f':
			faults_forced = true;
			break;
		case 'v':
			g_verbose++;
			break;
		case 'r':
			replay = strtoull(optarg, NULL, 0); replay_mode = true;
			break;
		case 'k': {
			char *tok, *save;

			for (i = 0; i < MAX_OPS + 3; i++)
				keep[i] = false;
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (atoi(tok) >= 0 && atoi(tok) < MAX_OPS + 3)
					keep[atoi(tok)] = true;
			keepp = keep;
			break;
		}
		default:
			usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ktap_header(0);
	ktap_diag("fuzz_sys: seed %llu (replay: fuzz_sys -s %llu -r SEQNO -v)",
		  (unsigned long long)g_seed, (unsigned long long)g_seed);
	if (geteuid())
		ktap_exit_skip("needs root");
	if (vsc_ensure_module() || vsc_sh("modprobe -a tun 2>/dev/null"))
		ktap_exit_skip("cannot load vhost_sidecore and tun");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ktap_exit_skip("mmap: %s", strerror(errno));
	if (open_resources_before_netns() || vg_new_netns() || open_resources())
		ktap_exit_skip("cannot set up taps and sockets: %s", strerror(errno));
	if (probe_device())
		ktap_exit_skip("cannot open %s", VSC_DEV_PATH);
	g_ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	env = getenv("VSC_FUZZ_FAULTS");
	faults = faults_forced || (fi_available() && !(env && !strcmp(env, "0")));
	if (faults && !fi_available()) {
		ktap_diag("fault injection asked for, but this kernel has no fail-nth/failslab");
		faults = false;
	}
	if (replay_mode) {
		ktap_diag("replaying sequence %llu%s", (unsigned long long)replay,
			  keepp ? " (some operations)" : "");
		if (!run_sequence(replay, keepp))
			printf("# %s\n", sh->fail_msg);
		ktap_result(!sh->fail, "sequence %llu", (unsigned long long)replay);
		return ktap_finish();
	}
	config_save();
	kmsg_open();

	/* Part 1: sequences, with the control plane moving things around. */
	ctl_seed = g_seed;
	if (pthread_create(&ctl, NULL, ctl_fn, NULL))
		ktap_exit_skip("pthread_create");
	t0 = now_ns();
	deadline = t0 + (int64_t)(seconds * 1e9);
	for (seqno = 0; (!nseq || done < nseq) && now_ns() < deadline; seqno++) {
		if (!run_sequence(seqno, NULL)) {
			printf("# %s\n", sh->fail_msg);
			fuzz_ok = false;
			if (!g_wedged)
				minimize(seqno);
			done++;
			break;
		}
		done++;
		if (ctl_fail_what[0]) {
			printf("# control plane: %s: errno not allowed\n", ctl_fail_what);
			fuzz_ok = false;
			break;
		}
		ctl_start = __atomic_load_n(&sh->prog[SLOT_CTL].start, __ATOMIC_ACQUIRE);
		if (ctl_start && now_ns() - ctl_start > 10 * 1000000000LL) {
			printf("# control plane: %s did not return in 10 s\n",
			       sh->prog[SLOT_CTL].what);
			fuzz_ok = false;
			g_wedged = true;
			break;
		}
		if (done % 50 == 0 && debugfs_dev_ids(ids1, 1) > 0) {
			printf("# after sequence %llu: debugfs still lists devices\n",
			       (unsigned long long)seqno);
			fuzz_ok = false;
			break;
		}
		if (done % 400 == 200 && !unload_cycle()) {
			printf("# %s\n", sh->fail_msg);
			fuzz_ok = false;
			break;
		}
	}
	__atomic_store_n(&ctl_stop, true, __ATOMIC_RELEASE);
	if (!g_wedged)
		pthread_join(ctl, NULL);
	for (i = 1; i < ERRNO_MAX; i++)
		total_err += sh->err[i];
	print_errnos(sh->err, errs, sizeof(errs));
	printf("# fuzz_sys: seed %llu, %llu sequences, %llu syscalls, %llu errnos seen {%s}\n",
	       (unsigned long long)g_seed, (unsigned long long)done,
	       (unsigned long long)sh->syscalls, (unsigned long long)total_err, errs);
	print_errnos(sh->ctl_err, errs, sizeof(errs));
	printf("# fuzz_sys: %.1f s, %.1f sequences/s, %llu operations; control plane: %llu requests (%llu netlink) {%s}\n",
	       (now_ns() - t0) / 1e9, done / ((now_ns() - t0) / 1e9),
	       (unsigned long long)sh->ops, (unsigned long long)sh->ctl_ops,
	       (unsigned long long)sh->ctl_nl, errs);
	{
		uint64_t sum = 0;
		size_t m = 0;

		for (i = 0; i < OP_NR; i++)
			sum += sh->op_ns[i];
		errs[0] = '\0';
		for (i = 0; i < OP_NR && m < sizeof(errs); i++)
			if (sh->op_n[i] && sh->op_ns[i] * 50 > sum)
				m += snprintf(errs + m, sizeof(errs) - m, "%s%s %llu x %.2f ms",
					      m ? ", " : "", opinfo[i].name,
					      (unsigned long long)sh->op_n[i],
					      sh->op_ns[i] / 1e6 / sh->op_n[i]);
		printf("# fuzz_sys: time in operations (over 2%%): %s; in sequence processes %.1f s\n",
		       errs, sh->seq_ns / 1e9);
	}
	ktap_result(fuzz_ok, "%llu sequences, every return an allowed errno",
		    (unsigned long long)done);
	if (g_wedged) {
		ktap_result(0, "the test can go on (a task is stuck in the kernel)");
		return ktap_finish();
	}
	config_reset();
	{
		int ids[4], n = debugfs_dev_ids(ids, 4), w;
		bool rel = wait_released(3000000000LL, &left);

		usleep(100000);
		w = worker_threads();
		ktap_result(rel && n == 0 && w == 0,
			    "module holds no device after the sequences (refcnt %ld, debugfs devices %d, worker threads %d)",
			    left, n, w);
	}
	kmsg_drain();
	if (K.bad_lines) {
		ktap_diag("the kernel log has %u lines the CI calls dirty:", K.bad_lines);
		for (i = 0; i < K.nbad; i++)
			ktap_diag("  %s", K.bad_seen[i]);
	}
	{
		bool ok = stream_ok("policy ondemand");

		if (g_ncpus >= 2) {
			ok = set_policy("sidecore", "1") && stream_ok("policy sidecore, cpus 1") && ok;
			config_reset();
		}
		ktap_result(ok, "a fresh device still streams");
	}
	if (faults) {
		K.bad_lines = 0;
		K.nbad = 0;
		fault_injection_pass();
	} else {
		ktap_diag("fault injection off (no fail-nth/failslab, or VSC_FUZZ_FAULTS=0)");
	}
	return ktap_finish();
}
