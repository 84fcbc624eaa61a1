/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-ins for the kernel types our pure code uses. */
#ifndef VSC_SHIM_TYPES_H
#define VSC_SHIM_TYPES_H
#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;
typedef int64_t s64;
typedef int32_t s32;

#define __user
#endif
