// SPDX-License-Identifier: GPL-2.0
/*
 * vguest: a userspace virtio-net guest for vhost-net compatible devices.
 * See vguest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>

#include "vguest.h"

const uint8_t vg_guest_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t vg_host_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

#define VG_TX_BUF 2048
#define VG_IND_SLOTS 4

static void vg_warn(const char *what)
{
	printf("# vguest: %s: %s\n", what, strerror(errno));
}

static int vg_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

int vg_new_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s;

	if (unshare(CLONE_NEWNET)) {
		vg_warn("unshare(CLONE_NEWNET)");
		return -errno;
	}
	/* No IPv6 chatter (RS, MLD) on the taps we create. */
	vg_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (!ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return 0;
}

static void *vg_alloc(struct vg_dev *d, size_t size, size_t align)
{
	size_t off = (d->mem_used + align - 1) & ~(align - 1);

	if (off + size > d->mem_size)
		return NULL;
	d->mem_used = off + size;
	return (char *)d->mem + off;
}

void *vg_galloc(struct vg_dev *d, size_t size, size_t align)
{
	return vg_alloc(d, size, align);
}

static uint64_t vg_hva(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

uint64_t vg_gpa(const struct vg_dev *d, const void *p)
{
	return (uint64_t)((const char *)p - (const char *)d->mem) + d->dma_base;
}

int vg_iotlb_msg(int fd, uint8_t type, uint64_t iova, uint64_t size,
		 uint64_t uaddr, uint8_t perm)
{
	struct vhost_msg_v2 m;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.type = type;
	m.iotlb.iova = iova;
	m.iotlb.size = size;
	m.iotlb.uaddr = uaddr;
	m.iotlb.perm = perm;
	if (write(fd, &m, sizeof(m)) != sizeof(m))
		return -errno;
	return 0;
}

static void *vg_iotlb_thread(void *arg)
{
	struct vg_iotlb *t = arg;
	struct vg_dev *d = t->d;
	struct pollfd p = { .fd = d->fd, .events = POLLIN };
	struct vhost_msg_v2 m;
	uint64_t base, end = d->dma_base + d->mem_size, size;

	while (!t->stop) {
		if (t->paused || poll(&p, 1, 20) <= 0) {
			if (t->paused)
				usleep(2000);
			continue;
		}
		if (read(d->fd, &m, sizeof(m)) != sizeof(m)) {
			if (errno != EAGAIN)
				t->errors++;
			continue;
		}
		if (m.type != VHOST_IOTLB_MSG_V2 ||
		    m.iotlb.type != VHOST_IOTLB_MISS) {
			t->errors++;
			continue;
		}
		t->misses++;
		t->last_iova = m.iotlb.iova;
		if (m.iotlb.iova < d->dma_base || m.iotlb.iova >= end) {
			t->outside++;
			continue;
		}
		base = m.iotlb.iova & ~(t->page - 1);
		if (base < d->dma_base)
			base = d->dma_base;
		size = t->page - (base & (t->page - 1));
		if (base + size > end)
			size = end - base;
		if (vg_iotlb_msg(d->fd, VHOST_IOTLB_UPDATE, base, size,
				 vg_hva(d->mem) + (base - d->dma_base), t->perm))
			t->errors++;
		else
			t->updates++;
	}
	return NULL;
}

int vg_iotlb_start(struct vg_dev *d, struct vg_iotlb *t, uint64_t page,
		   uint8_t perm)
{
	pthread_t th;

	memset(t, 0, sizeof(*t));
	t->d = d;
	t->page = page;
	t->perm = perm;
	if (pthread_create(&th, NULL, vg_iotlb_thread, t))
		return -1;
	t->thread = (unsigned long)th;
	return 0;
}

void vg_iotlb_stop(struct vg_iotlb *t)
{
	if (!t->d)
		return;
	t->stop = 1;
	pthread_join((pthread_t)t->thread, NULL);
	t->d = NULL;
}

static int vg_vq_init(struct vg_dev *d, struct vg_vq *vq, size_t bufsize)
{
	unsigned int num = d->cfg.qsize, i;

	vq->num = num;
	vq->desc = vg_alloc(d, 16 * num, 4096);
	vq->avail = vg_alloc(d, 4 + 2 * num + 2, 2);
	vq->used = vg_alloc(d, 4 + 8 * num + 2, 4096);
	if (!vq->desc || !vq->avail || !vq->used)
		return -ENOMEM;
	for (i = 0; i < num; i++) {
		vq->desc[i].next = i + 1 < num ? i + 1 : 0;
		vq->buf[i] = vg_alloc(d, bufsize, 64);
		vq->ind[i] = vg_alloc(d, 16 * VG_IND_SLOTS, 16);
		vq->chain[i] = 0;
		if (!vq->buf[i] || !vq->ind[i])
			return -ENOMEM;
	}
	vq->free_head = 0;
	vq->nfree = num;
	vq->avail_idx = vq->published = vq->last_used = d->cfg.base_idx;
	vq->avail->idx = d->cfg.base_idx;
	vq->used->idx = d->cfg.base_idx;
	/* The event indexes after the rings: used event, avail event. */
	vq->avail->ring[num] = d->cfg.base_idx;
	memcpy(&vq->used->ring[num], &d->cfg.base_idx, sizeof(uint16_t));
	vq->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vq->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vq->err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vq->kick < 0 || vq->call < 0 || vq->err < 0)
		return -errno;
	return 0;
}

static int vg_vhost_vq(struct vg_dev *d, struct vg_vq *vq, unsigned int idx)
{
	struct vhost_vring_state st = { .index = idx };
	/* Owner addresses, or behind a vIOMMU the device's. */
	struct vhost_vring_addr addr = {
		.index = idx,
		.desc_user_addr = d->cfg.iommu ? vg_gpa(d, vq->desc) :
						 vg_hva(vq->desc),
		.avail_user_addr = d->cfg.iommu ? vg_gpa(d, vq->avail) :
						  vg_hva(vq->avail),
		.used_user_addr = d->cfg.iommu ? vg_gpa(d, vq->used) :
						 vg_hva(vq->used),
	};
	struct vhost_vring_file f = { .index = idx };

	st.num = vq->num;
	if (ioctl(d->fd, VHOST_SET_VRING_NUM, &st))
		return -errno;
	st.num = d->cfg.base_idx;
	if (ioctl(d->fd, VHOST_SET_VRING_BASE, &st))
		return -errno;
	if (ioctl(d->fd, VHOST_SET_VRING_ADDR, &addr))
		return -errno;
	f.fd = vq->kick;
	if (ioctl(d->fd, VHOST_SET_VRING_KICK, &f))
		return -errno;
	f.fd = vq->call;
	if (ioctl(d->fd, VHOST_SET_VRING_CALL, &f))
		return -errno;
	f.fd = vq->err;
	if (ioctl(d->fd, VHOST_SET_VRING_ERR, &f))
		return -errno;
	if (d->cfg.busyloop_us) {
		st.num = d->cfg.busyloop_us;
		if (ioctl(d->fd, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &st))
			return -errno;
	}
	return 0;
}

/* Memory table and both vrings, on a device that has its owner and features. */
static int vg_program(struct vg_dev *d)
{
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mt;
	int r;

	memset(&mt, 0, sizeof(mt));
	mt.m.nregions = 1;
	mt.r.guest_phys_addr = d->gpa_base;
	mt.r.memory_size = d->mem_size;
	mt.r.userspace_addr = vg_hva(d->mem);
	if (ioctl(d->fd, VHOST_SET_MEM_TABLE, &mt)) {
		r = -errno;
		vg_warn("SET_MEM_TABLE");
		return r;
	}
	r = vg_vhost_vq(d, &d->rx, 0);
	if (!r)
		r = vg_vhost_vq(d, &d->tx, 1);
	if (r)
		printf("# vguest: vring setup: %s\n", strerror(-r));
	return r;
}

int vg_reopen(struct vg_dev *d)
{
	uint64_t features = d->features;

	if (d->fd >= 0)
		close(d->fd);
	d->fd = open(d->cfg.dev, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	if (ioctl(d->fd, VHOST_SET_OWNER))
		return -errno;
	if (d->cfg.iommu) {
		uint64_t backend = 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;

		if (ioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &backend))
			return -errno;
	}
	if (ioctl(d->fd, VHOST_SET_FEATURES, &features))
		return -errno;
	return vg_program(d);
}

static int vg_tap_open(struct vg_dev *d)
{
	struct ifreq ifr;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int s, one = 1, big = 16 << 20, hdrsz = (int)d->hdr_len;

	d->tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (d->tap < 0) {
		vg_warn("/dev/net/tun");
		return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", d->cfg.ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (!d->cfg.vhost_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (ioctl(d->tap, TUNSETIFF, &ifr)) {
		vg_warn("TUNSETIFF");
		return -errno;
	}
	if (!d->cfg.vhost_hdr && ioctl(d->tap, TUNSETVNETHDRSZ, &hdrsz)) {
		vg_warn("TUNSETVNETHDRSZ");
		return -errno;
	}

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", d->cfg.ifname);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, vg_host_mac, 6);
	ioctl(s, SIOCSIFHWADDR, &ifr);
	if (ioctl(s, SIOCGIFINDEX, &ifr)) {
		close(s);
		return -errno;
	}
	d->ifindex = ifr.ifr_ifindex;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			vg_warn("SIOCSIFFLAGS");
	}
	close(s);

	d->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			htons(ETH_P_ALL));
	if (d->pkt < 0) {
		vg_warn("AF_PACKET socket");
		return -errno;
	}
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = d->ifindex;
	if (bind(d->pkt, (struct sockaddr *)&sll, sizeof(sll))) {
		vg_warn("bind AF_PACKET");
		return -errno;
	}
	setsockopt(d->pkt, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(d->pkt, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(d->pkt, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (d->cfg.qdisc_bypass &&
	    setsockopt(d->pkt, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one))) {
		vg_warn("PACKET_QDISC_BYPASS");
		return -errno;
	}
	return 0;
}

int vg_set_backend(struct vg_dev *d, int fd)
{
	struct vhost_vring_file b = { .fd = fd };

	for (b.index = 0; b.index < 2; b.index++)
		if (ioctl(d->fd, VHOST_NET_SET_BACKEND, &b))
			return -errno;
	return 0;
}

int vg_setup(struct vg_dev *d, const struct vg_config *cfg)
{
	uint64_t have, want = 0;
	size_t rxsize;
	int r;

	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->fd = d->tap = d->pkt = -1;
	if (!d->cfg.qsize)
		d->cfg.qsize = 256;
	if (!d->cfg.rx_buf)
		d->cfg.rx_buf = d->cfg.mrg_rxbuf ? 1024 : 2048;
	if (d->cfg.qsize > VG_MAX_QSIZE) {
		printf("# vguest: qsize %u over %u\n", d->cfg.qsize, VG_MAX_QSIZE);
		return -EINVAL;
	}

	d->hdr_len = (cfg->mrg_rxbuf || cfg->version_1) ?
		sizeof(struct virtio_net_hdr_mrg_rxbuf) :
		sizeof(struct virtio_net_hdr);
	rxsize = d->hdr_len + d->cfg.rx_buf;
	d->mem_size = (1 << 20) + (size_t)d->cfg.qsize *
		(rxsize + VG_TX_BUF + 2 * 16 * VG_IND_SLOTS + 256) +
		d->cfg.extra_mem;
	d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (d->mem == MAP_FAILED) {
		d->mem = NULL;
		return -ENOMEM;
	}
	/* Identity-mapped (as DPDK virtio-user) unless told otherwise. */
	d->gpa_base = cfg->gpa_base ? cfg->gpa_base : vg_hva(d->mem);
	d->dma_base = cfg->iommu ? cfg->iova_base : d->gpa_base;

	if (vg_vq_init(d, &d->rx, rxsize) || vg_vq_init(d, &d->tx, VG_TX_BUF)) {
		printf("# vguest: ring setup failed\n");
		return -ENOMEM;
	}

	d->fd = cfg->dev_fd > 0 ? cfg->dev_fd : open(cfg->dev, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		r = -errno;
		printf("# vguest: open %s: %s\n", cfg->dev, strerror(errno));
		return r;
	}
	if (ioctl(d->fd, VHOST_SET_OWNER) ||
	    ioctl(d->fd, VHOST_GET_FEATURES, &have)) {
		r = -errno;
		vg_warn("SET_OWNER/GET_FEATURES");
		return r;
	}
	if (cfg->event_idx)
		want |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (cfg->indirect)
		want |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (cfg->mrg_rxbuf)
		want |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	if (cfg->version_1)
		want |= 1ULL << VIRTIO_F_VERSION_1;
	if (cfg->vhost_hdr)
		want |= 1ULL << VHOST_NET_F_VIRTIO_NET_HDR;
	if (cfg->iommu) {
		uint64_t backend = 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;

		want |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
		if (ioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &backend)) {
			r = -errno;
			vg_warn("SET_BACKEND_FEATURES");
			return r;
		}
	}
	if (want & ~have) {
		printf("# vguest: %s lacks features 0x%llx\n", cfg->dev,
		       (unsigned long long)(want & ~have));
		return -EOPNOTSUPP;
	}
	d->features = want;
	if (ioctl(d->fd, VHOST_SET_FEATURES, &want)) {
		r = -errno;
		vg_warn("SET_FEATURES");
		return r;
	}

	r = vg_program(d);
	if (r)
		return r;
	if (cfg->ifname) {
		r = vg_tap_open(d);
		if (r)
			return r;
	}
	vg_rx_refill(d);
	if (!cfg->no_backend && d->tap >= 0) {
		r = vg_set_backend(d, d->tap);
		if (r) {
			printf("# vguest: SET_BACKEND: %s\n", strerror(-r));
			return r;
		}
	}
	return 0;
}

static void vg_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vg_teardown(struct vg_dev *d)
{
	struct vg_vq *vqs[2] = { &d->rx, &d->tx };
	int i;

	vg_close(&d->fd);
	vg_close(&d->pkt);
	vg_close(&d->tap);
	for (i = 0; i < 2; i++) {
		if (!vqs[i]->num)
			continue;
		vg_close(&vqs[i]->kick);
		vg_close(&vqs[i]->call);
		vg_close(&vqs[i]->err);
	}
	if (d->mem)
		munmap(d->mem, d->mem_size);
	d->mem = NULL;
}

static bool vg_has(const struct vg_dev *d, int bit)
{
	return d->features & (1ULL << bit);
}

/* Take @n chained descriptors from the free list; returns the head. */
static int vg_desc_get(struct vg_vq *vq, unsigned int n)
{
	uint16_t head = vq->free_head, last = head;
	unsigned int i;

	if (vq->nfree < n)
		return -1;
	for (i = 1; i < n; i++)
		last = vq->desc[last].next;
	vq->free_head = vq->desc[last].next;
	vq->nfree -= n;
	vq->chain[head] = n;
	return head;
}

static void vg_desc_put(struct vg_vq *vq, uint16_t head)
{
	uint16_t last = head;
	unsigned int i, n = vq->chain[head];

	for (i = 1; i < n; i++)
		last = vq->desc[last].next;
	vq->desc[last].next = vq->free_head;
	vq->free_head = head;
	vq->nfree += n;
	vq->chain[head] = 0;
}

int vg_desc_alloc(struct vg_vq *vq, unsigned int n)
{
	return vg_desc_get(vq, n);
}

void vg_force_kick(struct vg_vq *vq)
{
	uint64_t one = 1;

	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	vq->published = vq->avail_idx;
	if (write(vq->kick, &one, sizeof(one)) == sizeof(one))
		vq->kicks++;
}

void vg_push_kick(struct vg_vq *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	vg_force_kick(vq);
}

static void vg_set_desc(const struct vg_dev *dev, struct vring_desc *d,
			const void *addr, uint32_t len, uint16_t flags)
{
	d->addr = vg_gpa(dev, addr);
	d->len = len;
	d->flags = flags;
}

static void vg_avail_push(struct vg_vq *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
}

void vg_push(struct vg_vq *vq, uint16_t head)
{
	vg_avail_push(vq, head);
}

static uint16_t *vg_avail_event(struct vg_vq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->num];
}

static uint16_t *vg_used_event(struct vg_vq *vq)
{
	return &vq->avail->ring[vq->num];
}

static void vg_publish(struct vg_dev *d, struct vg_vq *vq)
{
	uint16_t old = vq->published, new = vq->avail_idx;
	uint64_t one = 1;
	bool kick;

	if (old == new)
		return;
	__atomic_store_n(&vq->avail->idx, new, __ATOMIC_RELEASE);
	vq->published = new;
	/* Index out before we read the device's suppression state. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vg_has(d, VIRTIO_RING_F_EVENT_IDX))
		kick = vring_need_event(__atomic_load_n(vg_avail_event(vq),
							__ATOMIC_ACQUIRE), new, old);
	else
		kick = !(__atomic_load_n(&vq->used->flags, __ATOMIC_ACQUIRE) &
			 VRING_USED_F_NO_NOTIFY);
	if (kick) {
		if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
			vg_warn("kick");
		vq->kicks++;
	} else {
		vq->kicks_suppressed++;
	}
}

void vg_vq_publish(struct vg_dev *d, struct vg_vq *vq)
{
	vg_publish(d, vq);
}

/* Ask for an interrupt at the next used entry. */
static void vg_arm_call(struct vg_dev *d, struct vg_vq *vq)
{
	if (vg_has(d, VIRTIO_RING_F_EVENT_IDX))
		__atomic_store_n(vg_used_event(vq), vq->last_used,
				 __ATOMIC_RELEASE);
}

int vg_tx_add(struct vg_dev *d, const void *frame, size_t len)
{
	struct vg_vq *vq = &d->tx;
	bool indirect = vg_has(d, VIRTIO_RING_F_INDIRECT_DESC);
	/* Alternate one-descriptor and header+data chains (ANY_LAYOUT). */
	unsigned int split = (vq->avail_idx & 1) || indirect;
	unsigned int ndesc = indirect ? 1 : 1 + split;
	char *buf;
	int head;

	if (len + d->hdr_len > VG_TX_BUF)
		return -EMSGSIZE;
	head = vg_desc_get(vq, ndesc);
	if (head < 0)
		return -EAGAIN;
	buf = vq->buf[head];
	memset(buf, 0, d->hdr_len);
	memcpy(buf + d->hdr_len, frame, len);
	if (indirect) {
		struct vring_desc *t = vq->ind[head];

		vg_set_desc(d, &t[0], buf, d->hdr_len, VRING_DESC_F_NEXT);
		t[0].next = 1;
		vg_set_desc(d, &t[1], buf + d->hdr_len, len, 0);
		vg_set_desc(d, &vq->desc[head], t, 2 * sizeof(*t),
			    VRING_DESC_F_INDIRECT);
	} else if (split) {
		uint16_t second = vq->desc[head].next;

		vg_set_desc(d, &vq->desc[head], buf, d->hdr_len, VRING_DESC_F_NEXT);
		vg_set_desc(d, &vq->desc[second], buf + d->hdr_len, len, 0);
	} else {
		vg_set_desc(d, &vq->desc[head], buf, d->hdr_len + len, 0);
	}
	vg_avail_push(vq, head);
	return 0;
}

void vg_tx_publish(struct vg_dev *d)
{
	vg_publish(d, &d->tx);
}

int vg_tx_reap(struct vg_dev *d)
{
	struct vg_vq *vq = &d->tx;
	uint16_t used = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	int n = 0;

	while (vq->last_used != used) {
		struct vring_used_elem *e = &vq->used->ring[vq->last_used & (vq->num - 1)];

		if (e->id >= vq->num || !vq->chain[e->id]) {
			printf("# vguest: tx used entry with bad id %u\n", e->id);
			return -EIO;
		}
		vg_desc_put(vq, e->id);
		vq->last_used++;
		n++;
	}
	vg_arm_call(d, vq);
	return n;
}

unsigned int vg_tx_inflight(struct vg_dev *d)
{
	return d->tx.num - d->tx.nfree;
}

void vg_rx_refill(struct vg_dev *d)
{
	struct vg_vq *vq = &d->rx;
	bool indirect = vg_has(d, VIRTIO_RING_F_INDIRECT_DESC);
	bool mrg = vg_has(d, VIRTIO_NET_F_MRG_RXBUF);
	/* Without mergeable buffers: header and data in two descriptors. */
	unsigned int ndesc = (indirect || mrg) ? 1 : 2;
	int head;

	while ((head = vg_desc_get(vq, ndesc)) >= 0) {
		char *buf = vq->buf[head];

		if (mrg && !indirect) {
			vg_set_desc(d, &vq->desc[head], buf,
				    d->hdr_len + d->cfg.rx_buf, VRING_DESC_F_WRITE);
		} else if (mrg) {
			struct vring_desc *t = vq->ind[head];

			vg_set_desc(d, &t[0], buf, d->hdr_len + d->cfg.rx_buf,
				    VRING_DESC_F_WRITE);
			vg_set_desc(d, &vq->desc[head], t, sizeof(*t),
				    VRING_DESC_F_INDIRECT);
		} else if (indirect) {
			struct vring_desc *t = vq->ind[head];

			vg_set_desc(d, &t[0], buf, d->hdr_len,
				    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
			t[0].next = 1;
			vg_set_desc(d, &t[1], buf + d->hdr_len, d->cfg.rx_buf,
				    VRING_DESC_F_WRITE);
			vg_set_desc(d, &vq->desc[head], t, 2 * sizeof(*t),
				    VRING_DESC_F_INDIRECT);
		} else {
			uint16_t second = vq->desc[head].next;

			vg_set_desc(d, &vq->desc[head], buf, d->hdr_len,
				    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
			vg_set_desc(d, &vq->desc[second], buf + d->hdr_len,
				    d->cfg.rx_buf, VRING_DESC_F_WRITE);
		}
		vg_avail_push(vq, head);
	}
	vg_arm_call(d, vq);
	vg_publish(d, vq);
}

int vg_rx_get(struct vg_dev *d, void *out, size_t outlen)
{
	struct vg_vq *vq = &d->rx;
	uint16_t used = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	size_t cap = d->hdr_len + d->cfg.rx_buf, total = 0;
	unsigned int nbufs = 1, i;
	struct vring_used_elem *e;

	if (vq->last_used == used)
		return 0;
	e = &vq->used->ring[vq->last_used & (vq->num - 1)];
	if (e->id >= vq->num || !vq->chain[e->id] || e->len > cap ||
	    e->len < d->hdr_len) {
		printf("# vguest: rx used entry id %u len %u is invalid\n",
		       e->id, e->len);
		return -EIO;
	}
	if (vg_has(d, VIRTIO_NET_F_MRG_RXBUF)) {
		struct virtio_net_hdr_mrg_rxbuf *h = vq->buf[e->id];

		nbufs = h->num_buffers;
		if (!nbufs || nbufs > vq->num) {
			printf("# vguest: rx num_buffers %u\n", nbufs);
			return -EIO;
		}
		if ((uint16_t)(used - vq->last_used) < nbufs)
			return 0;	/* rest not published yet */
	} else if (d->cfg.strict_hdr &&
		   d->hdr_len == sizeof(struct virtio_net_hdr_mrg_rxbuf)) {
		struct virtio_net_hdr_mrg_rxbuf *h = vq->buf[e->id];

		if (h->num_buffers != 1) {
			printf("# vguest: rx num_buffers %u without MRG_RXBUF\n",
			       h->num_buffers);
			return -EIO;
		}
	}
	for (i = 0; i < nbufs; i++) {
		size_t off = i ? 0 : d->hdr_len, len;

		e = &vq->used->ring[(vq->last_used + i) & (vq->num - 1)];
		if (e->id >= vq->num || !vq->chain[e->id] || e->len > cap ||
		    e->len < off) {
			printf("# vguest: rx used entry id %u len %u is invalid\n",
			       e->id, e->len);
			return -EIO;
		}
		len = e->len - off;
		if (total + len <= outlen)
			memcpy((char *)out + total, (char *)vq->buf[e->id] + off, len);
		total += len;
		vg_desc_put(vq, e->id);
	}
	vq->last_used += nbufs;
	vg_arm_call(d, vq);
	return total <= outlen ? (int)total : -EMSGSIZE;
}

void vg_wait_call(struct vg_dev *d, int ms)
{
	struct pollfd p[3] = {
		{ .fd = d->rx.call, .events = POLLIN },
		{ .fd = d->tx.call, .events = POLLIN },
		{ .fd = d->pkt, .events = POLLIN },
	};
	uint64_t v;

	if (poll(p, d->pkt >= 0 ? 3 : 2, ms) <= 0)
		return;
	if ((p[0].revents & POLLIN) && read(d->rx.call, &v, sizeof(v)) > 0)
		d->rx.calls += v;
	if ((p[1].revents & POLLIN) && read(d->tx.call, &v, sizeof(v)) > 0)
		d->tx.calls += v;
}

bool vg_vq_error(struct vg_vq *vq)
{
	struct pollfd p = { .fd = vq->err, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

int vg_host_send(struct vg_dev *d, const void *frame, size_t len)
{
	ssize_t n = send(d->pkt, frame, len, MSG_DONTWAIT);

	return n < 0 ? -errno : (int)n;
}

int vg_host_recv(struct vg_dev *d, void *out, size_t outlen)
{
	ssize_t n = recv(d->pkt, out, outlen, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return (int)n;
}

/* Drop whatever the tap has captured. */
static void vg_host_drain(struct vg_dev *d)
{
	uint8_t buf[VG_FRAME_MAX + 64];

	while (vg_host_recv(d, buf, sizeof(buf)) > 0)
		;
}

unsigned long vg_tx_paced_kicks(struct vg_dev *d, int n)
{
	uint8_t frame[128];
	unsigned long before = d->tx.kicks;
	int i;

	for (i = 0; i < n; i++) {
		vg_frame_build(frame, sizeof(frame), false, 1, i);
		vg_tx_add(d, frame, sizeof(frame));
		vg_tx_publish(d);
		usleep(2000);
		vg_tx_reap(d);
		vg_host_drain(d);
	}
	return d->tx.kicks - before;
}

/* Frame body after the ethernet header. */
struct vg_body {
	uint32_t magic;
	uint32_t stream;
	uint64_t seq;
	uint32_t len;
	uint32_t sum;
} __attribute__((packed));

#define VG_MAGIC 0x76736331	/* "vsc1" */

static uint32_t vg_fnv(const uint8_t *p, size_t n, uint32_t h)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

size_t vg_frame_len(uint64_t seq, size_t min, size_t max)
{
	return min + (size_t)((seq * 7919) % (max - min + 1));
}

void vg_frame_build(void *buf, size_t len, bool to_guest, uint32_t stream,
		    uint64_t seq)
{
	struct ethhdr *eh = buf;
	struct vg_body *b = (void *)(eh + 1);
	uint8_t *p = (uint8_t *)(b + 1);
	size_t i, n = len - sizeof(*eh) - sizeof(*b);

	memcpy(eh->h_dest, to_guest ? vg_guest_mac : vg_host_mac, 6);
	memcpy(eh->h_source, to_guest ? vg_host_mac : vg_guest_mac, 6);
	eh->h_proto = htons(VG_ETHERTYPE);
	b->magic = VG_MAGIC;
	b->stream = stream;
	b->seq = seq;
	b->len = (uint32_t)len;
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7 + stream);
	b->sum = 0;
	b->sum = vg_fnv(buf, len, 2166136261u);
}

int vg_frame_parse(const void *buf, size_t len, uint32_t *stream,
		   uint64_t *seq)
{
	const struct ethhdr *eh = buf;
	struct vg_body b;
	uint32_t sum;
	uint8_t copy[VG_FRAME_MAX + 64];

	if (len < sizeof(*eh) + sizeof(b) || eh->h_proto != htons(VG_ETHERTYPE))
		return 1;
	memcpy(&b, eh + 1, sizeof(b));
	if (b.magic != VG_MAGIC)
		return 1;
	*stream = b.stream;
	*seq = b.seq;
	if (b.len != len || len > sizeof(copy))
		return -1;
	memcpy(copy, buf, len);
	memset(copy + sizeof(*eh) + offsetof(struct vg_body, sum), 0, 4);
	sum = vg_fnv(copy, len, 2166136261u);
	return sum == b.sum ? 0 : -1;
}

void vg_flow_account(struct vg_flow *f, const void *buf, int len,
		     uint32_t stream)
{
	uint32_t s;
	uint64_t seq;
	int r = vg_frame_parse(buf, (size_t)len, &s, &seq);

	if (r > 0 || (r == 0 && s != stream)) {
		f->foreign++;
		return;
	}
	if (r < 0) {
		f->corrupt++;
		return;
	}
	f->received++;
	if (seq == f->next) {
		f->next++;
	} else if (seq > f->next) {
		f->lost += seq - f->next;
		f->next = seq + 1;
	} else {
		f->dup_or_reorder++;
	}
}

static double vg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool vg_stream_run(struct vg_dev *d, uint64_t frames, double seconds,
			  uint32_t stream, int stall_ms,
			  struct vg_stream_result *res)
{
	uint8_t buf[VG_FRAME_MAX + 64];
	/* Below every queue on the way: tap queue 500, ring size. */
	uint64_t win_tx = d->tx.num / 2, win_rx = d->rx.num / 4;
	double start = vg_now(), last_progress = start;
	struct vg_flow *tx = &res->tx, *rx = &res->rx;
	size_t max = VG_FRAME_MAX;
	int n;

	memset(res, 0, sizeof(*res));
	if (win_rx > 128)
		win_rx = 128;
	/* Non-mergeable guests must fit a frame in one buffer. */
	if (!vg_has(d, VIRTIO_NET_F_MRG_RXBUF) && d->cfg.rx_buf < max)
		max = d->cfg.rx_buf;

	while (tx->received < frames || rx->received < frames) {
		bool progress = false;

		/* Timed run: finish the frames in flight, send no more. */
		if (seconds > 0 && frames == UINT64_MAX &&
		    vg_now() - start >= seconds)
			frames = tx->sent > rx->sent ? tx->sent : rx->sent;

		while (tx->sent < frames && tx->sent - tx->received < win_tx) {
			size_t len = vg_frame_len(tx->sent, VG_FRAME_MIN, max);

			vg_frame_build(buf, len, false, stream, tx->sent);
			if (vg_tx_add(d, buf, len))
				break;
			tx->sent++;
			progress = true;
		}
		vg_tx_publish(d);
		if (vg_tx_reap(d) > 0)
			progress = true;
		while ((n = vg_host_recv(d, buf, sizeof(buf))) > 0) {
			vg_flow_account(tx, buf, n, stream);
			progress = true;
		}

		while (rx->sent < frames && rx->sent - rx->received < win_rx) {
			size_t len = vg_frame_len(rx->sent + 17, VG_FRAME_MIN, max);

			vg_frame_build(buf, len, true, stream, rx->sent);
			if (vg_host_send(d, buf, len) < 0)
				break;
			rx->sent++;
			progress = true;
		}
		while ((n = vg_rx_get(d, buf, sizeof(buf))) > 0) {
			vg_flow_account(rx, buf, n, stream);
			progress = true;
		}
		if (n < 0) {
			rx->corrupt++;
			break;
		}
		vg_rx_refill(d);

		if (tx->lost || rx->lost || tx->corrupt || rx->corrupt ||
		    tx->dup_or_reorder || rx->dup_or_reorder)
			break;
		if (progress) {
			last_progress = vg_now();
			continue;
		}
		if ((vg_now() - last_progress) * 1000 > stall_ms) {
			res->stalled = true;
			break;
		}
		vg_wait_call(d, 5);
	}
	res->seconds = vg_now() - start;
	return !res->stalled && tx->received == frames &&
	       rx->received == frames && !tx->lost && !rx->lost &&
	       !tx->corrupt && !rx->corrupt && !tx->dup_or_reorder &&
	       !rx->dup_or_reorder;
}

bool vg_stream(struct vg_dev *d, uint64_t frames, uint32_t stream,
	       int stall_ms, struct vg_stream_result *res)
{
	return vg_stream_run(d, frames, 0, stream, stall_ms, res);
}

bool vg_stream_for(struct vg_dev *d, double seconds, uint32_t stream,
		   int stall_ms, struct vg_stream_result *res)
{
	return vg_stream_run(d, UINT64_MAX, seconds, stream, stall_ms, res);
}

void *vg_stream_thread(void *arg)
{
	struct vg_stream_job *j = arg;

	j->ok = j->seconds > 0 ?
		vg_stream_for(j->d, j->seconds, j->stream, j->stall_ms, &j->res) :
		vg_stream(j->d, j->frames, j->stream, j->stall_ms, &j->res);
	return NULL;
}

static void vg_flow_report(const char *name, const struct vg_flow *f)
{
	printf("# %s: sent %llu received %llu lost %llu dup/reorder %llu corrupt %llu foreign %llu\n",
	       name, (unsigned long long)f->sent,
	       (unsigned long long)f->received, (unsigned long long)f->lost,
	       (unsigned long long)f->dup_or_reorder,
	       (unsigned long long)f->corrupt, (unsigned long long)f->foreign);
}

void vg_stream_report(const struct vg_stream_result *r)
{
	vg_flow_report("guest->host", &r->tx);
	vg_flow_report("host->guest", &r->rx);
	printf("# %.2f s%s\n", r->seconds, r->stalled ? ", stalled" : "");
}

int vg_read_counters(int owner_pid, int vq, int nth, struct vg_counters *c)
{
	FILE *f = fopen("/sys/kernel/debug/vhost_sidecore/vqs", "re");
	char line[512], comm[64], mode[16];
	int dev, owner, q, backend, broken, handoff, n, seen = 0, found = -1;
	unsigned long long v[13];

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		handoff = 0;
		v[10] = v[11] = v[12] = 0;
		n = sscanf(line, "%d %d %63s %d %15s %d %d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %d %llu %llu %llu",
			   &dev, &owner, comm, &q, mode, &backend, &broken,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8], &v[9], &handoff, &v[10], &v[11],
			   &v[12]);
		/* 17 columns: a module from before the hand-off counters. */
		if (n != 21 && n != 17)
			continue;
		if (owner != owner_pid || q != vq)
			continue;
		if (seen++ != nth)
			continue;
		c->dev = dev;
		c->packets = v[0];
		c->bytes = v[1];
		c->kicks = v[2];
		c->signals = v[3];
		c->runs = v[4];
		c->weight_exits = v[7];
		c->drops = v[8];
		c->errors = v[9];
		c->handoffs = v[10];
		c->run_ns_max = v[11];
		c->run_frames_max = v[12];
		c->broken = broken;
		c->handoff = handoff;
		snprintf(c->mode, sizeof(c->mode), "%s", mode);
		found = 0;
		break;
	}
	fclose(f);
	return found;
}
