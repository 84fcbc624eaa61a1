// SPDX-License-Identifier: GPL-2.0
/*
 * The vhost_sidecore generic netlink family
 * (Documentation/netlink/specs/vhost_sidecore.yaml): devices, sidecores,
 * the configuration and vq moves, and the "monitor" group of events.
 * The policies and the operation table, with each operation's privilege,
 * are generated from the spec (netlink-gen.c); the handlers, the group
 * table and the family are here. Reading the configuration and the
 * sidecores is open to all, as in sysfs; the device dump (other VMs'
 * PIDs), changes and the monitor group need CAP_NET_ADMIN. The family
 * exists in the initial network namespace only. Changes go through the
 * same setter as sysfs; a refusal carries an extack message.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/cpumask.h>
#include <linux/pid_namespace.h>
#include <linux/xarray.h>
#include <net/genetlink.h>
#include <linux/vhost_sidecore.h>

#include "compat-nl.h"
#include "vhost_sidecore/dev.h"
#include "vhost_sidecore/exec.h"
#include "vhost_sidecore/sidecore.h"
#include "vhost_sidecore/vring.h"
#include "config.h"
#include "netlink.h"
#include "netlink-gen.h"

static struct genl_family vsc_nl_family;
static bool vsc_nl_registered;

/*
 * For an operation the spec gives no request attributes: refuse any, and
 * point at it. Before 6.2 the core does so; a split operation without a
 * policy (6.2+) lets them through unread.
 */
static int vsc_nl_no_attrs(const struct nlmsghdr *nlh,
			   struct netlink_ext_ack *extack)
{
	if (!nlmsg_attrlen(nlh, GENL_HDRLEN))
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, nlmsg_attrdata(nlh, GENL_HDRLEN),
			    "this operation takes no attributes");
	return -EINVAL;
}

/* --- devices --- */

static int vsc_nl_fill_vq(struct sk_buff *skb, struct vsc_net_vq *nvq)
{
	struct vsc_vq *vq = &nvq->vq;
	struct vsc_vq_stats st;
	struct nlattr *nest;
	int cpu = vq->sc ? vq->sc->cpu : -1;

	vsc_stats_read(&vq->stats, &st);
	nest = nla_nest_start(skb, VHOST_SIDECORE_A_DEV_VQ);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VHOST_SIDECORE_A_VQ_INDEX, vq->index) ||
	    nla_put_u32(skb, VHOST_SIDECORE_A_VQ_MODE,
			cpu < 0 ? VHOST_SIDECORE_VQ_MODE_ONDEMAND :
				  VHOST_SIDECORE_VQ_MODE_SIDECORE) ||
	    nla_put_s32(skb, VHOST_SIDECORE_A_VQ_CPU, cpu) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_PACKETS, st.packets,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_BYTES, st.bytes,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_KICKS, st.kicks,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_SIGNALS, st.signals,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_DROPS, st.drops,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_HANDOFFS, st.handoffs,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_RUN_NS_MAX,
			      st.run_ns_max, VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_RUN_FRAMES_MAX,
			      st.run_frames_max, VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_RUNS, st.runs,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_RUN_NS, st.run_ns,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_EMPTY_RUNS,
			      st.empty_runs, VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_WEIGHT_EXITS,
			      st.weight_exits, VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_ERRORS, st.errors,
			      VHOST_SIDECORE_A_VQ_PAD) ||
	    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_VQ_IOTLB_MISSES,
			      st.iotlb_misses, VHOST_SIDECORE_A_VQ_PAD) ||
	    (READ_ONCE(nvq->sock) &&
	     nla_put_flag(skb, VHOST_SIDECORE_A_VQ_BACKEND)) ||
	    (READ_ONCE(vq->handoff) &&
	     nla_put_flag(skb, VHOST_SIDECORE_A_VQ_HANDED_OFF)) ||
	    (READ_ONCE(vq->broken) &&
	     nla_put_flag(skb, VHOST_SIDECORE_A_VQ_BROKEN))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Caller holds vsc_devices_lock (the device stays) and vsc_exec_lock. */
static int vsc_nl_fill_dev(struct sk_buff *skb, struct vsc_dev *dev,
			   u32 portid, u32 seq, int flags)
{
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, portid, seq, &vsc_nl_family, flags,
			  VHOST_SIDECORE_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VHOST_SIDECORE_A_DEV_ID, dev->id) ||
	    nla_put_u32(skb, VHOST_SIDECORE_A_DEV_OWNER_PID,
			vsc_dev_owner_nr(dev, task_active_pid_ns(current))) ||
	    nla_put_string(skb, VHOST_SIDECORE_A_DEV_OWNER_COMM,
			   dev->owner_comm))
		goto cancel;
	for (i = 0; i < VSC_NET_NVQS; i++)
		if (vsc_nl_fill_vq(skb, &dev->vqs[i]))
			goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

int vhost_sidecore_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	struct vsc_dev *dev;
	int r;

	if (GENL_REQ_ATTR_CHECK(info, VHOST_SIDECORE_A_DEV_ID))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&vsc_devices_lock);
	dev = xa_load(&vsc_device_ids,
		      nla_get_u32(info->attrs[VHOST_SIDECORE_A_DEV_ID]));
	if (!dev) {
		mutex_unlock(&vsc_devices_lock);
		nlmsg_free(msg);
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VHOST_SIDECORE_A_DEV_ID],
				    "no open device with that id");
		return -ENOENT;
	}
	mutex_lock(&vsc_exec_lock);
	r = vsc_nl_fill_dev(msg, dev, info->snd_portid, info->snd_seq, 0);
	mutex_unlock(&vsc_exec_lock);
	mutex_unlock(&vsc_devices_lock);
	if (r) {
		nlmsg_free(msg);
		return r;
	}
	return genlmsg_reply(msg, info);
}

int vhost_sidecore_nl_dev_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	struct vsc_dev *dev;
	int r = 0;

	/* A filter the dump would ignore is a mistake: say so. */
	if (nlmsg_attrlen(cb->nlh, GENL_HDRLEN)) {
		NL_SET_ERR_MSG(cb->extack,
			       "dev-get dump takes no attributes; ask for one device with a do request");
		return -EINVAL;
	}
	mutex_lock(&vsc_devices_lock);
	mutex_lock(&vsc_exec_lock);
	xa_for_each_start(&vsc_device_ids, id, dev, cb->args[0]) {
		r = vsc_nl_fill_dev(skb, dev, NETLINK_CB(cb->skb).portid,
				    cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (r)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&vsc_exec_lock);
	mutex_unlock(&vsc_devices_lock);
	/* A full skb ends this part of the dump; the next one resumes. */
	return r == -EMSGSIZE && skb->len ? skb->len : r ?: skb->len;
}

/* --- sidecores --- */

static int vsc_nl_fill_core(struct sk_buff *skb, struct vsc_sidecore *sc,
			    u32 portid, u32 seq, int flags, u8 cmd, u32 state)
{
	struct vsc_core_stats st;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vsc_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VHOST_SIDECORE_A_CORE_CPU, sc->cpu) ||
	    nla_put_u32(skb, VHOST_SIDECORE_A_CORE_STATE, state))
		goto cancel;
	if (cmd == VHOST_SIDECORE_CMD_CORE_GET) {
		vsc_core_stats_read(sc, &st);
		if (nla_put_u32(skb, VHOST_SIDECORE_A_CORE_VQS, sc->nassigned) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_BUSY_NS,
				      st.busy_ns, VHOST_SIDECORE_A_CORE_PAD) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_IDLE_NS,
				      st.idle_ns, VHOST_SIDECORE_A_CORE_PAD) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_PACKETS,
				      st.packets, VHOST_SIDECORE_A_CORE_PAD) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_MM_SWITCHES,
				      st.mm_switches, VHOST_SIDECORE_A_CORE_PAD) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_PASSES,
				      st.passes, VHOST_SIDECORE_A_CORE_PAD) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_EMPTY_POLLS,
				      st.empty_polls, VHOST_SIDECORE_A_CORE_PAD) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_RUNS,
				      st.runs, VHOST_SIDECORE_A_CORE_PAD) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_SLEEPS,
				      st.sleeps, VHOST_SIDECORE_A_CORE_PAD) ||
		    nla_put_u64_64bit(skb, VHOST_SIDECORE_A_CORE_SLEEP_NS,
				      st.sleep_ns, VHOST_SIDECORE_A_CORE_PAD))
			goto cancel;
	}
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

int vhost_sidecore_nl_core_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	struct vsc_sidecore *sc;
	unsigned int cpu;
	int r;

	r = vsc_nl_no_attrs(cb->nlh, cb->extack);
	if (r)
		return r;
	mutex_lock(&vsc_exec_lock);
	for (cpu = cb->args[0]; cpu < nr_cpu_ids; cpu++) {
		sc = vsc_exec_core(cpu);
		if (!sc)
			continue;
		r = vsc_nl_fill_core(skb, sc, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI,
				     VHOST_SIDECORE_CMD_CORE_GET,
				     vsc_sidecore_parked(sc) ?
				     VHOST_SIDECORE_CORE_STATE_PARKED :
				     VHOST_SIDECORE_CORE_STATE_RUNNING);
		if (r)
			break;
	}
	cb->args[0] = cpu;
	mutex_unlock(&vsc_exec_lock);
	return r == -EMSGSIZE && skb->len ? skb->len : r ?: skb->len;
}

/* --- configuration --- */

/* Room for the knobs and for a CPU list as long as it can print. */
#define VSC_NL_CONFIG_SIZE	(NLMSG_GOODSIZE + 6 * nr_cpu_ids)

static int vsc_nl_fill_config(struct sk_buff *skb, const struct vsc_config *c,
			      u32 portid, u32 seq, u8 cmd)
{
	char *cpus;
	void *hdr;
	unsigned int i;
	int r = -EMSGSIZE;

	cpus = kasprintf(GFP_KERNEL, "%*pbl", cpumask_pr_args(c->cpus));
	if (!cpus)
		return -ENOMEM;
	hdr = genlmsg_put(skb, portid, seq, &vsc_nl_family, 0, cmd);
	if (!hdr)
		goto out;
	if (nla_put_u32(skb, VHOST_SIDECORE_A_CONFIG_POLICY, c->policy) ||
	    nla_put_string(skb, VHOST_SIDECORE_A_CONFIG_CPUS, cpus) ||
	    nla_put_u32(skb, VHOST_SIDECORE_A_CONFIG_SIDECORES, c->sidecores))
		goto cancel;
	for (i = 0; i < vsc_nknobs; i++)
		if (nla_put_u32(skb, vsc_knobs[i].attr,
				vsc_knob_get(&c->knobs, &vsc_knobs[i])))
			goto cancel;
	genlmsg_end(skb, hdr);
	r = 0;
	goto out;
cancel:
	genlmsg_cancel(skb, hdr);
out:
	kfree(cpus);
	return r;
}

int vhost_sidecore_nl_config_get_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct vsc_config c;
	struct sk_buff *msg;
	int r;

	r = vsc_nl_no_attrs(info->nlhdr, info->extack);
	if (r)
		return r;
	r = vsc_config_alloc(&c);
	if (r)
		return r;
	vsc_config_get(&c);
	msg = genlmsg_new(VSC_NL_CONFIG_SIZE, GFP_KERNEL);
	r = msg ? vsc_nl_fill_config(msg, &c, info->snd_portid, info->snd_seq,
				     VHOST_SIDECORE_CMD_CONFIG_GET) : -ENOMEM;
	vsc_config_free(&c);
	if (r) {
		nlmsg_free(msg);
		return r;
	}
	return genlmsg_reply(msg, info);
}

/*
 * The setter's reason, a string literal, as the extack message (what
 * NL_SET_ERR_MSG does for a literal written at the call site), pointing
 * at the first attribute it blames that the request carried (the
 * request's attributes go up to @maxattr, its operation's).
 */
static void vsc_nl_refused(struct genl_info *info, unsigned int maxattr,
			   const struct vsc_refusal *ref)
{
	struct netlink_ext_ack *extack = info->extack;
	unsigned int i;
	u16 a;

	if (!extack)
		return;
	extack->_msg = ref->why ?: "refused";
	for (i = 0; i < ARRAY_SIZE(ref->attr); i++) {
		a = ref->attr[i];
		if (a && a <= maxattr && info->attrs[a]) {
			NL_SET_BAD_ATTR(extack, info->attrs[a]);
			return;
		}
	}
}

static int vsc_nl_edit_config(struct vsc_config *c, const void *arg,
			      struct vsc_refusal *ref)
{
	struct nlattr **tb = ((const struct genl_info *)arg)->attrs;
	const struct vsc_knob *k;
	unsigned int i;
	u32 v;

	if (tb[VHOST_SIDECORE_A_CONFIG_POLICY])
		c->policy = nla_get_u32(tb[VHOST_SIDECORE_A_CONFIG_POLICY]);
	if (tb[VHOST_SIDECORE_A_CONFIG_CPUS] &&
	    cpulist_parse(nla_data(tb[VHOST_SIDECORE_A_CONFIG_CPUS]), c->cpus))
		return vsc_refuse(ref, -EINVAL,
				  "cpus: not a CPU list (like 2-3,6), or a CPU number too large",
				  VHOST_SIDECORE_A_CONFIG_CPUS, 0);
	if (tb[VHOST_SIDECORE_A_CONFIG_SIDECORES])
		c->sidecores = nla_get_u32(tb[VHOST_SIDECORE_A_CONFIG_SIDECORES]);
	for (i = 0; i < vsc_nknobs; i++) {
		k = &vsc_knobs[i];
		if (!tb[k->attr])
			continue;
		v = nla_get_u32(tb[k->attr]);
		if (!vsc_knob_in_range(k, v))
			return vsc_refuse(ref, -ERANGE, k->range, k->attr, 0);
		*vsc_knob_ptr(&c->knobs, k) = v;
	}
	return 0;
}

int vhost_sidecore_nl_config_set_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct vsc_refusal ref;
	int r;

	r = vsc_config_update(vsc_nl_edit_config, info, &ref);
	if (r)
		vsc_nl_refused(info, VHOST_SIDECORE_A_CONFIG_MAX, &ref);
	return r;
}

int vhost_sidecore_nl_vq_move_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vsc_move_result res = {};
	struct vsc_refusal ref;
	struct sk_buff *msg;
	void *hdr;
	u32 dev, vq;
	int r;

	if (GENL_REQ_ATTR_CHECK(info, VHOST_SIDECORE_A_MOVE_DEV) ||
	    GENL_REQ_ATTR_CHECK(info, VHOST_SIDECORE_A_MOVE_VQ) ||
	    GENL_REQ_ATTR_CHECK(info, VHOST_SIDECORE_A_MOVE_CPU))
		return -EINVAL;
	dev = nla_get_u32(info->attrs[VHOST_SIDECORE_A_MOVE_DEV]);
	vq = nla_get_u32(info->attrs[VHOST_SIDECORE_A_MOVE_VQ]);
	/* Before the move: a reply that cannot be built must not follow one. */
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	r = vsc_config_move_vq(dev, vq,
			       nla_get_s32(info->attrs[VHOST_SIDECORE_A_MOVE_CPU]),
			       &res, &ref);
	if (r) {
		nlmsg_free(msg);
		vsc_nl_refused(info, VHOST_SIDECORE_A_MOVE_CPU, &ref);
		return r;
	}
	/* The reply: where the vq was, where it is, how long it took. */
	hdr = genlmsg_put_reply(msg, info, &vsc_nl_family, 0,
				VHOST_SIDECORE_CMD_VQ_MOVE);
	if (!hdr || nla_put_u32(msg, VHOST_SIDECORE_A_MOVE_DEV, dev) ||
	    nla_put_u32(msg, VHOST_SIDECORE_A_MOVE_VQ, vq) ||
	    nla_put_s32(msg, VHOST_SIDECORE_A_MOVE_FROM, res.from) ||
	    nla_put_s32(msg, VHOST_SIDECORE_A_MOVE_CPU, res.to) ||
	    nla_put_u64_64bit(msg, VHOST_SIDECORE_A_MOVE_NS, res.ns,
			      VHOST_SIDECORE_A_MOVE_PAD)) {
		/* Cannot happen with NLMSG_GOODSIZE; the move stands. */
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* --- events (the monitor group) --- */

static bool vsc_nl_listening(void)
{
	return READ_ONCE(vsc_nl_registered) &&
	       genl_has_listeners(&vsc_nl_family, &init_net,
				  VHOST_SIDECORE_NLGRP_MONITOR);
}

static void vsc_nl_send(struct sk_buff *msg)
{
	genlmsg_multicast(&vsc_nl_family, msg, 0, VHOST_SIDECORE_NLGRP_MONITOR,
			  GFP_KERNEL);
}

void vsc_nl_config_changed(const struct vsc_config *c)
{
	struct sk_buff *msg;

	if (!vsc_nl_listening())
		return;
	msg = genlmsg_new(VSC_NL_CONFIG_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (vsc_nl_fill_config(msg, c, 0, 0,
			       VHOST_SIDECORE_CMD_CONFIG_CHANGE_NTF)) {
		nlmsg_free(msg);
		return;
	}
	vsc_nl_send(msg);
}

static void vsc_nl_vq_event(struct vsc_vq *vq, int from, int to, u64 ns,
			    u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	if (!vsc_nl_listening())
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vsc_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(msg, VHOST_SIDECORE_A_MOVE_DEV, vq->dev->id) ||
	    nla_put_u32(msg, VHOST_SIDECORE_A_MOVE_VQ, vq->index) ||
	    (cmd == VHOST_SIDECORE_CMD_VQ_MOVE_NTF &&
	     (nla_put_s32(msg, VHOST_SIDECORE_A_MOVE_FROM, from) ||
	      nla_put_s32(msg, VHOST_SIDECORE_A_MOVE_CPU, to) ||
	      nla_put_u64_64bit(msg, VHOST_SIDECORE_A_MOVE_NS, ns,
				VHOST_SIDECORE_A_MOVE_PAD)))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	vsc_nl_send(msg);
}

static void vsc_nl_vq_moved(struct vsc_vq *vq, int from, int to, u64 ns)
{
	vsc_nl_vq_event(vq, from, to, ns, VHOST_SIDECORE_CMD_VQ_MOVE_NTF);
}

static void vsc_nl_vq_broken(struct vsc_vq *vq)
{
	vsc_nl_vq_event(vq, 0, 0, 0, VHOST_SIDECORE_CMD_VQ_BROKEN_NTF);
}

static void vsc_nl_core_changed(struct vsc_sidecore *sc,
				enum vsc_core_state state)
{
	static const u32 uapi_state[] = {
		[VSC_CORE_POLLING] = VHOST_SIDECORE_CORE_STATE_RUNNING,
		[VSC_CORE_PARKED] = VHOST_SIDECORE_CORE_STATE_PARKED,
		[VSC_CORE_STOPPING] = VHOST_SIDECORE_CORE_STATE_STOPPED,
	};
	struct sk_buff *msg;

	if (!vsc_nl_listening())
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (vsc_nl_fill_core(msg, sc, 0, 0, 0,
			     VHOST_SIDECORE_CMD_CORE_STATE_NTF,
			     uapi_state[state])) {
		nlmsg_free(msg);
		return;
	}
	vsc_nl_send(msg);
}

/* --- the family --- */

/*
 * Events name other VMs' devices: joining the group needs CAP_NET_ADMIN,
 * as the spec says (admin-perm). The generator (6.12) cannot write that
 * flag, so the group table is ours; a kernel that cannot check it gets
 * no module rather than an open group.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "this kernel has no GENL_MCAST_CAP_NET_ADMIN: the monitor group would be open to all"
#endif
static const struct genl_multicast_group vsc_nl_mcgrps[] = {
	[VHOST_SIDECORE_NLGRP_MONITOR] = {
		.name = VHOST_SIDECORE_MCGRP_MONITOR,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

#ifndef VSC_HAVE_GENL_SPLIT_OPS
/*
 * Before 6.2 a command is one struct genl_ops, its doit and dumpit sharing
 * one policy, and the generated table's type is that (compat-nl.h). Fold
 * each command's do and dump entries into one. A dump then parses with its
 * do's policy: the only dump of ours (dev-get) refuses any attribute
 * itself.
 */
static struct genl_ops vsc_nl_ops[ARRAY_SIZE(vhost_sidecore_nl_ops)] __ro_after_init;

static int vsc_nl_fold_ops(void)
{
	const u8 cap = GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP;
	const struct genl_ops *s;
	struct genl_ops *o = NULL;
	unsigned int i, n = 0;

	/* The generator lists a command's do, then its dump, in order. */
	for (i = 0; i < ARRAY_SIZE(vhost_sidecore_nl_ops); i++) {
		s = &vhost_sidecore_nl_ops[i];
		if (!o || o->cmd != s->cmd) {
			o = &vsc_nl_ops[n++];
			*o = *s;
			o->flags &= ~cap;
			continue;
		}
		if (o->dumpit || s->doit || ((o->flags ^ s->flags) & ~cap) ||
		    (s->policy && s->policy != o->policy)) {
			pr_err("netlink: command %u: its do and dump differ in more than their handlers, which this kernel cannot hold\n",
			       s->cmd);
			return -EINVAL;
		}
		o->dumpit = s->dumpit;
	}
	vsc_nl_family.n_ops = n;
	return 0;
}
#endif

static struct genl_family vsc_nl_family __ro_after_init = {
	.name = VHOST_SIDECORE_FAMILY_NAME,
	.version = VHOST_SIDECORE_FAMILY_VERSION,
	.module = THIS_MODULE,
#ifdef VSC_HAVE_GENL_SPLIT_OPS
	.split_ops = vhost_sidecore_nl_ops,
	.n_split_ops = ARRAY_SIZE(vhost_sidecore_nl_ops),
#else
	.ops = vsc_nl_ops,	/* .n_ops: vsc_nl_fold_ops() */
#endif
	/*
	 * New family: every operation strict and, before 6.2, none taking
	 * attributes without a policy (split operations are always strict).
	 */
	.resv_start_op = VHOST_SIDECORE_CMD_DEV_GET,
	.mcgrps = vsc_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vsc_nl_mcgrps),
	.parallel_ops = true,
	/* No .netnsok: the initial network namespace only. */
};

/* A request for the family loads the module (modprobe by alias). */
MODULE_ALIAS_GENL_FAMILY(VHOST_SIDECORE_FAMILY_NAME);

int vsc_netlink_init(void)
{
	int r;

	/* The spec's bound on a vq index (its policy) and "on demand". */
	BUILD_BUG_ON(VHOST_SIDECORE_MAX_VQ_INDEX + 1 != VSC_NET_NVQS);
	BUILD_BUG_ON(VHOST_SIDECORE_CPU_ONDEMAND != VSC_TARGET_ONDEMAND);
#ifndef VSC_HAVE_GENL_SPLIT_OPS
	r = vsc_nl_fold_ops();
	if (r)
		return r;
#endif
	r = genl_register_family(&vsc_nl_family);
	if (r)
		return r;
	mutex_lock(&vsc_exec_lock);
	vsc_exec_moved = vsc_nl_vq_moved;
	vsc_exec_core_changed = vsc_nl_core_changed;
	vsc_exec_broken = vsc_nl_vq_broken;
	mutex_unlock(&vsc_exec_lock);
	WRITE_ONCE(vsc_nl_registered, true);
	return 0;
}

void vsc_netlink_exit(void)
{
	WRITE_ONCE(vsc_nl_registered, false);
	mutex_lock(&vsc_exec_lock);
	vsc_exec_moved = NULL;
	vsc_exec_core_changed = NULL;
	vsc_exec_broken = NULL;
	mutex_unlock(&vsc_exec_lock);
	genl_unregister_family(&vsc_nl_family);
}
