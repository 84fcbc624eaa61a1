// SPDX-License-Identifier: GPL-2.0
/*
 * vgstream: one userspace virtio-net guest streaming checked frames both
 * ways through a vhost device, for shell tests and benchmarks.
 *
 *   vgstream [-d DEV] [-n FRAMES | -T SECONDS] [-s STREAM] [-t STALL_MS]
 *            [-i IFNAME] [-q QSIZE] [-E] [-I] [-M] [-w WAIT_FILE] [-c]
 *
 * -E/-I/-M turn off event_idx / indirect / mrg_rxbuf. -c prints the CPU
 * time of the device's worker thread (vhost-<pid>, vhost-sc-<pid>). With -w, the tap is
 * created and then vgstream waits until WAIT_FILE exists before
 * streaming. Exit 0 when every frame arrived intact and in order, 1 if
 * not, 2 on usage errors, 4 when it could not set up.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "lib/vguest.h"

/*
 * CPU time (ns) of the entries of directory dir (/proc, or a process's
 * task/ directory) whose comm is want1 or want2.
 */
static unsigned long long cpu_ns_named(const char *dir, const char *want1,
				       const char *want2)
{
	char path[300], comm[64];
	unsigned long long sum = 0, ns;
	struct dirent *e;
	DIR *d = opendir(dir);
	FILE *f;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", dir, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (!strcmp(comm, want1) || !strcmp(comm, want2)) {
				fclose(f);
				snprintf(path, sizeof(path), "%s/%s/schedstat", dir, e->d_name);
				f = fopen(path, "re");
				if (f && fscanf(f, "%llu", &ns) == 1)
					sum += ns;
			}
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return sum;
}

/*
 * CPU time (ns) of our device's worker, the kthread vhost-sc-<pid>, or
 * in-tree vhost-net's: the kthread vhost-<pid> up to 6.3, from 6.4 on a
 * thread of this process (vhost_task) of that name, which /proc lists
 * only under /proc/self/task.
 */
static unsigned long long worker_cpu_ns(void)
{
	char want1[32], want2[32];

	snprintf(want1, sizeof(want1), "vhost-%d", getpid());
	snprintf(want2, sizeof(want2), "vhost-sc-%d", getpid());
	return cpu_ns_named("/proc", want1, want2) +
	       cpu_ns_named("/proc/self/task", want1, want2);
}

int main(int argc, char **argv)
{
	struct vg_config cfg = {
		.dev = VSC_DEV_PATH, .qsize = 256, .event_idx = true,
		.indirect = true, .mrg_rxbuf = true, .version_1 = true,
		.ifname = "vgs0", .strict_hdr = false,
	};
	uint64_t frames = 10000;
	double seconds = 0;
	const char *wait_file = NULL;
	struct vg_stream_result res;
	uint32_t stream = 1;
	int stall = 10000, opt;
	struct stat st;
	struct vg_dev d;
	bool ok, cpu = false;

	while ((opt = getopt(argc, argv, "d:n:T:s:t:i:q:EIMw:ch")) != -1) {
		switch (opt) {
		case 'd': cfg.dev = optarg; break;
		case 'n': frames = strtoull(optarg, NULL, 0); break;
		case 'T': seconds = strtod(optarg, NULL); break;
		case 's': stream = strtoul(optarg, NULL, 0); break;
		case 't': stall = atoi(optarg); break;
		case 'i': cfg.ifname = optarg; break;
		case 'q': cfg.qsize = strtoul(optarg, NULL, 0); break;
		case 'E': cfg.event_idx = false; break;
		case 'I': cfg.indirect = false; break;
		case 'M': cfg.mrg_rxbuf = false; break;
		case 'w': wait_file = optarg; break;
		case 'c': cpu = true; break;
		default:
			fprintf(stderr, "usage: %s [-d DEV] [-n FRAMES | -T SECONDS] [-s STREAM] [-t STALL_MS] [-i IFNAME] [-q QSIZE] [-E] [-I] [-M] [-w WAIT_FILE] [-c]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (vg_new_netns() || vg_setup(&d, &cfg)) {
		fprintf(stderr, "vgstream: cannot set up %s\n", cfg.dev);
		return 4;
	}
	while (wait_file && stat(wait_file, &st))
		usleep(10000);
	ok = seconds > 0 ? vg_stream_for(&d, seconds, stream, stall, &res) :
			   vg_stream(&d, frames, stream, stall, &res);
	vg_stream_report(&res);
	if (cpu)
		printf("# worker_cpu_ns %llu\n", worker_cpu_ns());
	printf("# kicks rx %lu tx %lu, suppressed rx %lu tx %lu\n",
	       d.rx.kicks, d.tx.kicks, d.rx.kicks_suppressed,
	       d.tx.kicks_suppressed);
	vg_teardown(&d);
	return ok ? 0 : 1;
}
