// SPDX-License-Identifier: GPL-2.0
/*
 * mempat: keep rewriting a memory pattern and check it, so that a guest
 * that migrates meanwhile shows whether every page it wrote arrived
 * (qemu_migrate.sh runs it inside the nested QEMU guest).
 *
 *   mempat MB [PAUSE_MS]
 *       rounds until SIGINT or SIGTERM: write a pattern that depends on
 *       the round into every 8-byte word of MB MiB, pause PAUSE_MS ms
 *       (default 500), then check every word before the next round
 *
 * Prints "mempat: rounds R MiB M bad B" (and the first bad words: a word
 * holding the previous round's value is a page the migration did not
 * send again after it was written) and exits 0 when no word was bad; 1 if
 * one was; 2 on usage or memory errors.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t word(uint64_t round, uint64_t i)
{
	uint64_t x = (round << 40) ^ (i * 0x9e3779b97f4a7c15ull);

	return x ^ (x >> 31);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t round, i, n, bad = 0, mib;
	/* volatile: the checks must read memory, not what was just written */
	volatile uint64_t *mem;
	long pause_ms = 500;

	mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 0;
	if (!mib) {
		fprintf(stderr, "usage: mempat MB [PAUSE_MS]\n");
		return 2;
	}
	if (argc > 2)
		pause_ms = strtol(argv[2], NULL, 0);
	n = mib << 17;
	mem = mmap(NULL, n * 8, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mempat: mmap");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("mempat: writing %llu MiB\n", (unsigned long long)mib);
	fflush(stdout);
	for (round = 1; !stop; round++) {
		for (i = 0; i < n; i++)
			mem[i] = word(round, i);
		usleep(pause_ms * 1000);
		for (i = 0; i < n; i++) {
			uint64_t v = mem[i];

			if (v == word(round, i))
				continue;
			if (bad++ < 8)
				printf("mempat: round %llu word %llu (page %llu): %#llx, %s\n",
				       (unsigned long long)round, (unsigned long long)i,
				       (unsigned long long)(i / 512), (unsigned long long)v,
				       v == word(round - 1, i) ? "the previous round's" :
				       "neither this round's nor the previous");
		}
	}
	printf("mempat: rounds %llu MiB %llu bad %llu\n",
	       (unsigned long long)(round - 1), (unsigned long long)mib,
	       (unsigned long long)bad);
	return bad ? 1 : 0;
}
