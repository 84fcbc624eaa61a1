// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-sidecore: a vhost-net compatible device whose virtqueues run on
 * on-demand workers or on dedicated polling sidecores.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

static int vsc_open(struct inode *inode, struct file *f)
{
	return 0;
}

static int vsc_release(struct inode *inode, struct file *f)
{
	return 0;
}

static const struct file_operations vsc_fops = {
	.owner = THIS_MODULE,
	.open = vsc_open,
	.release = vsc_release,
	.llseek = noop_llseek,
};

static struct miscdevice vsc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vhost-sidecore-net",
	.fops = &vsc_fops,
	.mode = 0600,
};

static int __init vsc_init(void)
{
	int err;

	err = misc_register(&vsc_misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", vsc_misc.name, err);
		return err;
	}
	pr_info("version %s loaded\n", VSC_VERSION);
	return 0;
}

static void __exit vsc_exit(void)
{
	misc_deregister(&vsc_misc);
}

module_init(vsc_init);
module_exit(vsc_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The vhost-sidecore authors");
MODULE_DESCRIPTION("vhost-net compatible device with dynamic polling sidecores");
MODULE_VERSION(VSC_VERSION);
