// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl misuse: every bad call gets the errno in-tree vhost-net gives, and
 * changes nothing. Each case runs on our device and on /dev/vhost-net (two
 * variants of one fixture); the few places where we are stricter on
 * purpose say so.
 *
 * Built on the kernel's kselftest_harness.h, unpacked from linux-source
 * at build time (see the Makefile): each case runs in its own process, so
 * a crash or a failed assertion ends only that case.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"

#include "lib/util.h"
#include "lib/vguest.h"

/* Newer ioctls (Linux 6.5+, 6.14+) that QEMU probes and falls back from. */
#define VSC_TEST_NEW_WORKER		_IOR(VHOST_VIRTIO, 0x8, unsigned int)
#define VSC_TEST_GET_FEATURES_ARRAY	_IOR(VHOST_VIRTIO, 0x83, __u64)


FIXTURE(misuse) {
	void *mem;
	size_t size;
};

/* The same cases on our device and on in-tree vhost-net. */
FIXTURE_VARIANT(misuse) {
	const char *dev;
	bool ours;
};

FIXTURE_VARIANT_ADD(misuse, ours) {
	.dev = VSC_DEV_PATH,
	.ours = true,
};

FIXTURE_VARIANT_ADD(misuse, vhost_net) {
	.dev = "/dev/vhost-net",
	.ours = false,
};

FIXTURE_SETUP(misuse)
{
	struct stat st;

	ASSERT_EQ(0U, geteuid()) TH_LOG("needs root");
	ASSERT_EQ(0, vsc_ensure_module()) TH_LOG("cannot load vhost_sidecore");
	ASSERT_EQ(0, vsc_sh("modprobe -a tun vhost_net"))
		TH_LOG("cannot load tun and vhost_net");
	ASSERT_EQ(0, vg_new_netns()) TH_LOG("cannot create a network namespace");
	if (stat(variant->dev, &st)) {
		/* Ours must be there once loaded; vhost-net may be missing. */
		ASSERT_FALSE(variant->ours) TH_LOG("%s: %s", variant->dev, strerror(errno));
		SKIP(return, "%s not available", variant->dev);
	}
	self->size = 64 << 20;
	self->mem = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(misuse)
{
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, self->size);
}

static int err_of(int r)
{
	return r < 0 ? errno : 0;
}

static const char *err_name(int e)
{
	return e ? strerror(e) : "success";
}

/* One check: @what on @dev gives @want; print it either way. */
#define EXPECT_ERR(want, got, what) do {				\
	int __want = (want), __got = (got);				\
									\
	ksft_print_msg("%s: %s gives %s%s%s\n", variant->dev, what,	\
		       err_name(__want), __got == __want ? "" : ", got ",\
		       __got == __want ? "" : err_name(__got));		\
	EXPECT_EQ(__want, __got);					\
} while (0)

/* An open file of the variant's device, with this process its owner. */
static int open_owned(struct __test_metadata *_metadata, const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	EXPECT_LE(0, fd) TH_LOG("open %s: %s", dev, strerror(errno));
	if (fd < 0)
		return -1;
	EXPECT_EQ(0, ioctl(fd, VHOST_SET_OWNER))
		TH_LOG("SET_OWNER on %s: %s", dev, strerror(errno));
	return fd;
}

static int set_backend(int fd, unsigned int index, int bfd)
{
	struct vhost_vring_file b = { .index = index, .fd = bfd };

	return err_of(ioctl(fd, VHOST_NET_SET_BACKEND, &b));
}

struct memtab {
	struct vhost_memory m;
	struct vhost_memory_region r[70];
};

static int set_mem(int fd, struct memtab *t)
{
	return err_of(ioctl(fd, VHOST_SET_MEM_TABLE, t));
}

TEST_F(misuse, memory_table)
{
	static struct memtab t;
	uint64_t base = (uint64_t)(uintptr_t)self->mem;
	bool ours = variant->ours;
	int fd = open_owned(_metadata, variant->dev), i;

	ASSERT_LE(0, fd);
	memset(&t, 0, sizeof(t));
	t.m.nregions = 65;
	for (i = 0; i < 65; i++) {
		t.r[i].guest_phys_addr = i * 0x1000ULL;
		t.r[i].memory_size = 0x1000;
		t.r[i].userspace_addr = base + i * 0x1000ULL;
	}
	EXPECT_ERR(E2BIG, set_mem(fd, &t), "65 memory regions (max_mem_regions 64)");
	t.m.nregions = 64;
	EXPECT_ERR(0, set_mem(fd, &t), "64 memory regions");

	memset(&t, 0, sizeof(t));
	t.m.nregions = 1;
	t.m.padding = 1;
	t.r[0].memory_size = self->size;
	t.r[0].userspace_addr = base;
	EXPECT_ERR(EOPNOTSUPP, set_mem(fd, &t), "memory table with nonzero padding");
	t.m.padding = 0;

	/*
	 * vhost-net takes an empty region at guest address 0 as the whole
	 * 64-bit space, and checks user addresses only once a backend is
	 * attached; we refuse both at once.
	 */
	t.r[0].memory_size = 0;
	EXPECT_ERR(ours ? EFAULT : 0, set_mem(fd, &t),
		   "empty memory region (refused by us only)");
	t.r[0].memory_size = self->size;
	t.r[0].userspace_addr = 0xffff800000000000ULL;
	EXPECT_ERR(ours ? EFAULT : 0, set_mem(fd, &t),
		   "region in kernel addresses (refused by us only)");
	t.r[0].userspace_addr = base;
	t.r[0].guest_phys_addr = ~0ULL - 0xfff;
	EXPECT_ERR(EFAULT, set_mem(fd, &t), "guest range wrapping 2^64");

	t.m.nregions = 2;
	t.r[0].guest_phys_addr = 0;
	t.r[0].memory_size = 0x2000;
	t.r[1].guest_phys_addr = 0x1000;
	t.r[1].memory_size = 0x2000;
	t.r[1].userspace_addr = base + 0x4000;
	/* vhost-net accepts overlapping guest ranges; we refuse them. */
	EXPECT_ERR(ours ? EINVAL : 0, set_mem(fd, &t),
		   "overlapping guest ranges (refused by us only)");
	close(fd);
}

TEST_F(misuse, vring)
{
	struct vhost_vring_state s = { .index = 0 };
	struct vhost_vring_addr a = { .index = 0 };
	int fd = open_owned(_metadata, variant->dev);

	ASSERT_LE(0, fd);
	s.num = 0;
	EXPECT_ERR(EINVAL, err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), "ring size 0");
	s.num = 384;
	EXPECT_ERR(EINVAL, err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)),
		   "ring size 384 (not a power of two)");
	s.num = 65536;
	EXPECT_ERR(EINVAL, err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)),
		   "ring size 65536 (over 32768)");
	s.num = 32768;
	EXPECT_ERR(0, err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), "ring size 32768");
	s.index = 2;
	s.num = 256;
	EXPECT_ERR(ENOBUFS, err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), "vq index 2");
	s.index = 0;
	s.num = 0x10000;
	EXPECT_ERR(EINVAL, err_of(ioctl(fd, VHOST_SET_VRING_BASE, &s)),
		   "ring base 0x10000");

	a.avail_user_addr = 0x10001;
	a.used_user_addr = 0x20000;
	a.desc_user_addr = 0x30000;
	EXPECT_ERR(EINVAL, err_of(ioctl(fd, VHOST_SET_VRING_ADDR, &a)),
		   "avail ring at an odd address");
	a.avail_user_addr = 0x10000;
	a.used_user_addr = 0x20002;
	EXPECT_ERR(EINVAL, err_of(ioctl(fd, VHOST_SET_VRING_ADDR, &a)),
		   "used ring not 4-byte aligned");
	a.used_user_addr = 0x20000;
	a.flags = 0x2;
	EXPECT_ERR(EOPNOTSUPP, err_of(ioctl(fd, VHOST_SET_VRING_ADDR, &a)),
		   "unknown vring address flag");
	close(fd);
}

TEST_F(misuse, features)
{
	uint64_t f, have = 0;
	int fd = open(variant->dev, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", variant->dev, strerror(errno));
	EXPECT_ERR(0, err_of(ioctl(fd, VHOST_GET_FEATURES, &have)),
		   "GET_FEATURES before SET_OWNER");
	f = 1ULL << 63;
	EXPECT_ERR(EOPNOTSUPP, err_of(ioctl(fd, VHOST_SET_FEATURES, &f)),
		   "SET_FEATURES with an unknown bit");
	f = 1ULL << 40;
	EXPECT_ERR(EOPNOTSUPP, err_of(ioctl(fd, VHOST_SET_BACKEND_FEATURES, &f)),
		   "SET_BACKEND_FEATURES with an unknown bit");
	/* Both offer a vIOMMU's IOTLB (iotlb tests it on ours). */
	EXPECT_TRUE(!!(have & (1ULL << VIRTIO_F_ACCESS_PLATFORM)))
		TH_LOG("ACCESS_PLATFORM (IOTLB) must be offered");
	EXPECT_ERR(EPERM, err_of(ioctl(fd, VHOST_SET_MEM_TABLE, &f)),
		   "SET_MEM_TABLE before SET_OWNER");
	EXPECT_ERR(0, err_of(ioctl(fd, VHOST_SET_OWNER)), "SET_OWNER");
	EXPECT_ERR(EBUSY, err_of(ioctl(fd, VHOST_SET_OWNER)), "second SET_OWNER");
	f = 0;
	EXPECT_ERR(ENOTTY, err_of(ioctl(fd, _IOW(VHOST_VIRTIO, 0x7f, __u64), &f)),
		   "unknown ioctl");
	EXPECT_ERR(ENOTTY, err_of(ioctl(fd, VSC_TEST_GET_FEATURES_ARRAY, &f)),
		   "GET_FEATURES_ARRAY (newer QEMU probes it first)");
	EXPECT_ERR(ENOTTY, err_of(ioctl(fd, VSC_TEST_NEW_WORKER, &f)),
		   "NEW_WORKER (worker ioctls)");
	close(fd);
}

/* After SET_OWNER in this process, a forked child is not the owner. */
TEST_F(misuse, owner)
{
	struct vhost_vring_state s = { .index = 0, .num = 256 };
	int fd = open_owned(_metadata, variant->dev), status, res[4];
	bool ours = variant->ours;
	int pipefd[2];
	uint64_t f;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd)) TH_LOG("pipe: %s", strerror(errno));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		res[0] = err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s));
		res[1] = err_of(ioctl(fd, VHOST_RESET_OWNER));
		res[2] = err_of(ioctl(fd, VHOST_GET_FEATURES, &f));
		res[3] = err_of(ioctl(fd, VHOST_SET_OWNER));
		if (write(pipefd[1], res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child ended with status 0x%x", status);
	ASSERT_EQ((ssize_t)sizeof(res), read(pipefd[0], res, sizeof(res)));
	EXPECT_ERR(EPERM, res[0], "SET_VRING_NUM from a process that is not the owner");
	EXPECT_ERR(EPERM, res[1], "RESET_OWNER from a process that is not the owner");
	/* vhost-net answers GET_FEATURES to anyone; we only to the owner. */
	EXPECT_ERR(ours ? EPERM : 0, res[2],
		   "GET_FEATURES from a process that is not the owner (refused by us only)");
	EXPECT_ERR(EBUSY, res[3], "SET_OWNER from a second process");
	EXPECT_ERR(0, err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)),
		   "the owner is still served");
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
}

/*
 * An avail ring that ends exactly at the top of user space is fine without
 * EVENT_IDX; adding EVENT_IDX while it runs would put the used_event field
 * beyond it, so SET_FEATURES must refuse (vhost-net does not check).
 */
TEST_F(misuse, top_of_user_space)
{
	/* x86-64 TASK_SIZE_MAX with 5-level paging, then with 4-level. */
	const unsigned long tops[] = { (1UL << 56) - 4096, (1UL << 47) - 4096 };
	unsigned long top = 0;
	size_t t;
	struct vg_config cfg = {
		.dev = variant->dev, .qsize = 256, .version_1 = true,
		.ifname = "misuse2", .no_backend = true,
	};
	struct vhost_vring_addr a = { .index = 0 };
	bool ours = variant->ours;
	struct vg_dev d;
	uint64_t f;
	void *page;

	page = MAP_FAILED;
	for (t = 0; t < 2 && page == MAP_FAILED; t++) {
		top = tops[t];
		page = mmap((void *)(top - 4096), 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			    -1, 0);
		if (page != MAP_FAILED && (unsigned long)page != top - 4096) {
			munmap(page, 4096);
			page = MAP_FAILED;
		}
	}
	if (page == MAP_FAILED)
		SKIP(return, "the top page of user space is taken");
	ASSERT_EQ(0, vg_setup(&d, &cfg)) TH_LOG("top-of-memory ring set up");
	a.desc_user_addr = (uintptr_t)d.rx.desc;
	a.used_user_addr = (uintptr_t)d.rx.used;
	ksft_print_msg("%s: top of user space at 0x%lx\n", variant->dev, top);
	a.avail_user_addr = top - (4 + 2 * 256);
	EXPECT_ERR(0, err_of(ioctl(d.fd, VHOST_SET_VRING_ADDR, &a)),
		   "avail ring ending at the top of user space");
	EXPECT_ERR(0, set_backend(d.fd, 0, d.tap), "... attached without EVENT_IDX");
	f = d.features | (1ULL << VIRTIO_RING_F_EVENT_IDX);
	EXPECT_ERR(ours ? EFAULT : 0, err_of(ioctl(d.fd, VHOST_SET_FEATURES, &f)),
		   "... then SET_FEATURES adding EVENT_IDX (refused by us only)");
	set_backend(d.fd, 0, -1);
	vg_teardown(&d);
	munmap(page, 4096);
}

/* Backend and eventfd arguments, on a fully set up device. */
TEST_F(misuse, backend)
{
	struct vg_config cfg = {
		.dev = variant->dev, .qsize = 256, .mrg_rxbuf = true,
		.version_1 = true, .ifname = "misuse0", .no_backend = true,
	};
	struct vhost_vring_state s = { .index = 1, .num = 128 };
	struct vhost_vring_file vf = { .index = 0 };
	int file, udp, efd;
	struct vg_dev d;

	ASSERT_EQ(0, vg_setup(&d, &cfg)) TH_LOG("backend cases set up");
	file = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_TRUE(file >= 0 && udp >= 0 && efd >= 0);
	EXPECT_ERR(ENOTSOCK, set_backend(d.fd, 0, file), "SET_BACKEND with a regular file");
	EXPECT_ERR(ENOTSOCK, set_backend(d.fd, 0, udp), "SET_BACKEND with a UDP socket");
	EXPECT_ERR(ENOTSOCK, set_backend(d.fd, 0, efd), "SET_BACKEND with an eventfd");
	EXPECT_ERR(ENOTSOCK, set_backend(d.fd, 0, 1000), "SET_BACKEND with a closed fd");
	EXPECT_ERR(ENOBUFS, set_backend(d.fd, 2, d.tap), "SET_BACKEND on vq 2");

	vf.fd = file;
	EXPECT_ERR(EINVAL, err_of(ioctl(d.fd, VHOST_SET_VRING_KICK, &vf)),
		   "SET_VRING_KICK with a regular file");
	vf.fd = 1000;
	EXPECT_ERR(EBADF, err_of(ioctl(d.fd, VHOST_SET_VRING_CALL, &vf)),
		   "SET_VRING_CALL with a closed fd");

	EXPECT_ERR(0, set_backend(d.fd, 1, d.tap), "SET_BACKEND with the tap");
	EXPECT_ERR(EBUSY, err_of(ioctl(d.fd, VHOST_SET_VRING_NUM, &s)),
		   "SET_VRING_NUM while the backend is attached");
	EXPECT_ERR(EBUSY, err_of(ioctl(d.fd, VHOST_SET_VRING_BASE, &s)),
		   "SET_VRING_BASE while the backend is attached");
	EXPECT_ERR(0, set_backend(d.fd, 1, -1), "SET_BACKEND -1 detaches");
	EXPECT_ERR(0, err_of(ioctl(d.fd, VHOST_SET_VRING_NUM, &s)),
		   "SET_VRING_NUM once detached");
	vg_teardown(&d);
	close(file);
	close(udp);
	close(efd);
}

/* A ring that was never given addresses cannot take a backend. */
TEST_F(misuse, backend_before_ring)
{
	int fd = open_owned(_metadata, variant->dev), tapfd;
	struct ifreq ifr;

	ASSERT_LE(0, fd);
	tapfd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, tapfd) TH_LOG("open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "misuse1");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	ASSERT_EQ(0, ioctl(tapfd, TUNSETIFF, &ifr)) TH_LOG("TUNSETIFF: %s", strerror(errno));
	EXPECT_ERR(EFAULT, set_backend(fd, 0, tapfd), "SET_BACKEND before the ring is set up");
	close(tapfd);
	close(fd);
}

TEST_HARNESS_MAIN
