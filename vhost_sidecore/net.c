// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net over a tap-like socket.
 *
 * tx: guest chain -> sendmsg() on the backend socket.
 * rx: peek the length of the next frame, gather enough guest buffers
 *     (several with VIRTIO_NET_F_MRG_RXBUF), recvmsg() into them.
 *
 * The virtio-net header is either passed through to a socket that speaks
 * it (tap with IFF_VNET_HDR: sock_hlen) or, with VHOST_NET_F_VIRTIO_NET_HDR,
 * stripped on tx and supplied (all zero) on rx by us (vhost_hlen).
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/file.h>
#include <linux/if_packet.h>
#include <linux/if_tap.h>
#include <linux/if_tun.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/nospec.h>
#include <linux/ptr_ring.h>
#include <linux/sched/clock.h>
#include <linux/skbuff.h>
#include <net/sock.h>
#include <net/xdp.h>

#include "compat.h"
#include "dev.h"
#include "net.h"

void vsc_net_set_hlen(struct vsc_net_vq *nvq, u64 features)
{
	size_t hdr = (features & ((1ULL << VIRTIO_NET_F_MRG_RXBUF) |
				  (1ULL << VIRTIO_F_VERSION_1))) ?
		sizeof(struct virtio_net_hdr_mrg_rxbuf) :
		sizeof(struct virtio_net_hdr);

	if (features & (1ULL << VHOST_NET_F_VIRTIO_NET_HDR)) {
		nvq->vhost_hlen = hdr;
		nvq->sock_hlen = 0;
	} else {
		nvq->vhost_hlen = 0;
		nvq->sock_hlen = hdr;
	}
}

/* A tun/tap queue entry: an skb, or (tun) a tagged xdp_frame. */
static int vsc_rx_entry_len(void *ptr)
{
	struct sk_buff *skb = ptr;

	if (tun_is_xdp_frame(ptr))
		return tun_ptr_to_xdp(ptr)->len;
	return skb->len + (skb_vlan_tag_present(skb) ? VLAN_HLEN : 0);
}

static void vsc_rx_entry_free(void *ptr)
{
	if (tun_is_xdp_frame(ptr))
		xdp_return_frame(tun_ptr_to_xdp(ptr));
	else
		kfree_skb(ptr);
}

/* Give frames taken from the tun/tap queue but not delivered back to it. */
static void vsc_net_rx_unconsume(struct vsc_net_vq *nvq)
{
	if (nvq->rx_ring && nvq->rx_head != nvq->rx_tail)
		ptr_ring_unconsume(nvq->rx_ring, nvq->rxq + nvq->rx_head,
				   nvq->rx_tail - nvq->rx_head,
				   vsc_rx_entry_free);
	nvq->rx_head = nvq->rx_tail = 0;
}

/* Next frame of a tun/tap queue, refilling our batch under one lock. */
static void *vsc_net_rx_next(struct vsc_net_vq *nvq)
{
	if (nvq->rx_head == nvq->rx_tail) {
		nvq->rx_head = 0;
		nvq->rx_tail = ptr_ring_consume_batched(nvq->rx_ring, nvq->rxq,
							 VSC_NET_RX_BATCH);
		if (!nvq->rx_tail)
			return NULL;
	}
	return nvq->rxq[nvq->rx_head];
}

/* Length of the next frame waiting on the socket, 0 if none. */
static int vsc_sock_peek_len(struct vsc_net_vq *nvq)
{
	struct socket *sock = nvq->sock;
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	unsigned long flags;
	int len = 0;
	void *ptr;

	if (nvq->rx_ring) {
		ptr = vsc_net_rx_next(nvq);
		return ptr ? vsc_rx_entry_len(ptr) : 0;
	}
	if (sock->ops->peek_len)
		return sock->ops->peek_len(sock);

	spin_lock_irqsave(&sk->sk_receive_queue.lock, flags);
	skb = skb_peek(&sk->sk_receive_queue);
	if (skb) {
		len = skb->len;
		if (skb_vlan_tag_present(skb))
			len += VLAN_HLEN;
	}
	spin_unlock_irqrestore(&sk->sk_receive_queue.lock, flags);
	return len;
}

bool vsc_net_rx_pending(struct vsc_net_vq *nvq)
{
	struct ptr_ring *ring = READ_ONCE(nvq->rx_ring);
	struct socket *sock = READ_ONCE(nvq->sock);

	if (!sock)
		return false;
	if (READ_ONCE(nvq->pending_len))
		return true;
	/*
	 * tun frees and replaces its ring when txqueuelen changes, under
	 * the consumer lock: peek under it too (ptr_ring_empty()). The peek
	 * still races with tun's producer filling the slot (a plain read in
	 * ptr_ring.h against its WRITE_ONCE): by design, a stale empty only
	 * means the next look sees the frame.
	 */
	if (ring)
		return READ_ONCE(nvq->rx_head) != READ_ONCE(nvq->rx_tail) ||
		       /* A race with tun's producer, by design: see above. */
		       !data_race(ptr_ring_empty(ring));
	return !skb_queue_empty_lockless(&sock->sk->sk_receive_queue);
}

/*
 * Busy-poll (SET_VRING_BUSYLOOP_TIMEOUT): spin up to the timeout for new
 * work on this vq's source, giving up as soon as the executor has other
 * work or the scheduler wants the CPU. True when there is work.
 */
static bool vsc_net_busy_poll(struct vsc_net_vq *nvq)
{
	struct vsc_vq *vq = &nvq->vq;
	u64 end = local_clock() + (u64)vq->busyloop_timeout * NSEC_PER_USEC;
	bool rx = vq->index == VSC_NET_VQ_RX;

	while (!vsc_exec_should_yield(vq) && local_clock() < end) {
		if (rx ? vsc_net_rx_pending(nvq) : !vsc_vq_avail_empty(vq))
			return true;
		cpu_relax();
	}
	return false;
}

/*
 * End the run after VSC_NET_WEIGHT_PKTS frames or VSC_NET_WEIGHT_BYTES,
 * counting every frame handled (moved, dropped or refused), or once its
 * turn (VSC_EXEC_TURN_NS) is over.
 */
static bool vsc_net_over_weight(struct vsc_vq *vq, unsigned int frames,
				size_t bytes)
{
	vq->run_frames = frames;
	if (frames < VSC_NET_WEIGHT_PKTS && bytes < VSC_NET_WEIGHT_BYTES &&
	    local_clock() < vq->run_deadline)
		return false;
	/* Give others a turn, then come back. */
	VSC_STAT_INC(&vq->stats, weight_exits);
	vsc_exec_queue(vq);
	return true;
}

/* Hand the batched frames to tun/tap in one call. */
static void vsc_net_tx_flush(struct vsc_net_vq *nvq)
{
	struct tun_msg_ctl ctl = {
		.type = TUN_MSG_PTR,
		.num = nvq->nxdp,
		.ptr = nvq->xdp,
	};
	struct msghdr msg = {
		.msg_control = &ctl,
		.msg_controllen = sizeof(ctl),
	};
	unsigned int i;
	int err;

	if (!nvq->nxdp)
		return;
	/*
	 * Even on a vq broken since: every frame here was read in full
	 * before the fault, and its used entry may already be published
	 * (used entries go out in smaller batches than frames).
	 */
	err = nvq->sock->ops->sendmsg(nvq->sock, &msg, 0);
	if (unlikely(err < 0)) {
		for (i = 0; i < nvq->nxdp; i++)
			put_page(virt_to_head_page(nvq->xdp[i].data));
		VSC_STAT_ADD(&nvq->vq.stats, drops, nvq->nxdp);
	}
	nvq->nxdp = 0;
}

/*
 * Copy one frame (socket header + data) from the guest into a page
 * fragment laid out as tun/tap expect for TUN_MSG_PTR: a tun_xdp_hdr at
 * the start, the frame after the headroom, room for skb_shared_info at
 * the end so that the skb is built around it without another copy.
 * -ENOSPC: too big for one page, send it the ordinary way.
 */
static int vsc_net_tx_build(struct vsc_net_vq *nvq, struct iov_iter *from)
{
	struct virtio_net_hdr_mrg_rxbuf vh = {};
	struct vsc_vq *vq = &nvq->vq;
	size_t len = iov_iter_count(from);
	int headroom = sock_flag(nvq->sock->sk, SOCK_XDP) ?
		XDP_PACKET_HEADROOM : 0;
	int pad = SKB_DATA_ALIGN(NET_IP_ALIGN + NET_SKB_PAD + headroom +
				 nvq->sock_hlen);
	struct xdp_buff *xdp = &nvq->xdp[nvq->nxdp];
	struct tun_xdp_hdr *hdr;
	unsigned int buflen;
	u16 csum_end;
	void *buf;

	if (len < nvq->sock_hlen + ETH_HLEN)
		return -EINVAL;
	buflen = SKB_DATA_ALIGN(len + pad) +
		 SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	if (buflen > PAGE_SIZE)
		return -ENOSPC;
	if (copy_from_iter(&vh, nvq->sock_hlen, from) != nvq->sock_hlen)
		return -EFAULT;
	/* As tun_get_user(): the header length covers the checksum field. */
	if (vh.hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		csum_end = vsc16_to_cpu(vq, vh.hdr.csum_start) +
			   vsc16_to_cpu(vq, vh.hdr.csum_offset) + 2;
		if (csum_end > vsc16_to_cpu(vq, vh.hdr.hdr_len))
			vh.hdr.hdr_len = cpu_to_vsc16(vq, csum_end);
		if (vsc16_to_cpu(vq, vh.hdr.hdr_len) > len)
			return -EINVAL;
	}
	len -= nvq->sock_hlen;

	buf = page_frag_alloc(&nvq->frag, buflen, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	hdr = buf;
	hdr->gso = vh.hdr;
	hdr->buflen = buflen;
	if (copy_from_iter(buf + pad, len, from) != len) {
		page_frag_free(buf);
		return -EFAULT;
	}
	xdp_init_buff(xdp, buflen, NULL);
	xdp_prepare_buff(xdp, buf, pad, len, true);
	nvq->nxdp++;
	return 0;
}

static void vsc_net_handle_tx(struct vsc_vq *vq)
{
	struct vsc_net_vq *nvq = to_net_vq(vq);
	struct socket *sock = nvq->sock;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	unsigned int out, in, budget, pkts = 0, frames = 0;
	size_t total = 0, bytes = 0, chain_len, len;
	bool polled = vsc_exec_polled(vq);
	bool batch;
	int head, err;

	/* Not ready: waiting for the VMM to translate an address. */
	if (!sock || vsc_vq_halted(vq) || !vsc_vq_ready(vq))
		return;
	/* No socket flow control on the batched path: as vhost-net. */
	batch = nvq->tap && sock->sk->sk_sndbuf == INT_MAX;
	vsc_vq_disable_notify(vq);
	vsc_poll_stop(&nvq->sock_poll);

	/* Halted: a used-ring log write broke the vq, or a fault on a sidecore. */
	while (!vsc_vq_halted(vq)) {
		if (nvq->nxdp == VSC_NET_TX_BATCH)
			vsc_net_tx_flush(nvq);
		if (vq->nheads >= VSC_USED_BATCH) {
			vsc_vq_flush_used(vq);
			if (vsc_vq_halted(vq))
				break;
		}
		budget = VSC_CHAIN_MAX_DESC;
		head = vsc_vq_get_chain(vq, vq->iov, VSC_MAX_IOV, &out, &in,
					NULL, NULL, &budget);
		if (unlikely(head == -ENOBUFS)) {
			vsc_vq_err(vq, -ENOBUFS,
				   "tx chain needs more than %u segments",
				   VSC_MAX_IOV);
			break;
		}
		if (unlikely(head < 0))
			break;
		if (head == vq->num) {
			vsc_net_tx_flush(nvq);
			/* Polled: the executor looks again, no kick needed. */
			if (polled)
				break;
			if (vq->busyloop_timeout) {
				vsc_vq_flush_used(vq);
				if (vsc_net_busy_poll(nvq))
					continue;
			}
			if (unlikely(vsc_vq_enable_notify(vq))) {
				vsc_vq_disable_notify(vq);
				continue;
			}
			break;
		}
		if (unlikely(in)) {
			vsc_vq_err(vq, -EINVAL,
				   "tx chain %d has %u writable segments", head, in);
			break;
		}
		chain_len = iov_length(vq->iov, out);
		iov_iter_init(&msg.msg_iter, ITER_SOURCE, vq->iov, out, chain_len);
		iov_iter_advance(&msg.msg_iter, nvq->vhost_hlen);
		len = iov_iter_count(&msg.msg_iter);
		if (unlikely(!len)) {
			vsc_vq_err(vq, -EINVAL,
				   "tx chain %d: %zu bytes, nothing after the %zu-byte header",
				   head, chain_len, nvq->vhost_hlen);
			break;
		}
		if (batch) {
			err = vsc_net_tx_build(nvq, &msg.msg_iter);
			if (!err)
				goto sent;
			if (err == -EFAULT) {
				/* Taken up again by the worker on a sidecore. */
				vsc_vq_discard(vq, 1);
				vsc_vq_fault(vq, "tx chain %d: cannot read the frame",
					     head);
				break;
			}
			if (err == -ENOMEM) {
				vsc_net_tx_flush(nvq);
				vsc_vq_discard(vq, 1);
				if (!polled)
					vsc_poll_start(&nvq->sock_poll,
						       sock->file);
				break;
			}
			if (err == -EINVAL) {
				VSC_STAT_INC(&vq->stats, drops);
				goto used;
			}
			/* -ENOSPC: keep the order, then send this one alone. */
			vsc_net_tx_flush(nvq);
			iov_iter_init(&msg.msg_iter, ITER_SOURCE, vq->iov, out,
				      chain_len);
			iov_iter_advance(&msg.msg_iter, nvq->vhost_hlen);
		}
		err = sock->ops->sendmsg(sock, &msg, len);
		if (unlikely(err < 0)) {
			if (err == -EAGAIN || err == -ENOMEM || err == -ENOBUFS) {
				/* Backend full: retry when it is writable. */
				vsc_vq_discard(vq, 1);
				if (!polled)
					vsc_poll_start(&nvq->sock_poll,
						       sock->file);
				break;
			}
			if (err == -EFAULT && vq->nofault) {
				/* Nothing was sent: the worker sends it. */
				vsc_vq_discard(vq, 1);
				vsc_vq_fault(vq, "tx chain %d: cannot read the frame",
					     head);
				break;
			}
			/* The socket refused the frame (bad header...). */
			VSC_STAT_INC(&vq->stats, drops);
			goto used;
		}
sent:
		pkts++;
		total += chain_len;
used:
		/* Sent or refused, the chain was consumed: it counts. */
		vq->heads[vq->nheads].id = cpu_to_vsc32(vq, head);
		vq->heads[vq->nheads].len = 0;
		vq->nheads++;
		frames++;
		bytes += chain_len;
		if (vsc_net_over_weight(vq, frames, bytes))
			break;
	}
	vsc_net_tx_flush(nvq);
	vsc_vq_flush_used(vq);
	vq->run_frames = frames;
	VSC_STAT_ADD(&vq->stats, packets, pkts);
	VSC_STAT_ADD(&vq->stats, bytes, total);
	if (!frames)
		VSC_STAT_INC(&vq->stats, empty_runs);
}

/*
 * Gather guest buffers for a frame of @datalen bytes into vq->iov, their
 * heads into @heads, at most @quota of them. Returns the number of heads,
 * 0 when the guest has not posted enough buffers, VSC_MAX_IOV + 1 when
 * the frame does not fit (it is to be dropped), or an error (vq broken).
 * Nothing is consumed from the ring unless a head count is returned.
 */
static int vsc_net_get_rx_bufs(struct vsc_vq *vq,
			       struct vring_used_elem *heads, int datalen,
			       unsigned int *nseg, struct vsc_log *log,
			       unsigned int *nlog, unsigned int quota)
{
	/* One descriptor budget for all the chains of the frame. */
	unsigned int budget = VSC_FRAME_MAX_DESC;
	unsigned int out, in, seg = 0, count = 0, logs = 0, n = 0;
	u32 len = 0;
	int head;

	while (datalen > 0 && count < quota) {
		if (seg >= VSC_MAX_IOV)
			goto overrun;
		head = vsc_vq_get_chain(vq, vq->iov + seg, VSC_MAX_IOV - seg,
					&out, &in, log ? log + logs : NULL, &n,
					&budget);
		if (head == -ENOBUFS)
			goto overrun;
		if (head < 0 || head == vq->num) {
			vsc_vq_discard(vq, count);
			return head < 0 ? head : 0;
		}
		if (unlikely(out || !in)) {
			vsc_vq_discard(vq, count + 1);
			return vsc_vq_err(vq, -EINVAL,
					  "rx chain %d has %u readable and %u writable segments",
					  head, out, in);
		}
		if (log)
			logs += n;
		len = iov_length(vq->iov + seg, in);
		heads[count].id = cpu_to_vsc32(vq, head);
		heads[count].len = cpu_to_vsc32(vq, len);
		datalen -= len;
		count++;
		seg += in;
	}
	if (datalen > 0)
		goto overrun;
	/* The last buffer is only partly used. */
	heads[count - 1].len = cpu_to_vsc32(vq, len + datalen);
	*nseg = seg;
	*nlog = logs;
	return count;

overrun:
	vsc_vq_discard(vq, count);
	return VSC_MAX_IOV + 1;
}

/*
 * Copy what goes before the frame's data in the guest's buffers: our own
 * header (VHOST_NET_F_VIRTIO_NET_HDR) and num_buffers. @fixup points at
 * the start of the buffers. 0, or -EFAULT.
 */
static int vsc_net_rx_fixup(struct vsc_net_vq *nvq, struct iov_iter *fixup,
			    unsigned int count)
{
	struct virtio_net_hdr hdr = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	struct vsc_vq *vq = &nvq->vq;
	__virtio16 nbufs;

	if (nvq->vhost_hlen) {
		if (copy_to_iter(&hdr, sizeof(hdr), fixup) != sizeof(hdr))
			return -EFAULT;
	} else {
		iov_iter_advance(fixup, sizeof(hdr));
	}
	if (nvq->vhost_hlen + nvq->sock_hlen ==
	    sizeof(struct virtio_net_hdr_mrg_rxbuf)) {
		nbufs = cpu_to_vsc16(vq, count);
		if (copy_to_iter(&nbufs, sizeof(nbufs), fixup) != sizeof(nbufs))
			return -EFAULT;
	}
	return 0;
}

/*
 * rx. On a worker, recvmsg() copies a frame straight into the guest's
 * buffers. A sidecore may not sleep in a fault there, and the backends
 * free a frame they could not copy (tun does not even report a fault in
 * the payload): it takes the frame into nvq->bounce first, then copies
 * it to the guest with faults off. If that faults, the frame stays there
 * (pending_len) for the worker, which delivers it before anything else.
 */
static void vsc_net_handle_rx(struct vsc_vq *vq)
{
	struct vsc_net_vq *nvq = to_net_vq(vq);
	struct socket *sock = nvq->sock;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	u8 drop_byte;
	struct kvec drop = { .iov_base = &drop_byte, .iov_len = 1 };
	struct kvec bounce = { .iov_base = nvq->bounce };
	bool mergeable = vsc_vq_has_feature(vq, VIRTIO_NET_F_MRG_RXBUF);
	bool logging = vsc_vq_has_feature(vq, VHOST_F_LOG_ALL);
	unsigned int pkts = 0, frames = 0, nseg, nlog = 0;
	bool polled = vsc_exec_polled(vq);
	bool sock_empty = false;
	struct iov_iter to, fixup;
	size_t total = 0;
	int sock_len, vhost_len, count, err;

	if (!sock || vsc_vq_halted(vq) || !vsc_vq_ready(vq))
		return;
	vsc_vq_disable_notify(vq);
	vsc_poll_stop(&nvq->sock_poll);

	/* Halted: a log write broke the vq, or a fault on a sidecore. */
	while (!vsc_vq_halted(vq)) {
		/* A frame a sidecore could not copy comes first. */
		sock_len = nvq->pending_len;
		if (!sock_len) {
			sock_len = vsc_sock_peek_len(nvq);
			if (!sock_len && vq->busyloop_timeout && !polled) {
				vsc_vq_flush_used(vq);
				if (vsc_vq_halted(vq))
					break;
				if (vsc_net_busy_poll(nvq))
					sock_len = vsc_sock_peek_len(nvq);
			}
			if (!sock_len) {
				sock_empty = true;
				break;
			}
			sock_len += nvq->sock_hlen;
		}
		vhost_len = sock_len + nvq->vhost_hlen;
		count = vsc_net_get_rx_bufs(vq, vq->heads + vq->nheads,
					    vhost_len, &nseg,
					    logging ? vq->log : NULL, &nlog,
					    mergeable ? VSC_MAX_IOV : 1);
		if (unlikely(count < 0))
			break;
		if (!count) {
			/* Out of buffers: wait for the guest to post more. */
			if (polled)
				break;
			if (unlikely(vsc_vq_enable_notify(vq))) {
				vsc_vq_disable_notify(vq);
				continue;
			}
			break;
		}
		frames++;
		if (unlikely(count > VSC_MAX_IOV)) {
			/* Too big for the posted buffers: drop it. */
			if (nvq->pending_len) {
				nvq->pending_len = 0;
			} else {
				msg.msg_control = nvq->rx_ring ?
					nvq->rxq[nvq->rx_head++] : NULL;
				iov_iter_kvec(&msg.msg_iter, ITER_DEST, &drop,
					      1, 1);
				sock->ops->recvmsg(sock, &msg, 1,
						   MSG_DONTWAIT | MSG_TRUNC);
			}
			VSC_STAT_INC(&vq->stats, drops);
			if (vsc_net_over_weight(vq, frames, total))
				break;
			continue;
		}
		iov_iter_init(&to, ITER_DEST, vq->iov, nseg, vhost_len);
		fixup = to;
		iov_iter_advance(&to, nvq->vhost_hlen);
		if (!nvq->pending_len && vq->nofault) {
			if (unlikely(sock_len > VSC_NET_RX_BOUNCE)) {
				/* Larger than tun makes them: the worker's. */
				vsc_vq_discard(vq, count);
				vsc_vq_fault(vq, "rx frame of %d bytes", sock_len);
				break;
			}
			bounce.iov_len = sock_len;
			iov_iter_kvec(&msg.msg_iter, ITER_DEST, &bounce, 1,
				      sock_len);
		} else if (!nvq->pending_len) {
			msg.msg_iter = to;
		}
		if (!nvq->pending_len) {
			/* The frame we peeked at: hand it to recvmsg(). */
			msg.msg_control = nvq->rx_ring ?
				nvq->rxq[nvq->rx_head++] : NULL;
			err = sock->ops->recvmsg(sock, &msg, sock_len,
						 MSG_DONTWAIT | MSG_TRUNC);
			if (unlikely(err != sock_len)) {
				/* Taken or changed by someone else, or lost. */
				vsc_vq_discard(vq, count);
				VSC_STAT_INC(&vq->stats, drops);
				if (vsc_net_over_weight(vq, frames, total))
					break;
				continue;
			}
			if (vq->nofault)
				nvq->pending_len = sock_len;
		}
		/* From the bounce buffer (a sidecore's, or one it left). */
		if (nvq->pending_len &&
		    copy_to_iter(nvq->bounce, sock_len, &to) != sock_len) {
			vsc_vq_discard(vq, count);
			vsc_vq_fault(vq, "cannot write an rx frame");
			break;
		}
		if (vsc_net_rx_fixup(nvq, &fixup, count)) {
			vsc_vq_discard(vq, count);
			vsc_vq_fault(vq, "cannot write the rx header");
			break;
		}
		nvq->pending_len = 0;
		vq->nheads += count;
		/* Not logged: broken, and the frame is never published. */
		if (unlikely(logging) &&
		    vsc_vq_log_write(vq, vq->log, nlog, vhost_len))
			break;
		pkts++;
		total += vhost_len;
		if (vq->nheads >= VSC_USED_BATCH)
			vsc_vq_flush_used(vq);
		if (vsc_net_over_weight(vq, frames, total))
			break;
	}
	/* Socket drained: have it wake us when the next frame arrives. */
	if (sock_empty && !polled)
		vsc_poll_start(&nvq->sock_poll, sock->file);
	vsc_vq_flush_used(vq);
	vq->run_frames = frames;
	VSC_STAT_ADD(&vq->stats, packets, pkts);
	VSC_STAT_ADD(&vq->stats, bytes, total);
	if (!frames)
		VSC_STAT_INC(&vq->stats, empty_runs);
}

/* Polling (sidecores, vq mutex held): would a handler run move frames? */
static bool vsc_net_tx_has_work(struct vsc_vq *vq)
{
	return to_net_vq(vq)->sock && !vsc_vq_halted(vq) &&
	       vsc_vq_ready(vq) && !vsc_vq_avail_empty(vq);
}

static bool vsc_net_rx_has_work(struct vsc_vq *vq)
{
	struct vsc_net_vq *nvq = to_net_vq(vq);

	return nvq->sock && !vsc_vq_halted(vq) && vsc_net_rx_pending(nvq) &&
	       vsc_vq_ready(vq) && !vsc_vq_avail_empty(vq);
}

void vsc_net_vq_init(struct vsc_net_vq *nvq, struct vsc_dev *dev,
		     unsigned int index)
{
	struct vsc_vq *vq = &nvq->vq;

	vq->dev = dev;
	vq->index = index;
	mutex_init(&vq->mutex);
	vsc_vq_reset(vq);
	vsc_exec_init_vq(vq);
	vq->handle = index == VSC_NET_VQ_RX ? vsc_net_handle_rx :
					      vsc_net_handle_tx;
	vq->has_work = index == VSC_NET_VQ_RX ? vsc_net_rx_has_work :
						vsc_net_tx_has_work;
	vsc_poll_init(&vq->kick_poll, vq, EPOLLIN, true);
	vsc_poll_init(&nvq->sock_poll, vq,
		      index == VSC_NET_VQ_RX ? EPOLLIN : EPOLLOUT, false);
	nvq->sock = NULL;
	nvq->tap = false;
	nvq->rx_ring = NULL;
	nvq->rx_head = nvq->rx_tail = 0;
	nvq->pending_len = 0;
	nvq->nxdp = 0;
	vsc_net_set_hlen(nvq, 0);
}

int vsc_net_vq_alloc(struct vsc_net_vq *nvq)
{
	int r = vsc_vq_alloc(&nvq->vq);

	if (r)
		return r;
	if (nvq->vq.index == VSC_NET_VQ_TX)
		nvq->xdp = kvmalloc_array(VSC_NET_TX_BATCH, sizeof(*nvq->xdp),
					  GFP_KERNEL_ACCOUNT);
	else {
		nvq->rxq = kvmalloc_array(VSC_NET_RX_BATCH, sizeof(*nvq->rxq),
					  GFP_KERNEL_ACCOUNT);
		nvq->bounce = kvmalloc(VSC_NET_RX_BOUNCE, GFP_KERNEL_ACCOUNT);
	}
	if (!nvq->xdp && (!nvq->rxq || !nvq->bounce)) {
		vsc_net_vq_free(nvq);
		return -ENOMEM;
	}
	return 0;
}

void vsc_net_vq_free(struct vsc_net_vq *nvq)
{
	vsc_vq_free(&nvq->vq);
	kvfree(nvq->xdp);
	nvq->xdp = NULL;
	kvfree(nvq->rxq);
	nvq->rxq = NULL;
	kvfree(nvq->bounce);
	nvq->bounce = NULL;
	vsc_page_frag_cache_drain(&nvq->frag);
}

/*
 * tun and tap are looked up at run time: when their module is not loaded
 * no file of theirs can exist, and we do not pin them in memory.
 */
static struct socket *vsc_tun_tap_socket(struct file *file)
{
	struct socket *(*get)(struct file *f);
	struct socket *sock = ERR_PTR(-ENOTSOCK);

	get = symbol_get(tun_get_socket);
	if (get) {
		sock = get(file);
		symbol_put(tun_get_socket);
		if (!IS_ERR(sock))
			return sock;
	}
	get = symbol_get(tap_get_socket);
	if (get) {
		sock = get(file);
		symbol_put(tap_get_socket);
	}
	return sock;
}

static struct ptr_ring *vsc_tun_tap_ring(struct file *file)
{
	struct ptr_ring *(*get)(struct file *f);
	struct ptr_ring *ring = ERR_PTR(-EINVAL);

	get = symbol_get(tun_get_tx_ring);
	if (get) {
		ring = get(file);
		symbol_put(tun_get_tx_ring);
		if (!IS_ERR(ring))
			return ring;
	}
	get = symbol_get(tap_get_ptr_ring);
	if (get) {
		ring = get(file);
		symbol_put(tap_get_ptr_ring);
	}
	return IS_ERR(ring) ? NULL : ring;
}

/*
 * The backend: a tun/tap or macvtap file, or an AF_PACKET raw socket.
 * Nothing else (CVE-2020-10942). Holds a reference on the file.
 */
static struct socket *vsc_get_socket(int fd)
{
	struct socket *sock;
	struct file *file;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (sock) {
		if (sock->sk->sk_type == SOCK_RAW &&
		    sock->sk->sk_family == AF_PACKET)
			return sock;
		sockfd_put(sock);
		return ERR_PTR(-ENOTSOCK);
	}
	file = fget(fd);
	if (!file)
		return ERR_PTR(-ENOTSOCK);
	sock = vsc_tun_tap_socket(file);
	if (IS_ERR(sock)) {
		fput(file);
		return ERR_PTR(-ENOTSOCK);
	}
	return sock;
}

long vsc_net_set_backend(struct vsc_dev *dev, unsigned int index, int fd)
{
	struct socket *sock = NULL, *old;
	struct ptr_ring *old_ring;
	struct vsc_net_vq *nvq;
	bool old_tap;
	struct vsc_vq *vq;
	long r;

	if (index >= VSC_NET_NVQS)
		return -ENOBUFS;
	nvq = &dev->vqs[array_index_nospec(index, VSC_NET_NVQS)];
	vq = &nvq->vq;

	if (fd != -1) {
		sock = vsc_get_socket(fd);
		if (IS_ERR(sock)) {
			pr_info_ratelimited("device %d: SET_BACKEND fd %d is not a tap, macvtap or packet socket\n",
					    dev->id, fd);
			return PTR_ERR(sock);
		}
	}

	mutex_lock(&vq->mutex);
	old = nvq->sock;
	if (sock == old) {
		mutex_unlock(&vq->mutex);
		if (sock)
			sockfd_put(sock);
		return 0;
	}
	if (sock && !vsc_vq_access_ok(vq)) {
		mutex_unlock(&vq->mutex);
		pr_info_ratelimited("device %d: SET_BACKEND on vq %u whose ring is not set up\n",
				    dev->id, index);
		sockfd_put(sock);
		return -EFAULT;
	}

	vsc_poll_stop(&nvq->sock_poll);
	vsc_net_rx_unconsume(nvq);
	/* Entries a faulted sidecore run left for its worker; its frame goes. */
	vsc_vq_flush_used(vq);
	nvq->pending_len = 0;
	old_ring = nvq->rx_ring;
	old_tap = nvq->tap;
	nvq->tap = sock && sock->sk->sk_family != AF_PACKET;
	WRITE_ONCE(nvq->sock, sock);
	WRITE_ONCE(nvq->rx_ring, sock && index == VSC_NET_VQ_RX ?
		   vsc_tun_tap_ring(sock->file) : NULL);
	if (sock) {
		r = vsc_vq_init_access(vq);
		if (!r)
			r = vsc_poll_start(&nvq->sock_poll, sock->file);
		if (r) {
			vsc_poll_stop(&nvq->sock_poll);
			WRITE_ONCE(nvq->sock, old);
			WRITE_ONCE(nvq->rx_ring, old_ring);
			nvq->tap = old_tap;
			if (old)
				vsc_poll_start(&nvq->sock_poll, old->file);
			mutex_unlock(&vq->mutex);
			sockfd_put(sock);
			return r;
		}
		/* A fresh start: ask again for what it waited for. */
		vq->broken = false;
		vq->iotlb_wait = false;
	}
	mutex_unlock(&vq->mutex);

	if (sock)
		vsc_exec_queue(vq);
	if (old) {
		/* No handler may still be using the old socket. */
		vsc_exec_flush(dev);
		sockfd_put(old);
	}
	return 0;
}

void vsc_net_stop(struct vsc_dev *dev)
{
	struct socket *old[VSC_NET_NVQS];
	int i;

	for (i = 0; i < VSC_NET_NVQS; i++) {
		struct vsc_net_vq *nvq = &dev->vqs[i];

		mutex_lock(&nvq->vq.mutex);
		vsc_poll_stop(&nvq->sock_poll);
		vsc_net_rx_unconsume(nvq);
		vsc_vq_flush_used(&nvq->vq);
		nvq->pending_len = 0;
		old[i] = nvq->sock;
		WRITE_ONCE(nvq->sock, NULL);
		WRITE_ONCE(nvq->rx_ring, NULL);
		mutex_unlock(&nvq->vq.mutex);
	}
	vsc_exec_flush(dev);
	for (i = 0; i < VSC_NET_NVQS; i++)
		if (old[i])
			sockfd_put(old[i]);
}
