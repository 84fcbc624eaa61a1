/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VSC_SHIM_UIO_H
#define VSC_SHIM_UIO_H
#include <sys/uio.h>
#endif
