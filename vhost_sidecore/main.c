// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-sidecore: a vhost-net compatible device whose virtqueues run on
 * on-demand workers or on dedicated polling sidecores.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid_namespace.h>
#include <linux/seq_file.h>

#include "dev.h"
#include "manager/config.h"
#include "sidecore.h"

static bool dropin;
module_param(dropin, bool, 0444);
MODULE_PARM_DESC(dropin,
		 "Also register as /dev/vhost-net (misc minor 238) when the in-tree vhost_net is not loaded");

static char *policy = "ondemand";
module_param(policy, charp, 0444);
MODULE_PARM_DESC(policy,
		 "Initial policy: ondemand, sidecore, manual or dynamic (runtime: /sys/kernel/vhost_sidecore/policy)");

static char *cpus = "";
module_param(cpus, charp, 0444);
MODULE_PARM_DESC(cpus, "Initial CPU list sidecores may run on, e.g. 2-3");

static unsigned int sidecores;
module_param(sidecores, uint, 0444);
MODULE_PARM_DESC(sidecores,
		 "Initial number of sidecores (0: one per CPU in cpus)");

static const struct file_operations vsc_fops = {
	.owner = THIS_MODULE,
	.open = vsc_dev_open,
	.release = vsc_dev_release,
	.unlocked_ioctl = vsc_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vsc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vhost-sidecore-net",
	.fops = &vsc_fops,
	.mode = 0600,
};

static struct miscdevice vsc_misc_dropin = {
	.minor = VHOST_NET_MINOR,
	.name = "vhost-net",
	.fops = &vsc_fops,
	.mode = 0600,
};

static bool vsc_dropin_registered;
static struct dentry *vsc_debugfs;

/* debugfs vhost_sidecore/vqs: one line of counters per virtqueue. */
static int vsc_vqs_show(struct seq_file *m, void *v)
{
	struct vsc_vq_stats st;
	struct vsc_dev *dev;
	int i;

	seq_puts(m, "dev owner comm vq mode backend broken packets bytes kicks signals runs run_ns empty_runs weight_exits drops errors handoff handoffs run_ns_max run_frames_max\n");
	/* vq->sc stays valid while vsc_exec_lock is held. */
	mutex_lock(&vsc_devices_lock);
	mutex_lock(&vsc_exec_lock);
	list_for_each_entry(dev, &vsc_devices, node) {
		for (i = 0; i < VSC_NET_NVQS; i++) {
			struct vsc_net_vq *nvq = &dev->vqs[i];

			struct vsc_sidecore *sc = READ_ONCE(nvq->vq.sc);
			char mode[16] = "ondemand";

			if (sc)
				snprintf(mode, sizeof(mode), "sidecore:%d",
					 sc->cpu);
			vsc_stats_read(&nvq->vq.stats, &st);
			seq_printf(m, "%d %d %s %d %s %d %d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %d %llu %llu %llu\n",
				   dev->id,
				   vsc_dev_owner_nr(dev, task_active_pid_ns(current)),
				   dev->owner_comm[0] ? dev->owner_comm : "-",
				   i, mode,
				   !!READ_ONCE(nvq->sock),
				   READ_ONCE(nvq->vq.broken),
				   st.packets, st.bytes, st.kicks, st.signals,
				   st.runs, st.run_ns, st.empty_runs,
				   st.weight_exits, st.drops, st.errors,
				   READ_ONCE(nvq->vq.handoff), st.handoffs,
				   st.run_ns_max, st.run_frames_max);
		}
	}
	mutex_unlock(&vsc_exec_lock);
	mutex_unlock(&vsc_devices_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vsc_vqs);

/* debugfs vhost_sidecore/sidecores: one line of counters per sidecore. */
static int vsc_sidecores_show(struct seq_file *m, void *v)
{
	struct vsc_core_stats st;
	struct vsc_sidecore *sc;
	unsigned int cpu;

	seq_puts(m, "cpu state vqs passes empty_polls busy_ns idle_ns runs packets mm_switches sleeps sleep_ns\n");
	mutex_lock(&vsc_exec_lock);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		sc = vsc_exec_core(cpu);
		if (!sc)
			continue;
		vsc_core_stats_read(sc, &st);
		seq_printf(m, "%u %s %u %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   cpu, vsc_sidecore_parked(sc) ? "parked" : "running",
			   sc->nassigned, st.passes, st.empty_polls,
			   st.busy_ns, st.idle_ns, st.runs, st.packets,
			   st.mm_switches, st.sleeps, st.sleep_ns);
	}
	mutex_unlock(&vsc_exec_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vsc_sidecores);

static int __init vsc_init(void)
{
	int err;

	err = vsc_exec_init();
	if (err)
		return err;
	err = vsc_config_init(policy, cpus, sidecores);
	if (err)
		goto err_exec;
	err = vsc_sysfs_init();
	if (err) {
		pr_err("cannot create /sys/kernel/vhost_sidecore: %d\n", err);
		goto err_config;
	}
	err = vsc_netlink_init();
	if (err) {
		pr_err("cannot register the generic netlink family: %d\n", err);
		goto err_sysfs;
	}
	err = misc_register(&vsc_misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", vsc_misc.name, err);
		goto err_netlink;
	}
	if (dropin) {
		err = misc_register(&vsc_misc_dropin);
		if (err)
			pr_warn("dropin: cannot take /dev/vhost-net (is vhost_net loaded?): %d\n",
				err);
		else
			vsc_dropin_registered = true;
	}
	vsc_debugfs = debugfs_create_dir("vhost_sidecore", NULL);
	debugfs_create_file("vqs", 0400, vsc_debugfs, NULL, &vsc_vqs_fops);
	debugfs_create_file("sidecores", 0400, vsc_debugfs, NULL,
			    &vsc_sidecores_fops);
	pr_info("version %s loaded%s\n", VSC_VERSION,
		vsc_dropin_registered ? ", also serving /dev/vhost-net" : "");
	return 0;

err_netlink:
	vsc_netlink_exit();
err_sysfs:
	vsc_sysfs_exit();
err_config:
	vsc_config_exit();
err_exec:
	vsc_exec_exit();
	return err;
}

/* fops.owner kept us loaded while a device was open: all are closed. */
static void __exit vsc_exit(void)
{
	debugfs_remove_recursive(vsc_debugfs);
	if (vsc_dropin_registered)
		misc_deregister(&vsc_misc_dropin);
	misc_deregister(&vsc_misc);
	/* No sysfs write may then send an event through a gone family. */
	vsc_sysfs_exit();
	vsc_netlink_exit();
	vsc_config_exit();
	vsc_exec_exit();
}

module_init(vsc_init);
module_exit(vsc_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The vhost-sidecore authors");
MODULE_DESCRIPTION("vhost-net compatible device with dynamic polling sidecores");
MODULE_VERSION(VSC_VERSION);
