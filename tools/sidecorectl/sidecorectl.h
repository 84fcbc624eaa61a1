/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sidecorectl: control and watch vhost-sidecore through its generic
 * netlink family. Shared by its files: the exit codes and the message
 * prefix.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef SIDECORECTL_H
#define SIDECORECTL_H

#define PROG		"sidecorectl"

/* Exit codes: documented in --help and sidecorectl(8). */
#define EXIT_OK		0	/* done */
#define EXIT_FAIL	1	/* refused, family missing, I/O error */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_GONE	3	/* monitor: the module was unloaded */

#endif /* SIDECORECTL_H */
