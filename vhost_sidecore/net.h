/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-net backend: tx and rx handlers moving frames between the
 * guest's rings and a tap, tun (IFF_TAP), macvtap or AF_PACKET socket.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_NET_H
#define VSC_NET_H

#include <linux/mm_types.h>
#include <linux/types.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>

#include "exec.h"
#include "vring.h"

enum {
	VSC_NET_VQ_RX = 0,
	VSC_NET_VQ_TX = 1,
	VSC_NET_NVQS = 2,
};

/* Per-run fairness weights, as vhost-net (CVE-2019-3900). */
#define VSC_NET_WEIGHT_BYTES	0x80000
#define VSC_NET_WEIGHT_PKTS	256

/* Feature bits offered to the VMM (VHOST_GET_FEATURES). */
#define VSC_NET_FEATURES (					\
	(1ULL << VIRTIO_F_NOTIFY_ON_EMPTY) |			\
	(1ULL << VIRTIO_RING_F_INDIRECT_DESC) |			\
	(1ULL << VIRTIO_RING_F_EVENT_IDX) |			\
	(1ULL << VHOST_F_LOG_ALL) |				\
	(1ULL << VIRTIO_F_ANY_LAYOUT) |				\
	(1ULL << VIRTIO_F_VERSION_1) |				\
	(1ULL << VHOST_NET_F_VIRTIO_NET_HDR) |			\
	(1ULL << VIRTIO_NET_F_MRG_RXBUF) |			\
	(1ULL << VIRTIO_F_ACCESS_PLATFORM))

/*
 * Backend features offered: IOTLB messages in the v2 layout, and batches
 * of them (with VIRTIO_F_ACCESS_PLATFORM).
 */
#define VSC_NET_BACKEND_FEATURES (				\
	(1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |		\
	(1ULL << VHOST_BACKEND_F_IOTLB_BATCH))

/* Frames handed to tun/tap in one sendmsg() (vhost-net: 64). */
#define VSC_NET_TX_BATCH	64
/* Frames taken from the tun/tap queue under one lock (vhost-net: 64). */
#define VSC_NET_RX_BATCH	64
/* A sidecore's rx frame buffer: the largest frame tun or tap makes. */
#define VSC_NET_RX_BOUNCE	(64 * 1024 + 256)

struct socket;
struct ptr_ring;
struct xdp_buff;

struct vsc_net_vq {
	struct vsc_vq vq;
	struct socket *sock;		/* backend; NULL when detached */
	bool tap;			/* backend is tun/tap (not AF_PACKET) */
	struct vsc_poll sock_poll;	/* rx: readable, tx: writable */
	struct ptr_ring *rx_ring;	/* tun/tap queue, for peeking */
	size_t vhost_hlen;		/* header we add/strip ourselves */
	size_t sock_hlen;		/* header the socket adds/strips */

	/* rx from tun/tap: frames taken from rx_ring, [rx_head, rx_tail) */
	void **rxq;			/* VSC_NET_RX_BATCH */
	unsigned int rx_head, rx_tail;
	/*
	 * rx on a sidecore: the frame is received here, then copied to the
	 * guest with faults off; pending_len > 0 while a frame waits here
	 * for a run that can copy it (vq mutex).
	 */
	void *bounce;			/* VSC_NET_RX_BOUNCE */
	int pending_len;

	/* tx to tun/tap: frames copied into page fragments, sent as a batch */
	struct xdp_buff *xdp;		/* VSC_NET_TX_BATCH */
	unsigned int nxdp;
	struct page_frag_cache frag;
};

static inline struct vsc_net_vq *to_net_vq(struct vsc_vq *vq)
{
	return container_of(vq, struct vsc_net_vq, vq);
}

void vsc_net_vq_init(struct vsc_net_vq *nvq, struct vsc_dev *dev,
		     unsigned int index);
int vsc_net_vq_alloc(struct vsc_net_vq *nvq);
void vsc_net_vq_free(struct vsc_net_vq *nvq);
/* Header sizes for the acked features; caller holds the vq mutex. */
void vsc_net_set_hlen(struct vsc_net_vq *nvq, u64 features);
/* VHOST_NET_SET_BACKEND; caller holds the device mutex. */
long vsc_net_set_backend(struct vsc_dev *dev, unsigned int index, int fd);
/* Detach the backend of every vq and release the sockets. */
void vsc_net_stop(struct vsc_dev *dev);
/* Does the backend have a frame for the guest? (lockless hint) */
bool vsc_net_rx_pending(struct vsc_net_vq *nvq);

#endif /* VSC_NET_H */
