/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small generic netlink context for the vhost_sidecore family: open it,
 * send one request at a time and collect its replies, or listen to the
 * monitor group. Kernel refusals are printed with their extack message.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef SIDECORECTL_NL_H
#define SIDECORECTL_NL_H

#include <stdbool.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

/*
 * Called for every message of the family that a request or the monitor
 * receives. Returns 0, VSC_NL_ABORT to end a request after printing why
 * (out of memory), or another negative value for a message it could not
 * make sense of.
 */
typedef int (*vsc_nl_handler_t)(struct nl_msg *msg, void *arg);

#define VSC_NL_ABORT	(-2)

struct vsc_nl {
	struct nl_sock *sk;
	const char *family_name;
	int family;
	const char *what;		/* the command, for messages */

	/* The request in flight. */
	uint32_t seq;
	bool done;
	bool malformed;
	bool aborted;			/* the handler said why it stopped */
	int error;			/* errno from the kernel, positive */
	char ext_msg[256];		/* its extack message */
	char ext_attr[64];		/* the attribute at fault, by name */
	bool ext_missing;		/* ... which was missing */
	char ext_range[64];		/* ... and what its policy takes */
	const char *const *names;	/* request attribute names by type */
	unsigned int nnames;
	vsc_nl_handler_t handler;
	void *arg;

	/* Listening. */
	int rcvbuf;			/* SO_RCVBUF to ask for; 0: 1 MiB */
	void (*lost)(void *arg);	/* events were dropped (overrun) */
	bool gone;			/* the family was unregistered */
};

/*
 * Open a socket and resolve the family; on failure print why and return
 * EXIT_FAIL. @what prefixes the error messages ("config set").
 */
int vsc_nl_open(struct vsc_nl *nl, const char *what);
void vsc_nl_close(struct vsc_nl *nl);

/* A request of @cmd with @flags (NLM_F_DUMP or 0); NULL if out of memory. */
struct nl_msg *vsc_nl_msg(struct vsc_nl *nl, uint8_t cmd, int flags);

/*
 * Send @msg (freed here) and pass each reply to @handler until the ACK or
 * the end of the dump. @names[type] names the request's attributes in
 * error messages. Returns EXIT_OK, or EXIT_FAIL after printing why.
 */
int vsc_nl_request(struct vsc_nl *nl, struct nl_msg *msg,
		   vsc_nl_handler_t handler, void *arg,
		   const char *const *names, unsigned int nnames);

/*
 * Join multicast group @group. Returns EXIT_OK, or EXIT_FAIL after
 * printing why.
 */
int vsc_nl_join(struct vsc_nl *nl, const char *group);

/*
 * Also join the generic netlink controller's "notify" group, so that the
 * listener learns when the family is unregistered (the module unloaded),
 * and then make sure it was not already. Returns EXIT_OK, EXIT_GONE
 * after saying that the family is gone, or EXIT_FAIL after printing why.
 */
int vsc_nl_watch_family(struct vsc_nl *nl);

/*
 * Pass every event to @handler, flushing stdout after each, until SIGINT
 * or SIGTERM. When the socket overran and events were dropped, call
 * nl->lost (if set) and go on. Returns EXIT_OK on a signal, EXIT_GONE
 * after saying so when the family was unregistered (watched with
 * vsc_nl_watch_family()), EXIT_FAIL on an I/O error.
 */
int vsc_nl_listen(struct vsc_nl *nl, vsc_nl_handler_t handler, void *arg);

/* Parse a family message into @tb; its command in *@cmd. 0 or negative. */
int vsc_nl_parse(struct nl_msg *msg, struct nlattr **tb, int maxtype,
		 struct nla_policy *policy, uint8_t *cmd);

#endif /* SIDECORECTL_NL_H */
