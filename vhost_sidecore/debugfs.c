// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/vhost_sidecore/vqs and sidecores: one line of
 * counters per virtqueue and per sidecore.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/debugfs.h>
#include <linux/pid_namespace.h>
#include <linux/seq_file.h>

#include "debugfs.h"
#include "dev.h"
#include "sidecore.h"

static struct dentry *vsc_debugfs;

/* debugfs vhost_sidecore/vqs: one line of counters per virtqueue. */
static int vsc_vqs_show(struct seq_file *m, void *v)
{
	struct vsc_vq_stats st;
	struct vsc_dev *dev;
	int i;

	seq_puts(m, "dev owner comm vq mode backend broken packets bytes kicks signals runs run_ns empty_runs weight_exits drops errors handoff handoffs run_ns_max run_frames_max iotlb_misses\n");
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
			seq_printf(m, "%d %d %s %d %s %d %d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %d %llu %llu %llu %llu\n",
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
				   st.run_ns_max, st.run_frames_max,
				   st.iotlb_misses);
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

void vsc_debugfs_init(void)
{
	vsc_debugfs = debugfs_create_dir("vhost_sidecore", NULL);
	debugfs_create_file("vqs", 0400, vsc_debugfs, NULL, &vsc_vqs_fops);
	debugfs_create_file("sidecores", 0400, vsc_debugfs, NULL,
			    &vsc_sidecores_fops);
}

void vsc_debugfs_exit(void)
{
	debugfs_remove_recursive(vsc_debugfs);
}
