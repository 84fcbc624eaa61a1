// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl misuse: every bad call gets the errno in-tree vhost-net gives, and
 * changes nothing. Each case runs on our device and on /dev/vhost-net; the
 * few places where we are stricter on purpose say so.
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

#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

/* Newer ioctls (Linux 6.5+, 6.14+) that QEMU probes and falls back from. */
#define VSC_TEST_NEW_WORKER		_IOR(VHOST_VIRTIO, 0x8, unsigned int)
#define VSC_TEST_GET_FEATURES_ARRAY	_IOR(VHOST_VIRTIO, 0x83, __u64)

static const char *dev_name;
static bool ours;

static int err_of(int r)
{
	return r < 0 ? errno : 0;
}

static void expect(int got, int want, const char *what)
{
	ktap_result(got == want, "%s: %s gives %s%s%s", dev_name, what,
		    want ? strerror(want) : "success",
		    got == want ? "" : ", got ",
		    got == want ? "" : (got ? strerror(got) : "success"));
}

static int open_owned(void)
{
	int fd = open(dev_name, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, VHOST_SET_OWNER)) {
		ktap_diag("open/SET_OWNER %s: %s", dev_name, strerror(errno));
		return -1;
	}
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

static void memory_cases(void *mem, size_t size)
{
	static struct memtab t;
	uint64_t base = (uint64_t)(uintptr_t)mem;
	int fd = open_owned(), i;

	if (fd < 0)
		return;
	memset(&t, 0, sizeof(t));
	t.m.nregions = 65;
	for (i = 0; i < 65; i++) {
		t.r[i].guest_phys_addr = i * 0x1000ULL;
		t.r[i].memory_size = 0x1000;
		t.r[i].userspace_addr = base + i * 0x1000ULL;
	}
	expect(set_mem(fd, &t), E2BIG, "65 memory regions (max_mem_regions 64)");
	t.m.nregions = 64;
	expect(set_mem(fd, &t), 0, "64 memory regions");

	memset(&t, 0, sizeof(t));
	t.m.nregions = 1;
	t.m.padding = 1;
	t.r[0].memory_size = size;
	t.r[0].userspace_addr = base;
	expect(set_mem(fd, &t), EOPNOTSUPP, "memory table with nonzero padding");
	t.m.padding = 0;

	/*
	 * vhost-net takes an empty region at guest address 0 as the whole
	 * 64-bit space, and checks user addresses only once a backend is
	 * attached; we refuse both at once.
	 */
	t.r[0].memory_size = 0;
	expect(set_mem(fd, &t), ours ? EFAULT : 0,
	       "empty memory region (refused by us only)");
	t.r[0].memory_size = size;
	t.r[0].userspace_addr = 0xffff800000000000ULL;
	expect(set_mem(fd, &t), ours ? EFAULT : 0,
	       "region in kernel addresses (refused by us only)");
	t.r[0].userspace_addr = base;
	t.r[0].guest_phys_addr = ~0ULL - 0xfff;
	expect(set_mem(fd, &t), EFAULT, "guest range wrapping 2^64");

	t.m.nregions = 2;
	t.r[0].guest_phys_addr = 0;
	t.r[0].memory_size = 0x2000;
	t.r[1].guest_phys_addr = 0x1000;
	t.r[1].memory_size = 0x2000;
	t.r[1].userspace_addr = base + 0x4000;
	/* vhost-net accepts overlapping guest ranges; we refuse them. */
	expect(set_mem(fd, &t), ours ? EINVAL : 0,
	       "overlapping guest ranges (refused by us only)");
	close(fd);
}

static void vring_cases(void)
{
	struct vhost_vring_state s = { .index = 0 };
	struct vhost_vring_addr a = { .index = 0 };
	int fd = open_owned();

	if (fd < 0)
		return;
	s.num = 0;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), EINVAL, "ring size 0");
	s.num = 384;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), EINVAL,
	       "ring size 384 (not a power of two)");
	s.num = 65536;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), EINVAL,
	       "ring size 65536 (over 32768)");
	s.num = 32768;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), 0, "ring size 32768");
	s.index = 2;
	s.num = 256;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), ENOBUFS, "vq index 2");
	s.index = 0;
	s.num = 0x10000;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_BASE, &s)), EINVAL,
	       "ring base 0x10000");

	a.avail_user_addr = 0x10001;
	a.used_user_addr = 0x20000;
	a.desc_user_addr = 0x30000;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_ADDR, &a)), EINVAL,
	       "avail ring at an odd address");
	a.avail_user_addr = 0x10000;
	a.used_user_addr = 0x20002;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_ADDR, &a)), EINVAL,
	       "used ring not 4-byte aligned");
	a.used_user_addr = 0x20000;
	a.flags = 0x2;
	expect(err_of(ioctl(fd, VHOST_SET_VRING_ADDR, &a)), EOPNOTSUPP,
	       "unknown vring address flag");
	close(fd);
}

static void feature_cases(void)
{
	uint64_t f, have = 0;
	int fd = open(dev_name, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	expect(err_of(ioctl(fd, VHOST_GET_FEATURES, &have)), 0,
	       "GET_FEATURES before SET_OWNER");
	f = 1ULL << 63;
	expect(err_of(ioctl(fd, VHOST_SET_FEATURES, &f)), EOPNOTSUPP,
	       "SET_FEATURES with an unknown bit");
	f = 1ULL << 40;
	expect(err_of(ioctl(fd, VHOST_SET_BACKEND_FEATURES, &f)), EOPNOTSUPP,
	       "SET_BACKEND_FEATURES with an unknown bit");
	if (ours)
		ktap_result(!(have & (1ULL << VIRTIO_F_ACCESS_PLATFORM)),
			    "%s: ACCESS_PLATFORM (IOTLB) is not offered", dev_name);
	expect(err_of(ioctl(fd, VHOST_SET_MEM_TABLE, &f)), EPERM,
	       "SET_MEM_TABLE before SET_OWNER");
	expect(err_of(ioctl(fd, VHOST_SET_OWNER)), 0, "SET_OWNER");
	expect(err_of(ioctl(fd, VHOST_SET_OWNER)), EBUSY, "second SET_OWNER");
	f = 0;
	expect(err_of(ioctl(fd, _IOW(VHOST_VIRTIO, 0x7f, __u64), &f)), ENOTTY,
	       "unknown ioctl");
	expect(err_of(ioctl(fd, VSC_TEST_GET_FEATURES_ARRAY, &f)), ENOTTY,
	       "GET_FEATURES_ARRAY (newer QEMU probes it first)");
	expect(err_of(ioctl(fd, VSC_TEST_NEW_WORKER, &f)), ENOTTY,
	       "NEW_WORKER (worker ioctls)");
	close(fd);
}

/* After SET_OWNER in this process, a forked child is not the owner. */
static void owner_cases(void)
{
	struct vhost_vring_state s = { .index = 0, .num = 256 };
	int fd = open_owned(), status, res[4];
	uint64_t f;
	pid_t pid;
	int pipefd[2];

	if (fd < 0 || pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		res[0] = err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s));
		res[1] = err_of(ioctl(fd, VHOST_RESET_OWNER));
		res[2] = err_of(ioctl(fd, VHOST_GET_FEATURES, &f));
		res[3] = err_of(ioctl(fd, VHOST_SET_OWNER));
		if (write(pipefd[1], res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (read(pipefd[0], res, sizeof(res)) != sizeof(res))
		memset(res, 0xff, sizeof(res));
	expect(res[0], EPERM, "SET_VRING_NUM from a process that is not the owner");
	expect(res[1], EPERM, "RESET_OWNER from a process that is not the owner");
	/* vhost-net answers GET_FEATURES to anyone; we only to the owner. */
	expect(res[2], ours ? EPERM : 0,
	       "GET_FEATURES from a process that is not the owner (refused by us only)");
	expect(res[3], EBUSY, "SET_OWNER from a second process");
	expect(err_of(ioctl(fd, VHOST_SET_VRING_NUM, &s)), 0,
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
static void top_of_user_space_case(void)
{
	/* x86-64 TASK_SIZE_MAX with 5-level paging, then with 4-level. */
	const unsigned long tops[] = { (1UL << 56) - 4096, (1UL << 47) - 4096 };
	unsigned long top = 0;
	size_t t;
	struct vg_config cfg = {
		.dev = dev_name, .qsize = 256, .version_1 = true,
		.ifname = "misuse2", .no_backend = true,
	};
	struct vhost_vring_addr a = { .index = 0 };
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
	if (page == MAP_FAILED) {
		ktap_skip("%s: top page of user space is taken", dev_name);
		return;
	}
	if (vg_setup(&d, &cfg)) {
		ktap_result(0, "%s: top-of-memory ring set up", dev_name);
		vg_teardown(&d);
		munmap(page, 4096);
		return;
	}
	a.desc_user_addr = (uintptr_t)d.rx.desc;
	a.used_user_addr = (uintptr_t)d.rx.used;
	ktap_diag("%s: top of user space at 0x%lx", dev_name, top);
	a.avail_user_addr = top - (4 + 2 * 256);
	expect(err_of(ioctl(d.fd, VHOST_SET_VRING_ADDR, &a)), 0,
	       "avail ring ending at the top of user space");
	expect(set_backend(d.fd, 0, d.tap), 0, "... attached without EVENT_IDX");
	f = d.features | (1ULL << VIRTIO_RING_F_EVENT_IDX);
	expect(err_of(ioctl(d.fd, VHOST_SET_FEATURES, &f)), ours ? EFAULT : 0,
	       "... then SET_FEATURES adding EVENT_IDX (refused by us only)");
	set_backend(d.fd, 0, -1);
	vg_teardown(&d);
	munmap(page, 4096);
}

/* Backend and eventfd arguments, on a fully set up device. */
static void backend_cases(void)
{
	struct vg_config cfg = {
		.dev = dev_name, .qsize = 256, .mrg_rxbuf = true,
		.version_1 = true, .ifname = "misuse0", .no_backend = true,
	};
	struct vhost_vring_state s = { .index = 1, .num = 128 };
	struct vhost_vring_file vf = { .index = 0 };
	int file, udp, efd, fd2, r;
	struct vg_dev d;

	if (vg_setup(&d, &cfg)) {
		ktap_result(0, "%s: backend cases set up", dev_name);
		vg_teardown(&d);
		return;
	}
	file = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	efd = eventfd(0, EFD_CLOEXEC);
	expect(set_backend(d.fd, 0, file), ENOTSOCK, "SET_BACKEND with a regular file");
	expect(set_backend(d.fd, 0, udp), ENOTSOCK, "SET_BACKEND with a UDP socket");
	expect(set_backend(d.fd, 0, efd), ENOTSOCK, "SET_BACKEND with an eventfd");
	expect(set_backend(d.fd, 0, 1000), ENOTSOCK, "SET_BACKEND with a closed fd");
	expect(set_backend(d.fd, 2, d.tap), ENOBUFS, "SET_BACKEND on vq 2");

	vf.fd = file;
	expect(err_of(ioctl(d.fd, VHOST_SET_VRING_KICK, &vf)), EINVAL,
	       "SET_VRING_KICK with a regular file");
	vf.fd = 1000;
	expect(err_of(ioctl(d.fd, VHOST_SET_VRING_CALL, &vf)), EBADF,
	       "SET_VRING_CALL with a closed fd");

	r = set_backend(d.fd, 1, d.tap);
	expect(r, 0, "SET_BACKEND with the tap");
	expect(err_of(ioctl(d.fd, VHOST_SET_VRING_NUM, &s)), EBUSY,
	       "SET_VRING_NUM while the backend is attached");
	expect(err_of(ioctl(d.fd, VHOST_SET_VRING_BASE, &s)), EBUSY,
	       "SET_VRING_BASE while the backend is attached");
	expect(set_backend(d.fd, 1, -1), 0, "SET_BACKEND -1 detaches");
	expect(err_of(ioctl(d.fd, VHOST_SET_VRING_NUM, &s)), 0,
	       "SET_VRING_NUM once detached");
	vg_teardown(&d);

	top_of_user_space_case();

	/* A ring that was never given addresses cannot take a backend. */
	fd2 = open_owned();
	if (fd2 >= 0) {
		int tapfd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, IFNAMSIZ, "misuse1");
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		if (tapfd >= 0 && !ioctl(tapfd, TUNSETIFF, &ifr))
			expect(set_backend(fd2, 0, tapfd), EFAULT,
			       "SET_BACKEND before the ring is set up");
		if (tapfd >= 0)
			close(tapfd);
		close(fd2);
	}
	close(file);
	close(udp);
	close(efd);
}

int main(void)
{
	const char *devs[] = { VSC_DEV_PATH, "/dev/vhost-net" };
	size_t size = 64 << 20;
	struct stat st;
	void *mem;
	size_t i;

	vg_test_start("tun vhost_net");
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		ktap_exit_skip("no memory");

	for (i = 0; i < 2; i++) {
		dev_name = devs[i];
		ours = i == 0;
		if (stat(dev_name, &st)) {
			ktap_skip("%s not available", dev_name);
			continue;
		}
		feature_cases();
		owner_cases();
		memory_cases(mem, size);
		vring_cases();
		backend_cases();
	}
	return ktap_finish();
}
