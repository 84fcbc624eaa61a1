# SPDX-License-Identifier: GPL-2.0
#
# User entry point for vhost-sidecore. The object list lives in Kbuild.
#
#   make                 module + userspace tools
#   make module          vhost_sidecore.ko only
#   make check           install what tests need, build, run every test
#   make check-debug     the tests on a KASAN/lockdep/kmemleak/UBSAN kernel
#                        and a KCSAN one (each built once and cached)
#   make check-qemu      the QEMU guest tests make check leaves out for time
#                        (multiqueue, vIOMMU), on the default test kernel
#   make demo            boot the test VM and show the module at work
#   make install         modules_install + depmod for $(KVER)
#   make deb             Debian packages vhost-sidecore-dkms and sidecorectl
#                        (in build/deb/)
#   make check-deb       install, use and purge them in the test VM
#   make dkms-install    module sources + dkms.conf in
#                        $(DESTDIR)/usr/src/vhost-sidecore-$(VSC_VERSION)
#   make unit            host-side unit tests of pure code (no VM)
#   make style           checkpatch on our kernel sources
#   make sparse          build the module under sparse (C=2)
#   make ynl-gen         regenerate the uapi header and the netlink policies
#                        and operation table from the spec (tools/ynl-gen;
#                        make check fails when they drift from it)
#   make clean
#
# KVER defaults to the running kernel and KDIR to its build tree. Where
# that tree does not exist (a container, a CI machine) the newest installed
# Debian -amd64 headers are used instead, and the Makefile says so.

TOPDIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

# Only the targets that build against a kernel fail without a build tree
# (make check installs the headers first).
KDIR_ERROR :=
ifeq ($(wildcard $(KDIR)/Makefile),)
  ifneq ($(filter command line environment,$(origin KDIR) $(origin KVER)),)
    KDIR_ERROR := KDIR=$(KDIR) has no kernel build tree (install linux-headers-$(KVER))
  else
    KDIR_AUTO := $(lastword $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V))
    ifeq ($(KDIR_AUTO),)
      KDIR_ERROR := no build tree for $(KVER) and no Debian linux-headers-*-amd64 installed
    else
      override KVER := $(patsubst linux-headers-%,%,$(notdir $(KDIR_AUTO)))
      override KDIR := $(KDIR_AUTO)
      ifneq ($(filter-out check check-debug check-qemu demo bench unit style clean tools ynl-gen check-deb deb dkms-install,$(or $(MAKECMDGOALS),all)),)
        $(info vhost-sidecore: no build tree for the running kernel; using $(KDIR))
      endif
    endif
  endif
endif
need-kdir = $(if $(KDIR_ERROR),$(error $(KDIR_ERROR)))

VSC_VERSION ?= $(shell $(TOPDIR)/tools/version)
export VSC_VERSION

TOOLS_DIRS := $(wildcard $(TOPDIR)/tools/sidecorectl/Makefile \
		$(TOPDIR)/tools/simulate/Makefile)

.PHONY: all module tools check check-debug check-qemu demo install module-install unit \
	style sparse clean bench ynl-gen deb check-deb dkms-install

all: module tools

module:
	$(need-kdir)$(MAKE) -C $(KDIR) M=$(TOPDIR) modules

tools:
	$(foreach d,$(TOOLS_DIRS),$(MAKE) -C $(dir $(d)) &&) true

module-install install: module
	$(need-kdir)$(MAKE) -C $(KDIR) M=$(TOPDIR) modules_install
	depmod -a $(KVER)

unit:
	$(MAKE) -C $(TOPDIR)/tests/unit run

check:
	$(TOPDIR)/tools/check

check-debug:
	$(TOPDIR)/tools/check-debug

# Nested QEMU guests under TCG take minutes each: these are run before a
# change to what they cover is called done, not on every make check.
QEMU_TESTS := qemu_mq.sh qemu_viommu.sh qemu_migrate.sh
check-qemu:
	VSC_CHECK_KERNELS="$$($(TOPDIR)/tools/vmtest --print-kernel)" \
	VSC_CHECK_TESTS="$(QEMU_TESTS)" VSC_CHECK_VM_TIMEOUT=7200 \
		$(TOPDIR)/tools/check

deb:
	$(TOPDIR)/tools/mkdeb

check-deb:
	$(TOPDIR)/tools/check-deb

# What DKMS needs to build the module: Kbuild, this Makefile, the entry
# point (main.c) and the module's source directories whole (a new object
# needs no change here),
# with dkms.conf and VERSION stamped with the version (debian/rules).
DKMS_SRC_DIRS := vhost_sidecore manager uapi
DKMS_DEST = $(DESTDIR)/usr/src/vhost-sidecore-$(VSC_VERSION)

dkms-install:
	install -d $(DKMS_DEST)/tools
	install -m 0644 $(TOPDIR)/Kbuild $(TOPDIR)/Makefile $(wildcard $(TOPDIR)/*.c) \
		$(DKMS_DEST)/
	install -m 0755 $(TOPDIR)/tools/version $(DKMS_DEST)/tools/
	echo '$(VSC_VERSION)' > $(DKMS_DEST)/VERSION
	sed 's/#MODULE_VERSION#/$(VSC_VERSION)/' $(TOPDIR)/dkms.conf > $(DKMS_DEST)/dkms.conf
	cd $(TOPDIR) && find $(DKMS_SRC_DIRS) -type f -name '*.[chS]' \
		-exec install -D -m 0644 {} $(DKMS_DEST)/{} \;

demo:
	$(TOPDIR)/tools/demo

bench:
	$(TOPDIR)/tools/bench/run

style:
	$(TOPDIR)/tools/style

ynl-gen:
	$(TOPDIR)/tools/ynl --prepare
	$(TOPDIR)/tools/ynl-gen

sparse:
	$(need-kdir)$(MAKE) -C $(KDIR) M=$(TOPDIR) C=2 W=1 modules

clean:
	$(if $(KDIR_ERROR),,$(MAKE) -C $(KDIR) M=$(TOPDIR) clean)
	$(foreach d,$(wildcard $(TOPDIR)/tests/unit $(TOPDIR)/selftests),$(MAKE) -C $(d) clean &&) true
	$(foreach d,$(TOOLS_DIRS),$(MAKE) -C $(dir $(d)) clean &&) true
