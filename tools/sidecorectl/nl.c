// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink side of sidecorectl (see nl.h): one socket, one
 * request at a time, extended ACKs turned on so that a refusal comes with
 * the kernel's reason and the attribute it refused.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#define _GNU_SOURCE	/* ppoll() */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/vhost_sidecore.h>

#include "nl.h"
#include "sidecorectl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* Room for the largest request: a CPU list of 4096 characters. */
#define VSC_NL_MSG_SIZE	16384

int vsc_nl_open(struct vsc_nl *nl, const char *what)
{
	int one = 1;
	int r;

	memset(nl, 0, sizeof(*nl));
	nl->what = what;
	nl->family_name = VHOST_SIDECORE_FAMILY_NAME;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		fprintf(stderr, "%s: %s: out of memory\n", PROG, what);
		return EXIT_FAIL;
	}
	r = genl_connect(nl->sk);
	if (r < 0) {
		fprintf(stderr, "%s: %s: cannot open a generic netlink socket: %s\n",
			PROG, what, nl_geterror(r));
		goto fail;
	}
	/* Replies as large as they come (a long CPU list, a full dump). */
	nl_socket_enable_msg_peek(nl->sk);
	/*
	 * Extended ACKs: the kernel's reason and the attribute at fault.
	 * Kernels before 4.12 lack them; the errno alone still comes.
	 */
	if (setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) < 0 && errno != ENOPROTOOPT)
		fprintf(stderr, "%s: %s: cannot enable extended ACKs: %s\n",
			PROG, what, strerror(errno));
	r = genl_ctrl_resolve(nl->sk, VHOST_SIDECORE_FAMILY_NAME);
	if (r == -NLE_OBJ_NOTFOUND) {
		fprintf(stderr, "%s: generic netlink family %s not found (is the vhost_sidecore module loaded?)\n",
			PROG, VHOST_SIDECORE_FAMILY_NAME);
		goto fail;
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s: cannot resolve generic netlink family %s: %s\n",
			PROG, what, VHOST_SIDECORE_FAMILY_NAME, nl_geterror(r));
		goto fail;
	}
	nl->family = r;
	return EXIT_OK;
fail:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return EXIT_FAIL;
}

void vsc_nl_close(struct vsc_nl *nl)
{
	nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *vsc_nl_msg(struct vsc_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(VSC_NL_MSG_SIZE);

	if (msg && genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			       flags, cmd, VHOST_SIDECORE_FAMILY_VERSION))
		return msg;
	nlmsg_free(msg);
	fprintf(stderr, "%s: %s: out of memory\n", PROG, nl->what);
	return NULL;
}

int vsc_nl_parse(struct nl_msg *msg, struct nlattr **tb, int maxtype,
		 struct nla_policy *policy, uint8_t *cmd)
{
	struct nlmsghdr *hdr = nlmsg_hdr(msg);

	if (!genlmsg_valid_hdr(hdr, 0))
		return -1;
	*cmd = genlmsg_hdr(hdr)->cmd;
	return genlmsg_parse(hdr, 0, tb, maxtype, policy) ? -1 : 0;
}

/* --- extended ACKs --- */

static void vsc_nl_name_attr(struct vsc_nl *nl, unsigned int type)
{
	if (type < nl->nnames && nl->names[type])
		snprintf(nl->ext_attr, sizeof(nl->ext_attr), "%s",
			 nl->names[type]);
	else
		snprintf(nl->ext_attr, sizeof(nl->ext_attr), "#%u", type);
}

/* What the policy of the attribute refused takes, in words. */
static void vsc_nl_ext_policy(struct vsc_nl *nl, struct nlattr *pol)
{
	struct nlattr *tb[NL_POLICY_TYPE_ATTR_MAX + 1];
	struct nlattr *lo, *hi;
	char *s = nl->ext_range;
	size_t n = sizeof(nl->ext_range);

	if (nla_parse_nested(tb, NL_POLICY_TYPE_ATTR_MAX, pol, NULL))
		return;
	lo = tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U];
	hi = tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U];
	if (lo && hi) {
		snprintf(s, n, "must be in %llu..%llu",
			 (unsigned long long)nla_get_u64(lo),
			 (unsigned long long)nla_get_u64(hi));
		return;
	}
	lo = tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_S];
	hi = tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_S];
	if (lo && hi) {
		snprintf(s, n, "must be in %lld..%lld",
			 (long long)nla_get_u64(lo), (long long)nla_get_u64(hi));
		return;
	}
	if (tb[NL_POLICY_TYPE_ATTR_MAX_LENGTH])
		snprintf(s, n, "must be at most %u bytes long",
			 nla_get_u32(tb[NL_POLICY_TYPE_ATTR_MAX_LENGTH]));
}

/*
 * The TLVs from @tlvs to the end of @hdr (an NLMSG_ERROR or NLMSG_DONE):
 * the message, the attribute refused (at an offset into @orig, the
 * request echoed back, when there is one) or missing, and what the
 * refused one's policy takes.
 */
static void vsc_nl_ext_ack(struct vsc_nl *nl, const struct nlmsghdr *hdr,
			   const void *tlvs, const struct nlmsghdr *orig)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const struct nlattr *bad;
	long len = (const char *)hdr + hdr->nlmsg_len - (const char *)tlvs;
	uint32_t off;

	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)tlvs, len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0)
		nla_strlcpy(nl->ext_msg, tb[NLMSGERR_ATTR_MSG],
			    sizeof(nl->ext_msg));
	if (tb[NLMSGERR_ATTR_OFFS] && orig &&
	    nla_len(tb[NLMSGERR_ATTR_OFFS]) >= (int)sizeof(uint32_t)) {
		off = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
		if (off >= NLMSG_HDRLEN + GENL_HDRLEN &&
		    off + NLA_HDRLEN <= orig->nlmsg_len) {
			bad = (const struct nlattr *)((const char *)orig + off);
			vsc_nl_name_attr(nl, nla_type(bad));
		}
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= (int)sizeof(uint32_t)) {
		vsc_nl_name_attr(nl, nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
		nl->ext_missing = true;
	}
	if (tb[NLMSGERR_ATTR_POLICY])
		vsc_nl_ext_policy(nl, tb[NLMSGERR_ATTR_POLICY]);
}

static int vsc_nl_err_cb(struct sockaddr_nl *who, struct nlmsgerr *e,
			 void *arg)
{
	struct vsc_nl *nl = arg;
	const struct nlmsghdr *hdr;
	const struct nlmsghdr *orig = NULL;
	const char *end, *tlvs;

	/* libnl hands over the payload; its header sits just before. */
	hdr = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	end = (const char *)hdr + hdr->nlmsg_len;
	tlvs = (const char *)(e + 1);
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) {
		/* The whole request is echoed back after the error code. */
		if (e->msg.nlmsg_len >= NLMSG_HDRLEN &&
		    (const char *)&e->msg + NLMSG_ALIGN(e->msg.nlmsg_len) <= end) {
			orig = &e->msg;
			tlvs = (const char *)&e->msg +
			       NLMSG_ALIGN(e->msg.nlmsg_len);
		} else {
			tlvs = end;
		}
	}
	nl->error = e->error < 0 ? -e->error : e->error;
	if (tlvs < end)
		vsc_nl_ext_ack(nl, hdr, tlvs, orig);
	nl->done = true;
	return NL_STOP;
}

/* --- requests --- */

static int vsc_nl_valid_cb(struct nl_msg *msg, void *arg)
{
	struct vsc_nl *nl = arg;
	int r;

	if (nlmsg_hdr(msg)->nlmsg_type != nl->family)
		return NL_SKIP;
	r = nl->handler ? nl->handler(msg, nl->arg) : 0;
	if (r < 0) {
		if (r == VSC_NL_ABORT)
			nl->aborted = true;
		else
			nl->malformed = true;
		return NL_STOP;
	}
	return NL_OK;
}

/* The end of a dump: its error code, if the dump failed part way. */
static int vsc_nl_finish_cb(struct nl_msg *msg, void *arg)
{
	struct vsc_nl *nl = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	int err;

	nl->done = true;
	if (nlmsg_datalen(hdr) < (int)sizeof(int))
		return NL_STOP;
	memcpy(&err, nlmsg_data(hdr), sizeof(err));
	if (err < 0) {
		nl->error = -err;
		vsc_nl_ext_ack(nl, hdr,
			       (const char *)nlmsg_data(hdr) +
			       NLMSG_ALIGN(sizeof(int)), NULL);
	}
	return NL_STOP;
}

static int vsc_nl_ack_cb(struct nl_msg *msg, void *arg)
{
	struct vsc_nl *nl = arg;

	nl->done = true;
	return NL_STOP;
}

/* Replies to the request in flight only. */
static int vsc_nl_seq_cb(struct nl_msg *msg, void *arg)
{
	struct vsc_nl *nl = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == nl->seq ? NL_OK : NL_SKIP;
}

static void vsc_nl_report(const struct vsc_nl *nl)
{
	fprintf(stderr, "%s: %s: %s", PROG, nl->what, strerror(nl->error));
	if (nl->ext_msg[0])
		fprintf(stderr, ": %s", nl->ext_msg);
	if (nl->ext_attr[0] && nl->ext_range[0] && !nl->ext_missing)
		fprintf(stderr, " (%s %s)", nl->ext_attr, nl->ext_range);
	else if (nl->ext_attr[0])
		fprintf(stderr, nl->ext_missing ? " (missing attribute %s)" :
						  " (attribute %s)",
			nl->ext_attr);
	else if (nl->error == EPERM && !nl->ext_msg[0])
		fputs(" (CAP_NET_ADMIN needed)", stderr);
	fputc('\n', stderr);
}

int vsc_nl_request(struct vsc_nl *nl, struct nl_msg *msg,
		   vsc_nl_handler_t handler, void *arg,
		   const char *const *names, unsigned int nnames)
{
	struct nl_cb *cb;
	int ret = EXIT_FAIL;
	int r;

	nl->done = false;
	nl->malformed = false;
	nl->aborted = false;
	nl->error = 0;
	nl->ext_msg[0] = '\0';
	nl->ext_attr[0] = '\0';
	nl->ext_missing = false;
	nl->ext_range[0] = '\0';
	nl->names = names;
	nl->nnames = nnames;
	nl->handler = handler;
	nl->arg = arg;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		fprintf(stderr, "%s: %s: out of memory\n", PROG, nl->what);
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, vsc_nl_valid_cb, nl);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, vsc_nl_finish_cb, nl);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, vsc_nl_ack_cb, nl);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, vsc_nl_seq_cb, nl);
	nl_cb_err(cb, NL_CB_CUSTOM, vsc_nl_err_cb, nl);

	r = nl_send_auto(nl->sk, msg);
	if (r < 0) {
		fprintf(stderr, "%s: %s: cannot send the request: %s\n",
			PROG, nl->what, nl_geterror(r));
		goto out;
	}
	nl->seq = nlmsg_hdr(msg)->nlmsg_seq;
	while (!nl->done) {
		r = nl_recvmsgs(nl->sk, cb);
		if (nl->error || nl->malformed || nl->aborted)
			break;
		if (r < 0) {
			fprintf(stderr, "%s: %s: cannot receive the reply: %s\n",
				PROG, nl->what, nl_geterror(r));
			goto out;
		}
	}
	if (nl->error) {
		vsc_nl_report(nl);
		goto out;
	}
	if (nl->aborted)
		goto out;
	if (nl->malformed) {
		fprintf(stderr, "%s: %s: malformed reply from the kernel\n",
			PROG, nl->what);
		goto out;
	}
	ret = EXIT_OK;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return ret;
}

/* --- events --- */

int vsc_nl_join(struct vsc_nl *nl, const char *group)
{
	int grp, r;

	grp = genl_ctrl_resolve_grp(nl->sk, nl->family_name, group);
	if (grp < 0) {
		fprintf(stderr, "%s: %s: cannot find multicast group %s: %s\n",
			PROG, nl->what, group, nl_geterror(grp));
		return EXIT_FAIL;
	}
	r = nl_socket_add_membership(nl->sk, grp);
	if (r < 0) {
		fprintf(stderr, "%s: %s: cannot join multicast group %s: %s%s\n",
			PROG, nl->what, group, nl_geterror(r),
			r == -NLE_PERM ? " (CAP_NET_ADMIN needed)" : "");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void vsc_nl_say_gone(const struct vsc_nl *nl)
{
	fprintf(stderr, "%s: %s: generic netlink family %s is gone (the vhost_sidecore module was unloaded)\n",
		PROG, nl->what, nl->family_name);
}

int vsc_nl_watch_family(struct vsc_nl *nl)
{
	struct nl_sock *sk;
	int grp = 0, id = 0, r;

	/* Requests on a socket of their own: events may already come on ours. */
	sk = nl_socket_alloc();
	if (!sk) {
		fprintf(stderr, "%s: %s: out of memory\n", PROG, nl->what);
		return EXIT_FAIL;
	}
	r = genl_connect(sk);
	if (r >= 0)
		r = grp = genl_ctrl_resolve_grp(sk, "nlctrl", "notify");
	if (r >= 0)
		r = nl_socket_add_membership(nl->sk, grp);
	/* Joined first, then asked: an unload in between is not missed. */
	if (r >= 0)
		id = genl_ctrl_resolve(sk, nl->family_name);
	nl_socket_free(sk);
	if (r < 0) {
		fprintf(stderr, "%s: %s: cannot watch the generic netlink controller: %s\n",
			PROG, nl->what, nl_geterror(r));
		return EXIT_FAIL;
	}
	/* Not found, or found again under a new id: ours went away. */
	if (id == -NLE_OBJ_NOTFOUND || (id >= 0 && id != nl->family)) {
		vsc_nl_say_gone(nl);
		return EXIT_GONE;
	}
	if (id < 0) {
		fprintf(stderr, "%s: %s: cannot resolve generic netlink family %s: %s\n",
			PROG, nl->what, nl->family_name, nl_geterror(id));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Does the controller's @msg say that our family was unregistered? */
static bool vsc_nl_family_deleted(const struct vsc_nl *nl, struct nl_msg *msg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *id;

	if (!genlmsg_valid_hdr(hdr, 0) ||
	    genlmsg_hdr(hdr)->cmd != CTRL_CMD_DELFAMILY ||
	    genlmsg_parse(hdr, 0, tb, CTRL_ATTR_MAX, NULL))
		return false;
	id = tb[CTRL_ATTR_FAMILY_ID];
	return id && nla_len(id) >= (int)sizeof(uint16_t) &&
	       nla_get_u16(id) == nl->family;
}

static volatile sig_atomic_t vsc_nl_stop;

static void vsc_nl_on_signal(int sig)
{
	vsc_nl_stop = 1;
}

static int vsc_nl_event_cb(struct nl_msg *msg, void *arg)
{
	struct vsc_nl *nl = arg;

	if (nlmsg_hdr(msg)->nlmsg_type == GENL_ID_CTRL) {
		if (!vsc_nl_family_deleted(nl, msg))
			return NL_SKIP;
		nl->gone = true;
		return NL_STOP;
	}
	if (nlmsg_hdr(msg)->nlmsg_type != nl->family)
		return NL_SKIP;
	if (nl->handler(msg, nl->arg) < 0)
		fprintf(stderr, "%s: %s: malformed event skipped\n",
			PROG, nl->what);
	fflush(stdout);
	return NL_OK;
}

int vsc_nl_listen(struct vsc_nl *nl, vsc_nl_handler_t handler, void *arg)
{
	struct sigaction sa = { .sa_handler = vsc_nl_on_signal };
	struct pollfd pfd;
	sigset_t block, old;
	int ret = EXIT_OK;
	int r;

	nl->handler = handler;
	nl->arg = arg;
	/* Events carry sequence number 0: no request to match them to. */
	nl_socket_disable_seq_check(nl->sk);
	r = nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM,
				vsc_nl_event_cb, nl);
	if (r >= 0)
		r = nl_socket_set_nonblocking(nl->sk);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", PROG, nl->what, nl_geterror(r));
		return EXIT_FAIL;
	}
	/* A larger buffer loses fewer events in a burst (best effort). */
	r = nl_socket_set_buffer_size(nl->sk, nl->rcvbuf ?: 1 << 20, 0);
	if (r < 0 && nl->rcvbuf) {
		fprintf(stderr, "%s: %s: cannot set the receive buffer to %d bytes: %s\n",
			PROG, nl->what, nl->rcvbuf, nl_geterror(r));
		return EXIT_FAIL;
	}

	/* Signals only while waiting in ppoll(): no wake-up is missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pfd.fd = nl_socket_get_fd(nl->sk);
	pfd.events = POLLIN;
	while (!vsc_nl_stop) {
		r = ppoll(&pfd, 1, NULL, &old);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: %s: poll: %s\n", PROG, nl->what,
				strerror(errno));
			ret = EXIT_FAIL;
			break;
		}
		r = nl_recvmsgs_default(nl->sk);
		if (nl->gone) {
			vsc_nl_say_gone(nl);
			ret = EXIT_GONE;
			break;
		}
		if (ferror(stdout)) {
			fprintf(stderr, "%s: %s: write error\n", PROG,
				nl->what);
			ret = EXIT_FAIL;
			break;
		}
		/* The kernel dropped events: say so in the stream, go on. */
		if (r == -NLE_NOMEM && errno == ENOBUFS) {
			if (nl->lost)
				nl->lost(nl->arg);
			fflush(stdout);
			continue;
		}
		if (r < 0 && r != -NLE_AGAIN) {
			fprintf(stderr, "%s: %s: cannot receive events: %s\n",
				PROG, nl->what, nl_geterror(r));
			ret = EXIT_FAIL;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}
