/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues in the owner's memory: descriptor walk with guest
 * address translation, used ring, notification control, dirty logging.
 * Everything the guest wrote is validated here; a fault marks the vq
 * broken and signals its error eventfd.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_VRING_H
#define VSC_VRING_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/vhost_types.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "exec.h"
#include "memtable.h"
#include "stats.h"

/* Segments one buffer chain (or one rx packet's chains) may map to. */
#define VSC_MAX_IOV		UIO_MAXIOV
/* Used entries batched before they are published (vhost-net: 64). */
#define VSC_USED_BATCH		64
/*
 * Descriptors one chain may read, ring and indirect table together,
 * zero-length ones included: as many as it may have segments, plus the
 * one that points to its indirect table. A guest cannot make one chain
 * cost more than that.
 */
#define VSC_CHAIN_MAX_DESC	(VSC_MAX_IOV + 1)
/* ... and one rx frame, over all the chains it takes. */
#define VSC_FRAME_MAX_DESC	(2 * VSC_MAX_IOV)

struct eventfd_ctx;
struct file;
struct vhost_iotlb;
struct vsc_dev;

/*
 * SET_VRING_BUSYLOOP_TIMEOUT above this many microseconds is refused
 * (EINVAL): a busy poll spins on the vq's worker with the vq held.
 */
#define VSC_BUSYLOOP_MAX_US	10000

/*
 * Extent of a writable buffer, for dirty logging: guest-physical, or with
 * an IOTLB (whose addresses are I/O virtual) the owner's address it was
 * translated to, mapped back through the memory table when logged.
 */
struct vsc_log {
	u64 addr;
	u64 len;
};

struct vsc_vq {
	struct vsc_dev *dev;
	unsigned int index;

	/*
	 * Held by the handler for a whole run and by every ioctl that
	 * changes the fields below: a handler never sees a half-made change
	 * and never runs on two threads at once.
	 */
	struct mutex mutex;

	/*
	 * Layout (SET_VRING_NUM / SET_VRING_ADDR). The addresses as given:
	 * the owner's, or with an IOTLB I/O virtual ones, which
	 * vsc_vq_ready() translates into desc, avail and used before a run.
	 */
	unsigned int num;
	bool addr_set;
	u64 desc_addr, avail_addr, used_addr;
	struct vring_desc __user *desc;
	struct vring_avail __user *avail;
	struct vring_used __user *used;
	bool log_used;			/* VHOST_VRING_F_LOG */
	u64 log_addr;			/* guest address of the used ring */

	/* Progress. */
	u16 last_avail_idx;		/* next avail entry to take */
	u16 avail_idx;			/* last avail->idx read */
	u16 last_used_idx;		/* next used entry to fill */
	u16 signalled_used;		/* used idx at the last interrupt */
	bool signalled_used_valid;
	u16 used_flags;			/* what we last wrote to used->flags */

	/* Negotiated. */
	u64 acked_features;
	bool user_be;			/* SET_VRING_ENDIAN: legacy big-endian */
	bool is_le;
	u32 busyloop_timeout;		/* us, SET_VRING_BUSYLOOP_TIMEOUT */

	/* The device's memory table and dirty log, copied under mutex. */
	const struct vsc_memtable *mem;
	void __user *log_base;
	struct eventfd_ctx *log_ctx;

	/*
	 * VIRTIO_F_ACCESS_PLATFORM: the device's IOTLB (changed only with
	 * every vq mutex of the device held), whether the rings are
	 * translated, whether the backend attach's ring access waits for
	 * them, and whether the vq waits for the VMM to answer a miss (it
	 * does not run until an update arrives). The miss itself is
	 * under the device's iotlb_lock.
	 */
	struct vhost_iotlb *iotlb;
	bool rings_mapped;
	bool init_pending;
	bool iotlb_wait;
	bool miss_posted;
	u8 miss_perm;
	u64 miss_iova;

	/* Eventfds. */
	struct file *kick;
	struct eventfd_ctx *call_ctx;
	struct eventfd_ctx *err_ctx;
	struct vsc_poll kick_poll;

	/* Backend handler, and whether a guest fault stopped the vq. */
	void (*handle)(struct vsc_vq *vq);
	bool broken;

	/*
	 * The current handler run (under mutex). A sidecore's run may not
	 * sleep in a page fault of the owner (nofault): a guest-memory
	 * access that would have slept sets faulted instead of breaking
	 * the vq, the run stops where it can be taken up again, and the vq
	 * is handed to its worker (exec.c). run_deadline (local_clock)
	 * bounds the run by time (VSC_EXEC_TURN_NS).
	 */
	bool nofault;
	bool faulted;
	u64 run_deadline;
	unsigned int run_frames;	/* frames handled, moved or dropped */

	/* Executor (exec.c): mode changes only in vsc_exec_move(). */
	enum vsc_exec_mode mode;
	struct vsc_work work;
	struct vsc_sidecore *sc;	/* under vsc_exec_lock; NULL: worker */
	struct list_head sc_node;	/* on sc->assigned, under sc->lock */
	atomic_t sc_refs;		/* sidecore poll lists that hold it */
	unsigned int poll_skip;		/* sidecore passes to sit out */
	/*
	 * Handed off: assigned to a sidecore but run by its worker, after
	 * a sidecore run hit a fault that would sleep or found dirty
	 * logging on. Set by the sidecore, cleared by the worker (mutex).
	 */
	bool handoff;
	u64 handoff_until;		/* the worker gives it back after */
	u64 handoff_hold;		/* the last hold, doubled on repeats */
	u64 handoff_end;		/* when the last hand-off ended */
	/* Polling: is there work? Called by a sidecore with mutex held. */
	bool (*has_work)(struct vsc_vq *vq);

	struct vsc_vq_stats stats;
	/*
	 * stats.packets when the control plane last looked at the vq
	 * (vsc_exec_seen()): a worker run wakes an idle manager once the
	 * vq has moved vsc_exec_wake_frames frames since.
	 */
	u64 seen_packets;

	/* Scratch space of the handler. */
	struct iovec *iov;		/* VSC_MAX_IOV */
	struct vsc_log *log;		/* VSC_MAX_IOV */
	struct vring_used_elem *heads;	/* VSC_MAX_IOV + VSC_USED_BATCH */
	unsigned int nheads;		/* batched, not yet published */
};

/* Polled by a sidecore: no guest notifications, no socket wake-ups. */
static inline bool vsc_exec_polled(const struct vsc_vq *vq)
{
	return READ_ONCE(vq->mode) == VSC_EXEC_SIDECORE &&
	       !READ_ONCE(vq->handoff);
}

/*
 * Is the run to stop: the vq broke, a fault would have slept, or a
 * translation is missing?
 */
static inline bool vsc_vq_halted(const struct vsc_vq *vq)
{
	return vq->broken || vq->faulted || vq->iotlb_wait;
}

static inline bool vsc_vq_has_feature(const struct vsc_vq *vq, int bit)
{
	return vq->acked_features & (1ULL << bit);
}

static inline u16 vsc16_to_cpu(const struct vsc_vq *vq, __virtio16 v)
{
	return __virtio16_to_cpu(vq->is_le, v);
}

static inline __virtio16 cpu_to_vsc16(const struct vsc_vq *vq, u16 v)
{
	return __cpu_to_virtio16(vq->is_le, v);
}

static inline u32 vsc32_to_cpu(const struct vsc_vq *vq, __virtio32 v)
{
	return __virtio32_to_cpu(vq->is_le, v);
}

static inline __virtio32 cpu_to_vsc32(const struct vsc_vq *vq, u32 v)
{
	return __cpu_to_virtio32(vq->is_le, v);
}

static inline u64 vsc64_to_cpu(const struct vsc_vq *vq, __virtio64 v)
{
	return __virtio64_to_cpu(vq->is_le, v);
}

int vsc_vq_alloc(struct vsc_vq *vq);
void vsc_vq_free(struct vsc_vq *vq);
void vsc_vq_reset(struct vsc_vq *vq);

/* Ring byte sizes for a ring of @num entries under @features. */
size_t vsc_vring_desc_size(unsigned int num);
size_t vsc_vring_avail_size(u64 features, unsigned int num);
size_t vsc_vring_used_size(u64 features, unsigned int num);
bool vsc_vring_access_ok(u64 features, unsigned int num,
			 struct vring_desc __user *desc,
			 struct vring_avail __user *avail,
			 struct vring_used __user *used);
/* Rings (and their dirty log) set up and in user memory? */
bool vsc_vq_access_ok(const struct vsc_vq *vq);
bool vsc_log_access_ok(void __user *log_base, u64 gpa, u64 size);
bool vsc_vq_log_access_ok(const struct vsc_vq *vq, void __user *log_base);

/*
 * Backend attach: read the used index, write the used flags. With an
 * IOTLB this waits for the first run that has the rings translated.
 */
int vsc_vq_init_access(struct vsc_vq *vq);

/*
 * Before a run (vq->mutex held): with an IOTLB, translate the rings if
 * an update or invalidation dropped them, and finish the backend
 * attach. False when the vq cannot run: it waits for the VMM's answer
 * to a miss (posted here) or it broke. Always true without an IOTLB.
 */
bool vsc_vq_ready(struct vsc_vq *vq);

/*
 * Take the next available chain: *out readable segments then *in writable
 * ones in @iov. Returns the head, vq->num when the ring is empty, or a
 * negative errno after the vq was marked broken (or, on a nofault run,
 * faulted). With @log, the guest extents of writable descriptors are
 * stored there (*nlog of them). *@budget is the number of descriptors it
 * may still read (VSC_CHAIN_MAX_DESC for one chain); reading more breaks
 * the vq.
 */
int vsc_vq_get_chain(struct vsc_vq *vq, struct iovec *iov,
		     unsigned int iov_max, unsigned int *out,
		     unsigned int *in, struct vsc_log *log,
		     unsigned int *nlog, unsigned int *budget);
void vsc_vq_discard(struct vsc_vq *vq, unsigned int n);

/* Publish used entries (already in guest byte order). */
int vsc_vq_add_used(struct vsc_vq *vq, const struct vring_used_elem *heads,
		    unsigned int count);
/* Raise the guest interrupt if the guest asked for one. */
void vsc_vq_signal(struct vsc_vq *vq);
/*
 * Publish and signal the batch in vq->heads. After a fault on a nofault
 * run the batch stays for the next run; on a broken vq it is dropped.
 */
void vsc_vq_flush_used(struct vsc_vq *vq);

/* Dirty logging on: the used ring or the guest's buffers are logged. */
static inline bool vsc_vq_logging(const struct vsc_vq *vq)
{
	return vq->log_used || vsc_vq_has_feature(vq, VHOST_F_LOG_ALL);
}

/* True when the avail ring surely has nothing new (errors count as not). */
bool vsc_vq_avail_empty(struct vsc_vq *vq);
/* Ask for guest kicks; true if buffers arrived meanwhile (re-check). */
bool vsc_vq_enable_notify(struct vsc_vq *vq);
void vsc_vq_disable_notify(struct vsc_vq *vq);

/* Dirty logging of @len bytes written through the chain's log extents. */
int vsc_vq_log_write(struct vsc_vq *vq, const struct vsc_log *log,
		     unsigned int nlog, u64 len);

/*
 * Mark the vq broken: error eventfd, one rate-limited line and netlink
 * event. Returns err.
 */
__printf(3, 4)
int vsc_vq_err(struct vsc_vq *vq, int err, const char *fmt, ...);
/*
 * A guest-memory access failed. On a nofault run that only means the
 * access would have slept: set vq->faulted and return -EFAULT; anywhere
 * else it is vsc_vq_err(vq, -EFAULT, ...).
 */
__printf(2, 3)
int vsc_vq_fault(struct vsc_vq *vq, const char *fmt, ...);

#endif /* VSC_VRING_H */
