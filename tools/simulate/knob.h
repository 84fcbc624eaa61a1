/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the simulator and the model share: a policy knob by name, as
 * the module's vsc_knobs[] lists them.
 */
#ifndef VSC_SIMULATE_KNOB_H
#define VSC_SIMULATE_KNOB_H

#include <string.h>

#include "manager/policy.h"

/* The knob called @name (@len bytes, not terminated), or NULL. */
static inline const struct vsc_knob *knob_find(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < vsc_nknobs; i++)
		if (strlen(vsc_knobs[i].name) == len &&
		    !strncmp(vsc_knobs[i].name, name, len))
			return &vsc_knobs[i];
	return NULL;
}

#endif
