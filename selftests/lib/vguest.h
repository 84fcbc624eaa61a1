/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vguest: a virtio-net "guest" in a userspace process, driving a vhost-net
 * compatible device (ours or the in-tree /dev/vhost-net) the way a VMM and
 * a guest driver together would: identity-mapped memory (guest physical
 * address == process virtual address, as DPDK virtio-user does), split
 * rings, eventfds, and a tap backend in the caller's network namespace.
 *
 * The host side of the tap is reached with an AF_PACKET socket, so frames
 * can be injected towards the guest and captured from it.
 */
#ifndef VSC_VGUEST_H
#define VSC_VGUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#define VG_MAX_QSIZE 1024

struct vg_config {
	const char *dev;		/* vhost device node */
	int dev_fd;			/* or an open device, if > 0 */
	uint64_t gpa_base;		/* guest address of our memory (0: identity) */
	unsigned int qsize;		/* ring entries (power of two) */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX */
	bool indirect;			/* use VIRTIO_RING_F_INDIRECT_DESC */
	bool mrg_rxbuf;			/* VIRTIO_NET_F_MRG_RXBUF */
	bool version_1;			/* VIRTIO_F_VERSION_1 */
	bool vhost_hdr;			/* VHOST_NET_F_VIRTIO_NET_HDR */
	unsigned int rx_buf;		/* bytes per posted rx buffer */
	unsigned int busyloop_us;	/* SET_VRING_BUSYLOOP_TIMEOUT */
	const char *ifname;		/* tap to create */
	bool no_backend;		/* configure rings but attach nothing */
	size_t extra_mem;		/* guest memory for vg_galloc() */
	/*
	 * Ring indexes start here (SET_VRING_BASE and the used index the
	 * device reads): near 65535, a short stream covers the wrap.
	 */
	uint16_t base_idx;
	/*
	 * Frames injected towards the guest go straight to the tap's ring,
	 * not through its qdisc: a full ring is an error the sender sees
	 * (and retries), and a qdisc being replaced drops nothing.
	 */
	bool qdisc_bypass;
	/*
	 * Check num_buffers == 1 without MRG_RXBUF in a 12-byte header, as
	 * virtio 1.x requires of devices. In-tree vhost-net leaves the field
	 * as the guest wrote it, so this is off when testing it.
	 */
	bool strict_hdr;
	/*
	 * Behind a vIOMMU: VIRTIO_F_ACCESS_PLATFORM, rings and buffers at
	 * I/O virtual addresses (our memory at iova_base), IOTLB messages
	 * in the v2 layout. Someone must answer the device's misses
	 * (vg_iotlb_start(), or updates written beforehand).
	 */
	bool iommu;
	uint64_t iova_base;
};

struct vg_vq {
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;		/* next index we publish */
	uint16_t published;		/* avail->idx last written */
	uint16_t last_used;
	uint16_t free_head;
	unsigned int nfree;
	uint16_t chain[VG_MAX_QSIZE];	/* descriptors held by each head */
	void *buf[VG_MAX_QSIZE];	/* data area of each head */
	struct vring_desc *ind[VG_MAX_QSIZE]; /* indirect table per head */
	int kick, call, err;		/* eventfds */
	unsigned long kicks;		/* notifications we sent */
	unsigned long kicks_suppressed;	/* ... the device told us to skip */
	unsigned long calls;		/* interrupts seen (call eventfd counts) */
};

struct vg_dev {
	struct vg_config cfg;
	int fd;				/* vhost device */
	int tap;			/* tap fd (backend) */
	int ifindex;
	int pkt;			/* AF_PACKET socket on the tap */
	uint64_t features;
	size_t hdr_len;			/* virtio-net header the guest sees */
	void *mem;
	size_t mem_size;
	uint64_t gpa_base;		/* guest physical address of mem */
	uint64_t dma_base;		/* device address of mem (gpa or iova) */
	size_t mem_used;
	struct vg_vq rx, tx;
	unsigned int rx_pending;	/* mrg: buffers of a partial frame */
};

/* Guest and host MAC addresses used on every tap. */
extern const uint8_t vg_guest_mac[6];
extern const uint8_t vg_host_mac[6];
#define VG_ETHERTYPE 0x88b5		/* IEEE local experimental */

/*
 * The device's address of a pointer into the guest memory: guest
 * physical, or I/O virtual behind a vIOMMU.
 */
uint64_t vg_gpa(const struct vg_dev *d, const void *p);

/*
 * One IOTLB message (struct vhost_msg_v2) to the device: type
 * VHOST_IOTLB_UPDATE, _INVALIDATE, _BATCH_BEGIN or _BATCH_END. 0 or
 * -errno.
 */
int vg_iotlb_msg(int fd, uint8_t type, uint64_t iova, uint64_t size,
		 uint64_t uaddr, uint8_t perm);

/*
 * The VMM's side of the IOTLB, on a thread: read each miss, answer with
 * an update of the aligned @page (a power of two) of guest memory that
 * holds it, with access @perm. Misses outside our memory are counted
 * and left unanswered; while @paused nothing is read.
 */
struct vg_iotlb {
	struct vg_dev *d;
	uint64_t page;
	uint8_t perm;
	volatile int stop, paused;
	volatile unsigned long misses, updates, outside, errors;
	volatile uint64_t last_iova;
	unsigned long thread;		/* pthread_t */
};
int vg_iotlb_start(struct vg_dev *d, struct vg_iotlb *t, uint64_t page,
		   uint8_t perm);
void vg_iotlb_stop(struct vg_iotlb *t);

/* Move into a new network namespace with lo up. 0 or -errno. */
int vg_new_netns(void);

/* Set up device, memory, rings, tap. 0 or -errno (with a message). */
int vg_setup(struct vg_dev *d, const struct vg_config *cfg);
/*
 * Close the device file and open a new one on the same memory, rings,
 * eventfds and tap, set up as vg_setup() did (what a VMM does when it
 * reopens the device); the backend is left detached. 0 or -errno.
 */
int vg_reopen(struct vg_dev *d);
void vg_teardown(struct vg_dev *d);

/* Attach (fd >= 0) or detach (-1) the backend of both vqs. */
int vg_set_backend(struct vg_dev *d, int fd);

/* Guest tx: queue one frame (no virtio header). -EAGAIN if the ring is full. */
int vg_tx_add(struct vg_dev *d, const void *frame, size_t len);
/* Publish queued tx buffers, kicking when the device asks for it. */
void vg_tx_publish(struct vg_dev *d);
/* Reclaim completed tx buffers; returns how many. */
int vg_tx_reap(struct vg_dev *d);
/*
 * Send @n frames 2 ms apart, each after the last was consumed; returns the
 * kicks they needed. A device that sleeps between frames needs about one
 * per frame, a polling one none.
 */
unsigned long vg_tx_paced_kicks(struct vg_dev *d, int n);
/* Tx buffers in flight. */
unsigned int vg_tx_inflight(struct vg_dev *d);

/* Guest rx: post free buffers and publish them. */
void vg_rx_refill(struct vg_dev *d);
/*
 * Next frame the device delivered, copied to @out (header stripped).
 * Returns its length, 0 if none yet, -EIO on a malformed used entry.
 */
int vg_rx_get(struct vg_dev *d, void *out, size_t outlen);

/*
 * Raw ring access for tests that write what a real driver would not:
 * take @n chained free descriptors (returns the head or -1), and publish
 * a head in the avail ring, kicking unconditionally.
 */
int vg_desc_alloc(struct vg_vq *vq, unsigned int n);
void vg_push_kick(struct vg_vq *vq, uint16_t head);
/* Add a head to the avail ring without publishing it. */
void vg_push(struct vg_vq *vq, uint16_t head);
/* Publish what was added, kicking only if the device asks for it. */
void vg_vq_publish(struct vg_dev *d, struct vg_vq *vq);
/* Guest memory (cfg.extra_mem of it), or NULL when it is used up. */
void *vg_galloc(struct vg_dev *d, size_t size, size_t align);
/* Publish what was added and kick, whatever the device asked for. */
void vg_force_kick(struct vg_vq *vq);

/* Wait up to @ms for a guest interrupt on either vq. */
void vg_wait_call(struct vg_dev *d, int ms);
/* Has the device signalled the error eventfd of @vq? (non-blocking) */
bool vg_vq_error(struct vg_vq *vq);

/* Host side: inject a frame towards the guest / capture one from it. */
int vg_host_send(struct vg_dev *d, const void *frame, size_t len);
int vg_host_recv(struct vg_dev *d, void *out, size_t outlen);

/* Test frames: ethernet header, then a checked, sequence-numbered body. */
#define VG_FRAME_MIN 60
#define VG_FRAME_MAX 1514
size_t vg_frame_len(uint64_t seq, size_t min, size_t max);
void vg_frame_build(void *buf, size_t len, bool to_guest, uint32_t stream,
		    uint64_t seq);
/* 0 ok, 1 not a test frame, -1 corrupt. Fills stream and seq. */
int vg_frame_parse(const void *buf, size_t len, uint32_t *stream,
		   uint64_t *seq);

/* Counters of one direction of a stream. */
struct vg_flow {
	uint64_t sent;
	uint64_t received;
	uint64_t next;			/* next expected sequence number */
	uint64_t lost;			/* gaps */
	uint64_t dup_or_reorder;
	uint64_t corrupt;
	uint64_t foreign;		/* frames that are not ours */
};

struct vg_stream_result {
	struct vg_flow tx;		/* guest -> host */
	struct vg_flow rx;		/* host -> guest */
	double seconds;
	bool stalled;
};

/* Account one received frame in @f (stream id must match @stream). */
void vg_flow_account(struct vg_flow *f, const void *buf, int len,
		     uint32_t stream);

/*
 * Stream @frames sequence-numbered frames each way at once, with a window
 * of frames in flight so that no queue on the way overflows. Fails (returns
 * false) on any loss, duplicate, reorder or corruption, or when nothing
 * moves for @stall_ms.
 */
bool vg_stream(struct vg_dev *d, uint64_t frames, uint32_t stream,
	       int stall_ms, struct vg_stream_result *res);

/* The same for @seconds of sending, then until all in flight arrived. */
bool vg_stream_for(struct vg_dev *d, double seconds, uint32_t stream,
		   int stall_ms, struct vg_stream_result *res);

/*
 * A stream for a thread: pthread_create(&t, NULL, vg_stream_thread, &job).
 * With @seconds > 0 it is timed (vg_stream_for), else @frames each way.
 */
struct vg_stream_job {
	struct vg_dev *d;
	uint64_t frames;
	double seconds;
	uint32_t stream;
	int stall_ms;
	bool ok;
	struct vg_stream_result res;
};
void *vg_stream_thread(void *job);

/* Print a result as TAP diagnostics. */
void vg_stream_report(const struct vg_stream_result *r);

/* Read a vq's counters from debugfs (our device only). 0 or -1. */
struct vg_counters {
	int dev;
	unsigned long long packets, bytes, kicks, signals, runs, errors;
	unsigned long long drops, weight_exits, handoffs, run_ns_max;
	unsigned long long run_frames_max;
	int broken;
	int handoff;			/* run by its worker for its sidecore */
	char mode[16];
};
int vg_read_counters(int owner_pid, int vq, int nth, struct vg_counters *c);

#endif /* VSC_VGUEST_H */
