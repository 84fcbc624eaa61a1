// SPDX-License-Identifier: GPL-2.0
/*
 * udpseq: a numbered UDP stream, to check that a path loses, duplicates,
 * reorders and corrupts nothing (qemu_vhost.sh runs it through a QEMU
 * guest while the guest's vqs move between workers and sidecores;
 * qemu_migrate.sh while the guest migrates).
 *
 *   udpseq send ADDR PORT COUNT RATE [SIZE]
 *       send datagrams 1..COUNT to ADDR:PORT, RATE per second, paced
 *       (SIZE bytes, at least 24, default 64; past the 24-byte header the
 *       payload is a pattern derived from the number). SIGINT or SIGTERM
 *       ends the stream early: a second later the sender says so with
 *       ten "end" datagrams, 300 ms apart, carrying the last number sent.
 *   udpseq recv [-l] [-p MS] PORT COUNT SECS
 *       receive on PORT until COUNT datagrams (or the sender's end)
 *       arrived, or SECS passed, or nothing came for 10 s (-l: 60 s)
 *       after the first; check numbers and payloads.
 *       -p MS  read slowly: empty the socket, then pause MS ms, so that
 *              received data waits in the socket's buffers
 *       -l     losses allowed (a migration's downtime): pass when nothing
 *              was duplicated, reordered or corrupted, something arrived
 *              and so did the sender's end
 *
 * The receiver prints one line, "udpseq: received U of COUNT lost L dup D
 * reordered R corrupt C highest H" and the first runs of missing numbers,
 * and exits 0 when the stream passed; 1 if not; 2 on usage or socket
 * errors. The sender exits 0 when it sent them all (or up to the signal).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDPSEQ_MAGIC	0x56534351u	/* "VSCQ" */
#define UDPSEQ_END	1u		/* flags: the sender's last word */
#define UDPSEQ_IDLE_MS	10000
#define UDPSEQ_LOSSY_IDLE_MS 60000
#define UDPSEQ_RANGES	8

struct udpseq_hdr {
	uint32_t magic;
	uint32_t flags;
	uint64_t seq;
	uint64_t count;		/* UDPSEQ_END: the last number sent */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Byte i of datagram seq's payload: what a stale buffer cannot match. */
static unsigned char pattern(uint64_t seq, size_t i)
{
	uint64_t x = (seq * 0x9e3779b97f4a7c15ull) ^ (i * 0xbf58476d1ce4e5b9ull);

	x ^= x >> 29;
	return x ^ (x >> 17);
}

static int usage(void)
{
	fprintf(stderr, "usage: udpseq send ADDR PORT COUNT RATE [SIZE]\n"
			"       udpseq recv [-l] [-p MS] PORT COUNT SECS\n");
	return 2;
}

static int send_one(int s, const void *buf, size_t size,
		    const struct sockaddr_in *to)
{
	/* A full qdisc says so (ENOBUFS): wait and send it again. */
	while (sendto(s, buf, size, 0, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			return -1;
		if (stop && errno == EINTR)
			continue;
		usleep(1000);
	}
	return 0;
}

static int do_send(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct sigaction sa = { .sa_handler = on_signal };
	char buf[2048] = { 0 };
	struct udpseq_hdr *h = (struct udpseq_hdr *)buf;
	uint64_t count, rate, seq, start, gap, sent = 0;
	size_t size = 64, i;
	struct timespec ts;
	int s, k;

	if (argc < 4 || inet_pton(AF_INET, argv[0], &to.sin_addr) != 1)
		return usage();
	to.sin_port = htons(atoi(argv[1]));
	count = strtoull(argv[2], NULL, 0);
	rate = strtoull(argv[3], NULL, 0);
	if (argc > 4)
		size = strtoul(argv[4], NULL, 0);
	if (!count || !rate || size < sizeof(*h) || size > sizeof(buf))
		return usage();
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		perror("udpseq: socket");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	h->magic = htonl(UDPSEQ_MAGIC);
	h->count = count;
	gap = 1000000000ull / rate;
	start = now_ns();
	for (seq = 1; seq <= count && !stop; seq++) {
		uint64_t due = start + (seq - 1) * gap;

		ts.tv_sec = due / 1000000000ull;
		ts.tv_nsec = due % 1000000000ull;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
			;
		if (stop)
			break;
		h->seq = seq;
		for (i = sizeof(*h); i < size; i++)
			buf[i] = pattern(seq, i);
		if (send_one(s, buf, size, &to)) {
			fprintf(stderr, "udpseq: sendto #%llu: %s\n",
				(unsigned long long)seq, strerror(errno));
			return 1;
		}
		sent = seq;
	}
	if (stop) {
		/*
		 * The end, once the receiver had a second to catch up, then
		 * said ten times 300 ms apart: a slow reader's full socket
		 * drops some.
		 */
		h->flags = UDPSEQ_END;
		h->seq = 0;
		h->count = sent;
		for (k = 0; k < 10; k++) {
			usleep(k ? 300000 : 1000000);
			if (send_one(s, buf, sizeof(*h), &to)) {
				perror("udpseq: sendto (end)");
				return 1;
			}
		}
	}
	printf("udpseq: sent %llu in %.1f s%s\n", (unsigned long long)sent,
	       (now_ns() - start) / 1e9, stop ? " (stopped)" : "");
	return 0;
}

struct rx {
	uint64_t count, got, dup, reord, corrupt, next, end, highest;
	unsigned char *seen;
	size_t payload_min, payload_max;
};

static void rx_one(struct rx *r, const char *buf, ssize_t n)
{
	struct udpseq_hdr h;
	ssize_t i;

	/*
	 * Nothing else is sent to this port: a datagram that is not one of
	 * the stream's, intact, is corrupt (a stale buffer, after a
	 * migration that missed a page, holds anything).
	 */
	memset(&h, 0, sizeof(h));
	memcpy(&h, buf, n < (ssize_t)sizeof(h) ? (n > 0 ? n : 0) : sizeof(h));
	if (n >= (ssize_t)sizeof(h) && ntohl(h.magic) == UDPSEQ_MAGIC &&
	    (h.flags & UDPSEQ_END)) {
		if (h.count <= r->count && !r->end)
			r->end = h.count ? h.count : ~0ull;
		return;
	}
	if (n < (ssize_t)sizeof(h) || ntohl(h.magic) != UDPSEQ_MAGIC ||
	    h.count != r->count || !h.seq || h.seq > r->count) {
		if (r->corrupt++ < 4)
			fprintf(stderr, "udpseq: a %zd-byte datagram with header %08x %08x %llu %llu\n",
				n, ntohl(h.magic), h.flags,
				(unsigned long long)h.seq, (unsigned long long)h.count);
		return;
	}
	for (i = sizeof(h); i < n; i++) {
		if ((unsigned char)buf[i] != pattern(h.seq, i)) {
			if (r->corrupt < 4)
				fprintf(stderr, "udpseq: #%llu: byte %zd is %#x, not %#x\n",
					(unsigned long long)h.seq, i,
					(unsigned char)buf[i], pattern(h.seq, i));
			r->corrupt++;
			return;
		}
	}
	if (r->seen[h.seq / 8] & (1u << (h.seq % 8))) {
		r->dup++;
		return;
	}
	r->seen[h.seq / 8] |= 1u << (h.seq % 8);
	r->got++;
	if (h.seq > r->highest)
		r->highest = h.seq;
	if (h.seq < r->next) {
		/* came after a later one */
		if (r->reord++ < 4)
			fprintf(stderr, "udpseq: #%llu after #%llu\n",
				(unsigned long long)h.seq,
				(unsigned long long)r->next - 1);
	} else
		r->next = h.seq + 1;
}

static int do_recv(int argc, char **argv)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	uint64_t secs, deadline, last = 0, i, from, idle_ms = UDPSEQ_IDLE_MS;
	uint64_t total;
	struct rx r = { .next = 1 };
	int s, opt, lossy = 0, pause_ms = 0, ranges = 0, ok;
	int buf_size = 4 << 20;
	char buf[2048];
	ssize_t n;

	optind = 1;
	while ((opt = getopt(argc, argv, "+lp:")) != -1) {
		switch (opt) {
		case 'l':
			lossy = 1;
			idle_ms = UDPSEQ_LOSSY_IDLE_MS;
			break;
		case 'p':
			pause_ms = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || pause_ms < 0)
		return usage();
	/* A slow reader keeps seconds of the stream: more room. */
	if (pause_ms)
		buf_size = 16 << 20;
	me.sin_port = htons(atoi(argv[0]));
	r.count = strtoull(argv[1], NULL, 0);
	secs = strtoull(argv[2], NULL, 0);
	if (!r.count || !secs)
		return usage();
	r.seen = calloc(r.count / 8 + 1, 1);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!r.seen || s < 0) {
		perror("udpseq: socket");
		return 2;
	}
	/* Room for seconds of the stream, beyond rmem_max (we are root). */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf_size, sizeof(buf_size)))
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf_size, sizeof(buf_size));
	if (bind(s, (struct sockaddr *)&me, sizeof(me))) {
		perror("udpseq: bind");
		return 2;
	}
	printf("udpseq: listening on port %u\n", ntohs(me.sin_port));
	fflush(stdout);
	deadline = now_ns() + secs * 1000000000ull;
	while (r.got < r.count && !r.end) {
		uint64_t t = now_ns();
		struct pollfd p = { .fd = s, .events = POLLIN };
		int wait_ms;

		if (t >= deadline || (last && t - last > idle_ms * 1000000ull))
			break;
		wait_ms = (deadline - t) / 1000000 + 1;
		if (last && wait_ms > (int)idle_ms)
			wait_ms = idle_ms;
		if (poll(&p, 1, wait_ms) <= 0)
			continue;
		/* Everything queued now, then (-p) let the next pile up. */
		while ((n = recv(s, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
			rx_one(&r, buf, n);
			last = now_ns();
			if (r.end)
				break;
		}
		if (pause_ms && !r.end)
			usleep(pause_ms * 1000);
	}
	total = r.end && r.end != ~0ull ? r.end : r.count;
	if (r.end == ~0ull)
		total = 0;
	printf("udpseq: received %llu of %llu lost %llu dup %llu reordered %llu corrupt %llu highest %llu",
	       (unsigned long long)r.got, (unsigned long long)total,
	       (unsigned long long)(total > r.got ? total - r.got : 0),
	       (unsigned long long)r.dup, (unsigned long long)r.reord,
	       (unsigned long long)r.corrupt, (unsigned long long)r.highest);
	/* The first few runs of missing numbers. */
	for (i = 1; i <= total && ranges < UDPSEQ_RANGES; i++) {
		if (r.seen[i / 8] & (1u << (i % 8)))
			continue;
		from = i;
		while (i < total && !(r.seen[(i + 1) / 8] & (1u << ((i + 1) % 8))))
			i++;
		printf(" missing %llu-%llu", (unsigned long long)from,
		       (unsigned long long)i);
		ranges++;
	}
	if (lossy)
		printf(" end %s", r.end ? "seen" : "missing");
	printf("\n");
	ok = !r.dup && !r.reord && !r.corrupt;
	if (lossy)
		return ok && r.end && r.got ? 0 : 1;
	return ok && r.got == r.count ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "send"))
		return do_send(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "recv"))
		return do_recv(argc - 1, argv + 1);
	return usage();
}
