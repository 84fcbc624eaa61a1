// SPDX-License-Identifier: GPL-2.0
/*
 * The device: one per open file, speaking the vhost-net ioctl ABI.
 *
 * Locking: dev->mutex serialises every ioctl, IOTLB message and
 * teardown; each vq's mutex is taken inside it (in index order when
 * several are) to change what the vq's handler reads.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/cgroup.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vhost.h>
#include <linux/vhost_iotlb.h>
#include <linux/xarray.h>

#include "compat.h"
#include "dev.h"

LIST_HEAD(vsc_devices);
DEFINE_MUTEX(vsc_devices_lock);
/* Device ids: cyclic, so an id names one device for a long time. */
DEFINE_XARRAY_ALLOC1(vsc_device_ids);
static u32 vsc_next_id;

static unsigned short max_mem_regions = 64;
module_param(max_mem_regions, ushort, 0444);
MODULE_PARM_DESC(max_mem_regions,
		 "Maximum number of memory regions in a memory table (default 64)");

static unsigned int max_iotlb_entries = 2048;
module_param(max_iotlb_entries, uint, 0444);
MODULE_PARM_DESC(max_iotlb_entries,
		 "Translations a device's IOTLB caches; the oldest goes first (default 2048)");

static struct vsc_memtable *vsc_memtable_alloc(u32 n)
{
	struct vsc_memtable *t;

	t = kvzalloc(struct_size(t, r, n), GFP_KERNEL_ACCOUNT);
	if (t)
		t->nregions = n;
	return t;
}

/* Give every vq the device's current memory table. */
static void vsc_dev_publish_mem(struct vsc_dev *dev)
{
	int i;

	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_vq *vq = &dev->vqs[i].vq;

		mutex_lock(&vq->mutex);
		vq->mem = dev->mem;
		mutex_unlock(&vq->mutex);
	}
}

int vsc_dev_open(struct inode *inode, struct file *f)
{
	struct vsc_dev *dev;
	int i, r;
	u32 id;

	dev = kvzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->mutex);
	spin_lock_init(&dev->iotlb_lock);
	init_waitqueue_head(&dev->iotlb_wq);
	ratelimit_state_init(&dev->err_rs, DEFAULT_RATELIMIT_INTERVAL,
			     DEFAULT_RATELIMIT_BURST);
	dev->mem = vsc_memtable_alloc(0);
	if (!dev->mem) {
		r = -ENOMEM;
		goto err;
	}
	for (i = 0; i < VSC_NET_NVQS; i++) {
		vsc_net_vq_init(&dev->vqs[i], dev, i);
		dev->vqs[i].vq.mem = dev->mem;
		r = vsc_net_vq_alloc(&dev->vqs[i]);
		if (r)
			goto err;
	}
	mutex_lock(&vsc_devices_lock);
	r = xa_alloc_cyclic(&vsc_device_ids, &id, dev, XA_LIMIT(1, INT_MAX),
			    &vsc_next_id, GFP_KERNEL);
	if (r >= 0) {
		dev->id = id;
		list_add_tail(&dev->node, &vsc_devices);
	}
	mutex_unlock(&vsc_devices_lock);
	if (r < 0)
		goto err;
	f->private_data = dev;
	return 0;

err:
	for (i = 0; i < VSC_NET_NVQS; i++)
		vsc_net_vq_free(&dev->vqs[i]);
	kvfree(dev->mem);
	kvfree(dev);
	return r;
}

static void vsc_dev_lock_vqs(struct vsc_dev *dev)
{
	int i;

	for (i = 0; i < VSC_NET_NVQS; i++)
		mutex_lock_nested(&dev->vqs[i].vq.mutex, i);
}

static void vsc_dev_unlock_vqs(struct vsc_dev *dev)
{
	int i;

	for (i = VSC_NET_NVQS - 1; i >= 0; i--)
		mutex_unlock(&dev->vqs[i].vq.mutex);
}

/*
 * The IOTLB changed (vq mutexes held): rings are translated again before
 * the next run. With @wake, waiting vqs may run again; returns which,
 * for vsc_dev_queue_vqs() once the mutexes are released.
 */
static unsigned long vsc_dev_iotlb_changed(struct vsc_dev *dev, bool wake)
{
	unsigned long woken = 0;
	int i;

	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_vq *vq = &dev->vqs[i].vq;

		vq->iotlb = dev->iotlb;
		vq->rings_mapped = false;
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		if (wake && vq->iotlb_wait) {
			vq->iotlb_wait = false;
			woken |= BIT(i);
		}
	}
	return woken;
}

static void vsc_dev_queue_vqs(struct vsc_dev *dev, unsigned long vqs)
{
	int i;

	for_each_set_bit(i, &vqs, VSC_NET_NVQS)
		vsc_exec_queue(&dev->vqs[i].vq);
}

/* Forget the misses no one has read yet. */
static void vsc_dev_drop_misses(struct vsc_dev *dev)
{
	int i;

	spin_lock(&dev->iotlb_lock);
	for (i = 0; i < VSC_NET_NVQS; i++)
		dev->vqs[i].vq.miss_posted = false;
	spin_unlock(&dev->iotlb_lock);
}

/*
 * SET_FEATURES: with VIRTIO_F_ACCESS_PLATFORM a new, empty IOTLB (the
 * VMM stops forwarding invalidations while the device is stopped, so
 * nothing cached may outlive a feature negotiation), without it none:
 * ring addresses are the owner's again (no backend attached then).
 */
static int vsc_dev_set_iotlb(struct vsc_dev *dev, bool on)
{
	struct vhost_iotlb *iotlb = NULL, *old;
	unsigned long woken;
	int i;

	if (on) {
		iotlb = vhost_iotlb_alloc(max_iotlb_entries,
					  VHOST_IOTLB_FLAG_RETIRE);
		if (!iotlb)
			return -ENOMEM;
	}
	vsc_dev_lock_vqs(dev);
	old = dev->iotlb;
	dev->iotlb = iotlb;
	dev->iotlb_batch = false;
	woken = vsc_dev_iotlb_changed(dev, true);
	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_vq *vq = &dev->vqs[i].vq;

		if (!iotlb) {
			vq->desc = u64_to_user_ptr(vq->desc_addr);
			vq->avail = u64_to_user_ptr(vq->avail_addr);
			vq->used = u64_to_user_ptr(vq->used_addr);
		}
	}
	vsc_dev_unlock_vqs(dev);
	/* Asked of the old table: the vqs ask the new one again. */
	vsc_dev_drop_misses(dev);
	vsc_dev_queue_vqs(dev, woken);
	if (old)
		vhost_iotlb_free(old);
	return 0;
}

/* Take @pid (a reference given to us) as the owner's, drop the old one. */
static void vsc_dev_set_owner_pid(struct vsc_dev *dev, struct pid *pid)
{
	struct pid *old;

	mutex_lock(&vsc_devices_lock);
	old = dev->owner;
	/* A handler's log line reads it without the lock. */
	WRITE_ONCE(dev->owner, pid);
	mutex_unlock(&vsc_devices_lock);
	put_pid(old);
}

pid_t vsc_dev_owner_nr(struct vsc_dev *dev, struct pid_namespace *ns)
{
	struct pid *pid = READ_ONCE(dev->owner);

	/*
	 * A struct pid keeps its numbers after its process is reaped, when
	 * they may be given out again: report only one still in use by it.
	 */
	if (!pid || !pid_has_task(pid, PIDTYPE_TGID))
		return 0;
	return pid_nr_ns(pid, ns);
}

/*
 * Stop everything and return to the state of a newly opened device:
 * no owner, no worker, no files, empty memory table. Order matters: no
 * new work (kick and socket wake-ups off, backends gone), flush what is
 * queued, stop the worker, then drop what handlers used.
 */
static void vsc_dev_teardown(struct vsc_dev *dev)
{
	int i;

	/* Off the sidecores first: they must not outlive the owner mm. */
	if (dev->mm)
		vsc_exec_dev_del(dev);
	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_vq *vq = &dev->vqs[i].vq;

		mutex_lock(&vq->mutex);
		vsc_poll_stop(&vq->kick_poll);
		mutex_unlock(&vq->mutex);
	}
	vsc_net_stop(dev);
	vsc_exec_flush(dev);
	vsc_worker_stop(&dev->worker);

	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_net_vq *nvq = &dev->vqs[i];
		struct vsc_vq *vq = &nvq->vq;

		mutex_lock(&vq->mutex);
		if (vq->kick)
			fput(vq->kick);
		if (vq->call_ctx)
			eventfd_ctx_put(vq->call_ctx);
		if (vq->err_ctx)
			eventfd_ctx_put(vq->err_ctx);
		vsc_vq_reset(vq);
		vsc_net_set_hlen(nvq, 0);
		mutex_unlock(&vq->mutex);
	}
	if (dev->log_ctx)
		eventfd_ctx_put(dev->log_ctx);
	dev->log_ctx = NULL;
	dev->log_base = NULL;
	dev->acked_features = 0;
	dev->backend_features = 0;
	/* Nothing runs any more: no allocation, so no failure. */
	vsc_dev_drop_misses(dev);
	if (dev->iotlb) {
		vhost_iotlb_free(dev->iotlb);
		dev->iotlb = NULL;
	}
	dev->iotlb_batch = false;

	/* Nothing runs any more: empty the table in place. */
	dev->mem->nregions = 0;
	vsc_dev_publish_mem(dev);

	if (dev->mm)
		mmput(dev->mm);
	WRITE_ONCE(dev->mm, NULL);
	/* A reader waiting for a miss is no longer the owner's. */
	wake_up_interruptible(&dev->iotlb_wq);
	vsc_dev_set_owner_pid(dev, NULL);
	dev->owner_comm[0] = '\0';
}

int vsc_dev_release(struct inode *inode, struct file *f)
{
	struct vsc_dev *dev = f->private_data;
	int i;

	mutex_lock(&vsc_devices_lock);
	list_del(&dev->node);
	xa_erase(&vsc_device_ids, dev->id);
	mutex_unlock(&vsc_devices_lock);

	mutex_lock(&dev->mutex);
	vsc_dev_teardown(dev);
	mutex_unlock(&dev->mutex);

	for (i = 0; i < VSC_NET_NVQS; i++)
		vsc_net_vq_free(&dev->vqs[i]);
	kvfree(dev->mem);
	kvfree(dev);
	return 0;
}

static long vsc_dev_set_owner(struct vsc_dev *dev)
{
	char name[TASK_COMM_LEN];
	struct mm_struct *mm;
	long r;

	if (dev->mm)
		return -EBUSY;
	mm = get_task_mm(current);
	if (!mm)
		return -EINVAL;
	snprintf(name, sizeof(name), "vhost-sc-%d", current->pid);
	r = vsc_worker_start(&dev->worker, mm, name);
	if (r)
		goto err_mm;
	/* The worker's CPU time is the owner's: same cgroups. */
	r = cgroup_attach_task_all(current, dev->worker.task);
	if (r)
		goto err_worker;
	dev->mm = mm;
	vsc_dev_set_owner_pid(dev, get_pid(task_tgid(current)));
	get_task_comm(dev->owner_comm, current);
	/* From here the policy may put the vqs on sidecores. */
	vsc_exec_dev_add(dev);
	return 0;

err_worker:
	vsc_worker_stop(&dev->worker);
err_mm:
	mmput(mm);
	return r;
}

/* Is the dirty log at @base big enough for @mem and every logged ring? */
static bool vsc_dev_log_ok(struct vsc_dev *dev, const struct vsc_memtable *mem,
			   void __user *base, bool log_all)
{
	u32 i;
	int q;

	if (log_all)
		for (i = 0; i < mem->nregions; i++)
			if (!vsc_log_access_ok(base, mem->r[i].gpa,
					       mem->r[i].size))
				return false;
	for (q = 0; q < VSC_NET_NVQS; q++) {
		struct vsc_vq *vq = &dev->vqs[q].vq;

		/* With an IOTLB, log_addr is I/O virtual and never used. */
		if (vq->log_used && !vq->iotlb &&
		    !vsc_log_access_ok(base, vq->log_addr,
				       vsc_vring_used_size(vq->acked_features,
							   vq->num)))
			return false;
	}
	return true;
}

static long vsc_dev_set_mem_table(struct vsc_dev *dev,
				  struct vhost_memory __user *um)
{
	struct vhost_memory hdr;
	struct vsc_memtable *t, *old;
	u32 i, bad;
	long r;

	if (copy_from_user(&hdr, um, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding)
		return -EOPNOTSUPP;
	if (hdr.nregions > max_mem_regions) {
		pr_info_ratelimited("device %d: memory table of %u regions, max_mem_regions is %u\n",
				    dev->id, hdr.nregions, max_mem_regions);
		return -E2BIG;
	}
	t = vsc_memtable_alloc(hdr.nregions);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < hdr.nregions; i++) {
		struct vhost_memory_region reg;

		if (copy_from_user(&reg, &um->regions[i], sizeof(reg))) {
			kvfree(t);
			return -EFAULT;
		}
		t->r[i].gpa = reg.guest_phys_addr;
		t->r[i].size = reg.memory_size;
		t->r[i].uaddr = reg.userspace_addr;
	}
	r = vsc_memtable_check(t->r, t->nregions, TASK_SIZE_MAX, &bad);
	if (r) {
		pr_info_ratelimited("device %d: memory region gpa 0x%llx size 0x%llx uaddr 0x%llx %s\n",
				    dev->id, t->r[bad].gpa, t->r[bad].size,
				    t->r[bad].uaddr,
				    r == -EINVAL ? "overlaps another region" :
				    "is empty, wraps or is outside user memory");
		kvfree(t);
		return r;
	}
	if (!vsc_dev_log_ok(dev, t, dev->log_base,
			    dev->acked_features & (1ULL << VHOST_F_LOG_ALL))) {
		kvfree(t);
		return -EFAULT;
	}
	old = dev->mem;
	dev->mem = t;
	/* Once each vq mutex was taken, no handler uses the old table. */
	vsc_dev_publish_mem(dev);
	kvfree(old);
	return 0;
}

static long vsc_dev_set_features(struct vsc_dev *dev, u64 features)
{
	bool platform = features & (1ULL << VIRTIO_F_ACCESS_PLATFORM);
	int i;
	long r;

	if (features & ~VSC_NET_FEATURES)
		return -EOPNOTSUPP;
	if ((features & (1ULL << VHOST_F_LOG_ALL)) &&
	    !vsc_dev_log_ok(dev, dev->mem, dev->log_base, true))
		return -EFAULT;
	if (platform != !!dev->iotlb) {
		/* What ring addresses mean changes: not under a backend. */
		for (i = 0; i < VSC_NET_NVQS; i++) {
			if (dev->vqs[i].sock) {
				pr_info_ratelimited("device %d: VIRTIO_F_ACCESS_PLATFORM cannot change while vq %d has a backend\n",
						    dev->id, i);
				return -EBUSY;
			}
		}
	} else if (!platform) {
		/* Running rings must still fit: EVENT_IDX adds a field to each. */
		for (i = 0; i < VSC_NET_NVQS; i++) {
			struct vsc_vq *vq = &dev->vqs[i].vq;

			if (dev->vqs[i].sock &&
			    !vsc_vring_access_ok(features, vq->num, vq->desc,
						 vq->avail, vq->used))
				return -EFAULT;
		}
	}
	if (platform || dev->iotlb) {
		r = vsc_dev_set_iotlb(dev, platform);
		if (r)
			return r;
	}
	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_net_vq *nvq = &dev->vqs[i];

		mutex_lock(&nvq->vq.mutex);
		nvq->vq.acked_features = features;
		/* Ring sizes may change (EVENT_IDX): translate them again. */
		nvq->vq.rings_mapped = false;
		vsc_net_set_hlen(nvq, features);
		mutex_unlock(&nvq->vq.mutex);
	}
	dev->acked_features = features;
	return 0;
}

static long vsc_dev_set_log_base(struct vsc_dev *dev, u64 __user *argp)
{
	void __user *base;
	u64 p;
	int i;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	if ((u64)(unsigned long)p != p)
		return -EFAULT;
	base = u64_to_user_ptr(p);
	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_net_vq *nvq = &dev->vqs[i];

		if (nvq->sock && !vsc_vq_log_access_ok(&nvq->vq, base))
			return -EFAULT;
	}
	dev->log_base = base;
	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_vq *vq = &dev->vqs[i].vq;

		mutex_lock(&vq->mutex);
		vq->log_base = base;
		mutex_unlock(&vq->mutex);
	}
	return 0;
}

/* fd -1: none; otherwise an eventfd context. */
static struct eventfd_ctx *vsc_eventfd_get(int fd)
{
	return fd == VHOST_FILE_UNBIND ? NULL : eventfd_ctx_fdget(fd);
}

static long vsc_dev_set_log_fd(struct vsc_dev *dev, int __user *argp)
{
	struct eventfd_ctx *ctx;
	int fd, i;

	if (get_user(fd, argp))
		return -EFAULT;
	ctx = vsc_eventfd_get(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	swap(ctx, dev->log_ctx);
	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_vq *vq = &dev->vqs[i].vq;

		mutex_lock(&vq->mutex);
		vq->log_ctx = dev->log_ctx;
		mutex_unlock(&vq->mutex);
	}
	if (ctx)
		eventfd_ctx_put(ctx);
	return 0;
}

/*
 * The vring ioctls. Arguments are copied in (and results out) with no
 * vq mutex held: a VMM can back its argument with memory whose fault
 * never ends (userfaultfd, FUSE), and the mutex is what its vq's
 * executors, and a move, take.
 */
union vsc_vring_arg {
	struct vhost_vring_state s;
	struct vhost_vring_addr a;
	struct vhost_vring_file f;
};

static size_t vsc_vring_arg_size(unsigned int ioctl)
{
	switch (ioctl) {
	case VHOST_SET_VRING_ADDR:
		return sizeof(struct vhost_vring_addr);
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
		return sizeof(struct vhost_vring_file);
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_BASE:
	case VHOST_SET_VRING_ENDIAN:
	case VHOST_SET_VRING_BUSYLOOP_TIMEOUT:
		return sizeof(struct vhost_vring_state);
	case VHOST_GET_VRING_BASE:
	case VHOST_GET_VRING_ENDIAN:
	case VHOST_GET_VRING_BUSYLOOP_TIMEOUT:
		/* Only the index is read. */
		return sizeof(u32);
	default:
		return 0;
	}
}

static long vsc_vring_set_num(struct vsc_net_vq *nvq,
			      const struct vhost_vring_state *s)
{
	struct vsc_vq *vq = &nvq->vq;

	if (nvq->sock)
		return -EBUSY;
	/* Split rings hold at most 32768 entries, a power of two. */
	if (!s->num || s->num > 32768 || (s->num & (s->num - 1))) {
		pr_info_ratelimited("device %d vq %u: ring size %u is not a power of two in 1..32768\n",
				    vq->dev->id, vq->index, s->num);
		return -EINVAL;
	}
	vq->num = s->num;
	return 0;
}

static long vsc_vring_set_addr(struct vsc_net_vq *nvq,
			       const struct vhost_vring_addr *a)
{
	struct vsc_vq *vq = &nvq->vq;

	if (a->flags & ~(1U << VHOST_VRING_F_LOG))
		return -EOPNOTSUPP;
	if ((u64)(unsigned long)a->desc_user_addr != a->desc_user_addr ||
	    (u64)(unsigned long)a->used_user_addr != a->used_user_addr ||
	    (u64)(unsigned long)a->avail_user_addr != a->avail_user_addr)
		return -EFAULT;
	if ((a->avail_user_addr & (VRING_AVAIL_ALIGN_SIZE - 1)) ||
	    (a->used_user_addr & (VRING_USED_ALIGN_SIZE - 1)) ||
	    (a->log_guest_addr & (VRING_USED_ALIGN_SIZE - 1))) {
		pr_info_ratelimited("device %d vq %u: misaligned ring address\n",
				    vq->dev->id, vq->index);
		return -EINVAL;
	}
	/* Running: owner addresses must be usable right away. */
	if (!vq->iotlb && nvq->sock &&
	    (!vsc_vring_access_ok(vq->acked_features, vq->num,
				  u64_to_user_ptr(a->desc_user_addr),
				  u64_to_user_ptr(a->avail_user_addr),
				  u64_to_user_ptr(a->used_user_addr)) ||
	     ((a->flags & (1U << VHOST_VRING_F_LOG)) &&
	      !vsc_log_access_ok(vq->log_base, a->log_guest_addr,
				 vsc_vring_used_size(vq->acked_features,
						     vq->num)))))
		return -EINVAL;
	vq->desc_addr = a->desc_user_addr;
	vq->avail_addr = a->avail_user_addr;
	vq->used_addr = a->used_user_addr;
	vq->log_used = a->flags & (1U << VHOST_VRING_F_LOG);
	vq->log_addr = a->log_guest_addr;
	vq->addr_set = true;
	/* I/O virtual addresses are translated (or asked for) next run. */
	vq->rings_mapped = false;
	vq->iotlb_wait = false;
	vq->desc = vq->iotlb ? NULL : u64_to_user_ptr(vq->desc_addr);
	vq->avail = vq->iotlb ? NULL : u64_to_user_ptr(vq->avail_addr);
	vq->used = vq->iotlb ? NULL : u64_to_user_ptr(vq->used_addr);
	return 0;
}

/* SET_VRING_KICK: *filep is the new file; on return, the one to put. */
static long vsc_vring_set_kick(struct vsc_net_vq *nvq, struct file **filep)
{
	struct vsc_vq *vq = &nvq->vq;
	struct file *file = *filep, *old;

	if (file == vq->kick)
		return 0;
	vsc_poll_stop(&vq->kick_poll);
	old = vq->kick;
	vq->kick = file;
	*filep = old;
	return file ? vsc_poll_start(&vq->kick_poll, file) : 0;
}

/*
 * An eventfd argument, resolved before any lock: a file for the kick, a
 * context for call and err (NULL for VHOST_FILE_UNBIND).
 */
static long vsc_vring_get_file(unsigned int ioctl, int fd, struct file **file,
			       struct eventfd_ctx **ctx)
{
	if (fd == VHOST_FILE_UNBIND)
		return 0;
	if (ioctl == VHOST_SET_VRING_KICK) {
		*file = eventfd_fget(fd);
		if (IS_ERR(*file)) {
			long r = PTR_ERR(*file);

			*file = NULL;
			return r;
		}
		return 0;
	}
	*ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(*ctx)) {
		long r = PTR_ERR(*ctx);

		*ctx = NULL;
		return r;
	}
	return 0;
}

static long vsc_vring_ioctl(struct vsc_dev *dev, unsigned int ioctl,
			    void __user *argp)
{
	size_t size = vsc_vring_arg_size(ioctl);
	struct eventfd_ctx *ctx = NULL;
	struct file *file = NULL;
	union vsc_vring_arg arg;
	struct vsc_net_vq *nvq;
	struct vsc_vq *vq;
	bool reply = false;
	u32 idx;
	long r = 0;

	/* Unknown ones too: the index is read and checked first (vhost). */
	memset(&arg, 0, sizeof(arg));
	if (copy_from_user(&arg, argp, size ?: sizeof(u32)))
		return -EFAULT;
	/* Every vring argument starts with the vq index. */
	idx = arg.s.index;
	if (idx >= VSC_NET_NVQS)
		return -ENOBUFS;
	if (!size)
		return -ENOIOCTLCMD;
	nvq = &dev->vqs[array_index_nospec(idx, VSC_NET_NVQS)];
	vq = &nvq->vq;
	if (ioctl == VHOST_SET_VRING_KICK || ioctl == VHOST_SET_VRING_CALL ||
	    ioctl == VHOST_SET_VRING_ERR) {
		r = vsc_vring_get_file(ioctl, arg.f.fd, &file, &ctx);
		if (r)
			return r;
	}

	mutex_lock(&vq->mutex);
	switch (ioctl) {
	case VHOST_SET_VRING_NUM:
		r = vsc_vring_set_num(nvq, &arg.s);
		break;
	case VHOST_SET_VRING_ADDR:
		r = vsc_vring_set_addr(nvq, &arg.a);
		break;
	case VHOST_SET_VRING_BASE:
		if (nvq->sock) {
			r = -EBUSY;
			break;
		}
		if (arg.s.num > 0xffff) {
			r = -EINVAL;
			break;
		}
		vq->last_avail_idx = arg.s.num;
		vq->avail_idx = arg.s.num;
		break;
	case VHOST_GET_VRING_BASE:
		arg.s.num = vq->last_avail_idx;
		reply = true;
		break;
	case VHOST_SET_VRING_KICK:
		r = vsc_vring_set_kick(nvq, &file);
		break;
	case VHOST_SET_VRING_CALL:
		swap(ctx, vq->call_ctx);
		break;
	case VHOST_SET_VRING_ERR:
		swap(ctx, vq->err_ctx);
		break;
	case VHOST_SET_VRING_ENDIAN:
		if (nvq->sock) {
			r = -EBUSY;
			break;
		}
		if (arg.s.num != VHOST_VRING_LITTLE_ENDIAN &&
		    arg.s.num != VHOST_VRING_BIG_ENDIAN) {
			r = -EINVAL;
			break;
		}
		vq->user_be = arg.s.num == VHOST_VRING_BIG_ENDIAN;
		break;
	case VHOST_GET_VRING_ENDIAN:
		arg.s.num = vq->user_be ? VHOST_VRING_BIG_ENDIAN :
					  VHOST_VRING_LITTLE_ENDIAN;
		reply = true;
		break;
	case VHOST_SET_VRING_BUSYLOOP_TIMEOUT:
		/* A busy poll holds the vq: capped, not left to the VMM. */
		if (arg.s.num > VSC_BUSYLOOP_MAX_US) {
			pr_info_ratelimited("device %d vq %u: busyloop timeout %u us is above the cap of %u us\n",
					    dev->id, idx, arg.s.num,
					    VSC_BUSYLOOP_MAX_US);
			r = -EINVAL;
			break;
		}
		vq->busyloop_timeout = arg.s.num;
		break;
	case VHOST_GET_VRING_BUSYLOOP_TIMEOUT:
		arg.s.num = vq->busyloop_timeout;
		reply = true;
		break;
	}
	mutex_unlock(&vq->mutex);

	/* What the vq let go of (or did not take), and the reply. */
	if (file)
		fput(file);
	if (ctx)
		eventfd_ctx_put(ctx);
	if (reply) {
		arg.s.index = idx;
		if (copy_to_user(argp, &arg.s, sizeof(arg.s)))
			r = -EFAULT;
	}
	return r;
}

/* Before SET_OWNER anyone holding the fd may talk to it; then the owner. */
static long vsc_dev_check_owner(struct vsc_dev *dev, bool need_owner)
{
	if (!dev->mm)
		return need_owner ? -EPERM : 0;
	return dev->mm == current->mm ? 0 : -EPERM;
}

static long vsc_dev_ioctl_locked(struct vsc_dev *dev, unsigned int ioctl,
				 void __user *argp)
{
	u64 __user *featurep = argp;
	struct vhost_vring_file backend;
	u64 features;
	long r;

	switch (ioctl) {
	case VHOST_SET_OWNER:
		return vsc_dev_set_owner(dev);
	case VHOST_GET_FEATURES:
	case VHOST_SET_FEATURES:
	case VHOST_GET_BACKEND_FEATURES:
	case VHOST_SET_BACKEND_FEATURES:
		r = vsc_dev_check_owner(dev, false);
		break;
	default:
		r = vsc_dev_check_owner(dev, true);
	}
	if (r)
		return r;

	switch (ioctl) {
	case VHOST_GET_FEATURES:
		features = VSC_NET_FEATURES;
		return copy_to_user(featurep, &features, sizeof(features)) ?
			-EFAULT : 0;
	case VHOST_SET_FEATURES:
		if (copy_from_user(&features, featurep, sizeof(features)))
			return -EFAULT;
		return vsc_dev_set_features(dev, features);
	case VHOST_GET_BACKEND_FEATURES:
		features = VSC_NET_BACKEND_FEATURES;
		return copy_to_user(featurep, &features, sizeof(features)) ?
			-EFAULT : 0;
	case VHOST_SET_BACKEND_FEATURES:
		if (copy_from_user(&features, featurep, sizeof(features)))
			return -EFAULT;
		if (features & ~VSC_NET_BACKEND_FEATURES)
			return -EOPNOTSUPP;
		dev->backend_features = features;
		return 0;
	case VHOST_RESET_OWNER:
		vsc_dev_teardown(dev);
		return 0;
	case VHOST_SET_MEM_TABLE:
		return vsc_dev_set_mem_table(dev, argp);
	case VHOST_SET_LOG_BASE:
		return vsc_dev_set_log_base(dev, argp);
	case VHOST_SET_LOG_FD:
		return vsc_dev_set_log_fd(dev, argp);
	case VHOST_NET_SET_BACKEND:
		if (copy_from_user(&backend, argp, sizeof(backend)))
			return -EFAULT;
		return vsc_net_set_backend(dev, backend.index, backend.fd);
	default:
		return vsc_vring_ioctl(dev, ioctl, argp);
	}
}

long vsc_dev_ioctl(struct file *f, unsigned int ioctl, unsigned long arg)
{
	struct vsc_dev *dev = f->private_data;
	long r;

	mutex_lock(&dev->mutex);
	r = vsc_dev_ioctl_locked(dev, ioctl, (void __user *)arg);
	mutex_unlock(&dev->mutex);
	return r;
}

/*
 * IOTLB messages. The VMM (the owner) reads misses and writes updates,
 * invalidations and batch brackets, one message per read() or write(),
 * in the layout it chose: struct vhost_msg, or struct vhost_msg_v2 with
 * VHOST_BACKEND_F_IOTLB_MSG_V2 (address space 0 only).
 */
static bool vsc_dev_msg_v2(const struct vsc_dev *dev)
{
	return READ_ONCE(dev->backend_features) &
	       (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2);
}

static bool vsc_dev_miss_pending(struct vsc_dev *dev)
{
	bool pending = false;
	int i;

	spin_lock(&dev->iotlb_lock);
	for (i = 0; i < VSC_NET_NVQS; i++)
		pending |= dev->vqs[i].vq.miss_posted;
	spin_unlock(&dev->iotlb_lock);
	return pending;
}

/* Take the oldest unread miss (lowest vq first); false if none. */
static bool vsc_dev_take_miss(struct vsc_dev *dev, struct vhost_iotlb_msg *m)
{
	bool found = false;
	int i;

	spin_lock(&dev->iotlb_lock);
	for (i = 0; i < VSC_NET_NVQS && !found; i++) {
		struct vsc_vq *vq = &dev->vqs[i].vq;

		if (!vq->miss_posted)
			continue;
		vq->miss_posted = false;
		memset(m, 0, sizeof(*m));
		m->type = VHOST_IOTLB_MISS;
		m->iova = vq->miss_iova;
		m->perm = vq->miss_perm;
		found = true;
	}
	spin_unlock(&dev->iotlb_lock);
	return found;
}

static bool vsc_dev_is_owner(struct vsc_dev *dev)
{
	return READ_ONCE(dev->mm) && READ_ONCE(dev->mm) == current->mm;
}

ssize_t vsc_dev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct vsc_dev *dev = iocb->ki_filp->private_data;
	bool nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	union {
		struct vhost_msg v1;
		struct vhost_msg_v2 v2;
	} msg;
	struct vhost_iotlb_msg m;
	size_t size;
	int r;

	if (!vsc_dev_is_owner(dev))
		return -EPERM;
	size = vsc_dev_msg_v2(dev) ? sizeof(msg.v2) : sizeof(msg.v1);
	if (iov_iter_count(to) < size)
		return -EINVAL;
	while (!vsc_dev_take_miss(dev, &m)) {
		if (nonblock)
			return -EAGAIN;
		r = wait_event_interruptible(dev->iotlb_wq,
					     vsc_dev_miss_pending(dev) ||
					     !READ_ONCE(dev->mm));
		if (r)
			return r;
		if (!vsc_dev_is_owner(dev))
			return -EPERM;
	}
	memset(&msg, 0, sizeof(msg));
	if (size == sizeof(msg.v2)) {
		msg.v2.type = VHOST_IOTLB_MSG_V2;
		msg.v2.iotlb = m;
	} else {
		msg.v1.type = VHOST_IOTLB_MSG;
		msg.v1.iotlb = m;
	}
	if (copy_to_iter(&msg, size, to) != size)
		return -EFAULT;
	return size;
}

__poll_t vsc_dev_poll(struct file *f, struct poll_table_struct *wait)
{
	struct vsc_dev *dev = f->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(f, &dev->iotlb_wq, wait);
	if (vsc_dev_miss_pending(dev))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static bool vsc_iotlb_perm_ok(u8 perm)
{
	return perm == VHOST_ACCESS_RO || perm == VHOST_ACCESS_WO ||
	       perm == VHOST_ACCESS_RW;
}

/* One message from the owner; dev->mutex held. */
static int vsc_dev_iotlb_msg(struct vsc_dev *dev, const struct vhost_iotlb_msg *m)
{
	bool batch = dev->backend_features & (1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	unsigned long woken = 0;
	u64 last = m->iova + m->size - 1;
	int r = 0;

	if (!dev->iotlb) {
		pr_info_ratelimited("device %d: IOTLB message before VIRTIO_F_ACCESS_PLATFORM was negotiated\n",
				    dev->id);
		return -EINVAL;
	}
	switch (m->type) {
	case VHOST_IOTLB_UPDATE:
	case VHOST_IOTLB_INVALIDATE:
		if (!m->size || last < m->iova) {
			pr_info_ratelimited("device %d: IOTLB %s of iova 0x%llx size 0x%llx is empty or wraps\n",
					    dev->id, m->type == VHOST_IOTLB_UPDATE ?
					    "update" : "invalidation",
					    m->iova, m->size);
			return -EINVAL;
		}
		break;
	case VHOST_IOTLB_BATCH_BEGIN:
	case VHOST_IOTLB_BATCH_END:
		if (!batch) {
			pr_info_ratelimited("device %d: IOTLB batch message without VHOST_BACKEND_F_IOTLB_BATCH\n",
					    dev->id);
			return -EINVAL;
		}
		break;
	default:
		pr_info_ratelimited("device %d: IOTLB message type %u is not one a VMM sends\n",
				    dev->id, m->type);
		return -EINVAL;
	}
	if (m->type == VHOST_IOTLB_UPDATE) {
		if (!vsc_iotlb_perm_ok(m->perm)) {
			pr_info_ratelimited("device %d: IOTLB update of iova 0x%llx with access %u (not 1, 2 or 3)\n",
					    dev->id, m->iova, m->perm);
			return -EINVAL;
		}
		if (m->uaddr > TASK_SIZE_MAX ||
		    m->size > TASK_SIZE_MAX - m->uaddr) {
			pr_info_ratelimited("device %d: IOTLB update of iova 0x%llx to 0x%llx+0x%llx is outside user memory\n",
					    dev->id, m->iova, m->uaddr, m->size);
			return -EFAULT;
		}
	}

	vsc_dev_lock_vqs(dev);
	switch (m->type) {
	case VHOST_IOTLB_UPDATE:
		/* The newest translation of a range replaces older ones. */
		vhost_iotlb_del_range(dev->iotlb, m->iova, last);
		r = vhost_iotlb_add_range(dev->iotlb, m->iova, last, m->uaddr,
					  m->perm);
		woken = vsc_dev_iotlb_changed(dev, !dev->iotlb_batch);
		break;
	case VHOST_IOTLB_INVALIDATE:
		vhost_iotlb_del_range(dev->iotlb, m->iova, last);
		woken = vsc_dev_iotlb_changed(dev, false);
		break;
	case VHOST_IOTLB_BATCH_BEGIN:
		dev->iotlb_batch = true;
		break;
	case VHOST_IOTLB_BATCH_END:
		dev->iotlb_batch = false;
		woken = vsc_dev_iotlb_changed(dev, true);
		break;
	}
	vsc_dev_unlock_vqs(dev);
	vsc_dev_queue_vqs(dev, woken);
	return r;
}

ssize_t vsc_dev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct vsc_dev *dev = iocb->ki_filp->private_data;
	size_t len = iov_iter_count(from);
	struct vhost_msg_v2 v2;
	struct vhost_msg v1;
	struct vhost_iotlb_msg *m;
	u32 type;
	int r;

	if (len < sizeof(type) ||
	    copy_from_iter(&type, sizeof(type), from) != sizeof(type))
		return -EINVAL;
	switch (type) {
	case VHOST_IOTLB_MSG:
		if (len < sizeof(v1))
			return -EINVAL;
		v1.type = type;
		if (copy_from_iter((u8 *)&v1 + sizeof(type),
				   sizeof(v1) - sizeof(type), from) !=
		    sizeof(v1) - sizeof(type))
			return -EFAULT;
		m = &v1.iotlb;
		len = sizeof(v1);
		break;
	case VHOST_IOTLB_MSG_V2:
		if (len < sizeof(v2))
			return -EINVAL;
		v2.type = type;
		if (copy_from_iter((u8 *)&v2 + sizeof(type),
				   sizeof(v2) - sizeof(type), from) !=
		    sizeof(v2) - sizeof(type))
			return -EFAULT;
		if (v2.asid) {
			pr_info_ratelimited("device %d: IOTLB message for address space %u (only 0 exists)\n",
					    dev->id, v2.asid);
			return -EINVAL;
		}
		m = &v2.iotlb;
		len = sizeof(v2);
		break;
	default:
		pr_info_ratelimited("device %d: write of a message of type %u (IOTLB messages are %u and %u)\n",
				    dev->id, type, VHOST_IOTLB_MSG,
				    VHOST_IOTLB_MSG_V2);
		return -EINVAL;
	}

	mutex_lock(&dev->mutex);
	r = vsc_dev_check_owner(dev, true);
	if (!r)
		r = vsc_dev_iotlb_msg(dev, m);
	mutex_unlock(&dev->mutex);
	return r ? r : len;
}

static bool dropin;
module_param(dropin, bool, 0444);
MODULE_PARM_DESC(dropin,
		 "Also register as /dev/vhost-net (misc minor 238) when the in-tree vhost_net is not loaded");

static const struct file_operations vsc_fops = {
	.owner = THIS_MODULE,
	.open = vsc_dev_open,
	.release = vsc_dev_release,
	.unlocked_ioctl = vsc_dev_ioctl,
	.read_iter = vsc_dev_read_iter,
	.write_iter = vsc_dev_write_iter,
	.poll = vsc_dev_poll,
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

bool vsc_dev_dropin(void)
{
	return vsc_dropin_registered;
}

int vsc_dev_init(void)
{
	int err;

	err = misc_register(&vsc_misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", vsc_misc.name, err);
		return err;
	}
	if (dropin) {
		err = misc_register(&vsc_misc_dropin);
		if (err)
			pr_warn("dropin: cannot take /dev/vhost-net (is vhost_net loaded?): %d\n",
				err);
		else
			vsc_dropin_registered = true;
	}
	return 0;
}

void vsc_dev_exit(void)
{
	if (vsc_dropin_registered)
		misc_deregister(&vsc_misc_dropin);
	misc_deregister(&vsc_misc);
}
