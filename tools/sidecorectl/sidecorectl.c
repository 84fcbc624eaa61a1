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
#include <time.h>
#include <unistd.h>

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

static bool opt_json, opt_pretty, opt_stats, opt_details, opt_timestamp;
static unsigned int opt_interval;	/* -i: seconds between two samples */
static unsigned int opt_rcvbuf;		/* --rcvbuf: monitor's SO_RCVBUF */

/* The longest interval -i takes: a day. */
#define INTERVAL_MAX	86400

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

/* As a number in JSON (-1: ondemand), in words in text (a NULL @fmt: not). */
static void print_where(const char *key, const char *fmt, int cpu)
{
	char buf[32];

	pr_int(key, NULL, cpu);
	if (fmt)
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
	[VHOST_SIDECORE_A_VQ_BACKEND] = { .type = NLA_FLAG },
	[VHOST_SIDECORE_A_VQ_RUNS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_RUN_NS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_EMPTY_RUNS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_WEIGHT_EXITS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_IOTLB_MISSES] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_VQ_ERRORS] = { .type = NLA_U64 },
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
	[VHOST_SIDECORE_A_CORE_PASSES] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_CORE_EMPTY_POLLS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_CORE_RUNS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_CORE_SLEEPS] = { .type = NLA_U64 },
	[VHOST_SIDECORE_A_CORE_SLEEP_NS] = { .type = NLA_U64 },
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
		if (!tb[k->attr]) {
			pr_null(k->name, NULL);
			continue;
		}
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

/* --- counters: totals since load, or with -i rates over an interval --- */

/* A u64 counter of a vq or of a sidecore, shown with -s, or -d (@detail). */
struct counter {
	int attr;
	const char *key;	/* JSON member, and label in text */
	bool detail;
	bool max;		/* the largest value since load: never a rate */
};

#define VQ_A(name)	VHOST_SIDECORE_A_VQ_##name
#define CORE_A(name)	VHOST_SIDECORE_A_CORE_##name

static const struct counter vq_counters[] = {
	{ .attr = VQ_A(PACKETS), .key = "packets" },
	{ .attr = VQ_A(BYTES), .key = "bytes" },
	{ .attr = VQ_A(KICKS), .key = "kicks" },
	{ .attr = VQ_A(SIGNALS), .key = "signals" },
	{ .attr = VQ_A(DROPS), .key = "drops" },
	{ .attr = VQ_A(HANDOFFS), .key = "handoffs" },
	{ .attr = VQ_A(RUN_NS_MAX), .key = "run_ns_max", .max = true },
	{ .attr = VQ_A(RUN_FRAMES_MAX), .key = "run_frames_max", .max = true },
	{ .attr = VQ_A(RUNS), .key = "runs", .detail = true },
	{ .attr = VQ_A(RUN_NS), .key = "run_ns", .detail = true },
	{ .attr = VQ_A(EMPTY_RUNS), .key = "empty_runs", .detail = true },
	{ .attr = VQ_A(WEIGHT_EXITS), .key = "weight_exits", .detail = true },
	{ .attr = VQ_A(ERRORS), .key = "errors", .detail = true },
	{ .attr = VQ_A(IOTLB_MISSES), .key = "iotlb_misses", .detail = true },
};

/* The busy share (busy_pct) is printed after the first two. */
static const struct counter core_counters[] = {
	{ .attr = CORE_A(BUSY_NS), .key = "busy_ns" },
	{ .attr = CORE_A(IDLE_NS), .key = "idle_ns" },
	{ .attr = CORE_A(PACKETS), .key = "packets" },
	{ .attr = CORE_A(MM_SWITCHES), .key = "mm_switches" },
	{ .attr = CORE_A(PASSES), .key = "passes", .detail = true },
	{ .attr = CORE_A(EMPTY_POLLS), .key = "empty_polls", .detail = true },
	{ .attr = CORE_A(RUNS), .key = "runs", .detail = true },
	{ .attr = CORE_A(SLEEPS), .key = "sleeps", .detail = true },
	{ .attr = CORE_A(SLEEP_NS), .key = "sleep_ns", .detail = true },
};

#define SAMPLE_ATTRS	32

_Static_assert(VHOST_SIDECORE_A_VQ_MAX < SAMPLE_ATTRS &&
	       VHOST_SIDECORE_A_CORE_MAX < SAMPLE_ATTRS,
	       "a sample holds every attribute");

/* A vq's or a sidecore's counters in the first of two samples (-i). */
struct sample {
	uint32_t id;		/* the device's id, or the sidecore's CPU */
	uint32_t index;		/* the vq's index; 0 for a sidecore */
	uint32_t have;		/* bit @attr set: v[attr] came */
	uint64_t v[SAMPLE_ATTRS];
};

static struct sample *samples;
static size_t nsamples;
static double sample_secs;	/* from the first sample to the second */

static int sample_add(uint32_t id, uint32_t index, struct nlattr **tb,
		      const struct counter *c, size_t n)
{
	struct sample *s;
	size_t i;

	s = realloc(samples, (nsamples + 1) * sizeof(*s));
	if (!s) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return VSC_NL_ABORT;
	}
	samples = s;
	s = &samples[nsamples++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->index = index;
	for (i = 0; i < n; i++) {
		if (!tb[c[i].attr])
			continue;
		s->v[c[i].attr] = nla_get_u64(tb[c[i].attr]);
		s->have |= 1u << c[i].attr;
	}
	return 0;
}

static const struct sample *sample_find(uint32_t id, uint32_t index)
{
	size_t i;

	for (i = 0; i < nsamples; i++)
		if (samples[i].id == id && samples[i].index == index)
			return &samples[i];
	return NULL;
}

/*
 * @attr's growth from @prev (the first sample) to @tb, in *@d; false if
 * it cannot be had: not sent, the object new since, or the counter
 * restarted.
 */
static bool counter_delta(int attr, struct nlattr **tb,
			  const struct sample *prev, uint64_t *d)
{
	uint64_t v;

	if (!tb[attr] || !prev || !(prev->have & 1u << attr))
		return false;
	v = nla_get_u64(tb[attr]);
	if (v < prev->v[attr])
		return false;
	*d = v - prev->v[attr];
	return true;
}

/*
 * One counter, @sep before it in text: its value since load, or with -i
 * (a maximum excepted) its rate per second over the interval, as
 * KEY_per_s. null ("-" in text) when it cannot be had.
 */
static void print_counter(const struct counter *c, struct nlattr **tb,
			  const struct sample *prev, const char *sep)
{
	char key[48], fmt[64], none[64];
	uint64_t d;

	if (!opt_interval || c->max) {
		snprintf(fmt, sizeof(fmt), "%s%s %%llu", sep, c->key);
		snprintf(none, sizeof(none), "%s%s -", sep, c->key);
		if (tb[c->attr])
			pr_uint(c->key, fmt, nla_get_u64(tb[c->attr]));
		else
			pr_null(c->key, none);
		return;
	}
	snprintf(key, sizeof(key), "%s_per_s", c->key);
	snprintf(fmt, sizeof(fmt), "%s%s %%.1f/s", sep, c->key);
	snprintf(none, sizeof(none), "%s%s -/s", sep, c->key);
	if (counter_delta(c->attr, tb, prev, &d))
		pr_float(key, fmt, d / sample_secs);
	else
		pr_null(key, none);
}

/* The counters of @c[0..@n) that -s (or with @detail, -d) shows. */
static void print_counters(const struct counter *c, size_t n, bool detail,
			   struct nlattr **tb, const struct sample *prev,
			   bool first)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i].detail != detail)
			continue;
		print_counter(&c[i], tb, prev, first ? "" : " ");
		first = false;
	}
}

static int parse_vq(struct nlattr *nest, struct nlattr **tb)
{
	if (nla_parse_nested(tb, VHOST_SIDECORE_A_VQ_MAX, nest, vq_policy) ||
	    !tb[VHOST_SIDECORE_A_VQ_INDEX] || !tb[VHOST_SIDECORE_A_VQ_MODE])
		return -1;
	return 0;
}

static int print_vq(uint32_t dev, struct nlattr *nest)
{
	struct nlattr *tb[VHOST_SIDECORE_A_VQ_MAX + 1];
	const struct sample *prev;
	uint32_t index, mode;
	int32_t cpu = -1;
	bool backend;
	char buf[32];

	if (parse_vq(nest, tb))
		return -1;
	index = nla_get_u32(tb[VHOST_SIDECORE_A_VQ_INDEX]);
	mode = nla_get_u32(tb[VHOST_SIDECORE_A_VQ_MODE]);
	if (tb[VHOST_SIDECORE_A_VQ_CPU])
		cpu = (int32_t)nla_get_u32(tb[VHOST_SIDECORE_A_VQ_CPU]);

	pr_open_object(NULL);
	pr_uint("index", "\tvq %llu", index);
	if (index < ARRAY_SIZE(vq_names))
		pr_text(" (%s)", vq_names[index]);
	pr_string("mode", " %s", enum_name(mode_names, ARRAY_SIZE(mode_names),
					   mode, buf, sizeof(buf)));
	/* A CPU only for a vq on a sidecore. */
	if (mode == VHOST_SIDECORE_VQ_MODE_SIDECORE && cpu >= 0)
		pr_int("cpu", " cpu %lld", cpu);
	else
		pr_null("cpu", NULL);
	pr_flag("handed_off", " handed-off",
		tb[VHOST_SIDECORE_A_VQ_HANDED_OFF] != NULL);
	pr_flag("broken", " broken", tb[VHOST_SIDECORE_A_VQ_BROKEN] != NULL);
	pr_text("\n");
	prev = opt_interval ? sample_find(dev, index) : NULL;
	if (opt_stats) {
		pr_text("\t\t");
		print_counters(vq_counters, ARRAY_SIZE(vq_counters), false, tb,
			       prev, true);
		pr_text("\n");
	}
	if (opt_details) {
		/* A kernel that sends runs also says whether a backend is there. */
		backend = tb[VHOST_SIDECORE_A_VQ_BACKEND] != NULL;
		if (tb[VHOST_SIDECORE_A_VQ_RUNS]) {
			pr_flag("backend", NULL, backend);
			pr_text("\t\tbackend %s", backend ? "yes" : "no");
		} else {
			pr_null("backend", "\t\tbackend -");
		}
		print_counters(vq_counters, ARRAY_SIZE(vq_counters), true, tb,
			       prev, false);
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

static int dev_parse(struct nl_msg *msg, struct nlattr **tb)
{
	uint8_t cmd;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_DEV_MAX, dev_policy, &cmd) ||
	    cmd != VHOST_SIDECORE_CMD_DEV_GET || !tb[VHOST_SIDECORE_A_DEV_ID])
		return -1;
	return 0;
}

/* -i: the first sample of each vq's counters. */
static int dev_sample(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_DEV_MAX + 1];
	struct nlattr *vq[VHOST_SIDECORE_A_VQ_MAX + 1];
	struct genlmsghdr *gh = genlmsg_hdr(nlmsg_hdr(msg));
	struct nlattr *pos;
	uint32_t id;
	int rem, r;

	if (dev_parse(msg, tb))
		return -1;
	id = nla_get_u32(tb[VHOST_SIDECORE_A_DEV_ID]);
	nla_for_each_attr(pos, genlmsg_attrdata(gh, 0),
			  genlmsg_attrlen(gh, 0), rem) {
		if (nla_type(pos) != VHOST_SIDECORE_A_DEV_VQ)
			continue;
		if (parse_vq(pos, vq))
			return -1;
		r = sample_add(id, nla_get_u32(vq[VHOST_SIDECORE_A_VQ_INDEX]),
			       vq, vq_counters, ARRAY_SIZE(vq_counters));
		if (r)
			return r;
	}
	return 0;
}

static int dev_print(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_DEV_MAX + 1];
	struct genlmsghdr *gh = genlmsg_hdr(nlmsg_hdr(msg));
	struct nlattr *pos;
	uint32_t id;
	int rem;

	if (dev_parse(msg, tb))
		return -1;
	id = nla_get_u32(tb[VHOST_SIDECORE_A_DEV_ID]);
	open_list(arg);
	pr_open_object(NULL);
	pr_uint("id", "dev %llu", id);
	if (tb[VHOST_SIDECORE_A_DEV_OWNER_PID])
		pr_uint("owner_pid", " owner_pid %llu",
			nla_get_u32(tb[VHOST_SIDECORE_A_DEV_OWNER_PID]));
	else
		pr_null("owner_pid", NULL);
	if (tb[VHOST_SIDECORE_A_DEV_OWNER_COMM])
		pr_string("owner_comm", " comm %s",
			  nla_get_string(tb[VHOST_SIDECORE_A_DEV_OWNER_COMM]));
	else
		pr_null("owner_comm", NULL);
	pr_text("\n");
	/* The vq nests (a multi-attr), in order. */
	pr_open_array("vqs");
	nla_for_each_attr(pos, genlmsg_attrdata(gh, 0),
			  genlmsg_attrlen(gh, 0), rem)
		if (nla_type(pos) == VHOST_SIDECORE_A_DEV_VQ &&
		    print_vq(id, pos))
			return -1;
	pr_close_array();
	pr_close_object();
	return 0;
}

/* A request of @cmd: a dump, or for a device id @id (not NULL) a do. */
static struct nl_msg *show_msg(struct vsc_nl *nl, uint8_t cmd,
			       const uint32_t *id)
{
	struct nl_msg *msg;

	msg = vsc_nl_msg(nl, cmd, id ? 0 : NLM_F_DUMP);
	if (msg && id && nla_put_u32(msg, VHOST_SIDECORE_A_DEV_ID, *id)) {
		fprintf(stderr, "%s: %s: message too large\n", PROG, nl->what);
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/*
 * dev show and core show: the request's replies to @print; with -i, to
 * @sample first, then again @opt_interval seconds later to @print, which
 * then prints rates over the time between the two requests.
 */
static int show(struct vsc_nl *nl, uint8_t cmd, const uint32_t *id,
		vsc_nl_handler_t sample, vsc_nl_handler_t print,
		const char *const *names, unsigned int nnames)
{
	struct timespec t0, t1;
	struct nl_msg *msg;
	bool opened = false;
	int ret;

	if (opt_interval) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		msg = show_msg(nl, cmd, id);
		if (!msg)
			return EXIT_FAIL;
		ret = vsc_nl_request(nl, msg, sample, NULL, names, nnames);
		if (ret)
			return ret;
		t1 = t0;
		t1.tv_sec += opt_interval;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t1,
				       NULL) == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		sample_secs = (t1.tv_sec - t0.tv_sec) +
			      (t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	msg = show_msg(nl, cmd, id);
	if (!msg)
		return EXIT_FAIL;
	ret = vsc_nl_request(nl, msg, print, &opened, names, nnames);
	if (!ret) {
		open_list(&opened);
		pr_close_array();
	}
	return ret;
}

static int do_dev_show(int argc, char **argv)
{
	struct vsc_nl nl;
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
	ret = show(&nl, VHOST_SIDECORE_CMD_DEV_GET, argc ? &id : NULL,
		   dev_sample, dev_print, dev_attr_names,
		   ARRAY_SIZE(dev_attr_names));
	vsc_nl_close(&nl);
	return ret;
}

/* --- core show --- */

static int core_parse(struct nl_msg *msg, struct nlattr **tb)
{
	uint8_t cmd;

	if (vsc_nl_parse(msg, tb, VHOST_SIDECORE_A_CORE_MAX, core_policy,
			 &cmd) || cmd != VHOST_SIDECORE_CMD_CORE_GET ||
	    !tb[VHOST_SIDECORE_A_CORE_CPU] || !tb[VHOST_SIDECORE_A_CORE_STATE])
		return -1;
	return 0;
}

static int core_sample(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_CORE_MAX + 1];

	if (core_parse(msg, tb))
		return -1;
	return sample_add(nla_get_u32(tb[VHOST_SIDECORE_A_CORE_CPU]), 0, tb,
			  core_counters, ARRAY_SIZE(core_counters));
}

/*
 * busy_ns / (busy_ns + idle_ns) in percent, since load or with -i over
 * the interval; null when the sidecore polled for none of that time.
 */
static void print_busy_pct(struct nlattr **tb, const struct sample *prev)
{
	uint64_t busy, idle;

	if (opt_interval) {
		if (!counter_delta(VHOST_SIDECORE_A_CORE_BUSY_NS, tb, prev,
				   &busy) ||
		    !counter_delta(VHOST_SIDECORE_A_CORE_IDLE_NS, tb, prev,
				   &idle))
			busy = idle = 0;
	} else if (tb[VHOST_SIDECORE_A_CORE_BUSY_NS] &&
		   tb[VHOST_SIDECORE_A_CORE_IDLE_NS]) {
		busy = nla_get_u64(tb[VHOST_SIDECORE_A_CORE_BUSY_NS]);
		idle = nla_get_u64(tb[VHOST_SIDECORE_A_CORE_IDLE_NS]);
	} else {
		busy = idle = 0;
	}
	if (busy + idle)
		pr_float("busy_pct", " busy %.1f%%",
			 100.0 * busy / ((double)busy + idle));
	else
		pr_null("busy_pct", " busy -");
}

static int core_print(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VHOST_SIDECORE_A_CORE_MAX + 1];
	const struct sample *prev;
	uint32_t cpu;
	char buf[32];

	if (core_parse(msg, tb))
		return -1;
	cpu = nla_get_u32(tb[VHOST_SIDECORE_A_CORE_CPU]);
	open_list(arg);
	pr_open_object(NULL);
	pr_uint("cpu", "cpu %llu", cpu);
	pr_string("state", " state %s",
		  enum_name(state_names, ARRAY_SIZE(state_names),
			    nla_get_u32(tb[VHOST_SIDECORE_A_CORE_STATE]),
			    buf, sizeof(buf)));
	if (tb[VHOST_SIDECORE_A_CORE_VQS])
		pr_uint("vqs", " vqs %llu",
			nla_get_u32(tb[VHOST_SIDECORE_A_CORE_VQS]));
	else
		pr_null("vqs", " vqs -");
	pr_text("\n");
	prev = opt_interval ? sample_find(cpu, 0) : NULL;
	if (opt_stats) {
		pr_text("\t");
		/* busy_ns and idle_ns, the busy share, the others. */
		print_counters(core_counters, 2, false, tb, prev, true);
		print_busy_pct(tb, prev);
		print_counters(core_counters + 2, ARRAY_SIZE(core_counters) - 2,
			       false, tb, prev, false);
		pr_text("\n");
	}
	if (opt_details) {
		pr_text("\t");
		print_counters(core_counters, ARRAY_SIZE(core_counters), true,
			       tb, prev, true);
		pr_text("\n");
	}
	pr_close_object();
	return 0;
}

static int do_core_show(int argc, char **argv)
{
	struct vsc_nl nl;
	int ret;

	if (argc)
		return usage_error("core show: unexpected argument '%s'",
				   argv[0]);
	ret = vsc_nl_open(&nl, "core show");
	if (ret)
		return ret;
	ret = show(&nl, VHOST_SIDECORE_CMD_CORE_GET, NULL, core_sample,
		   core_print, NULL, 0);
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

/*
 * What the move did. A vq already in place was not moved: from is where
 * it was (= to) and ns null; so is from when the reply did not say.
 */
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
		if (m->seen)
			print_where("from", NULL, m->from);
		else
			pr_null("from", NULL);
		print_where("to", ": already on %s", m->to);
		pr_null("ns", NULL);
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

/*
 * -t: when the event was read, in local time with its UTC offset
 * (RFC 3339, microseconds): the first member in JSON, "[...] " before
 * the line in text.
 */
static void print_time(void)
{
	char date[32], zone[8], buf[64];
	struct timespec ts;
	struct tm tm;

	if (!opt_timestamp)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (strftime(zone, sizeof(zone), "%z", &tm) != 5)
		snprintf(zone, sizeof(zone), "+0000");
	snprintf(buf, sizeof(buf), "%s.%06ld%.3s:%s", date, ts.tv_nsec / 1000,
		 zone, zone + 3);
	pr_string("time", "[%s] ", buf);
}

/* An event's start: the object, its time (-t) and its name. */
static void event_open(const char *name)
{
	pr_open_object(NULL);
	print_time();
	pr_string("event", "%s", name);
}

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
		event_open("config-change");
		print_config(ctb, true);
		break;
	case VHOST_SIDECORE_CMD_VQ_MOVE_NTF:
	case VHOST_SIDECORE_CMD_VQ_BROKEN_NTF:
		if (vsc_nl_parse(msg, mtb, VHOST_SIDECORE_A_MOVE_MAX,
				 move_policy, &cmd) ||
		    !mtb[VHOST_SIDECORE_A_MOVE_DEV] ||
		    !mtb[VHOST_SIDECORE_A_MOVE_VQ])
			return -1;
		event_open(cmd == VHOST_SIDECORE_CMD_VQ_MOVE_NTF ? "vq-move" :
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
		else
			pr_null("from", NULL);
		if (mtb[VHOST_SIDECORE_A_MOVE_CPU])
			print_where("to", " to %s",
				    (int32_t)nla_get_u32(mtb[VHOST_SIDECORE_A_MOVE_CPU]));
		else
			pr_null("to", NULL);
		if (mtb[VHOST_SIDECORE_A_MOVE_NS])
			pr_uint("ns", " ns %llu",
				nla_get_u64(mtb[VHOST_SIDECORE_A_MOVE_NS]));
		else
			pr_null("ns", NULL);
		break;
	case VHOST_SIDECORE_CMD_CORE_STATE_NTF:
		if (vsc_nl_parse(msg, otb, VHOST_SIDECORE_A_CORE_MAX,
				 core_policy, &cmd) ||
		    !otb[VHOST_SIDECORE_A_CORE_CPU] ||
		    !otb[VHOST_SIDECORE_A_CORE_STATE])
			return -1;
		event_open("core-state");
		pr_uint("cpu", " cpu %llu",
			nla_get_u32(otb[VHOST_SIDECORE_A_CORE_CPU]));
		pr_string("state", " state %s",
			  enum_name(state_names, ARRAY_SIZE(state_names),
				    nla_get_u32(otb[VHOST_SIDECORE_A_CORE_STATE]),
				    buf, sizeof(buf)));
		break;
	default:
		/* A newer kernel's event: say so rather than drop it. */
		event_open("unknown");
		pr_uint("cmd", " cmd %llu", cmd);
		break;
	}
	pr_text("\n");
	pr_close_object();
	return 0;
}

/* The socket overran and the kernel dropped events: said in the stream. */
static void event_lost(void *arg)
{
	event_open("lost");
	pr_text(": events were dropped (receive buffer overrun)\n");
	pr_close_object();
}

/* SO_RCVBUF for monitor (--rcvbuf, for tests): 1 byte to 1 GiB. */
static int parse_rcvbuf(const char *s)
{
	uint32_t v;

	if (parse_u32(s, 1U << 30, &v) || !v)
		return usage_error("--rcvbuf: '%s' is not a number of bytes from 1 to %u",
				   s, 1U << 30);
	opt_rcvbuf = v;
	return 0;
}

static int do_monitor(int argc, char **argv)
{
	struct vsc_nl nl;
	int i, ret;

	/* -t and --rcvbuf may come after monitor too (ip monitor's habit). */
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--timestamp")) {
			opt_timestamp = true;
		} else if (!strcmp(argv[i], "--rcvbuf")) {
			if (i + 1 == argc)
				return usage_error("monitor: --rcvbuf needs a number of bytes");
			ret = parse_rcvbuf(argv[++i]);
			if (ret)
				return ret;
		} else {
			return usage_error("monitor: unexpected argument '%s'",
					   argv[i]);
		}
	}
	/* One event per line: never indented. */
	pr_init(opt_json, false);
	ret = vsc_nl_open(&nl, "monitor");
	if (ret)
		return ret;
	nl.rcvbuf = opt_rcvbuf;
	nl.lost = event_lost;
	ret = vsc_nl_join(&nl, VHOST_SIDECORE_MCGRP_MONITOR);
	if (!ret)
		ret = vsc_nl_watch_family(&nl);
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
	{ "monitor", NULL, "[-t] [--rcvbuf BYTES]", do_monitor,
	  "print events until a signal or the module's unload" },
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

	fputs("Usage: " PROG " [-j|--json] [-p|--pretty] [-s|--stats] [-d|--details]\n"
	      "       [-i|--interval SECONDS] [-t|--timestamp] COMMAND [ARGS]\n"
	      "       " PROG " [-j] -V|--version | -h|--help\n"
	      "\n"
	      "Control and watch vhost-sidecore through its generic netlink family.\n"
	      "\n"
	      "Commands (any unambiguous prefix will do):\n", f);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		print_cmd(f, &cmds[i]);
	fputs("\n"
	      "Options:\n"
	      "  -j, --json      JSON output (monitor: one object per line); every\n"
	      "                  member always there, null where it does not apply\n"
	      "  -p, --pretty    indent the JSON output\n"
	      "  -s, --stats     statistics too (dev show, core show)\n"
	      "  -d, --details   details too: backend, runs, run_ns, empty_runs,\n"
	      "                  weight_exits, errors per vq; passes, empty_polls,\n"
	      "                  runs, sleeps, sleep_ns per sidecore\n"
	      "  -i, --interval SECONDS\n"
	      "                  with -s or -d: sample twice, SECONDS apart, and\n"
	      "                  print each counter as a rate per second over that\n"
	      "                  interval (KEY_per_s) instead of its total since the\n"
	      "                  module was loaded (dev show, core show)\n"
	      "  -t, --timestamp monitor: the time before each event (JSON: \"time\")\n"
	      "      --rcvbuf BYTES\n"
	      "                  monitor: the socket's receive buffer (default 1 MiB,\n"
	      "                  capped by net.core.rmem_max); small for tests\n"
	      "  -h, --help      this help\n"
	      "  -V, --version   this tool's version and the loaded module's; a\n"
	      "                  warning on stderr if they differ\n"
	      "\n"
	      "Keys of config set (as in /sys/kernel/vhost_sidecore):\n", f);
	list_keys_wrapped(f);
	fputs("  policy is ondemand, sidecore, manual or dynamic; cpus a CPU list\n"
	      "  like 2-3,6; the others decimal numbers (see sidecorectl(8)).\n"
	      "\n"
	      "Exit status: 0 done, 1 refused by the kernel, module not loaded or\n"
	      "I/O error, 2 bad command line, 3 (monitor) the module was unloaded.\n"
	      "\n"
	      "Examples:\n"
	      "  " PROG " config set policy dynamic cpus 2-3\n"
	      "  " PROG " -s dev show\n"
	      "  " PROG " -s -d -i 1 core show\n"
	      "  " PROG " vq move 1 0 core 2\n"
	      "  " PROG " -j -t monitor | jq -c 'select(.event == \"vq-move\")'\n", f);
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

/*
 * One of our options, given after the command by mistake (monitor takes
 * -t and --rcvbuf there itself).
 */
static bool is_option(const char *arg, const char *obj)
{
	static const char *const options[] = {
		"-j", "--json", "-p", "--pretty", "-s", "--stats", "-d",
		"--details", "-i", "--interval", "-t", "--timestamp",
		"--rcvbuf", "-V", "--version",
	};
	size_t i;

	if (!strcmp(obj, "monitor") &&
	    (!strcmp(arg, "-t") || !strcmp(arg, "--timestamp") ||
	     !strcmp(arg, "--rcvbuf")))
		return false;
	for (i = 0; i < ARRAY_SIZE(options); i++)
		if (!strcmp(arg, options[i]))
			return true;
	return false;
}

/* Options that only some commands take. */
static int check_options(const struct cmd *c)
{
	if (opt_interval && c->fn != do_dev_show && c->fn != do_core_show)
		return usage_error("-i: only dev show and core show sample twice");
	if (opt_rcvbuf && c->fn != do_monitor)
		return usage_error("--rcvbuf: only monitor has a receive buffer");
	return 0;
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
		if (is_option(argv[i], obj))
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
		return check_options(c) ?: c->fn(argc, argv);
	if (!argc) {
		if (strcmp(c->verb, "show"))
			return usage_error("%s: missing subcommand (%s)", obj,
					   c->verb);
		return check_options(c) ?: c->fn(0, argv);
	}
	r = match_word(argv[0], words, n);
	if (r == -2)
		return usage_error("%s: ambiguous subcommand '%s'", obj,
				   argv[0]);
	if (r < 0)
		return usage_error("%s: unknown subcommand '%s'", obj, argv[0]);
	return check_options(which[r]) ?: which[r]->fn(argc - 1, argv + 1);
}

/*
 * The loaded module's version, from sysfs: a string to free, "unknown"
 * if it has none, NULL if the module is not loaded.
 */
static char *module_version(void)
{
	char buf[128];
	FILE *f;

	f = fopen("/sys/module/vhost_sidecore/version", "re");
	if (!f)
		return errno == ENOENT &&
		       access("/sys/module/vhost_sidecore", F_OK) ?
		       NULL : strdup("unknown");
	if (!fgets(buf, sizeof(buf), f))
		snprintf(buf, sizeof(buf), "unknown");
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/* -V: both versions, and a warning if they differ. Always EXIT_OK. */
static int print_version(void)
{
	char *mod = module_version();

	pr_open_object(NULL);
	pr_string("version", PROG " %s\n", SIDECORECTL_VERSION);
	if (mod)
		pr_string("module_version", "vhost_sidecore module %s\n", mod);
	else
		pr_null("module_version", "vhost_sidecore module not loaded\n");
	pr_close_object();
	if (mod && strcmp(mod, SIDECORECTL_VERSION))
		fprintf(stderr, "%s: warning: %s is version %s but the loaded vhost_sidecore module is %s; attributes and events of one may be unknown to the other\n",
			PROG, PROG, SIDECORECTL_VERSION, mod);
	free(mod);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	enum { OPT_RCVBUF = 256 };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "stats", no_argument, NULL, 's' },
		{ "details", no_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timestamp", no_argument, NULL, 't' },
		{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool version = false;
	int c, ret;

	config_attr_names_init();

	/* Options come before the command, as in ip(8). */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jpsdi:thV", opts, NULL)) != -1) {
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
		case 'd':
			opt_details = true;
			break;
		case 'i':
			if (parse_u32(optarg, INTERVAL_MAX, &opt_interval) ||
			    !opt_interval)
				return usage_error("-i: '%s' is not a number of seconds from 1 to %u",
						   optarg, INTERVAL_MAX);
			break;
		case 't':
			opt_timestamp = true;
			break;
		case OPT_RCVBUF:
			ret = parse_rcvbuf(optarg);
			if (ret)
				return ret;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			version = true;
			break;
		default:
			if (optopt == 'i' || optopt == OPT_RCVBUF)
				return usage_error("option '%s' needs a value",
						   argv[optind - 1]);
			if (optopt)
				return usage_error("unknown option '-%c'",
						   optopt);
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	pr_init(opt_json, opt_pretty);
	if (version) {
		ret = print_version();
	} else if (!argc) {
		return usage_error("missing command");
	} else if (opt_interval && !opt_stats && !opt_details) {
		return usage_error("-i: rates of what? give -s or -d too");
	} else {
		ret = dispatch(argc, argv);
	}
	pr_finish();
	free(samples);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n", PROG, strerror(errno));
		return EXIT_FAIL;
	}
	return ret;
}
