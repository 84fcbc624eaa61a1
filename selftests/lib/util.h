/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the C selftests. */
#ifndef VSC_SELFTEST_UTIL_H
#define VSC_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define VSC_DEV_PATH "/dev/vhost-sidecore-net"

/*
 * Load vhost_sidecore.ko unless loaded: $VSC_MODULE, else the one built for
 * the running kernel in build/RELEASE/, else the tree's.
 */
int vsc_ensure_module(void);

/* Run a shell command; return its exit status or -1. */
int vsc_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Files of /sys/kernel/vhost_sidecore/ (SYSFS): 0 or -errno. */
#define SYSFS "/sys/kernel/vhost_sidecore/"
int sysfs_write(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sysfs_read(const char *name, char *buf, size_t len);
unsigned long long sysfs_u64(const char *name);
/* Policy @policy on CPUs @cpus (through ondemand, sidecores 0). */
bool set_policy(const char *policy, const char *cpus);
/* pid of the kthread named @comm, or -1. */
pid_t kthread_pid(const char *comm);
/* CPU time of @pid in ns (first field of /proc/PID/schedstat), or -1. */
long long schedstat_ns(pid_t pid);

#endif
