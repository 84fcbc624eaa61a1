# SPDX-License-Identifier: GPL-2.0
# Shell helpers for our selftests: TAP output, module handling, and one
# cleanup on every way out of a test.

VSC_TOP=${VSC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# The module built for the running kernel: $VSC_MODULE if set (make check
# sets it), else build/RELEASE/ (where make check builds each kernel's),
# else the tree's own build.
if [ -z "${VSC_MODULE:-}" ]; then
	VSC_MODULE=$VSC_TOP/build/$(uname -r)/vhost_sidecore.ko
	[ -r "$VSC_MODULE" ] || VSC_MODULE=$VSC_TOP/vhost_sidecore.ko
fi
VSC_DEV=/dev/vhost-sidecore-net
VSC_SYS=/sys/kernel/vhost_sidecore
# The module's one dependency (its IOTLB), which insmod does not load.
modprobe -q vhost_iotlb 2>/dev/null || true

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

tap_num=0
tap_failed=0
tap_skipped=0
tap_planned=""
tap_plan_shown=0
# When the last result came (us): each result is followed by the seconds
# since the one before (where a test spends its time under TCG).
tap_last=${EPOCHREALTIME/./}

# tap_header [N]: the TAP header, and the plan if N is given. The plan
# line itself comes out just before the first result, so a test may still
# skip as a whole (tap_skip_all) until it has printed one.
tap_header() {
	echo "TAP version 13"
	tap_planned=${1:-}
}

tap_show_plan() {
	[ "$tap_plan_shown" = 0 ] || return 0
	tap_plan_shown=1
	[ -z "$tap_planned" ] || echo "1..$tap_planned"
}

diag() { echo "# $*"; }

# tap_took: a diagnostic with the time since the previous result
tap_took() {
	local now=${EPOCHREALTIME/./} d
	d=$(( (now - tap_last) / 10000 ))
	tap_last=$now
	printf '# %d.%02d s\n' $((d / 100)) $((d % 100))
}

ok() {
	tap_show_plan
	tap_num=$((tap_num + 1))
	echo "ok $tap_num $*"
	tap_took
}

not_ok() {
	tap_show_plan
	tap_num=$((tap_num + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_num $*"
	tap_took
}

skip() {
	tap_show_plan
	tap_num=$((tap_num + 1))
	tap_skipped=$((tap_skipped + 1))
	echo "ok $tap_num # SKIP $*"
	tap_took
}

# check "description" command...: one TAP line from a command's status
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# tap_skip_all REASON: the whole test is skipped ("1..0 # SKIP REASON",
# exit 4). Only before the first result: a test that has started checking
# and then gives up has failed.
tap_skip_all() {
	if [ "$tap_num" -gt 0 ]; then
		diag "skipping the rest after $tap_num checks: $*"
		exit $KSFT_FAIL
	fi
	echo "1..0 # SKIP $*"
	exit $KSFT_SKIP
}

# tap_finish: the plan if it was not declared, and the exit status. A
# declared plan must match the number of results, as in ktap_finish().
tap_finish() {
	if [ -z "$tap_planned" ]; then
		echo "1..$tap_num"
	else
		tap_show_plan
		if [ "$tap_num" != "$tap_planned" ]; then
			diag "planned $tap_planned checks, ran $tap_num"
			tap_failed=$((tap_failed + 1))
		fi
	fi
	if [ "$tap_failed" -gt 0 ]; then exit $KSFT_FAIL; fi
	if [ "$tap_num" -gt 0 ] && [ "$tap_skipped" = "$tap_num" ]; then exit $KSFT_SKIP; fi
	exit $KSFT_PASS
}

# Cleanup (the idea of the kernel's net/lib.sh cleanup_all_ns): one EXIT
# trap, set here for every test, that on any way out
#   1. kills the test's background jobs (and waits for them),
#   2. runs what the test deferred with vsc_defer, newest first,
#   3. puts policy, cpus and sidecores back as they were when the test
#      first found the module loaded (and reloads it if it was loaded then),
#   4. removes the test's temporary directory ($VSC_TMP, vsc_tmpdir).
# A test must not set its own EXIT trap; it uses vsc_defer.
VSC_TMP=""
vsc_deferred=()
vsc_saved_config=""
vsc_was_loaded=0

# vsc_defer COMMAND...: run COMMAND (one shell string) at exit
vsc_defer() { vsc_deferred+=("$*"); }

# vsc_tmpdir: create $VSC_TMP, a directory removed at exit
vsc_tmpdir() {
	[ -n "$VSC_TMP" ] && return 0
	VSC_TMP=$(mktemp -d "/tmp/vsc-$(basename "$0" .sh).XXXXXX") || return 1
}

vsc_save_config() {
	[ -z "$vsc_saved_config" ] && vsc_loaded || return 0
	vsc_was_loaded=1
	vsc_saved_config="$(cat $VSC_SYS/policy)|$(cat $VSC_SYS/cpus)|$(cat $VSC_SYS/sidecores)"
}

vsc_restore_config() {
	local policy cpus sidecores
	[ -n "$vsc_saved_config" ] || return 0
	if ! vsc_loaded; then
		[ "$vsc_was_loaded" = 1 ] || return 0
		insmod "$VSC_MODULE" || return 1
	fi
	IFS='|' read -r policy cpus sidecores <<< "$vsc_saved_config"
	# Through ondemand: any cpus and sidecores are valid there.
	echo ondemand > $VSC_SYS/policy &&
		echo "$sidecores" > $VSC_SYS/sidecores &&
		echo "$cpus" > $VSC_SYS/cpus &&
		echo "$policy" > $VSC_SYS/policy
}

vsc_cleanup() {
	local rc=$? i pids
	trap - EXIT
	trap '' INT TERM HUP
	pids=$(jobs -p)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill $pids 2>/dev/null
		sleep 0.2
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null
		wait 2>/dev/null
	fi
	for ((i = ${#vsc_deferred[@]} - 1; i >= 0; i--)); do
		eval "${vsc_deferred[i]}" > /dev/null 2>&1
	done
	vsc_restore_config 2>/dev/null || echo "# cleanup: could not restore the module's policy"
	[ -z "$VSC_TMP" ] || rm -rf "$VSC_TMP"
	exit "$rc"
}
trap vsc_cleanup EXIT
# A signal ends the test through the same cleanup, with 128 + signal.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

vsc_loaded() { [ -d /sys/module/vhost_sidecore ]; }

# vsc_load [param=value...]: (re)load the module with these parameters
vsc_load() {
	vsc_unload || return 1
	insmod "$VSC_MODULE" "$@"
}

vsc_unload() {
	vsc_loaded || return 0
	vsc_save_config
	rmmod vhost_sidecore
}

vsc_ensure_loaded() {
	vsc_loaded || insmod "$VSC_MODULE" || return 1
	vsc_save_config
}

# wait_genl_socket PID TENTHS: wait until process PID has a generic
# netlink socket (port id = its pid), e.g. a monitor about to subscribe;
# then up to 5 s more until that socket has joined a multicast group
# (/proc/net/netlink shows the first 32 group bits only: a group id past
# them is not seen, and the wait just ends).
wait_genl_socket() {
	local i
	for ((i = 0; i < $2; i++)); do
		awk -v p="$1" '$2 == 16 && $3 % 4194304 == p { f = 1 } END { exit !f }' /proc/net/netlink &&
			break
		sleep 0.1
	done
	[ "$i" -lt "$2" ] || return 1
	for ((i = 0; i < 50; i++)); do
		awk -v p="$1" '$2 == 16 && $3 % 4194304 == p && $4 != "00000000" { f = 1 } END { exit !f }' \
			/proc/net/netlink && return 0
		sleep 0.1
	done
	return 0
}

# The permission checks run each refused operation three ways: as nobody,
# as root in a new user namespace (root there, no capability in the
# initial one) and as root without CAP_NET_ADMIN (dropped from the
# bounding, inheritable and ambient sets, so exec cannot regain it).
VSC_UNPRIVILEGED="as_nobody as_userns as_no_net_admin"
# new_log: kernel log lines since the previous call (the first call: since
# new_log_start)
new_log_start() { log_seen=$(dmesg | wc -l); }
new_log() {
	local n
	n=$(dmesg | wc -l)
	dmesg | tail -n +$((log_seen + 1)) | head -n $((n - log_seen))
	log_seen=$n
}

# vq0_mode: where vq 0 of device $id runs (debugfs)
vq0_mode() { awk -v i="$id" '$1 == i && $4 == 0 { print $5 }' /sys/kernel/debug/vhost_sidecore/vqs; }

# owned_device: a python process holding the device node after SET_OWNER,
# its pid in $owner (printed to $VSC_TMP/owner), the device's id in $id
owned_device() {
	python3 -c 'import os, fcntl, time
fd = os.open("/dev/vhost-sidecore-net", os.O_RDWR)
fcntl.ioctl(fd, 0xAF01)
print(os.getpid(), flush=True)
time.sleep(3600)' > "$VSC_TMP/owner" &
	owner=$!
	for _ in $(seq 100); do [ -s "$VSC_TMP/owner" ] && break; sleep 0.1; done
	id=$(awk -v p="$owner" '$2 == p { print $1; exit }' /sys/kernel/debug/vhost_sidecore/vqs)
}

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
as_userns() { unshare --user --map-root-user -- "$@"; }
as_no_net_admin() {
	setpriv --inh-caps=-net_admin --ambient-caps=-net_admin \
		--bounding-set=-net_admin -- "$@"
}
