// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/vhost_sidecore/: the configuration knobs and read-only
 * summaries (Documentation/ABI/testing/sysfs-kernel-vhost_sidecore).
 * Writes go through vsc_config_set() / vsc_config_move_vq(), as netlink's.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "vhost_sidecore/exec.h"
#include "config.h"

static struct kobject *vsc_kobj;

static ssize_t vsc_refused(const char *attr, int r, const char *why)
{
	pr_info_ratelimited("%s: refused: %s\n", attr, why ?: "invalid value");
	return r;
}

/* Read, change one field with @edit, write back through the setter. */
static ssize_t vsc_config_edit(const char *attr, const char *buf,
			       size_t count,
			       int (*edit)(struct vsc_config *c,
					   const char *buf, const char **why))
{
	struct vsc_config c;
	const char *why = NULL;
	int r;

	r = vsc_config_alloc(&c);
	if (r)
		return r;
	vsc_config_get(&c);
	r = edit(&c, buf, &why);
	if (!r)
		r = vsc_config_set(&c, &why);
	vsc_config_free(&c);
	if (r)
		return vsc_refused(attr, r, why);
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

static int vsc_edit_policy(struct vsc_config *c, const char *buf,
			   const char **why)
{
	int r = vsc_policy_parse(buf);

	if (r < 0) {
		*why = "not one of ondemand, sidecore, manual";
		return -EINVAL;
	}
	c->policy = r;
	return 0;
}

static ssize_t policy_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	return vsc_config_edit("policy", buf, count, vsc_edit_policy);
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

static int vsc_edit_cpus(struct vsc_config *c, const char *buf,
			 const char **why)
{
	if (!cpulist_parse(buf, c->cpus))
		return 0;
	*why = "not a CPU list (like 2-3,6), or a CPU number too large";
	return -EINVAL;
}

static ssize_t cpus_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	return vsc_config_edit("cpus", buf, count, vsc_edit_cpus);
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

static int vsc_edit_sidecores(struct vsc_config *c, const char *buf,
			      const char **why)
{
	if (!kstrtouint(buf, 0, &c->sidecores))
		return 0;
	*why = "not a non-negative integer";
	return -EINVAL;
}

static ssize_t sidecores_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	return vsc_config_edit("sidecores", buf, count, vsc_edit_sidecores);
}

/* "DEV VQ CPU" or "DEV VQ ondemand" */
static ssize_t vq_move_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	char target[16], extra;
	unsigned int vq;
	const char *why;
	int dev, cpu, r;

	if (sscanf(buf, "%d %u %15s %c", &dev, &vq, target, &extra) != 3)
		return vsc_refused("vq_move", -EINVAL,
				   "expected: DEV VQ CPU|ondemand");
	if (!strcmp(target, "ondemand"))
		cpu = VSC_TARGET_ONDEMAND;
	else if (kstrtoint(target, 10, &cpu) || cpu < 0)
		return vsc_refused("vq_move", -EINVAL,
				   "target is neither a CPU number nor ondemand");
	r = vsc_config_move_vq(dev, vq, cpu, &why);
	if (r)
		return vsc_refused("vq_move", r, why);
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

static struct kobj_attribute policy_attr = __ATTR_RW(policy);
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

	vsc_kobj = kobject_create_and_add("vhost_sidecore", kernel_kobj);
	if (!vsc_kobj)
		return -ENOMEM;
	r = sysfs_create_group(vsc_kobj, &vsc_attr_group);
	if (r) {
		kobject_put(vsc_kobj);
		vsc_kobj = NULL;
	}
	return r;
}

void vsc_sysfs_exit(void)
{
	if (!vsc_kobj)
		return;
	sysfs_remove_group(vsc_kobj, &vsc_attr_group);
	kobject_put(vsc_kobj);
	vsc_kobj = NULL;
}
