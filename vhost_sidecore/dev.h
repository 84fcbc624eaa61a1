/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One open file of /dev/vhost-sidecore-net is one device: an owner (the
 * process that issued VHOST_SET_OWNER, whose memory the rings live in),
 * its memory table and dirty log, an on-demand worker, and two virtqueues
 * (rx = 0, tx = 1) served by the net backend.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_DEV_H
#define VSC_DEV_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "exec.h"
#include "net.h"

struct file;
struct kiocb;
struct iov_iter;
struct mm_struct;
struct poll_table_struct;
struct pid;
struct pid_namespace;

struct vsc_dev {
	int id;
	struct list_head node;		/* vsc_devices */

	/* Serialises ioctls and teardown; taken before any vq mutex. */
	struct mutex mutex;

	/* Owner: mm_users reference held from SET_OWNER to reset/release. */
	struct mm_struct *mm;
	/*
	 * Its process, referenced over the same span, set and dropped under
	 * vsc_devices_lock: a number would name another process once it is
	 * reused, and only one pid namespace.
	 */
	struct pid *owner;
	char owner_comm[TASK_COMM_LEN];

	struct vsc_worker worker;
	struct list_head exec_node;	/* vsc_exec_devs, while owned */
	struct vsc_net_vq vqs[VSC_NET_NVQS];

	struct vsc_memtable *mem;
	void __user *log_base;
	struct eventfd_ctx *log_ctx;
	u64 acked_features;
	u64 backend_features;

	/*
	 * VIRTIO_F_ACCESS_PLATFORM: translations of I/O virtual addresses,
	 * filled by the VMM's write()s (changed under dev->mutex and every
	 * vq mutex), and the misses it reads: each vq's, under iotlb_lock,
	 * readers woken on iotlb_wq. Between BATCH_BEGIN and BATCH_END
	 * waiting vqs are woken only at the end.
	 */
	struct vhost_iotlb *iotlb;
	spinlock_t iotlb_lock;
	wait_queue_head_t iotlb_wq;
	bool iotlb_batch;

	/* Guest faults are logged per device: one guest cannot mute others. */
	struct ratelimit_state err_rs;
};

/* Open devices, in open order, and by id; both under vsc_devices_lock. */
extern struct list_head vsc_devices;
extern struct mutex vsc_devices_lock;
extern struct xarray vsc_device_ids;

/*
 * The owner's process id as seen from @ns (for the caller's own:
 * task_active_pid_ns(current)); 0 without an owner, once the owner has
 * exited, or where @ns does not see it. Under vsc_devices_lock, or from a
 * handler of the device (the owner stays while they can run).
 */
pid_t vsc_dev_owner_nr(struct vsc_dev *dev, struct pid_namespace *ns);

int vsc_dev_open(struct inode *inode, struct file *f);
int vsc_dev_release(struct inode *inode, struct file *f);
long vsc_dev_ioctl(struct file *f, unsigned int ioctl, unsigned long arg);
/* IOTLB messages (vhost_msg, vhost_msg_v2): misses out, updates in. */
ssize_t vsc_dev_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t vsc_dev_write_iter(struct kiocb *iocb, struct iov_iter *from);
__poll_t vsc_dev_poll(struct file *f, struct poll_table_struct *wait);

/* The char device(s): /dev/vhost-sidecore-net, and the drop-in if asked. */
int vsc_dev_init(void);
void vsc_dev_exit(void);
/* Was /dev/vhost-net taken too (module parameter dropin)? */
bool vsc_dev_dropin(void);

#endif /* VSC_DEV_H */
