// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int vsc_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int vsc_ensure_module(void)
{
	const char *mod = getenv("VSC_MODULE");
	struct stat st;

	if (!stat("/sys/module/vhost_sidecore", &st))
		return 0;
	if (!mod)
		mod = VSC_TOP "/vhost_sidecore.ko";
	return vsc_sh("insmod %s", mod) ? -1 : 0;
}
