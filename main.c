// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-sidecore: a vhost-net compatible device whose virtqueues run on
 * on-demand workers or on dedicated polling sidecores.
 *
 * The module's entry point: it only wires the parts together. Each part
 * has its init and exit in its own header; exit undoes init in the
 * reverse order. Which directory may include which:
 * Documentation/layout.rst.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/module.h>

#include "manager/config.h"
#include "manager/manager.h"
#include "manager/netlink.h"
#include "manager/sysfs.h"
#include "vhost_sidecore/debugfs.h"
#include "vhost_sidecore/dev.h"
#include "vhost_sidecore/exec.h"

static int __init vsc_init(void)
{
	int err;

	err = vsc_exec_init();
	if (err)
		return err;
	err = vsc_config_init();
	if (err)
		goto err_exec;
	err = vsc_manager_init();
	if (err) {
		pr_err("cannot start the manager thread: %d\n", err);
		goto err_config;
	}
	err = vsc_netlink_init();
	if (err) {
		pr_err("cannot register the generic netlink family: %d\n", err);
		goto err_manager;
	}
	/* After netlink: a sysfs write sends an event through the family. */
	err = vsc_sysfs_init();
	if (err) {
		pr_err("cannot create /sys/kernel/vhost_sidecore: %d\n", err);
		goto err_netlink;
	}
	err = vsc_dev_init();
	if (err)
		goto err_sysfs;
	vsc_debugfs_init();
	pr_info("version %s loaded%s\n", VSC_VERSION,
		vsc_dev_dropin() ? ", also serving /dev/vhost-net" : "");
	return 0;

err_sysfs:
	vsc_sysfs_exit();
err_netlink:
	vsc_netlink_exit();
err_manager:
	vsc_manager_exit();
err_config:
	vsc_config_exit();
err_exec:
	vsc_exec_exit();
	return err;
}

/* fops.owner kept us loaded while a device was open: all are closed. */
static void __exit vsc_exit(void)
{
	vsc_debugfs_exit();
	vsc_dev_exit();
	vsc_sysfs_exit();
	vsc_netlink_exit();
	vsc_manager_exit();
	vsc_config_exit();
	vsc_exec_exit();
}

module_init(vsc_init);
module_exit(vsc_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The vhost-sidecore authors");
MODULE_DESCRIPTION("vhost-net compatible device with dynamic polling sidecores");
MODULE_VERSION(VSC_VERSION);
