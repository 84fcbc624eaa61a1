/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzzers' generator: splitmix64, one 64-bit state, so a run (or one
 * batch or sequence) is a function of its seed and reseeds in one store.
 */
#ifndef VSC_RNG_H
#define VSC_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough below @n (0 for 0). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rng_next(r) % n) : 0;
}

/* True @pct times in 100. */
static inline bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

/* True once in @n. */
static inline bool rng_one_in(struct rng *r, unsigned int n)
{
	return rng_below(r, n) == 0;
}

#endif
