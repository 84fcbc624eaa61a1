// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/vhost_sidecore/: the configuration knobs and read-only
 * summaries (Documentation/ABI/testing/sysfs-kernel-vhost_sidecore).
 * Writes go through vsc_config_set() / vsc_config_move_vq(), as netlink's.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "vhost_sidecore/exec.h"
#include "config.h"
#include "manager.h"
#include "sysfs.h"

static struct kobject *vsc_kobj;

static ssize_t vsc_refused(const char *attr, int r, const char *why)
{
	pr_info_ratelimited("%s: refused: %s\n", attr, why ?: "invalid value");
	return r;
}

/*
 * Every write changes state: CAP_NET_ADMIN, checked at the write as
 * net-sysfs checks its files, and as netlink's GENL_ADMIN_PERM. The
 * module is not per network namespace, so the capability counts in the
 * initial user namespace only: root in another one is refused, and so is
 * root without it (the files' mode alone would let either write).
 */
static int vsc_may_write(const char *attr)
{
	if (capable(CAP_NET_ADMIN))
		return 0;
	return vsc_refused(attr, -EPERM, "needs CAP_NET_ADMIN");
}

/*
 * A number as every file here takes it: decimal ("010" is ten), no sign
 * but an optional '+', no base prefix, at most @max; a trailing newline
 * is fine. @what names it in the log line of a refusal.
 */
static int vsc_parse_uint(const char *attr, const char *what, const char *s,
			  unsigned int max, unsigned int *v)
{
	int r = kstrtouint(s, 10, v);

	if (!r && *v <= max)
		return 0;
	if (!r || r == -ERANGE)
		pr_info_ratelimited("%s: refused: %s is larger than %u\n",
				    attr, what, max);
	else if (*skip_spaces(s) == '-')
		pr_info_ratelimited("%s: refused: %s is negative\n", attr, what);
	else
		pr_info_ratelimited("%s: refused: %s is not a decimal number\n",
				    attr, what);
	return -EINVAL;
}

/* Change one field with @edit, through the setter. */
static ssize_t vsc_config_edit(const char *attr, const void *arg,
			       size_t count,
			       int (*edit)(struct vsc_config *c,
					   const void *arg,
					   struct vsc_refusal *ref))
{
	struct vsc_refusal ref;
	int r;

	r = vsc_config_update(edit, arg, &ref);
	if (r)
		return vsc_refused(attr, r, ref.why);
	return count;
}

/* Show one field of the current configuration with @show. */
static ssize_t vsc_config_show(char *buf,
			       ssize_t (*show)(const struct vsc_config *c,
					       char *buf))
{
	struct vsc_config c;
	ssize_t n;

	if (vsc_config_alloc(&c))
		return -ENOMEM;
	vsc_config_get(&c);
	n = show(&c, buf);
	vsc_config_free(&c);
	return n;
}

static ssize_t vsc_show_policy(const struct vsc_config *c, char *buf)
{
	return sysfs_emit(buf, "%s\n", vsc_policy_names[c->policy]);
}

static ssize_t policy_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return vsc_config_show(buf, vsc_show_policy);
}

static int vsc_edit_policy(struct vsc_config *c, const void *buf,
			   struct vsc_refusal *ref)
{
	int r = vsc_policy_parse(buf);

	if (r < 0)
		return vsc_refuse(ref, -EINVAL,
				  "not one of ondemand, sidecore, manual, dynamic",
				  0, 0);
	c->policy = r;
	return 0;
}

static ssize_t policy_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	return vsc_may_write("policy") ?:
	       vsc_config_edit("policy", buf, count, vsc_edit_policy);
}

static ssize_t vsc_show_cpus(const struct vsc_config *c, char *buf)
{
	return sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(c->cpus));
}

static ssize_t cpus_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return vsc_config_show(buf, vsc_show_cpus);
}

/* cpulist_parse() reads decimal numbers only, as the other files. */
static int vsc_edit_cpus(struct vsc_config *c, const void *buf,
			 struct vsc_refusal *ref)
{
	if (!cpulist_parse(buf, c->cpus))
		return 0;
	return vsc_refuse(ref, -EINVAL,
			  "not a CPU list (like 2-3,6), or a CPU number too large",
			  0, 0);
}

static ssize_t cpus_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	return vsc_may_write("cpus") ?:
	       vsc_config_edit("cpus", buf, count, vsc_edit_cpus);
}

static ssize_t vsc_show_sidecores(const struct vsc_config *c, char *buf)
{
	return sysfs_emit(buf, "%u\n", c->sidecores);
}

static ssize_t sidecores_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return vsc_config_show(buf, vsc_show_sidecores);
}

static int vsc_edit_sidecores(struct vsc_config *c, const void *arg,
			      struct vsc_refusal *ref)
{
	c->sidecores = *(const unsigned int *)arg;
	return 0;
}

static ssize_t sidecores_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	unsigned int n;

	return vsc_may_write("sidecores") ?:
	       vsc_parse_uint("sidecores", "the value", buf, UINT_MAX, &n) ?:
	       vsc_config_edit("sidecores", &n, count, vsc_edit_sidecores);
}

/* The next word of *@s (words are parted by white space), or NULL. */
static char *vsc_next_word(char **s)
{
	char *w = skip_spaces(*s), *end = w;

	if (!*w)
		return NULL;
	while (*end && !isspace(*end))
		end++;
	if (*end)
		*end++ = '\0';
	*s = end;
	return w;
}

/* "DEV VQ CPU" or "DEV VQ ondemand", three decimal words */
static ssize_t vq_move_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	unsigned int dev, vq, cpu;
	char line[64], *p = line, *w[4];
	struct vsc_refusal ref;
	unsigned int i;
	int r, target;

	r = vsc_may_write("vq_move");
	if (r)
		return r;
	if (count >= sizeof(line))
		return vsc_refused("vq_move", -EINVAL,
				   "too long for DEV VQ CPU|ondemand");
	memcpy(line, buf, count);
	line[count] = '\0';
	for (i = 0; i < ARRAY_SIZE(w); i++)
		w[i] = vsc_next_word(&p);
	if (!w[2] || w[3])
		return vsc_refused("vq_move", -EINVAL,
				   "expected three words: DEV VQ CPU|ondemand");
	r = vsc_parse_uint("vq_move", "DEV", w[0], INT_MAX, &dev) ?:
	    vsc_parse_uint("vq_move", "VQ", w[1], UINT_MAX, &vq);
	if (r)
		return r;
	if (!strcmp(w[2], "ondemand")) {
		target = VSC_TARGET_ONDEMAND;
	} else {
		r = vsc_parse_uint("vq_move", "CPU (or ondemand)", w[2],
				   INT_MAX, &cpu);
		if (r)
			return r;
		target = cpu;
	}
	r = vsc_config_move_vq(dev, vq, target, NULL, &ref);
	if (r)
		return vsc_refused("vq_move", r, ref.why);
	return count;
}

static ssize_t running_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	cpumask_var_t m;
	ssize_t n;

	if (!zalloc_cpumask_var(&m, GFP_KERNEL))
		return -ENOMEM;
	vsc_config_running(m);
	n = sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(m));
	free_cpumask_var(m);
	return n;
}

#define VSC_MOVE_ATTR(name, field)					\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", READ_ONCE(vsc_move_stats.field)); \
}									\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

VSC_MOVE_ATTR(moves, moves);
VSC_MOVE_ATTR(move_ns_total, total_ns);
VSC_MOVE_ATTR(move_ns_max, max_ns);
VSC_MOVE_ATTR(move_ns_last, last_ns);

/*
 * manager/: one file per knob of the dynamic policy (vsc_knobs), and what
 * the manager measured of itself.
 */
struct vsc_knob_attr {
	struct kobj_attribute attr;
	const struct vsc_knob *knob;
};

static struct vsc_knob_attr *vsc_knob_attrs;

static const struct vsc_knob *vsc_knob_of(struct kobj_attribute *attr)
{
	return container_of(attr, struct vsc_knob_attr, attr)->knob;
}

static ssize_t vsc_knob_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct vsc_config c;
	ssize_t n;

	if (vsc_config_alloc(&c))
		return -ENOMEM;
	vsc_config_get(&c);
	n = sysfs_emit(buf, "%u\n", vsc_knob_get(&c.knobs, vsc_knob_of(attr)));
	vsc_config_free(&c);
	return n;
}

struct vsc_knob_edit {
	const struct vsc_knob *knob;
	u32 value;
};

static int vsc_edit_knob(struct vsc_config *c, const void *arg,
			 struct vsc_refusal *ref)
{
	const struct vsc_knob_edit *e = arg;

	*vsc_knob_ptr(&c->knobs, e->knob) = e->value;
	return 0;
}

static ssize_t vsc_knob_store(struct kobject *kobj,
			      struct kobj_attribute *attr, const char *buf,
			      size_t count)
{
	struct vsc_knob_edit e = { .knob = vsc_knob_of(attr) };
	const struct vsc_knob *k = e.knob;
	int r;

	r = vsc_may_write(k->name) ?:
	    vsc_parse_uint(k->name, "the value", buf, U32_MAX, &e.value);
	if (r)
		return r;
	if (!vsc_knob_in_range(k, e.value)) {
		pr_info_ratelimited("%s: refused: %u is outside %u..%u\n",
				    k->name, e.value, k->min, k->max);
		return -ERANGE;
	}
	return vsc_config_edit(k->name, &e, count, vsc_edit_knob);
}

#define VSC_MGR_ATTR(name)						\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n",					\
			  READ_ONCE(vsc_manager_stats.name));		\
}									\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

VSC_MGR_ATTR(ticks);
VSC_MGR_ATTR(cpu_ns);
VSC_MGR_ATTR(cpu_us_per_s);
VSC_MGR_ATTR(tick_ns);
VSC_MGR_ATTR(reconfigs);
VSC_MGR_ATTR(reconfig_ns_total);
VSC_MGR_ATTR(reconfig_ns_max);
VSC_MGR_ATTR(reconfig_ns_last);
VSC_MGR_ATTR(reverts);

static struct attribute *vsc_mgr_stat_attrs[] = {
	&ticks_attr.attr,
	&cpu_ns_attr.attr,
	&cpu_us_per_s_attr.attr,
	&tick_ns_attr.attr,
	&reconfigs_attr.attr,
	&reconfig_ns_total_attr.attr,
	&reconfig_ns_max_attr.attr,
	&reconfig_ns_last_attr.attr,
	&reverts_attr.attr,
};

static struct attribute **vsc_mgr_attrs;

static struct attribute_group vsc_mgr_group = {
	.name = "manager",
};

static int vsc_mgr_group_init(void)
{
	unsigned int i, n = ARRAY_SIZE(vsc_mgr_stat_attrs);

	vsc_knob_attrs = kcalloc(vsc_nknobs, sizeof(*vsc_knob_attrs),
				 GFP_KERNEL);
	vsc_mgr_attrs = kcalloc(vsc_nknobs + n + 1, sizeof(*vsc_mgr_attrs),
				GFP_KERNEL);
	if (!vsc_knob_attrs || !vsc_mgr_attrs) {
		kfree(vsc_knob_attrs);
		kfree(vsc_mgr_attrs);
		return -ENOMEM;
	}
	for (i = 0; i < vsc_nknobs; i++) {
		struct vsc_knob_attr *a = &vsc_knob_attrs[i];

		sysfs_attr_init(&a->attr.attr);
		a->attr.attr.name = vsc_knobs[i].name;
		a->attr.attr.mode = 0644;
		a->attr.show = vsc_knob_show;
		a->attr.store = vsc_knob_store;
		a->knob = &vsc_knobs[i];
		vsc_mgr_attrs[i] = &a->attr.attr;
	}
	for (i = 0; i < n; i++)
		vsc_mgr_attrs[vsc_nknobs + i] = vsc_mgr_stat_attrs[i];
	vsc_mgr_group.attrs = vsc_mgr_attrs;
	return 0;
}

static ssize_t sidecore_cpu_ns_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", vsc_exec_core_cpu_ns());
}

static struct kobj_attribute policy_attr = __ATTR_RW(policy);
static struct kobj_attribute sidecore_cpu_ns_attr = __ATTR_RO(sidecore_cpu_ns);
static struct kobj_attribute cpus_attr = __ATTR_RW(cpus);
static struct kobj_attribute sidecores_attr = __ATTR_RW(sidecores);
static struct kobj_attribute vq_move_attr = __ATTR_WO(vq_move);
static struct kobj_attribute running_attr = __ATTR_RO(running);

static struct attribute *vsc_attrs[] = {
	&policy_attr.attr,
	&cpus_attr.attr,
	&sidecores_attr.attr,
	&vq_move_attr.attr,
	&running_attr.attr,
	&sidecore_cpu_ns_attr.attr,
	&moves_attr.attr,
	&move_ns_total_attr.attr,
	&move_ns_max_attr.attr,
	&move_ns_last_attr.attr,
	NULL
};

static const struct attribute_group vsc_attr_group = {
	.attrs = vsc_attrs,
};

int vsc_sysfs_init(void)
{
	int r;

	r = vsc_mgr_group_init();
	if (r)
		return r;
	vsc_kobj = kobject_create_and_add("vhost_sidecore", kernel_kobj);
	if (!vsc_kobj) {
		r = -ENOMEM;
		goto err;
	}
	r = sysfs_create_group(vsc_kobj, &vsc_attr_group);
	if (r)
		goto err_kobj;
	r = sysfs_create_group(vsc_kobj, &vsc_mgr_group);
	if (r)
		goto err_group;
	return 0;

err_group:
	sysfs_remove_group(vsc_kobj, &vsc_attr_group);
err_kobj:
	kobject_put(vsc_kobj);
	vsc_kobj = NULL;
err:
	kfree(vsc_mgr_attrs);
	kfree(vsc_knob_attrs);
	return r;
}

void vsc_sysfs_exit(void)
{
	if (!vsc_kobj)
		return;
	sysfs_remove_group(vsc_kobj, &vsc_mgr_group);
	sysfs_remove_group(vsc_kobj, &vsc_attr_group);
	kobject_put(vsc_kobj);
	vsc_kobj = NULL;
	kfree(vsc_mgr_attrs);
	kfree(vsc_knob_attrs);
}
