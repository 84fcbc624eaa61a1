/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the C selftests. */
#ifndef VSC_SELFTEST_UTIL_H
#define VSC_SELFTEST_UTIL_H

#define VSC_DEV_PATH "/dev/vhost-sidecore-net"

/* Load vhost_sidecore.ko ($VSC_MODULE or the tree's) unless loaded. */
int vsc_ensure_module(void);

/* Run a shell command; return its exit status or -1. */
int vsc_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
