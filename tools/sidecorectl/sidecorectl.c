// SPDX-License-Identifier: GPL-2.0
/*
 * sidecorectl: control and watch vhost-sidecore through its generic
 * netlink family (Documentation/netlink/specs/vhost_sidecore.yaml).
 * One command table drives dispatch and --help; every command prints
 * through print.h, so that -j gives JSON from the same calls.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/vhost_sidecore.h>

#include "nl.h"
#include "print.h"
#include "sidecorectl.h"

#ifndef SIDECORECTL_VERSION
#define SIDECORECTL_VERSION	"unknown"
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static bool opt_json, opt_pretty, opt_stats;

/* --- names --- */

static const char *const policy_names[] = {
	[VHOST_SIDECORE_POLICY_ONDEMAND] = "ondemand",
	[VHOST_SIDECORE_POLICY_SIDECORE] = "sidecore",
	[VHOST_SIDECORE_POLICY_MANUAL] = "manual",
	[VHOST_SIDECORE_POLICY_DYNAMIC] = "dynamic",
};

static const char *const mode_names[] = {
	[VHOST_SIDECORE_VQ_MODE_ONDEMAND] = "ondemand",
	[VHOST_SIDECORE_VQ_MODE_SIDECORE] = "sidecore",
};

static const char *const state_names[] = {
	[VHOST_SIDECORE_CORE_STATE_RUNNING] = "running",
	[VHOST_SIDECORE_CORE_STATE_PARKED] = "parked",
	[VHOST_SIDECORE_CORE_STATE_STOPPED] = "stopped",
};

/* @names[@v], or "unknown(V)" in @buf for a value this tool predates. */
static const char *enum_name(const char *const *names, size_t n, uint32_t v,
			     char *buf, size_t len)
{
	if (v < n && names[v])
		return names[v];
	snprintf(buf, len, "unknown(%u)", v);
	return buf;
}

/* Where a vq runs: a sidecore's CPU, or -1 for its on-demand worker. */
static const char *where_name(int cpu, char *buf, size_t len)
{
	if (cpu < 0)
		return "ondemand";
	snprintf(buf, len, "cpu %d", cpu);
	return buf;
}

/* As a number in JSON (-1: ondemand), in words in text. */
static void print_where(const char *key, const char *fmt, int cpu)
{
	char buf[32];

	pr_int(key, NULL, cpu);
	pr_string(NULL, fmt, where_name(cpu, buf, sizeof(buf)));
}

/*
 * The configuration keys: the sysfs file names, in the order of the
 * family's attributes.
 */
enum key_type { KEY_POLICY, KEY_CPUS, KEY_U32 };

struct key {
	const char *name;
	int attr;
	enum key_type type;
};

static const struct key keys[] = {
	{ "policy", VHOST_SIDECORE_A_CONFIG_POLICY, KEY_POLICY },
	{ "cpus", VHOST_SIDECORE_A_CONFIG_CPUS, KEY_CPUS },
	{ "sidecores", VHOST_SIDECORE_A_CONFIG_SIDECORES, KEY_U32 },
	{ "interval_ms", VHOST_SIDECORE_A_CONFIG_INTERVAL_MS, KEY_U32 },
	{ "busy_load", VHOST_SIDECORE_A_CONFIG_BUSY_LOAD, KEY_U32 },
	{ "light_load", VHOST_SIDECORE_A_CONFIG_LIGHT_LOAD, KEY_U32 },
	{ "busy_pps", VHOST_SIDECORE_A_CONFIG_BUSY_PPS, KEY_U32 },
	{ "light_pps", VHOST_SIDECORE_A_CONFIG_LIGHT_PPS, KEY_U32 },
	{ "core_busy", VHOST_SIDECORE_A_CONFIG_CORE_BUSY, KEY_U32 },
	{ "core_light", VHOST_SIDECORE_A_CONFIG_CORE_LIGHT, KEY_U32 },
	{ "balance", VHOST_SIDECORE_A_CONFIG_BALANCE, KEY_U32 },
	{ "dwell_ms", VHOST_SIDECORE_A_CONFIG_DWELL_MS, KEY_U32 },
	{ "grace_ms", VHOST_SIDECORE_A_CONFIG_GRACE_MS, KEY_U32 },
	{ "pref", VHOST_SIDECORE_A_CONFIG_PREF, KEY_U32 },
	{ "regret", VHOST_SIDECORE_A_CONFIG_REGRET, KEY_U32 },
	{ "backoff_ms", VHOST_SIDECORE_A_CONFIG_BACKOFF_MS, KEY_U32 },
};

/* Request attribute names, for the kernel's "attribute at fault". */
static const char *config_attr_names[VHOST_SIDECORE_A_CONFIG_MAX + 1];

static void config_attr_names_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		config_attr_names[keys[i].attr] = keys[i].name;
}

static const char *const dev_attr_names[] = {
	[VHOST_SIDECORE_A_DEV_ID] = "id",
};

static const char *const move_attr_names[] = {
	[VHOST_SIDECORE_A_MOVE_DEV] = "dev",
	[VHOST_SIDECORE_A_MOVE_VQ] = "vq",
	[VHOST_SIDECORE_A_MOVE_CPU] = "cpu",
};

/* --- attribute policies (types only: the kernel is the validator) --- */

static struct nla_policy vq_policy[VHOST_SIDECORE_A_VQ_MAX + 1] = {
	[VHOST_SIDECORE_A_VQ_INDEX] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_VQ_MODE] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_VQ_CPU] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_VQ_PACKETS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_BYTES] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_KICKS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_SIGNALS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_DROPS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_BROKEN] = { .type = NLA_FLAG },
	[VHOST_SIDECORE_A_VQ_HANDED_OFF] = { .type = NLA_FLAG },
	[VHOST_SIDECORE_A_VQ_HANDOFFS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_RUN_NS_MAX] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_RUN_FRAMES_MAX] = { .type = NLA_U64 },
};

static struct nla_policy dev_policy[VHOST_SIDECORE_A_DEV_MAX + 1] = {
	[VHOST_SIDECORE_A_DEV_ID] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_DEV_OWNER_PID] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_DEV_OWNER_COMM] = { .type = NLA_STRING },
	[VHOST_SIDECORE_A_DEV_VQ] = { .type = NLA_NESTED },
};

static struct nla_policy core_policy[VHOST_SIDECORE_A_CORE_MAX + 1] = {
	[VHOST_SIDECORE_A_CORE_CPU] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CORE_STATE] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CORE_VQS] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CORE_BUSY_NS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_CORE_IDLE_NS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_CORE_PACKETS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_CORE_MM_SWITCHES] = { .type = NLA_U64 },
};

static struct nla_policy config_policy[VHOST_SIDECORE_A_CONFIG_MAX + 1] = {
	[VHOST_SIDECORE_A_CONFIG_POLICY] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_CPUS] = { .type = NLA_STRING },
	[VHOST_SIDECORE_A_CONFIG_SIDECORES] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_INTERVAL_MS] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_BUSY_LOAD] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_LIGHT_LOAD] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_BUSY_PPS] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_LIGHT_PPS] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_CORE_BUSY] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_CORE_LIGHT] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_BALANCE] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_DWELL_MS] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_GRACE_MS] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_PREF] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_REGRET] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_CONFIG_BACKOFF_MS] = { .type = NLA_U32 },
};

static struct nla_policy move_policy[VHOST_SIDECORE_A_MOVE_MAX + 1] = {
	[VHOST_SIDECORE_A_MOVE_DEV] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_MOVE_VQ] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_MOVE_CPU] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_MOVE_FROM] = { .type = NLA_U32 },
	[VHOST_SIDECORE_A_MOVE_NS] = { .type = NLA_U64 },
};

/* --- command line helpers --- */

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG " --help'.\n", stderr);
	return EXIT_USAGE;
}

/* A decimal number from 0 to @max, nothing before or after it. */
static int parse_u32(const char *s, unsigned long long max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Which of @words @word names, exactly or as an unambiguous prefix:
 * its index, -1 for none, -2 for more than one.
 */
static int match_word(const char *word, const char *const *words, int n)
{
	size_t len = strlen(word);
	int i, found = -1;

	if (!len)
		return -1;
	for (i = 0; i < n; i++) {
		if (!strcmp(word, words[i]))
			return i;
		if (!strncmp(word, words[i], len))
			found = found == -1 ? i : -2;
	}
	return found;
}

static void list_words(FILE *f, const char *const *words, int n,
		       const char *sep)
{
	int i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? sep : "", words[i]);
}

/* --- printing the family's messages --- */

static void print_config(struct nlattr **tb, bool oneline)
{
	const char *pre = oneline ? " " : "";
	const char *post = oneline ? "" : "\n";
	const struct key *k;
	char fmt[64], buf[32];
	const char *s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		k = &keys[i];
		if (!tb[k->attr])
			continue;
		switch (k->type) {
		case KEY_POLICY:
			snprintf(fmt, sizeof(fmt), "%s%s %%s%s", pre, k->name,
				 post);
			pr_string(k->name, fmt,
				  enum_name(policy_names,
					    ARRAY_SIZE(policy_names),
					    nla_get_u32(tb[k->attr]),
					    buf, sizeof(buf)));
			break;
		case KEY_CPUS:
			s = nla_get_string(tb[k->attr]);
			snprintf(fmt, sizeof(fmt), "%s%s %%s%s", pre, k->name,
				 post);
			pr_string(k->name, NULL, s);
			pr_string(NULL, fmt, *s ? s : "(none)");
			break;
		case KEY_U32:
			snprintf(fmt, sizeof(fmt), "%s%s %%llu%s", pre,
				 k->name, post);
			pr_uint(k->name, fmt, nla_get_u32(tb[k->attr]));
			break;
		}
	}
}

static const char *const vq_names[] = { "rx", "tx" };

static int print_vq(struct nlattr *nest)
{
	struct nlattr *tb[VHOST_SIDECORE_A_VQ_MAX + 1];
	uint32_t index, mode;
	char buf[32];

	if (nla_parse_nested(tb, VHOST_SIDECORE_A_VQ_MAX, nest, vq_policy) ||
	    !tb[VHOST_SIDECORE_A_VQ_INDEX] || !tb[VHOST_SIDECORE_A_VQ_MODE])
		return -1;
	index = nla_get_u32(tb[VHOST_SIDECORE_A_VQ_INDEX]);
	mode = nla_get_u32(tb[VHOST_SIDECORE_A_VQ_MODE]);

	pr_open_object(NULL);
	pr_uint("index", "\tvq %llu", index);
	if (index < ARRAY_SIZE(vq_names))
		pr_text(" (%s)", vq_names[index]);
	pr_string("mode", " %s", enum_name(mode_names, ARRAY_SIZE(mode_names),
					   mode, buf, sizeof(buf)));
	if (mode == VHOST_SIDECORE_VQ_MODE_SIDECORE &&
	    tb[VHOST_SIDECORE_A_VQ_CPU] &&
	    (int32_t)nla_get_u32(tb[VHOST_SIDECORE_A_VQ_CPU]) >= 0)
		pr_int("cpu", " cpu %lld",
		       (int32_t)nla_get_u32(tb[VHOST_SIDECORE_A_VQ_CPU]));
	pr_flag("handed_off", " handed-off",
		tb[VHOST_SIDECORE_A_VQ_HANDED_OFF] != NULL);
	pr_flag("broken", " broken", tb[VHOST_SIDECORE_A_VQ_BROKEN] != NULL);
	pr_text("\n");
	if (opt_stats) {
		pr_text("\t\t");
		if (tb[VHOST_SIDECORE_A_VQ_PACKETS])
			pr_uint("packets", "packets %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_VQ_PACKETS]));
		if (tb[VHOST_SIDECORE_A_VQ_BYTES])
			pr_uint("bytes", " bytes %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_VQ_BYTES]));
		if (tb[VHOST_SIDECORE_A_VQ_KICKS])
			pr_uint("kicks", " kicks %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_VQ_KICKS]));
		if (tb[VHOST_SIDECORE_A_VQ_SIGNALS])
			pr_uint("signals", " signals %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_VQ_SIGNALS]));
		if (tb[VHOST_SIDECORE_A_VQ_DROPS])
			pr_uint("drops", " drops %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_VQ_DROPS]));
		if (tb[VHOST_SIDECORE_A_VQ_HANDOFFS])
			pr_uint("handoffs", " handoffs %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_VQ_HANDOFFS]));
		if (tb[VHOST_SIDECORE_A_VQ_RUN_NS_MAX])
			pr_uint("run_ns_max", " run-ns-max %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_VQ_RUN_NS_MAX]));
		if (tb[VHOST_SIDECORE_A_VQ_RUN_FRAMES_MAX])
			pr_uint("run_frames_max", " run-frames-max %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_VQ_RUN_FRAMES_MAX]));
		pr_text("\n");
	}
	pr_close_object();
	return 0;
}

/* --- status --- */

struct status {
	bool have_config;
	uint32_t policy;
	char *cpus;
	uint32_t sidecores;
	unsigned long long devices, vqs, vqs_ondemand, vqs_sidecore;
	unsigned long long vqs_broken, cores_running, cores_parked;
};

static int status_config(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_CONFIG_MAX + 1];
	struct status *st = arg;
	uint8_t cmd;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_CONFIG_MAX, config_policy,
			 &cmd) || cmd != VHOST_SIDECORE_CMD_CONFIG_GET ||
	    !tb[VHOST_SIDECORE_A_CONFIG_POLICY] ||
	    !tb[VHOST_SIDECORE_A_CONFIG_CPUS] ||
	    !tb[VHOST_SIDECORE_A_CONFIG_SIDECORES])
		return -1;
	free(st->cpus);
	st->cpus = strdup(nla_get_string(tb[VHOST_SIDECORE_A_CONFIG_CPUS]));
	if (!st->cpus)
		return -1;
	st->policy = nla_get_u32(tb[VHOST_SIDECORE_A_CONFIG_POLICY]);
	st->sidecores = nla_get_u32(tb[VHOST_SIDECORE_A_CONFIG_SIDECORES]);
	st->have_config = true;
	return 0;
}

static int status_dev(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_DEV_MAX + 1];
	struct nlattr *vq[VHOST_SIDECORE_A_VQ_MAX + 1];
	struct status *st = arg;
	struct genlmsghdr *gh;
	struct nlattr *pos;
	uint8_t cmd;
	int rem;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_DEV_MAX, dev_policy, &cmd) ||
	    cmd != VHOST_SIDECORE_CMD_DEV_GET)
		return -1;
	st->devices++;
	gh = genlmsg_hdr(nlmsg_hdr(msg));
	nla_for_each_attr(pos, genlmsg_attrdata(gh, 0),
			  genlmsg_attrlen(gh, 0), rem) {
		if (nla_type(pos) != VHOST_SIDECORE_A_DEV_VQ)
			continue;
		if (nla_parse_nested(vq, VHOST_SIDECORE_A_VQ_MAX, pos,
				     vq_policy) || !vq[VHOST_SIDECORE_A_VQ_MODE])
			return -1;
		st->vqs++;
		if (nla_get_u32(vq[VHOST_SIDECORE_A_VQ_MODE]) ==
		    VHOST_SIDECORE_VQ_MODE_SIDECORE)
			st->vqs_sidecore++;
		else
			st->vqs_ondemand++;
		if (vq[VHOST_SIDECORE_A_VQ_BROKEN])
			st->vqs_broken++;
	}
	return 0;
}

static int status_core(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_CORE_MAX + 1];
	struct status *st = arg;
	uint8_t cmd;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_CORE_MAX, core_policy,
			 &cmd) || cmd != VHOST_SIDECORE_CMD_CORE_GET ||
	    !tb[VHOST_SIDECORE_A_CORE_STATE])
		return -1;
	if (nla_get_u32(tb[VHOST_SIDECORE_A_CORE_STATE]) ==
	    VHOST_SIDECORE_CORE_STATE_PARKED)
		st->cores_parked++;
	else
		st->cores_running++;
	return 0;
}

static void print_status(const struct status *st)
{
	char buf[32];

	pr_open_object(NULL);
	pr_string("policy", "policy %s",
		  enum_name(policy_names, ARRAY_SIZE(policy_names), st->policy,
			    buf, sizeof(buf)));
	pr_string("cpus", NULL, st->cpus);
	pr_string(NULL, " cpus %s", *st->cpus ? st->cpus : "(none)");
	pr_uint("sidecores", " sidecores %llu", st->sidecores);
	pr_text(st->sidecores ? "\n" : " (one per CPU)\n");
	pr_uint("devices", "devices %llu", st->devices);
	pr_uint("vqs", " vqs %llu", st->vqs);
	pr_uint("vqs_ondemand", " (ondemand %llu", st->vqs_ondemand);
	pr_uint("vqs_sidecore", ", sidecore %llu", st->vqs_sidecore);
	pr_uint("vqs_broken", ", broken %llu)\n", st->vqs_broken);
	pr_uint("cores_running", "cores running %llu", st->cores_running);
	pr_uint("cores_parked", " parked %llu\n", st->cores_parked);
	pr_close_object();
}

static int do_status(int argc, char **argv)
{
	struct status st = { 0 };
	struct vsc_nl nl;
	struct nl_msg *msg;
	int ret;

	if (argc)
		return usage_error("status: unexpected argument '%s'", argv[0]);
	ret = vsc_nl_open(&nl, "status");
	if (ret)
		return ret;
	ret = EXIT_FAIL;
	msg = vsc_nl_msg(&nl, VHOST_SIDECORE_CMD_CONFIG_GET, 0);
	if (!msg || vsc_nl_request(&nl, msg, status_config, &st, NULL, 0))
		goto out;
	msg = vsc_nl_msg(&nl, VHOST_SIDECORE_CMD_DEV_GET, NLM_F_DUMP);
	if (!msg || vsc_nl_request(&nl, msg, status_dev, &st, NULL, 0))
		goto out;
	msg = vsc_nl_msg(&nl, VHOST_SIDECORE_CMD_CORE_GET, NLM_F_DUMP);
	if (!msg || vsc_nl_request(&nl, msg, status_core, &st, NULL, 0))
		goto out;
	if (!st.have_config) {
		fprintf(stderr, "%s: status: no configuration in the reply\n",
			PROG);
		goto out;
	}
	print_status(&st);
	ret = EXIT_OK;
out:
	free(st.cpus);
	vsc_nl_close(&nl);
	return ret;
}

/*
 * dev show and core show print a JSON array of what comes, opened with
 * the first element (or at the end): a refusal prints nothing.
 */
static void open_list(bool *opened)
{
	if (!*opened)
		pr_open_array(NULL);
	*opened = true;
}

/* --- dev show --- */

static int dev_print(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_DEV_MAX + 1];
	struct genlmsghdr *gh;
	struct nlattr *pos;
	uint8_t cmd;
	int rem;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_DEV_MAX, dev_policy, &cmd) ||
	    cmd != VHOST_SIDECORE_CMD_DEV_GET || !tb[VHOST_SIDECORE_A_DEV_ID])
		return -1;
	open_list(arg);
	pr_open_object(NULL);
	pr_uint("id", "dev %llu", nla_get_u32(tb[VHOST_SIDECORE_A_DEV_ID]));
	if (tb[VHOST_SIDECORE_A_DEV_OWNER_PID])
		pr_uint("owner_pid", " owner_pid %llu",
			nla_get_u32(tb[VHOST_SIDECORE_A_DEV_OWNER_PID]));
	if (tb[VHOST_SIDECORE_A_DEV_OWNER_COMM])
		pr_string("owner_comm", " comm %s",
			  nla_get_string(tb[VHOST_SIDECORE_A_DEV_OWNER_COMM]));
	pr_text("\n");
	/* The vq nests (a multi-attr), in order. */
	pr_open_array("vqs");
	gh = genlmsg_hdr(nlmsg_hdr(msg));
	nla_for_each_attr(pos, genlmsg_attrdata(gh, 0),
			  genlmsg_attrlen(gh, 0), rem)
		if (nla_type(pos) == VHOST_SIDECORE_A_DEV_VQ && print_vq(pos))
			return -1;
	pr_close_array();
	pr_close_object();
	return 0;
}

static int do_dev_show(int argc, char **argv)
{
	struct vsc_nl nl;
	struct nl_msg *msg;
	bool opened = false;
	uint32_t id = 0;
	int ret;

	if (argc > 1)
		return usage_error("dev show: unexpected argument '%s'",
				   argv[1]);
	if (argc && parse_u32(argv[0], UINT32_MAX, &id))
		return usage_error("dev show: '%s' is not a device id",
				   argv[0]);
	ret = vsc_nl_open(&nl, "dev show");
	if (ret)
		return ret;
	msg = vsc_nl_msg(&nl, VHOST_SIDECORE_CMD_DEV_GET, argc ? 0 : NLM_F_DUMP);
	if (!msg || (argc && nla_put_u32(msg, VHOST_SIDECORE_A_DEV_ID, id))) {
		if (msg)
			fprintf(stderr, "%s: dev show: message too large\n",
				PROG);
		nlmsg_free(msg);
		vsc_nl_close(&nl);
		return EXIT_FAIL;
	}
	ret = vsc_nl_request(&nl, msg, dev_print, &opened, dev_attr_names,
			     ARRAY_SIZE(dev_attr_names));
	if (!ret) {
		open_list(&opened);
		pr_close_array();
	}
	vsc_nl_close(&nl);
	return ret;
}

/* --- core show --- */

static int core_print(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_CORE_MAX + 1];
	unsigned long long busy = 0, idle = 0;
	char buf[32];
	uint8_t cmd;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_CORE_MAX, core_policy,
			 &cmd) || cmd != VHOST_SIDECORE_CMD_CORE_GET ||
	    !tb[VHOST_SIDECORE_A_CORE_CPU] || !tb[VHOST_SIDECORE_A_CORE_STATE])
		return -1;
	open_list(arg);
	pr_open_object(NULL);
	pr_uint("cpu", "cpu %llu", nla_get_u32(tb[VHOST_SIDECORE_A_CORE_CPU]));
	pr_string("state", " state %s",
		  enum_name(state_names, ARRAY_SIZE(state_names),
			    nla_get_u32(tb[VHOST_SIDECORE_A_CORE_STATE]),
			    buf, sizeof(buf)));
	if (tb[VHOST_SIDECORE_A_CORE_VQS])
		pr_uint("vqs", " vqs %llu",
			nla_get_u32(tb[VHOST_SIDECORE_A_CORE_VQS]));
	pr_text("\n");
	if (opt_stats) {
		if (tb[VHOST_SIDECORE_A_CORE_BUSY_NS])
			busy = nla_get_u64(tb[VHOST_SIDECORE_A_CORE_BUSY_NS]);
		if (tb[VHOST_SIDECORE_A_CORE_IDLE_NS])
			idle = nla_get_u64(tb[VHOST_SIDECORE_A_CORE_IDLE_NS]);
		pr_uint("busy_ns", "\tbusy_ns %llu", busy);
		pr_uint("idle_ns", " idle_ns %llu", idle);
		pr_float("busy_pct", " busy %.1f%%",
			 busy + idle ? 100.0 * busy / ((double)busy + idle) : 0);
		if (tb[VHOST_SIDECORE_A_CORE_PACKETS])
			pr_uint("packets", " packets %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_CORE_PACKETS]));
		if (tb[VHOST_SIDECORE_A_CORE_MM_SWITCHES])
			pr_uint("mm_switches", " mm_switches %llu",
				nla_get_u64(tb[VHOST_SIDECORE_A_CORE_MM_SWITCHES]));
		pr_text("\n");
	}
	pr_close_object();
	return 0;
}

static int do_core_show(int argc, char **argv)
{
	struct vsc_nl nl;
	struct nl_msg *msg;
	bool opened = false;
	int ret;

	if (argc)
		return usage_error("core show: unexpected argument '%s'",
				   argv[0]);
	ret = vsc_nl_open(&nl, "core show");
	if (ret)
		return ret;
	msg = vsc_nl_msg(&nl, VHOST_SIDECORE_CMD_CORE_GET, NLM_F_DUMP);
	if (!msg) {
		vsc_nl_close(&nl);
		return EXIT_FAIL;
	}
	ret = vsc_nl_request(&nl, msg, core_print, &opened, NULL, 0);
	if (!ret) {
		open_list(&opened);
		pr_close_array();
	}
	vsc_nl_close(&nl);
	return ret;
}

/* --- config show / set --- */

static int config_print(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_CONFIG_MAX + 1];
	uint8_t cmd;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_CONFIG_MAX, config_policy,
			 &cmd) || cmd != VHOST_SIDECORE_CMD_CONFIG_GET)
		return -1;
	pr_open_object(NULL);
	print_config(tb, false);
	pr_close_object();
	return 0;
}

static int do_config_show(int argc, char **argv)
{
	struct vsc_nl nl;
	struct nl_msg *msg;
	int ret;

	if (argc)
		return usage_error("config show: unexpected argument '%s'",
				   argv[0]);
	ret = vsc_nl_open(&nl, "config show");
	if (ret)
		return ret;
	msg = vsc_nl_msg(&nl, VHOST_SIDECORE_CMD_CONFIG_GET, 0);
	ret = msg ? vsc_nl_request(&nl, msg, config_print, NULL, NULL, 0) :
		    EXIT_FAIL;
	vsc_nl_close(&nl);
	return ret;
}

static void list_keys(FILE *f, const char *sep)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		fprintf(f, "%s%s", i ? sep : "", keys[i].name);
}

/* The key names, indented, in lines that fit 80 columns. */
static void list_keys_wrapped(FILE *f)
{
	size_t i, col = 0;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (col && col + 1 + strlen(keys[i].name) > 78) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, "%s%s", col ? " " : "  ", keys[i].name);
	}
	fputc('\n', f);
}

static const struct key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(name, keys[i].name))
			return &keys[i];
	return NULL;
}

/* The longest CPU list the kernel takes (its policy's limit). */
#define CPUS_MAX_LEN	4096

static int do_config_set(int argc, char **argv)
{
	struct {
		const struct key *key;
		const char *s;
		uint32_t v;
	} set[ARRAY_SIZE(keys)];
	bool seen[ARRAY_SIZE(keys)] = { false };
	const struct key *k;
	struct vsc_nl nl;
	struct nl_msg *msg;
	int i, n = 0, r = 0, ret;

	if (!argc)
		return usage_error("config set: expected KEY VALUE [KEY VALUE ...]");
	if (argc % 2)
		return usage_error("config set: key '%s' has no value",
				   argv[argc - 1]);
	/* Everything checked before anything is sent. */
	for (i = 0; i < argc; i += 2) {
		k = find_key(argv[i]);
		if (!k) {
			fprintf(stderr, "%s: config set: unknown key '%s'\nvalid keys: ",
				PROG, argv[i]);
			list_keys(stderr, " ");
			fputs("\nTry '" PROG " --help'.\n", stderr);
			return EXIT_USAGE;
		}
		if (seen[k - keys])
			return usage_error("config set: key '%s' given twice",
					   k->name);
		seen[k - keys] = true;
		set[n].key = k;
		set[n].s = argv[i + 1];
		switch (k->type) {
		case KEY_POLICY:
			r = match_word(argv[i + 1], policy_names,
				       ARRAY_SIZE(policy_names));
			if (r < 0 || strcmp(argv[i + 1], policy_names[r])) {
				fprintf(stderr, "%s: config set: policy: '%s' is not one of ",
					PROG, argv[i + 1]);
				list_words(stderr, policy_names,
					   ARRAY_SIZE(policy_names), ", ");
				fputs("\nTry '" PROG " --help'.\n", stderr);
				return EXIT_USAGE;
			}
			set[n].v = r;
			break;
		case KEY_CPUS:
			if (strlen(argv[i + 1]) >= CPUS_MAX_LEN)
				return usage_error("config set: cpus: CPU list longer than %d characters",
						   CPUS_MAX_LEN - 1);
			break;
		case KEY_U32:
			if (parse_u32(argv[i + 1], UINT32_MAX, &set[n].v))
				return usage_error("config set: %s: '%s' is not a number from 0 to %u",
						   k->name, argv[i + 1],
						   UINT32_MAX);
			break;
		}
		n++;
	}

	ret = vsc_nl_open(&nl, "config set");
	if (ret)
		return ret;
	msg = vsc_nl_msg(&nl, VHOST_SIDECORE_CMD_CONFIG_SET, 0);
	if (!msg) {
		vsc_nl_close(&nl);
		return EXIT_FAIL;
	}
	r = 0;
	for (i = 0; i < n && !r; i++) {
		if (set[i].key->type == KEY_CPUS)
			r = nla_put_string(msg, set[i].key->attr, set[i].s);
		else
			r = nla_put_u32(msg, set[i].key->attr, set[i].v);
	}
	if (r) {
		fprintf(stderr, "%s: config set: message too large\n", PROG);
		nlmsg_free(msg);
		vsc_nl_close(&nl);
		return EXIT_FAIL;
	}
	ret = vsc_nl_request(&nl, msg, NULL, NULL, config_attr_names,
			     ARRAY_SIZE(config_attr_names));
	vsc_nl_close(&nl);
	return ret;
}

/* --- vq move --- */

struct move {
	uint32_t dev, vq;
	bool seen;		/* the kernel said where from, how long */
	int from, to;
	unsigned long long ns;
};

/* The reply to vq-move: where the vq was and is, how long it took. */
static int move_result(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_MOVE_MAX + 1];
	struct move *m = arg;
	uint8_t cmd;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_MOVE_MAX, move_policy, &cmd))
		return -1;
	if (cmd != VHOST_SIDECORE_CMD_VQ_MOVE ||
	    !tb[VHOST_SIDECORE_A_MOVE_FROM] || !tb[VHOST_SIDECORE_A_MOVE_CPU])
		return 0;
	m->from = (int32_t)nla_get_u32(tb[VHOST_SIDECORE_A_MOVE_FROM]);
	m->to = (int32_t)nla_get_u32(tb[VHOST_SIDECORE_A_MOVE_CPU]);
	m->ns = tb[VHOST_SIDECORE_A_MOVE_NS] ?
		nla_get_u64(tb[VHOST_SIDECORE_A_MOVE_NS]) : 0;
	m->seen = true;
	return 0;
}

/* What the move did; a vq already in place was not moved. */
static void print_move(const struct move *m)
{
	pr_open_object(NULL);
	pr_uint("dev", "dev %llu", m->dev);
	pr_uint("vq", " vq %llu", m->vq);
	if (m->seen && m->from != m->to) {
		print_where("from", ": %s", m->from);
		print_where("to", " -> %s", m->to);
		pr_uint("ns", " in %llu ns", m->ns);
		pr_flag("moved", NULL, true);
	} else {
		print_where("to", ": already on %s", m->to);
		pr_flag("moved", NULL, false);
	}
	pr_text("\n");
	pr_close_object();
}

static const char *const target_words[] = { "core", "ondemand" };

static int do_vq_move(int argc, char **argv)
{
	static const char *const grammar =
		"expected DEV VQ core CPU | DEV VQ ondemand";
	struct move m = { 0 };
	struct vsc_nl nl;
	struct nl_msg *msg;
	uint32_t cpu;
	int target, ret;

	if (argc < 3)
		return usage_error("vq move: %s", grammar);
	if (parse_u32(argv[0], UINT32_MAX, &m.dev))
		return usage_error("vq move: '%s' is not a device id", argv[0]);
	if (!strcmp(argv[1], "rx"))
		m.vq = 0;
	else if (!strcmp(argv[1], "tx"))
		m.vq = 1;
	else if (parse_u32(argv[1], UINT32_MAX, &m.vq))
		return usage_error("vq move: '%s' is not a vq index (0 or rx, 1 or tx)",
				   argv[1]);
	target = match_word(argv[2], target_words, ARRAY_SIZE(target_words));
	if (target == 0) {
		if (argc < 4)
			return usage_error("vq move: core needs a CPU number");
		if (parse_u32(argv[3], INT32_MAX, &cpu))
			return usage_error("vq move: '%s' is not a CPU number",
					   argv[3]);
		if (argc > 4)
			return usage_error("vq move: unexpected argument '%s'",
					   argv[4]);
		m.to = cpu;
	} else if (target == 1) {
		if (argc > 3)
			return usage_error("vq move: unexpected argument '%s'",
					   argv[3]);
		m.to = -1;
	} else {
		return usage_error("vq move: '%s': %s", argv[2], grammar);
	}

	ret = vsc_nl_open(&nl, "vq move");
	if (ret)
		return ret;
	msg = vsc_nl_msg(&nl, VHOST_SIDECORE_CMD_VQ_MOVE, 0);
	if (!msg) {
		vsc_nl_close(&nl);
		return EXIT_FAIL;
	}
	if (nla_put_u32(msg, VHOST_SIDECORE_A_MOVE_DEV, m.dev) ||
	    nla_put_u32(msg, VHOST_SIDECORE_A_MOVE_VQ, m.vq) ||
	    nla_put_s32(msg, VHOST_SIDECORE_A_MOVE_CPU, m.to)) {
		fprintf(stderr, "%s: vq move: message too large\n", PROG);
		nlmsg_free(msg);
		vsc_nl_close(&nl);
		return EXIT_FAIL;
	}
	ret = vsc_nl_request(&nl, msg, move_result, &m, move_attr_names,
			     ARRAY_SIZE(move_attr_names));
	vsc_nl_close(&nl);
	if (!ret)
		print_move(&m);
	return ret;
}

/* --- monitor --- */

static int event_print(struct nl_msg *msg, void *arg)
{
	struct nlattr *ctb[VHOST_SIDECORE_A_CONFIG_MAX + 1];
	struct nlattr *mtb[VHOST_SIDECORE_A_MOVE_MAX + 1];
	struct nlattr *otb[VHOST_SIDECORE_A_CORE_MAX + 1];
	char buf[32];
	uint8_t cmd;

	if (!genlmsg_valid_hdr(nlmsg_hdr(msg), 0))
		return -1;
	cmd = genlmsg_hdr(nlmsg_hdr(msg))->cmd;
	switch (cmd) {
	case VHOST_SIDECORE_CMD_CONFIG_CHANGE_NTF:
		if (vsc_nl_parse(msg, ctb, VHOST_SIDECORE_A_CONFIG_MAX,
				 config_policy, &cmd))
			return -1;
		pr_open_object(NULL);
		pr_string("event", "%s", "config-change");
		print_config(ctb, true);
		break;
	case VHOST_SIDECORE_CMD_VQ_MOVE_NTF:
	case VHOST_SIDECORE_CMD_VQ_BROKEN_NTF:
		if (vsc_nl_parse(msg, mtb, VHOST_SIDECORE_A_MOVE_MAX,
				 move_policy, &cmd) ||
		    !mtb[VHOST_SIDECORE_A_MOVE_DEV] ||
		    !mtb[VHOST_SIDECORE_A_MOVE_VQ])
			return -1;
		pr_open_object(NULL);
		pr_string("event", "%s",
			  cmd == VHOST_SIDECORE_CMD_VQ_MOVE_NTF ? "vq-move" :
								  "vq-broken");
		pr_uint("dev", " dev %llu",
			nla_get_u32(mtb[VHOST_SIDECORE_A_MOVE_DEV]));
		pr_uint("vq", " vq %llu",
			nla_get_u32(mtb[VHOST_SIDECORE_A_MOVE_VQ]));
		if (cmd != VHOST_SIDECORE_CMD_VQ_MOVE_NTF)
			break;
		if (mtb[VHOST_SIDECORE_A_MOVE_FROM])
			print_where("from", " from %s",
				    (int32_t)nla_get_u32(mtb[VHOST_SIDECORE_A_MOVE_FROM]));
		if (mtb[VHOST_SIDECORE_A_MOVE_CPU])
			print_where("to", " to %s",
				    (int32_t)nla_get_u32(mtb[VHOST_SIDECORE_A_MOVE_CPU]));
		if (mtb[VHOST_SIDECORE_A_MOVE_NS])
			pr_uint("ns", " ns %llu",
				nla_get_u64(mtb[VHOST_SIDECORE_A_MOVE_NS]));
		break;
	case VHOST_SIDECORE_CMD_CORE_STATE_NTF:
		if (vsc_nl_parse(msg, otb, VHOST_SIDECORE_A_CORE_MAX,
				 core_policy, &cmd) ||
		    !otb[VHOST_SIDECORE_A_CORE_CPU] ||
		    !otb[VHOST_SIDECORE_A_CORE_STATE])
			return -1;
		pr_open_object(NULL);
		pr_string("event", "%s", "core-state");
		pr_uint("cpu", " cpu %llu",
			nla_get_u32(otb[VHOST_SIDECORE_A_CORE_CPU]));
		pr_string("state", " state %s",
			  enum_name(state_names, ARRAY_SIZE(state_names),
				    nla_get_u32(otb[VHOST_SIDECORE_A_CORE_STATE]),
				    buf, sizeof(buf)));
		break;
	default:
		/* A newer kernel's event: say so rather than drop it. */
		pr_open_object(NULL);
		pr_string("event", "%s", "unknown");
		pr_uint("cmd", " cmd %llu", cmd);
		break;
	}
	pr_text("\n");
	pr_close_object();
	return 0;
}

static int do_monitor(int argc, char **argv)
{
	struct vsc_nl nl;
	int ret;

	if (argc)
		return usage_error("monitor: unexpected argument '%s'",
				   argv[0]);
	/* One event per line: never indented. */
	pr_init(opt_json, false);
	ret = vsc_nl_open(&nl, "monitor");
	if (ret)
		return ret;
	ret = vsc_nl_join(&nl, VHOST_SIDECORE_MCGRP_MONITOR);
	if (!ret)
		ret = vsc_nl_listen(&nl, event_print, NULL);
	vsc_nl_close(&nl);
	return ret;
}

/* --- the command table --- */

static int do_help(int argc, char **argv);

struct cmd {
	const char *obj;
	const char *verb;	/* NULL: the object alone is the command */
	const char *args;
	int (*fn)(int argc, char **argv);
	const char *help;
};

/* An object's first verb is its default ("dev" is "dev show"). */
static const struct cmd cmds[] = {
	{ "status", NULL, "", do_status,
	  "policy, CPUs, devices, vq placement, cores" },
	{ "dev", "show", "[ID]", do_dev_show,
	  "devices (one, or all) and their vqs" },
	{ "core", "show", "", do_core_show,
	  "the sidecores: CPU, state, vqs" },
	{ "config", "show", "", do_config_show,
	  "the configuration, keys named as in sysfs" },
	{ "config", "set", "KEY VALUE [KEY VALUE ...]", do_config_set,
	  "change keys in one step; all or nothing" },
	{ "vq", "move", "DEV VQ core CPU | DEV VQ ondemand", do_vq_move,
	  "move a vq to a sidecore or back (policy manual)" },
	{ "monitor", NULL, "", do_monitor,
	  "print events until interrupted" },
	{ "help", NULL, "[COMMAND]", do_help,
	  "this help" },
};

static void print_cmd(FILE *f, const struct cmd *c)
{
	char head[80];

	snprintf(head, sizeof(head), "%s%s%s%s%s", c->obj,
		 c->verb ? " " : "", c->verb ? c->verb : "",
		 *c->args ? " " : "", c->args);
	if (strlen(head) > 24)
		fprintf(f, "  %s\n  %-24s  %s\n", head, "", c->help);
	else
		fprintf(f, "  %-24s  %s\n", head, c->help);
}

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: " PROG " [-j|--json] [-p|--pretty] [-s|--stats] COMMAND [ARGS]\n"
	      "       " PROG " -h|--help | -V|--version\n"
	      "\n"
	      "Control and watch vhost-sidecore through its generic netlink family.\n"
	      "\n"
	      "Commands (any unambiguous prefix will do):\n", f);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		print_cmd(f, &cmds[i]);
	fputs("\n"
	      "Options:\n"
	      "  -j, --json      JSON output (monitor: one object per line)\n"
	      "  -p, --pretty    indent the JSON output\n"
	      "  -s, --stats     statistics too (dev show, core show)\n"
	      "  -h, --help      this help\n"
	      "  -V, --version   the version\n"
	      "\n"
	      "Keys of config set (as in /sys/kernel/vhost_sidecore):\n", f);
	list_keys_wrapped(f);
	fputs("  policy is ondemand, sidecore, manual or dynamic; cpus a CPU list\n"
	      "  like 2-3,6; the others decimal numbers (see sidecorectl(8)).\n"
	      "\n"
	      "Exit status: 0 done, 1 refused by the kernel, module not loaded or\n"
	      "I/O error, 2 bad command line.\n"
	      "\n"
	      "Examples:\n"
	      "  " PROG " config set policy dynamic cpus 2-3\n"
	      "  " PROG " -s dev show\n"
	      "  " PROG " vq move 1 0 core 2\n"
	      "  " PROG " -j monitor | jq -c 'select(.event == \"vq-move\")'\n", f);
}

/* The lines of @obj's commands; false if it has none. */
static bool help_obj(const char *obj)
{
	bool any = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(obj, cmds[i].obj))
			continue;
		if (!any)
			printf("Usage: %s [OPTIONS]\n", PROG);
		print_cmd(stdout, &cmds[i]);
		any = true;
	}
	return any;
}

static int do_help(int argc, char **argv)
{
	if (argc > 1)
		return usage_error("help: unexpected argument '%s'", argv[1]);
	if (!argc || !help_obj(argv[0]))
		usage(stdout);
	return EXIT_OK;
}

/* One of our options, given after the command by mistake. */
static bool is_option(const char *arg)
{
	static const char *const options[] = {
		"-j", "--json", "-p", "--pretty", "-s", "--stats",
		"-V", "--version",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(options); i++)
		if (!strcmp(arg, options[i]))
			return true;
	return false;
}

static int dispatch(int argc, char **argv)
{
	const char *words[ARRAY_SIZE(cmds)];
	const struct cmd *which[ARRAY_SIZE(cmds)];
	const struct cmd *c;
	const char *obj;
	int i, n = 0, r;

	/* The objects, each once. */
	for (i = 0; i < (int)ARRAY_SIZE(cmds); i++)
		if (!n || strcmp(words[n - 1], cmds[i].obj))
			words[n++] = cmds[i].obj;
	r = match_word(argv[0], words, n);
	if (r == -2) {
		fprintf(stderr, "%s: ambiguous command '%s':", PROG, argv[0]);
		for (i = 0; i < n; i++)
			if (!strncmp(argv[0], words[i], strlen(argv[0])))
				fprintf(stderr, " %s", words[i]);
		fputs("\nTry '" PROG " --help'.\n", stderr);
		return EXIT_USAGE;
	}
	if (r < 0)
		return usage_error("unknown command '%s'", argv[0]);
	obj = words[r];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    (i == 1 && !strcmp(argv[i], "help"))) {
			help_obj(obj);
			return EXIT_OK;
		}
		if (is_option(argv[i]))
			return usage_error("%s: options go before the command",
					   argv[i]);
	}

	/* Its verbs. */
	n = 0;
	for (i = 0; i < (int)ARRAY_SIZE(cmds); i++) {
		if (strcmp(cmds[i].obj, obj))
			continue;
		which[n] = &cmds[i];
		words[n++] = cmds[i].verb;
	}
	c = which[0];
	argc--;
	argv++;
	if (!c->verb)
		return c->fn(argc, argv);
	if (!argc) {
		if (strcmp(c->verb, "show"))
			return usage_error("%s: missing subcommand (%s)", obj,
					   c->verb);
		return c->fn(0, argv);
	}
	r = match_word(argv[0], words, n);
	if (r == -2)
		return usage_error("%s: ambiguous subcommand '%s'", obj,
				   argv[0]);
	if (r < 0)
		return usage_error("%s: unknown subcommand '%s'", obj, argv[0]);
	return which[r]->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	config_attr_names_init();

	/* Options come before the command, as in ip(8). */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jpshV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = true;
			break;
		case 'p':
			opt_pretty = true;
			break;
		case 's':
			opt_stats = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("%s %s\n", PROG, SIDECORECTL_VERSION);
			return EXIT_OK;
		default:
			if (optopt)
				return usage_error("unknown option '-%c'",
						   optopt);
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (!argc)
		return usage_error("missing command");

	pr_init(opt_json, opt_pretty);
	ret = dispatch(argc, argv);
	pr_finish();
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n", PROG, strerror(errno));
		return EXIT_FAIL;
	}
	return ret;
}
