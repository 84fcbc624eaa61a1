/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VSC_SHIM_ERRNO_H
#define VSC_SHIM_ERRNO_H
#include_next <linux/errno.h>
#include <errno.h>
#endif
