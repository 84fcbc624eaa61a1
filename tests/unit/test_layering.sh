#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The include rules of Documentation/layout.rst, checked on the sources:
# the data plane (vhost_sidecore/) names nothing of manager/ and not the
# netlink uapi header; the policy (manager/policy.[ch]) includes only
# itself of ours; every .c of the two parts has its own .h. Each rule is
# also run on a copy broken on purpose, to show it can fail. Prints TAP.
set -u
. "$(dirname "$0")/lib.sh"

# Each prints what breaks its rule under ROOT (nothing: kept).
data_plane_names_manager() {
	grep -rn 'manager/' "$1/vhost_sidecore/"
}

data_plane_includes_uapi() {
	grep -rnE '#[[:space:]]*include[[:space:]]*[<"]linux/vhost_sidecore\.h' "$1/vhost_sidecore/"
}

# A quoted include of the data plane names a file beside it.
data_plane_reaches_out() {
	local f inc

	for f in "$1"/vhost_sidecore/*.[ch]; do
		sed -nE 's/^#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$f" |
		while read -r inc; do
			[ -e "$1/vhost_sidecore/$inc" ] && [[ $inc != */* ]] ||
				echo "$f: $inc"
		done
	done
}

policy_not_pure() {
	grep -nE '#[[:space:]]*include[[:space:]]*"' "$1/manager/policy.c" "$1/manager/policy.h" |
		grep -v '"policy\.h"'
}

header_missing() {
	local c

	for c in "$1"/vhost_sidecore/*.c "$1"/manager/*.c; do
		[ -e "${c%.c}.h" ] || echo "$c"
	done
}

# none RULE ROOT: RULE finds nothing under ROOT (what it finds is shown)
none() {
	local out

	out=$("$1" "$2")
	[ -z "$out" ] || { echo "$out" | sed 's/^/# /'; return 1; }
}

broken() {
	rm -rf "$dir/src"
	mkdir -p "$dir/src"
	cp -a "$TOP/vhost_sidecore" "$TOP/manager" "$dir/src/"
}

check "vhost_sidecore/ names nothing of manager/" none data_plane_names_manager "$TOP"
check "vhost_sidecore/ does not include the netlink uapi header" none data_plane_includes_uapi "$TOP"
check "vhost_sidecore/ includes only its own headers by quotes" none data_plane_reaches_out "$TOP"
check "manager/policy.[ch] include only policy.h of ours" none policy_not_pure "$TOP"
check "every .c of vhost_sidecore/ and manager/ has its .h" none header_missing "$TOP"

broken
sed -i '0,/#include "memtable.h"/s//#include "manager\/policy.h"\n&/' "$dir/src/vhost_sidecore/vring.h"
check "a data-plane include of manager/policy.h is caught" \
	eval '! none data_plane_names_manager "$dir/src" >/dev/null'
check "... and a quoted include outside vhost_sidecore/ too" \
	eval '! none data_plane_reaches_out "$dir/src" >/dev/null'
broken
sed -i '0,/#include "dev.h"/s//#include <linux\/vhost_sidecore.h>\n&/' "$dir/src/vhost_sidecore/dev.c"
check "a data-plane include of the uapi header is caught" \
	eval '! none data_plane_includes_uapi "$dir/src" >/dev/null'
broken
sed -i '0,/#include "policy.h"/s//&\n#include "config.h"/' "$dir/src/manager/policy.c"
check "an include of config.h in policy.c is caught" \
	eval '! none policy_not_pure "$dir/src" >/dev/null'
broken
rm -f "$dir/src/manager/sysfs.h"
check "a .c without its .h is caught" \
	eval '! none header_missing "$dir/src" >/dev/null'
tap_end
