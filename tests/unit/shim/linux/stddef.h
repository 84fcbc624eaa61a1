/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VSC_SHIM_STDDEF_H
#define VSC_SHIM_STDDEF_H
#include <stddef.h>
#endif
