/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VSC_SHIM_LIMITS_H
#define VSC_SHIM_LIMITS_H
#include_next <linux/limits.h>
#include <stdint.h>
#define U64_MAX UINT64_MAX
#define U32_MAX UINT32_MAX
#define U16_MAX UINT16_MAX
#define U8_MAX UINT8_MAX
#define S64_MIN INT64_MIN
#define S64_MAX INT64_MAX
#endif
