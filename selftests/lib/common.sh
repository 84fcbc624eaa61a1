# SPDX-License-Identifier: GPL-2.0
# Shell helpers for our selftests: TAP output and module handling.

VSC_TOP=${VSC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VSC_MODULE=${VSC_MODULE:-$VSC_TOP/vhost_sidecore.ko}
VSC_DEV=/dev/vhost-sidecore-net

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

tap_num=0
tap_failed=0
tap_skipped=0

tap_header() {
	echo "TAP version 13"
	[ -z "${1:-}" ] || { tap_planned=$1; echo "1..$1"; }
}

diag() { echo "# $*"; }

ok() {
	tap_num=$((tap_num + 1))
	echo "ok $tap_num $*"
}

not_ok() {
	tap_num=$((tap_num + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_num $*"
}

skip() {
	tap_num=$((tap_num + 1))
	tap_skipped=$((tap_skipped + 1))
	echo "ok $tap_num # SKIP $*"
}

# check "description" command...: one TAP line from a command's status
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

tap_finish() {
	[ -n "${tap_planned:-}" ] || echo "1..$tap_num"
	if [ "$tap_failed" -gt 0 ]; then exit $KSFT_FAIL; fi
	if [ "$tap_num" -gt 0 ] && [ "$tap_skipped" = "$tap_num" ]; then exit $KSFT_SKIP; fi
	exit $KSFT_PASS
}

vsc_loaded() { [ -d /sys/module/vhost_sidecore ]; }

# vsc_load [param=value...]: (re)load the module with these parameters
vsc_load() {
	vsc_unload || return 1
	insmod "$VSC_MODULE" "$@"
}

vsc_unload() {
	vsc_loaded || return 0
	rmmod vhost_sidecore
}

vsc_ensure_loaded() {
	vsc_loaded || insmod "$VSC_MODULE"
}

# wait_genl_socket PID TENTHS: wait until process PID has a generic
# netlink socket (port id = its pid), e.g. a monitor about to subscribe.
wait_genl_socket() {
	local i
	for ((i = 0; i < $2; i++)); do
		awk -v p="$1" '$2 == 16 && $3 == p { f = 1 } END { exit !f }' /proc/net/netlink &&
			return 0
		sleep 0.1
	done
	return 1
}
