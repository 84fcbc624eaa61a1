// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int vsc_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * The module built for the running kernel: $VSC_MODULE, else
 * build/RELEASE/vhost_sidecore.ko (make check builds one per kernel), else
 * the tree's own vhost_sidecore.ko. As selftests/lib/common.sh.
 */
int vsc_ensure_module(void)
{
	const char *mod = getenv("VSC_MODULE");
	char path[512];
	struct utsname u;
	struct stat st;

	if (!stat("/sys/module/vhost_sidecore", &st))
		return 0;
	if (!mod || !*mod) {
		mod = VSC_TOP "/vhost_sidecore.ko";
		if (!uname(&u)) {
			snprintf(path, sizeof(path), VSC_TOP "/build/%s/vhost_sidecore.ko",
				 u.release);
			if (!access(path, R_OK))
				mod = path;
		}
	}
	/* insmod does not load the one module ours needs (modprobe does). */
	return vsc_sh("modprobe -q vhost_iotlb; insmod '%s'", mod) ? -1 : 0;
}

/* The module's sysfs directory, and the tests' view of it. */
int sysfs_write(const char *name, const char *fmt, ...)
{
	char path[128], buf[128];
	va_list ap;
	int fd, n, r = 0;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* An empty write never reaches the kernel: send a bare newline. */
	if (!n)
		n = snprintf(buf, sizeof(buf), "\n");
	snprintf(path, sizeof(path), SYSFS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != n)
		r = -errno;
	close(fd);
	return r;
}

int sysfs_read(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), SYSFS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

unsigned long long sysfs_u64(const char *name)
{
	char buf[64];

	return sysfs_read(name, buf, sizeof(buf)) ? 0 : strtoull(buf, NULL, 0);
}

bool set_policy(const char *policy, const char *cpus)
{
	/* Policy first: ondemand accepts any cpus, others need them. */
	if (!strcmp(policy, "ondemand"))
		return !sysfs_write("policy", "ondemand") &&
		       !sysfs_write("cpus", "%s", cpus) &&
		       !sysfs_write("sidecores", "0");
	return !sysfs_write("policy", "ondemand") &&
	       !sysfs_write("sidecores", "0") &&
	       !sysfs_write("cpus", "%s", cpus) &&
	       !sysfs_write("policy", "%s", policy);
}

pid_t kthread_pid(const char *comm)
{
	char path[300], buf[64];
	struct dirent *e;
	pid_t pid = -1;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && (e = readdir(d)) && pid < 0) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (!strcmp(buf, comm))
				pid = atoi(e->d_name);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return pid;
}

long long schedstat_ns(pid_t pid)
{
	char path[64];
	long long ns = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &ns) != 1)
		ns = -1;
	fclose(f);
	return ns;
}
