/* SPDX-License-Identifier: GPL-2.0 */
/* The common start of a C selftest that drives the userspace guest. */
#ifndef VSC_VGTEST_H
#define VSC_VGTEST_H

#include <unistd.h>

#include "ktap.h"
#include "util.h"
#include "vguest.h"

/*
 * Print the TAP header, then skip the whole test unless we are root, our
 * module and @modules (a modprobe -a list such as "tun vhost_net") are
 * loaded, and a fresh network namespace is ours.
 */
static inline void vg_test_start(const char *modules)
{
	ktap_header(0);
	if (geteuid())
		ktap_exit_skip("needs root");
	if (vsc_ensure_module() || vsc_sh("modprobe -a %s", modules))
		ktap_exit_skip("cannot load vhost_sidecore and %s", modules);
	if (vg_new_netns())
		ktap_exit_skip("cannot create a network namespace");
}

#endif
