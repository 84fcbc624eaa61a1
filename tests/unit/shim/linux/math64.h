/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VSC_SHIM_MATH64_H
#define VSC_SHIM_MATH64_H
#include <linux/types.h>

static inline u64 div64_u64(u64 a, u64 b)
{
	return a / b;
}

static inline s64 div64_s64(s64 a, s64 b)
{
	return a / b;
}

static inline s64 div_s64(s64 a, s32 b)
{
	return a / b;
}
#endif
