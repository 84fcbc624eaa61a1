/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VSC_SHIM_KERNEL_H
#define VSC_SHIM_KERNEL_H
#include <linux/types.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The kernel's int_sqrt64(): floor of the square root, bit by bit. */
static inline u32 int_sqrt64(u64 x)
{
	u64 r = 0, bit = 1ULL << 62;

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return (u32)r;
}
#endif
