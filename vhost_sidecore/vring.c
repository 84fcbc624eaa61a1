// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues in the owner's memory.
 *
 * The rings live in the owner process (addresses from SET_VRING_ADDR);
 * buffers are guest-physical and go through the memory table. With
 * VIRTIO_F_ACCESS_PLATFORM, ring and buffer addresses are I/O virtual
 * instead and go through the device's IOTLB, which the VMM fills on
 * demand: a missing translation posts a miss and the vq waits for the
 * VMM's update without holding its executor. All access
 * happens from an executor that has the owner's mm active, with the vq
 * mutex held. Each guest value is read once into a local copy and
 * validated before use.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/eventfd.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>
#include <linux/vhost_iotlb.h>

#include "compat.h"
#include "dev.h"
#include "vring.h"

/* A descriptor, decoded to CPU order. */
struct vsc_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

/* The chain being assembled by vsc_vq_get_chain(). */
struct vsc_chain {
	struct iovec *iov;
	unsigned int iov_max;
	unsigned int out;
	unsigned int in;
	struct vsc_log *log;
	unsigned int nlog;
	unsigned int head;
	unsigned int *budget;		/* descriptors it may still read */
};

int vsc_vq_alloc(struct vsc_vq *vq)
{
	vq->iov = kvmalloc_array(VSC_MAX_IOV, sizeof(*vq->iov),
				 GFP_KERNEL_ACCOUNT);
	vq->log = kvmalloc_array(VSC_MAX_IOV, sizeof(*vq->log),
				 GFP_KERNEL_ACCOUNT);
	vq->heads = kvmalloc_array(VSC_MAX_IOV + VSC_USED_BATCH,
				   sizeof(*vq->heads), GFP_KERNEL_ACCOUNT);
	if (!vq->iov || !vq->log || !vq->heads) {
		vsc_vq_free(vq);
		return -ENOMEM;
	}
	return 0;
}

void vsc_vq_free(struct vsc_vq *vq)
{
	kvfree(vq->iov);
	kvfree(vq->log);
	kvfree(vq->heads);
	vq->iov = NULL;
	vq->log = NULL;
	vq->heads = NULL;
}

/* Back to the state of a newly opened device; files already dropped. */
void vsc_vq_reset(struct vsc_vq *vq)
{
	vq->num = 1;
	vq->addr_set = false;
	vq->desc_addr = 0;
	vq->avail_addr = 0;
	vq->used_addr = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->log_used = false;
	vq->log_addr = -1ULL;
	vq->last_avail_idx = 0;
	vq->avail_idx = 0;
	vq->last_used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	vq->used_flags = 0;
	vq->acked_features = 0;
	vq->user_be = IS_ENABLED(CONFIG_CPU_BIG_ENDIAN);
	vq->is_le = !vq->user_be;
	vq->busyloop_timeout = 0;
	vq->mem = NULL;
	vq->log_base = NULL;
	vq->log_ctx = NULL;
	vq->iotlb = NULL;
	vq->rings_mapped = false;
	vq->init_pending = false;
	vq->iotlb_wait = false;
	vq->kick = NULL;
	vq->call_ctx = NULL;
	vq->err_ctx = NULL;
	vq->broken = false;
	vq->faulted = false;
	vq->nofault = false;
	vq->run_deadline = 0;
	vq->nheads = 0;
}

static __printf(3, 0) int vsc_vq_verr(struct vsc_vq *vq, int err,
					 const char *fmt, va_list args)
{
	struct va_format vaf;
	va_list aq;

	if (vq->broken)
		return err;
	vq->broken = true;
	VSC_STAT_INC(&vq->stats, errors);
	/* The line and the event together: one guest cannot flood either. */
	if (__ratelimit(&vq->dev->err_rs)) {
		va_copy(aq, args);
		vaf.fmt = fmt;
		vaf.va = &aq;
		pr_warn("device %d (owner pid %d) vq %u stopped: %pV\n",
			vq->dev->id, vsc_dev_owner_nr(vq->dev, &init_pid_ns),
			vq->index, &vaf);
		va_end(aq);
		if (vsc_exec_broken)
			vsc_exec_broken(vq);
	}
	if (vq->err_ctx)
		vsc_eventfd_signal(vq->err_ctx);
	return err;
}

int vsc_vq_err(struct vsc_vq *vq, int err, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	err = vsc_vq_verr(vq, err, fmt, args);
	va_end(args);
	return err;
}

int vsc_vq_fault(struct vsc_vq *vq, const char *fmt, ...)
{
	va_list args;
	int err;

	if (vq->nofault) {
		vq->faulted = true;
		return -EFAULT;
	}
	va_start(args, fmt);
	err = vsc_vq_verr(vq, -EFAULT, fmt, args);
	va_end(args);
	return err;
}

static size_t vsc_event_size(u64 features)
{
	return features & (1ULL << VIRTIO_RING_F_EVENT_IDX) ?
		sizeof(__virtio16) : 0;
}

size_t vsc_vring_desc_size(unsigned int num)
{
	return sizeof(struct vring_desc) * num;
}

size_t vsc_vring_avail_size(u64 features, unsigned int num)
{
	return sizeof(struct vring_avail) + sizeof(__virtio16) * num +
		vsc_event_size(features);
}

size_t vsc_vring_used_size(u64 features, unsigned int num)
{
	return sizeof(struct vring_used) +
		sizeof(struct vring_used_elem) * num + vsc_event_size(features);
}

bool vsc_vring_access_ok(u64 features, unsigned int num,
			 struct vring_desc __user *desc,
			 struct vring_avail __user *avail,
			 struct vring_used __user *used)
{
	if (!desc || !avail || !used)
		return false;
	return access_ok(desc, vsc_vring_desc_size(num)) &&
	       access_ok(avail, vsc_vring_avail_size(features, num)) &&
	       access_ok(used, vsc_vring_used_size(features, num));
}

bool vsc_vq_access_ok(const struct vsc_vq *vq)
{
	/* I/O virtual: checked once translated, before each use. */
	if (vq->iotlb)
		return vq->addr_set && vsc_vq_log_access_ok(vq, vq->log_base);
	return vsc_vring_access_ok(vq->acked_features, vq->num, vq->desc,
				   vq->avail, vq->used) &&
	       vsc_vq_log_access_ok(vq, vq->log_base);
}

/* Can the bitmap at @log_base take the bits of guest range [gpa, +size)? */
bool vsc_log_access_ok(void __user *log_base, u64 gpa, u64 size)
{
	u64 first, last;

	if (!size)
		return true;
	if (gpa + size - 1 < gpa)
		return false;
	first = gpa / VHOST_PAGE_SIZE / 8;
	last = (gpa + size - 1) / VHOST_PAGE_SIZE / 8;
	return access_ok(log_base + first, last - first + 1);
}

bool vsc_vq_log_access_ok(const struct vsc_vq *vq, void __user *log_base)
{
	u32 i;

	if (vsc_vq_has_feature(vq, VHOST_F_LOG_ALL) && vq->mem) {
		for (i = 0; i < vq->mem->nregions; i++)
			if (!vsc_log_access_ok(log_base, vq->mem->r[i].gpa,
					       vq->mem->r[i].size))
				return false;
	}
	/* With an IOTLB the used ring is logged where it maps to. */
	return !vq->log_used || vq->iotlb ||
	       vsc_log_access_ok(log_base, vq->log_addr,
				 vsc_vring_used_size(vq->acked_features, vq->num));
}

/*
 * Set the dirty bits of guest pages [gpa, gpa + len). The bitmap is in
 * the owner's memory and bits must be set atomically (the VMM clears them
 * concurrently), so each bitmap page is pinned and mapped.
 */
static int vsc_log_range(void __user *log_base, u64 gpa, u64 len)
{
	u64 pfn, last;

	if (!len)
		return 0;
	pfn = gpa / VHOST_PAGE_SIZE;
	last = (gpa + len - 1) / VHOST_PAGE_SIZE;
	while (pfn <= last) {
		unsigned long addr = (unsigned long)log_base + pfn / 8;
		unsigned long bit = offset_in_page(addr) * 8 + pfn % 8;
		u64 nbits = min_t(u64, last - pfn + 1, PAGE_SIZE * 8 - bit);
		struct page *page;
		unsigned long *map;
		u64 b;
		int r;

		r = pin_user_pages_fast(addr, 1, FOLL_WRITE, &page);
		if (r != 1)
			return r < 0 ? r : -EFAULT;
		map = kmap_local_page(page);
		for (b = 0; b < nbits; b++)
			set_bit(bit + b, map);
		kunmap_local(map);
		unpin_user_pages_dirty_lock(&page, 1, true);
		pfn += nbits;
	}
	return 0;
}

/*
 * Set the dirty bits of the owner's range [uaddr, uaddr + len) (IOTLB
 * translations are to owner addresses): at the guest addresses the memory
 * table maps it to. Memory outside the table cannot be logged: -EFAULT.
 */
static int vsc_log_user(struct vsc_vq *vq, u64 uaddr, u64 len)
{
	const struct vsc_memtable *t = vq->mem;
	u64 covered = 0;
	u32 i;
	int r;

	for (i = 0; t && i < t->nregions; i++) {
		const struct vsc_mem_region *m = &t->r[i];
		u64 start = max(uaddr, m->uaddr);
		u64 end = min(uaddr + len, m->uaddr + m->size);

		if (start >= end)
			continue;
		r = vsc_log_range(vq->log_base, m->gpa + (start - m->uaddr),
				  end - start);
		if (r)
			return r;
		covered += end - start;
	}
	return covered >= len ? 0 : -EFAULT;
}

/* Set the dirty bits of used ring bytes [offset, offset + len). */
static int vsc_log_used_range(struct vsc_vq *vq, u64 offset, u64 len)
{
	if (vq->iotlb)
		return vsc_log_user(vq, (u64)(uintptr_t)vq->used + offset, len);
	return vsc_log_range(vq->log_base, vq->log_addr + offset, len);
}

/* Log a used ring write; an error breaks the vq and must stop the run. */
static int vsc_log_used(struct vsc_vq *vq, u64 offset, u64 len)
{
	int r;

	/* The write must be visible before the dirty bit. */
	smp_wmb();
	r = vsc_log_used_range(vq, offset, len);
	if (r)
		return vsc_vq_err(vq, r, "cannot log used ring write at +%llu",
				  offset);
	if (vq->log_ctx)
		vsc_eventfd_signal(vq->log_ctx);
	return 0;
}

int vsc_vq_log_write(struct vsc_vq *vq, const struct vsc_log *log,
		     unsigned int nlog, u64 len)
{
	unsigned int i;
	int r;

	/* The guest's data before the dirty bits that announce it. */
	smp_wmb();
	for (i = 0; i < nlog && len; i++) {
		u64 l = min(log[i].len, len);

		if (vq->iotlb)
			r = vsc_log_user(vq, log[i].addr, l);
		else
			r = vsc_log_range(vq->log_base, log[i].addr, l);
		if (r)
			return vsc_vq_err(vq, r, "cannot log write to 0x%llx+%llu",
					  log[i].addr, l);
		len -= l;
	}
	if (vq->log_ctx)
		vsc_eventfd_signal(vq->log_ctx);
	return 0;
}

/*
 * Ring metadata (desc, avail, used and their event fields) is accessed
 * with the unchecked __get_user()/__put_user()/__copy_*_user(): a handler
 * only runs with a backend attached, and a backend is only attached, a
 * ring only moved (SET_VRING_ADDR) and the features only changed
 * (SET_FEATURES) after vsc_vring_access_ok() accepted the whole range.
 */
static __virtio16 __user *vsc_used_event(const struct vsc_vq *vq)
{
	return &vq->avail->ring[vq->num];
}

static __virtio16 __user *vsc_avail_event(const struct vsc_vq *vq)
{
	return (__virtio16 __user *)&vq->used->ring[vq->num];
}

static int vsc_vq_write_used_flags(struct vsc_vq *vq)
{
	if (__put_user(cpu_to_vsc16(vq, vq->used_flags), &vq->used->flags))
		return vsc_vq_fault(vq, "cannot write used flags at %p",
				    &vq->used->flags);
	if (unlikely(vq->log_used))
		return vsc_log_used(vq, offsetof(struct vring_used, flags),
				    sizeof(vq->used->flags));
	return 0;
}

static int vsc_vq_write_avail_event(struct vsc_vq *vq)
{
	if (__put_user(cpu_to_vsc16(vq, vq->avail_idx), vsc_avail_event(vq)))
		return vsc_vq_fault(vq, "cannot write avail event at %p",
				    vsc_avail_event(vq));
	if (unlikely(vq->log_used))
		return vsc_log_used(vq, (void __user *)vsc_avail_event(vq) -
				    (void __user *)vq->used,
				    sizeof(__virtio16));
	return 0;
}

/* Write the used flags and read the used index the guest left. */
static int vsc_vq_attach_rings(struct vsc_vq *vq)
{
	__virtio16 idx;

	if (put_user(cpu_to_vsc16(vq, vq->used_flags), &vq->used->flags))
		return -EFAULT;
	if (get_user(idx, &vq->used->idx))
		return -EFAULT;
	vq->last_used_idx = vsc16_to_cpu(vq, idx);
	if (unlikely(vq->log_used))
		return vsc_log_used_range(vq,
					  offsetof(struct vring_used, flags),
					  sizeof(vq->used->flags));
	return 0;
}

int vsc_vq_init_access(struct vsc_vq *vq)
{
	vq->is_le = vsc_vq_has_feature(vq, VIRTIO_F_VERSION_1) || !vq->user_be;
	vq->signalled_used_valid = false;
	vq->nheads = 0;
	/* The VMM may answer the rings' misses only once the vq runs. */
	if (vq->iotlb) {
		vq->init_pending = true;
		return 0;
	}
	return vsc_vq_attach_rings(vq);
}

/*
 * The VMM has no translation for @iova yet: tell it (read() on the
 * device) and have the vq wait for its update. One miss per vq is
 * outstanding at a time; an update wakes the vq, which posts the next.
 */
static void vsc_iotlb_miss(struct vsc_vq *vq, u64 iova, u8 perm)
{
	struct vsc_dev *dev = vq->dev;

	vq->iotlb_wait = true;
	VSC_STAT_INC(&vq->stats, iotlb_misses);
	spin_lock(&dev->iotlb_lock);
	vq->miss_iova = iova;
	vq->miss_perm = perm;
	vq->miss_posted = true;
	spin_unlock(&dev->iotlb_lock);
	wake_up_interruptible_poll(&dev->iotlb_wq, EPOLLIN | EPOLLRDNORM);
}

/*
 * Translate I/O virtual range [iova, iova + len) with access @perm
 * (VHOST_ACCESS_*) into at most @max owner segments, joining pieces that
 * are contiguous in the owner. Returns the number of segments, -EAGAIN
 * after posting a miss (the vq waits), -EACCES when a translation does
 * not allow @perm, -EFAULT when the range wraps or -ENOBUFS.
 */
static int vsc_iotlb_translate(struct vsc_vq *vq, u64 iova, u64 len,
			       u8 perm, struct iovec *iov, int max)
{
	const struct vhost_iotlb_map *map;
	int n = 0;

	if (len && iova + len - 1 < iova)
		return -EFAULT;
	while (len) {
		void __user *p;
		u64 off, chunk;

		map = vhost_iotlb_itree_first(vq->iotlb, iova, iova);
		if (!map) {
			vsc_iotlb_miss(vq, iova, perm);
			return -EAGAIN;
		}
		if ((map->perm & perm) != perm)
			return -EACCES;
		off = iova - map->start;
		chunk = min(map->size - off, len);
		p = u64_to_user_ptr(map->addr + off);
		if (n && iov[n - 1].iov_base + iov[n - 1].iov_len == p) {
			iov[n - 1].iov_len += chunk;
		} else {
			if (n >= max)
				return -ENOBUFS;
			iov[n].iov_base = p;
			iov[n].iov_len = chunk;
			n++;
		}
		iova += chunk;
		len -= chunk;
	}
	return n;
}

/* A buffer's guest address to segments: memory table or IOTLB. */
static int vsc_vq_translate(struct vsc_vq *vq, u64 addr, u64 len, u8 perm,
			    struct iovec *iov, int max)
{
	if (vq->iotlb)
		return vsc_iotlb_translate(vq, addr, len, perm, iov, max);
	return vsc_memtable_translate(vq->mem, addr, len, iov, max);
}

/* One ring through the IOTLB: in one piece of the owner's memory. */
static int vsc_ring_map(struct vsc_vq *vq, const char *what, u64 iova,
			size_t size, u8 perm, void __user **p)
{
	struct iovec seg;
	int n;

	n = vsc_iotlb_translate(vq, iova, size, perm, &seg, 1);
	if (n == -EAGAIN)
		return n;
	if (n == -ENOBUFS)
		return vsc_vq_err(vq, -EFAULT,
				  "%s ring 0x%llx+%zu is not contiguous in the owner's memory",
				  what, iova, size);
	if (n < 0)
		return vsc_vq_err(vq, n, "%s ring 0x%llx+%zu %s", what, iova,
				  size, n == -EACCES ?
				  "lacks the access it needs in the IOTLB" :
				  "wraps around the address space");
	if (!access_ok(seg.iov_base, size))
		return vsc_vq_err(vq, -EFAULT,
				  "%s ring 0x%llx+%zu maps outside user memory",
				  what, iova, size);
	*p = seg.iov_base;
	return 0;
}

bool vsc_vq_ready(struct vsc_vq *vq)
{
	void __user *desc, *avail, *used;
	u64 f = vq->acked_features;

	if (!vq->iotlb)
		return true;
	if (vq->broken || vq->iotlb_wait)
		return false;
	if (!vq->rings_mapped) {
		if (vsc_ring_map(vq, "descriptor", vq->desc_addr,
				 vsc_vring_desc_size(vq->num),
				 VHOST_ACCESS_RO, &desc) ||
		    vsc_ring_map(vq, "avail", vq->avail_addr,
				 vsc_vring_avail_size(f, vq->num),
				 VHOST_ACCESS_RO, &avail) ||
		    vsc_ring_map(vq, "used", vq->used_addr,
				 vsc_vring_used_size(f, vq->num),
				 VHOST_ACCESS_WO, &used))
			return false;
		vq->desc = desc;
		vq->avail = avail;
		vq->used = used;
		vq->rings_mapped = true;
	}
	if (vq->init_pending) {
		/* On a sidecore a fault hands the vq to its worker. */
		if (vsc_vq_attach_rings(vq)) {
			vsc_vq_fault(vq, "cannot reach the used ring at %p",
				     vq->used);
			return false;
		}
		vq->init_pending = false;
	}
	return true;
}

/*
 * Read avail->idx. Returns 1 when it moved since the last read, 0 when it
 * did not, or an error (vq broken) when the guest moved it by more than
 * the ring holds.
 */
static int vsc_vq_fetch_avail_idx(struct vsc_vq *vq)
{
	__virtio16 raw;
	u16 idx;

	if (__get_user(raw, &vq->avail->idx))
		return vsc_vq_fault(vq, "cannot read avail index at %p",
				    &vq->avail->idx);
	idx = vsc16_to_cpu(vq, raw);
	if (unlikely((u16)(idx - vq->last_avail_idx) > vq->num))
		return vsc_vq_err(vq, -EINVAL,
				  "avail index moved from %u to %u, more than the ring size %u",
				  vq->last_avail_idx, idx, vq->num);
	if (idx == vq->avail_idx)
		return 0;
	vq->avail_idx = idx;
	/* Read the index before the ring entries it covers. */
	smp_rmb();
	return 1;
}

static void vsc_desc_decode(const struct vsc_vq *vq,
			    const struct vring_desc *raw, struct vsc_desc *d)
{
	d->addr = vsc64_to_cpu(vq, raw->addr);
	d->len = vsc32_to_cpu(vq, raw->len);
	d->flags = vsc16_to_cpu(vq, raw->flags);
	d->next = vsc16_to_cpu(vq, raw->next);
}

/* Map one buffer descriptor into the chain's segments. */
static int vsc_chain_add(struct vsc_vq *vq, struct vsc_chain *c,
			 const struct vsc_desc *d, unsigned int i)
{
	unsigned int used = c->out + c->in;
	bool write = d->flags & VRING_DESC_F_WRITE;
	int n;

	if (!write && c->in)
		return vsc_vq_err(vq, -EINVAL,
				  "chain %u: readable descriptor %u after a writable one",
				  c->head, i);
	n = vsc_vq_translate(vq, d->addr, d->len,
			     write ? VHOST_ACCESS_WO : VHOST_ACCESS_RO,
			     c->iov + used, c->iov_max - used);
	if (n == -ENOBUFS || n == -EAGAIN)
		return n;
	if (n == -EACCES)
		return vsc_vq_err(vq, n,
				  "chain %u: descriptor %u buffer 0x%llx+%u is not %s in the IOTLB",
				  c->head, i, d->addr, d->len,
				  write ? "writable" : "readable");
	if (n < 0)
		return vsc_vq_err(vq, n,
				  "chain %u: descriptor %u buffer 0x%llx+%u is outside guest memory",
				  c->head, i, d->addr, d->len);
	if (write) {
		c->in += n;
		/*
		 * Only extents that mapped to segments are logged: the
		 * guest range, or each owner segment an IOTLB gave.
		 */
		if (c->log && vq->iotlb) {
			int j;

			for (j = used; j < used + n; j++) {
				c->log[c->nlog].addr =
					(u64)(uintptr_t)c->iov[j].iov_base;
				c->log[c->nlog].len = c->iov[j].iov_len;
				c->nlog++;
			}
		} else if (c->log && n) {
			c->log[c->nlog].addr = d->addr;
			c->log[c->nlog].len = d->len;
			c->nlog++;
		}
	} else {
		c->out += n;
	}
	return 0;
}

/* Copy @len bytes at offset @off of the user segments @seg. */
static int vsc_segs_read(const struct iovec *seg, int nseg, size_t off,
			 void *dst, size_t len)
{
	int i;

	for (i = 0; i < nseg && len; i++) {
		size_t chunk;

		if (off >= seg[i].iov_len) {
			off -= seg[i].iov_len;
			continue;
		}
		chunk = min(len, seg[i].iov_len - off);
		if (copy_from_user(dst, seg[i].iov_base + off, chunk))
			return -EFAULT;
		dst += chunk;
		len -= chunk;
		off = 0;
	}
	return len ? -EFAULT : 0;
}

/* Count one descriptor read against the chain's budget. */
static int vsc_chain_take(struct vsc_vq *vq, struct vsc_chain *c)
{
	if (unlikely(!*c->budget))
		return vsc_vq_err(vq, -E2BIG,
				  "chain %u: more descriptors than the %u one chain may read",
				  c->head, VSC_CHAIN_MAX_DESC);
	(*c->budget)--;
	return 0;
}

static int vsc_chain_indirect(struct vsc_vq *vq, struct vsc_chain *c,
			      const struct vsc_desc *ind, unsigned int at)
{
	struct iovec table[4];
	struct vring_desc raw;
	struct vsc_desc d;
	unsigned int count, i = 0, seen = 0;
	int nseg, r;

	if (!ind->len || ind->len % sizeof(raw))
		return vsc_vq_err(vq, -EINVAL,
				  "chain %u: indirect table length %u is not a positive multiple of %zu",
				  c->head, ind->len, sizeof(raw));
	count = ind->len / sizeof(raw);
	if (count > USHRT_MAX + 1)
		return vsc_vq_err(vq, -E2BIG,
				  "chain %u: indirect table of %u descriptors (max 65536)",
				  c->head, count);
	nseg = vsc_vq_translate(vq, ind->addr, ind->len, VHOST_ACCESS_RO,
				table, ARRAY_SIZE(table));
	if (nseg == -EAGAIN)
		return nseg;
	if (nseg < 0)
		return vsc_vq_err(vq, nseg == -EACCES ? -EACCES : -EFAULT,
				  "chain %u: indirect table 0x%llx+%u at descriptor %u is %s",
				  c->head, ind->addr, ind->len, at,
				  nseg == -EACCES ? "not readable in the IOTLB" :
				  nseg == -ENOBUFS ? "in more than 4 pieces" :
				  "outside guest memory");
	for (;;) {
		if (++seen > count)
			return vsc_vq_err(vq, -EINVAL,
					  "chain %u: loop in indirect table of %u",
					  c->head, count);
		r = vsc_chain_take(vq, c);
		if (r)
			return r;
		if (vsc_segs_read(table, nseg, i * sizeof(raw), &raw,
				  sizeof(raw)))
			return vsc_vq_fault(vq,
					    "chain %u: cannot read indirect descriptor %u",
					    c->head, i);
		vsc_desc_decode(vq, &raw, &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return vsc_vq_err(vq, -EINVAL,
					  "chain %u: nested indirect table in indirect descriptor %u",
					  c->head, i);
		r = vsc_chain_add(vq, c, &d, i);
		if (r)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= count)
			return vsc_vq_err(vq, -EINVAL,
					  "chain %u: indirect descriptor links to %u, outside its table of %u",
					  c->head, i, count);
	}
}

int vsc_vq_get_chain(struct vsc_vq *vq, struct iovec *iov,
		     unsigned int iov_max, unsigned int *out,
		     unsigned int *in, struct vsc_log *log,
		     unsigned int *nlog, unsigned int *budget)
{
	struct vsc_chain c = {
		.iov = iov, .iov_max = iov_max, .log = log, .budget = budget,
	};
	u16 last = vq->last_avail_idx;
	unsigned int i, seen = 0;
	struct vring_desc raw;
	__virtio16 raw_head;
	struct vsc_desc d;
	int r;

	if (vq->avail_idx == last) {
		r = vsc_vq_fetch_avail_idx(vq);
		if (r < 0)
			return r;
		if (!r)
			return vq->num;
	}

	if (__get_user(raw_head, &vq->avail->ring[last & (vq->num - 1)]))
		return vsc_vq_fault(vq, "cannot read avail entry %u",
				    last & (vq->num - 1));
	c.head = vsc16_to_cpu(vq, raw_head);
	if (unlikely(c.head >= vq->num))
		return vsc_vq_err(vq, -EINVAL,
				  "avail entry %u: head %u is outside the ring of %u",
				  last & (vq->num - 1), c.head, vq->num);

	i = c.head;
	for (;;) {
		if (unlikely(++seen > vq->num))
			return vsc_vq_err(vq, -EINVAL,
					  "chain %u: descriptor loop (more than %u links)",
					  c.head, vq->num);
		r = vsc_chain_take(vq, &c);
		if (r)
			return r;
		if (__copy_from_user(&raw, vq->desc + i, sizeof(raw)))
			return vsc_vq_fault(vq, "cannot read descriptor %u", i);
		vsc_desc_decode(vq, &raw, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* The spec forbids it; it would chain tables. */
			if (unlikely(d.flags & VRING_DESC_F_NEXT))
				return vsc_vq_err(vq, -EINVAL,
						  "chain %u: descriptor %u has both INDIRECT and NEXT",
						  c.head, i);
			r = vsc_chain_indirect(vq, &c, &d, i);
		} else {
			r = vsc_chain_add(vq, &c, &d, i);
		}
		if (r)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
		if (unlikely(i >= vq->num))
			return vsc_vq_err(vq, -EINVAL,
					  "chain %u: descriptor links to %u, outside the ring of %u",
					  c.head, i, vq->num);
	}

	vq->last_avail_idx++;
	*out = c.out;
	*in = c.in;
	if (nlog)
		*nlog = c.nlog;
	return c.head;
}

void vsc_vq_discard(struct vsc_vq *vq, unsigned int n)
{
	vq->last_avail_idx -= n;
}

int vsc_vq_add_used(struct vsc_vq *vq, const struct vring_used_elem *heads,
		    unsigned int count)
{
	u16 old = vq->last_used_idx, idx = old, new = old + count;
	int r;

	if (!count)
		return 0;
	/* In ring-sized pieces: a hostile guest can make count > num. */
	while (count) {
		unsigned int start = idx & (vq->num - 1);
		unsigned int n = min(count, vq->num - start);

		if (__copy_to_user(&vq->used->ring[start], heads,
				   n * sizeof(*heads)))
			return vsc_vq_fault(vq, "cannot write used entries at %p",
					    &vq->used->ring[start]);
		if (unlikely(vq->log_used)) {
			r = vsc_log_used(vq, offsetof(struct vring_used, ring) +
					 start * sizeof(*heads),
					 n * sizeof(*heads));
			if (r)
				return r;
		}
		heads += n;
		count -= n;
		idx += n;
	}
	/* Entries before the index that publishes them. */
	smp_wmb();
	if (__put_user(cpu_to_vsc16(vq, new), &vq->used->idx))
		return vsc_vq_fault(vq, "cannot write used index at %p",
				    &vq->used->idx);
	vq->last_used_idx = new;
	/* Used index wrapped past the last signalled value: forget it. */
	if (unlikely((u16)(new - vq->signalled_used) < (u16)(new - old)))
		vq->signalled_used_valid = false;
	if (unlikely(vq->log_used))
		return vsc_log_used(vq, offsetof(struct vring_used, idx),
				    sizeof(vq->used->idx));
	return 0;
}

static bool vsc_vq_need_signal(struct vsc_vq *vq)
{
	__virtio16 v;
	u16 old, new;
	bool valid;

	/* Used index out before we look at the guest's suppression. */
	smp_mb();

	if (vsc_vq_has_feature(vq, VIRTIO_F_NOTIFY_ON_EMPTY) &&
	    vq->avail_idx == vq->last_avail_idx)
		return true;

	if (!vsc_vq_has_feature(vq, VIRTIO_RING_F_EVENT_IDX)) {
		if (__get_user(v, &vq->avail->flags))
			return true;
		return !(vsc16_to_cpu(vq, v) & VRING_AVAIL_F_NO_INTERRUPT);
	}

	old = vq->signalled_used;
	valid = vq->signalled_used_valid;
	new = vq->last_used_idx;
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	if (unlikely(!valid))
		return true;
	if (__get_user(v, vsc_used_event(vq)))
		return true;
	return vring_need_event(vsc16_to_cpu(vq, v), new, old);
}

void vsc_vq_signal(struct vsc_vq *vq)
{
	if (vq->call_ctx && !vq->broken && vsc_vq_need_signal(vq)) {
		vsc_eventfd_signal(vq->call_ctx);
		VSC_STAT_INC(&vq->stats, signals);
	}
}

void vsc_vq_flush_used(struct vsc_vq *vq)
{
	unsigned int n = vq->nheads;

	if (!n)
		return;
	/* Broken: nothing more reaches the guest. */
	if (vq->broken) {
		vq->nheads = 0;
		return;
	}
	/*
	 * Rings not translated: the run that translates them publishes.
	 * (A vq waiting for a buffer's translation still publishes.)
	 */
	if (vq->iotlb && (!vq->rings_mapped || vq->init_pending) &&
	    !vsc_vq_ready(vq)) {
		if (vq->broken)
			vq->nheads = 0;
		return;
	}
	if (vsc_vq_add_used(vq, vq->heads, n)) {
		/* Faulted: the worker publishes them (rewriting is harmless). */
		if (vq->broken)
			vq->nheads = 0;
		return;
	}
	vq->nheads = 0;
	vsc_vq_signal(vq);
}

bool vsc_vq_avail_empty(struct vsc_vq *vq)
{
	if (vq->avail_idx != vq->last_avail_idx)
		return false;
	/* An error counts as work: the handler will stop on it. */
	return vsc_vq_fetch_avail_idx(vq) == 0;
}

bool vsc_vq_enable_notify(struct vsc_vq *vq)
{
	int r;

	if (!(vq->used_flags & VRING_USED_F_NO_NOTIFY))
		return false;
	vq->used_flags &= ~VRING_USED_F_NO_NOTIFY;
	if (!vsc_vq_has_feature(vq, VIRTIO_RING_F_EVENT_IDX))
		r = vsc_vq_write_used_flags(vq);
	else
		r = vsc_vq_write_avail_event(vq);
	if (r) {
		/* Not written: the next run writes it again. */
		vq->used_flags |= VRING_USED_F_NO_NOTIFY;
		return false;
	}
	/* Flag out, then look again: the guest may have added meanwhile. */
	smp_mb();
	return vsc_vq_fetch_avail_idx(vq) > 0;
}

void vsc_vq_disable_notify(struct vsc_vq *vq)
{
	if (vq->used_flags & VRING_USED_F_NO_NOTIFY)
		return;
	vq->used_flags |= VRING_USED_F_NO_NOTIFY;
	if (!vsc_vq_has_feature(vq, VIRTIO_RING_F_EVENT_IDX) &&
	    vsc_vq_write_used_flags(vq))
		vq->used_flags &= ~VRING_USED_F_NO_NOTIFY;
}
