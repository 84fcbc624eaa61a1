// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown while traffic flows: close, owner killed, owner killed while
 * another process still holds the fd, backend detached and re-attached,
 * RESET_OWNER, memory table replaced, module unload while open. Where the
 * device stays open, no frame may be lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "lib/ktap.h"
#include "lib/vgtest.h"
#include "lib/util.h"
#include "lib/vguest.h"

KTAP_DEFINE_STATE;

static const struct vg_config base_cfg = {
	.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
	.indirect = true, .mrg_rxbuf = true, .version_1 = true,
	.ifname = "tdtap0",
};

static int devices_of(pid_t pid)
{
	struct vg_counters c;
	int n = 0;

	while (!vg_read_counters(pid, 0, n, &c))
		n++;
	return n;
}

/*
 * Whether device @id is still there, its owner gone: a dead owner is
 * reported as pid 0 (dev.c keeps a reference to its struct pid, and a
 * number that could name another process is never shown).
 */
static bool ownerless_device(int id)
{
	struct vg_counters c;
	int n;

	for (n = 0; !vg_read_counters(0, 0, n, &c); n++)
		if (c.dev == id)
			return true;
	return false;
}

static void msleep(int ms)
{
	usleep(ms * 1000);
}

/* Host floods the tap while the main thread closes the device. */
static void *flood_thread(void *arg)
{
	struct vg_dev *d = arg;
	uint8_t frame[256];
	int i;

	vg_frame_build(frame, sizeof(frame), true, 9, 0);
	for (i = 0; i < 20000; i++)
		vg_host_send(d, frame, sizeof(frame));
	return NULL;
}

static void close_under_traffic(void)
{
	struct vg_stream_job s = { .stream = 7, .frames = 1000000, .stall_ms = 500 };
	pthread_t st, fl;
	struct vg_dev d;
	int fd;

	if (vg_setup(&d, &base_cfg)) {
		ktap_result(0, "close while traffic flows: setup");
		return;
	}
	s.d = &d;
	pthread_create(&st, NULL, vg_stream_thread, &s);
	pthread_create(&fl, NULL, flood_thread, &d);
	msleep(400);
	fd = d.fd;
	ktap_diag("closing with %llu/%llu frames moved",
		  (unsigned long long)s.res.tx.received,
		  (unsigned long long)s.res.rx.received);
	/* Make the fd number useless to the streamer, then close. */
	d.fd = -1;
	ktap_result(close(fd) == 0, "close while traffic flows");
	pthread_join(fl, NULL);
	pthread_join(st, NULL);
	ktap_result(devices_of(getpid()) == 0,
		    "closed device is gone from the counters");
	vg_teardown(&d);
}

static void kill_owner(bool shared)
{
	const char *what = shared ?
		"owner killed while another process holds the fd" :
		"owner killed under traffic";
	int pipefd[2], fd = -1, status, id;
	struct vg_counters vc;
	pid_t pid;
	char c;

	if (pipe(pipefd))
		return;
	if (shared)
		fd = open(VSC_DEV_PATH, O_RDWR);
	pid = fork();
	if (pid == 0) {
		struct vg_config cfg = base_cfg;
		struct vg_stream_result res;
		struct vg_dev d;

		/* Shared: the fd the parent opened (a libvirt-style hand-off). */
		cfg.dev_fd = fd;
		if (vg_setup(&d, &cfg))
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		vg_stream(&d, 10000000, 8, 60000, &res);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1) {
		ktap_result(0, "%s: child set up", what);
		waitpid(pid, &status, 0);
		return;
	}
	msleep(400);
	id = vg_read_counters(pid, 0, 0, &vc) ? -1 : (int)vc.dev;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	if (!shared) {
		ktap_result(id >= 0 && devices_of(pid) == 0 &&
			    !ownerless_device(id),
			    "%s: device %d released", what, id);
		return;
	}
	ktap_result(id >= 0 && devices_of(pid) == 0 && ownerless_device(id),
		    "%s: device %d lives on, its dead owner shown as 0", what,
		    id);
	close(fd);
	ktap_result(id >= 0 && !ownerless_device(id),
		    "%s: released on the last close", what);
}

static void backend_flap(void)
{
	struct vg_stream_job s = { .stream = 7, .frames = 30000, .stall_ms = 10000 };
	struct vg_dev d;
	pthread_t st;
	int i, bad = 0;

	if (vg_setup(&d, &base_cfg)) {
		ktap_result(0, "backend detach mid-traffic: setup");
		return;
	}
	s.d = &d;
	pthread_create(&st, NULL, vg_stream_thread, &s);
	for (i = 0; i < 20; i++) {
		msleep(50);
		if (vg_set_backend(&d, -1))
			bad++;
		msleep(20);
		if (vg_set_backend(&d, d.tap))
			bad++;
	}
	pthread_join(st, NULL);
	vg_stream_report(&s.res);
	ktap_result(!bad, "backend detached and re-attached 20 times mid-traffic");
	ktap_result(s.ok, "... with no frame lost, duplicated, reordered or corrupt");
	vg_teardown(&d);
}

static void mem_table_swap(void)
{
	struct vg_stream_job s = { .stream = 7, .frames = 30000, .stall_ms = 10000 };
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r[2];
	} mt;
	uint64_t base;
	struct vg_dev d;
	pthread_t st;
	int i, bad = 0;

	if (vg_setup(&d, &base_cfg)) {
		ktap_result(0, "memory table replaced mid-traffic: setup");
		return;
	}
	base = (uint64_t)(uintptr_t)d.mem;
	s.d = &d;
	pthread_create(&st, NULL, vg_stream_thread, &s);
	for (i = 0; i < 100; i++) {
		/* Same memory, alternately as one region and as two. */
		memset(&mt, 0, sizeof(mt));
		mt.m.nregions = 1 + (i & 1);
		mt.r[0].guest_phys_addr = base;
		mt.r[0].userspace_addr = base;
		mt.r[0].memory_size = i & 1 ? d.mem_size / 2 : d.mem_size;
		mt.r[1].guest_phys_addr = base + d.mem_size / 2;
		mt.r[1].userspace_addr = base + d.mem_size / 2;
		mt.r[1].memory_size = d.mem_size - d.mem_size / 2;
		if (ioctl(d.fd, VHOST_SET_MEM_TABLE, &mt))
			bad++;
		msleep(10);
	}
	pthread_join(st, NULL);
	vg_stream_report(&s.res);
	ktap_result(!bad && s.ok,
		    "memory table replaced 100 times mid-traffic, no frame lost");
	vg_teardown(&d);
}

static void reset_owner(void)
{
	struct vg_stream_job s = { .stream = 7, .frames = 1000000, .stall_ms = 500 };
	struct vg_dev d;
	pthread_t st;
	uint64_t f;
	int r;

	if (vg_setup(&d, &base_cfg)) {
		ktap_result(0, "RESET_OWNER mid-traffic: setup");
		return;
	}
	s.d = &d;
	pthread_create(&st, NULL, vg_stream_thread, &s);
	msleep(300);
	r = ioctl(d.fd, VHOST_RESET_OWNER);
	ktap_result(r == 0, "RESET_OWNER mid-traffic");
	pthread_join(st, NULL);
	ktap_result(devices_of(getpid()) == 0 && devices_of(0) == 1,
		    "the device is reset: no owner");
	r = ioctl(d.fd, VHOST_SET_OWNER);
	ktap_result(r == 0 && ioctl(d.fd, VHOST_GET_FEATURES, &f) == 0,
		    "the reset device takes a new owner");
	vg_teardown(&d);
}

static void unload_while_open(void)
{
	int fd = open(VSC_DEV_PATH, O_RDWR);

	ktap_result(fd >= 0 && vsc_sh("rmmod vhost_sidecore 2>/dev/null") != 0,
		    "rmmod refused while a device is open");
	if (fd >= 0)
		close(fd);
	ktap_result(vsc_sh("rmmod vhost_sidecore") == 0,
		    "rmmod succeeds once it is closed");
	vsc_ensure_module();
}

int main(void)
{
	vg_test_start("tun");
	signal(SIGPIPE, SIG_IGN);

	close_under_traffic();
	kill_owner(false);
	kill_owner(true);
	backend_flap();
	mem_table_swap();
	reset_owner();
	unload_while_open();
	return ktap_finish();
}
