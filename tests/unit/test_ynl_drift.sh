#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/ynl-gen --check, the drift check between the netlink spec and the
# code: the files generated from the spec are what the kernel's ynl-gen-c
# makes of it, and the hand-written parts agree with it. Then, on scratch
# copies of the tree, that it fails on each kind of drift and that
# regenerating after a spec change satisfies it. Needs the generator
# (tools/ynl --prepare): without it every check fails. Prints TAP.
set -u
. "$(dirname "$0")/lib.sh"
GEN=$TOP/tools/ynl-gen
SPEC=Documentation/netlink/specs/vhost_sidecore.yaml
FILES="$SPEC uapi/linux/vhost_sidecore.h manager/netlink-gen.c
	manager/netlink-gen.h manager/netlink.c manager/policy.c"

# fresh: a scratch copy of what the check reads, in $dir/t
fresh() {
	rm -rf "$dir/t" && mkdir -p "$dir/t" &&
		(cd "$TOP" && cp --parents $FILES "$dir/t/")
}
# edit FILE SED: change the copy's FILE, and fail if nothing changed
edit() {
	cp "$dir/t/$1" "$dir/before" && sed -i "$2" "$dir/t/$1" &&
		! cmp -s "$dir/before" "$dir/t/$1"
}
# drifts WHAT: the check on the copy fails (1) and its message has WHAT
drifts() {
	local rc

	"$GEN" --check --top "$dir/t" > "$dir/out" 2>&1
	rc=$?
	sed 's/^/# /' "$dir/out" | head -n 12
	[ $rc = 1 ] && grep -q -- "$1" "$dir/out"
}
agrees() { "$GEN" --check --top "$dir/t" > "$dir/out" 2>&1 || { sed 's/^/# /' "$dir/out"; false; }; }

check "the tree: generated files and hand-written parts agree with the spec" \
	"$GEN" --check

fresh
check "a scratch copy agrees too" agrees

fresh
edit manager/netlink-gen.c 's/NLA_POLICY_RANGE(NLA_U32, 1, 1000)/NLA_POLICY_RANGE(NLA_U32, 1, 2000)/'
check "hand-edited policy range in manager/netlink-gen.c: drift" \
	drifts 'manager/netlink-gen.c differs'

fresh
edit uapi/linux/vhost_sidecore.h 's/^\tVHOST_SIDECORE_A_MOVE_PAD,$/&\n\tVHOST_SIDECORE_A_MOVE_EXTRA,/'
check "an attribute added by hand to the uapi header: drift" \
	drifts 'uapi/linux/vhost_sidecore.h differs'

fresh
edit $SPEC '/name: config-get$/,/attribute-set:/s/attribute-set: config/&\n      flags: [ admin-perm ]/'
check "config-get made admin-only in the spec, not regenerated: drift" \
	drifts 'manager/netlink-gen.c differs'
# regenerated: tools/ynl-gen on the copy, then no drift, and config-get's
# entry in the generated table is admin-only
regenerated() {
	"$GEN" --top "$dir/t" > /dev/null && agrees &&
		grep -A3 'VHOST_SIDECORE_CMD_CONFIG_GET,' "$dir/t/manager/netlink-gen.c" |
		grep -q 'GENL_ADMIN_PERM'
}
check "... then regenerated (tools/ynl-gen): no drift, and the op is admin-only" \
	regenerated

fresh
edit manager/policy.c 's/K(busy_load,\tBUSY_LOAD,\t1, 1000)/K(busy_load,\tBUSY_LOAD,\t1, 2000)/'
check "a knob range changed in manager/policy.c only: drift" \
	drifts 'knob busy_load: manager/policy.c says 1..2000'

fresh
edit manager/netlink.c '/\[VHOST_SIDECORE_NLGRP_MONITOR\] = {/,/}/{/GENL_MCAST_CAP_NET_ADMIN/d}'
check "the monitor group's admin-only flag dropped from manager/netlink.c: drift" \
	drifts 'group monitor: the spec has admin-perm'

tap_end
