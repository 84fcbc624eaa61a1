// SPDX-License-Identifier: GPL-2.0
/*
 * udpseq: a numbered UDP stream, to check that a path loses, duplicates
 * and reorders nothing (qemu_vhost.sh runs it through a QEMU guest while
 * the guest's vqs move between workers and sidecores).
 *
 *   udpseq send ADDR PORT COUNT RATE [SIZE]
 *       send datagrams 1..COUNT to ADDR:PORT, RATE per second, paced
 *       (SIZE bytes of payload, at least 24, default 64)
 *   udpseq recv PORT COUNT SECS
 *       receive on PORT until COUNT datagrams arrived, or SECS passed, or
 *       nothing came for 10 s after the first; check the numbers
 *
 * The receiver prints one line, "udpseq: received U of COUNT lost L dup D
 * reordered R", and exits 0 only when every datagram arrived once and in
 * order; 1 if not; 2 on usage or socket errors. The sender exits 0 when it
 * sent them all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDPSEQ_MAGIC	0x56534351u	/* "VSCQ" */
#define UDPSEQ_IDLE_MS	10000

struct udpseq_hdr {
	uint32_t magic;
	uint32_t pad;
	uint64_t seq;
	uint64_t count;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: udpseq send ADDR PORT COUNT RATE [SIZE]\n"
			"       udpseq recv PORT COUNT SECS\n");
	return 2;
}

static int do_send(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	char buf[2048] = { 0 };
	struct udpseq_hdr *h = (struct udpseq_hdr *)buf;
	uint64_t count, rate, seq, start, gap;
	size_t size = 64;
	struct timespec ts;
	int s;

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
	h->magic = htonl(UDPSEQ_MAGIC);
	h->count = count;
	gap = 1000000000ull / rate;
	start = now_ns();
	for (seq = 1; seq <= count; seq++) {
		uint64_t due = start + (seq - 1) * gap;

		ts.tv_sec = due / 1000000000ull;
		ts.tv_nsec = due % 1000000000ull;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		h->seq = seq;
		/* A full qdisc says so (ENOBUFS): wait and send it again. */
		while (sendto(s, buf, size, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "udpseq: sendto #%llu: %s\n",
					(unsigned long long)seq, strerror(errno));
				return 1;
			}
			usleep(1000);
		}
	}
	printf("udpseq: sent %llu in %.1f s\n", (unsigned long long)count,
	       (now_ns() - start) / 1e9);
	return 0;
}

static int do_recv(int argc, char **argv)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	uint64_t count, secs, seq, next = 1, got = 0, dup = 0, reord = 0;
	uint64_t deadline, last = 0, stray = 0, i, from;
	int ranges = 0;
	int s, buf_size = 4 << 20;
	unsigned char *seen;
	char buf[2048];
	struct udpseq_hdr h;
	ssize_t n;

	if (argc < 3)
		return usage();
	me.sin_port = htons(atoi(argv[0]));
	count = strtoull(argv[1], NULL, 0);
	secs = strtoull(argv[2], NULL, 0);
	if (!count || !secs)
		return usage();
	seen = calloc(count / 8 + 1, 1);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!seen || s < 0) {
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
	while (got < count) {
		uint64_t t = now_ns();
		struct pollfd p = { .fd = s, .events = POLLIN };
		int wait_ms;

		if (t >= deadline || (last && t - last > UDPSEQ_IDLE_MS * 1000000ull))
			break;
		wait_ms = (deadline - t) / 1000000 + 1;
		if (last && wait_ms > UDPSEQ_IDLE_MS)
			wait_ms = UDPSEQ_IDLE_MS;
		if (poll(&p, 1, wait_ms) <= 0)
			continue;
		n = recv(s, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(h))
			continue;
		memcpy(&h, buf, sizeof(h));
		if (ntohl(h.magic) != UDPSEQ_MAGIC || h.count != count ||
		    !h.seq || h.seq > count) {
			stray++;
			continue;
		}
		last = now_ns();
		seq = h.seq;
		if (seen[seq / 8] & (1u << (seq % 8))) {
			dup++;
			continue;
		}
		seen[seq / 8] |= 1u << (seq % 8);
		got++;
		if (seq < next)
			reord++;		/* came after a later one */
		else
			next = seq + 1;
	}
	printf("udpseq: received %llu of %llu lost %llu dup %llu reordered %llu",
	       (unsigned long long)got, (unsigned long long)count,
	       (unsigned long long)(count - got), (unsigned long long)dup,
	       (unsigned long long)reord);
	/* The first few runs of missing numbers. */
	for (i = 1; i <= count && ranges < 4; i++) {
		if (seen[i / 8] & (1u << (i % 8)))
			continue;
		from = i;
		while (i < count && !(seen[(i + 1) / 8] & (1u << ((i + 1) % 8))))
			i++;
		printf(" missing %llu-%llu", (unsigned long long)from,
		       (unsigned long long)i);
		ranges++;
	}
	if (stray)
		printf(" stray %llu", (unsigned long long)stray);
	printf("\n");
	return got == count && !dup && !reord ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "send"))
		return do_send(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "recv"))
		return do_recv(argc - 2, argv + 2);
	return usage();
}
