#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The generic netlink family, driven by the kernel's own YNL CLI from our
# spec (tools/ynl): config get/set agree with sysfs, refusals carry the
# extack text and change nothing, the spec's checks (ranges, lengths) are
# the kernel's policies, device and sidecore dumps, a vq move, monitor
# events, and for nobody, for root in a user namespace and for root
# without CAP_NET_ADMIN: the configuration readable, the rest EPERM.
. "$(dirname "$0")/lib/common.sh"

YNL=$VSC_TOP/tools/ynl
SYS=/sys/kernel/vhost_sidecore
DBG=/sys/kernel/debug/vhost_sidecore

vsc_ensure_loaded || tap_skip_all "module not loaded"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
if ! out=$("$YNL" --list-ops 2>&1); then
	diag "$out"
	tap_skip_all "the YNL CLI is not unpacked (tools/ynl --prepare)"
fi
vsc_tmpdir || exit $KSFT_FAIL
tap_header 28
ynl() { "$YNL" --output-json "$@"; }
sysfs() { cat "$SYS/$1"; }

echo ondemand > $SYS/policy
cfg=$(ynl --do config-get)
diag "config-get: $cfg"
check "config-get: policy and interval agree with sysfs" \
	test "$(jq -r '.policy' <<< "$cfg")/$(jq -r '."interval-ms"' <<< "$cfg")" = \
	     "$(sysfs policy)/$(sysfs manager/interval_ms)"

ynl --do config-set --json '{"interval-ms": 70, "dwell-ms": 600}' > /dev/null
check "config-set interval-ms 70, dwell-ms 600: sysfs reads them back" \
	test "$(sysfs manager/interval_ms)/$(sysfs manager/dwell_ms)" = "70/600"
cfg=$(ynl --do config-get)
check "config-get reads them back" \
	test "$(jq -r '."interval-ms"' <<< "$cfg")/$(jq -r '."dwell-ms"' <<< "$cfg")" = "70/600"

# refused "extack text" "sysfs file" value: the text is in $out, the file holds value
refused() { grep -q "$1" <<< "$out" && [ "$(sysfs "$2")" = "$3" ]; }
# The spec's checks are the kernel's policy: a knob out of its range is
# refused before the handler, the extack naming the attribute and its range.
out=$(ynl --do config-set --json '{"busy-load": 5000}' 2>&1)
diag "busy-load 5000: $(tr '\n\t' '  ' <<< "$out")"
policy_refused() {
	grep -q 'error: -34$' <<< "$out" && grep -q "'bad-attr': '\.busy-load'" <<< "$out" &&
		grep -q "'min-value': 1, 'max-value': 1000" <<< "$out" &&
		[ "$(sysfs manager/busy_load)" = 200 ]
}
check "a knob above its range (busy-load 5000): ERANGE from the policy, the range in the extack, nothing changes" \
	policy_refused
out=$(ynl --do config-set --json '{"cpus": "zz", "interval-ms": 90}' 2>&1)
diag "cpus zz: $(tr '\n\t' '  ' <<< "$out")"
check "a bad CPU list is refused, the whole request changes nothing" \
	refused 'not a CPU list' manager/interval_ms 70
out=$(ynl --do config-set --json '{"policy": "sidecore", "cpus": ""}' 2>&1)
check "a policy that needs cpus is refused with why" refused 'set cpus first' policy ondemand

# What no well-behaved client sends, built by hand: each is refused with
# an extack text and changes nothing.
RAW=$VSC_TOP/selftests/lib/genl_raw.py
CMD_DEV_GET=1 CMD_CORE_GET=2 CMD_CONFIG_GET=3 CMD_CONFIG_SET=4 CMD_VQ_MOVE=5
A_CPUS=2 A_INTERVAL_MS=4 A_BUSY_LOAD=5 A_MOVE_VQ=2 A_MOVE_CPU=3
raw() { out=$(python3 "$RAW" vhost_sidecore "$@" 2>&1); diag "raw $(cut -c1-80 <<< "$*"): $out"; }
# raw_refused ERRNO [FILE VALUE]: the last raw request failed with ERRNO
# (a regex) and a text; the sysfs FILE still holds VALUE
raw_refused() {
	[[ "$out" =~ ^error\ $1:\ .+ ]] && { [ $# -lt 3 ] || [ "$(sysfs "$2")" = "$3" ]; }
}
# policy_refused ERRNO TEXT [FILE VALUE]: the last raw request failed with
# ERRNO and the policy's TEXT (and the attribute it blamed, if it did);
# the sysfs FILE still holds VALUE
policy_refused() {
	case $out in
	"error $1: $2" | "error $1: $2 (attribute "[0-9]*")") ;;
	*) return 1 ;;
	esac
	[ $# -lt 4 ] || [ "$(sysfs "$3")" = "$4" ]
}
raw $CMD_CONFIG_SET 99:u32:1 $A_BUSY_LOAD:u32:300
check "config-set with an attribute type the family does not have: EINVAL with why, nothing changes" \
	raw_refused EINVAL manager/busy_load 200
raw $CMD_CONFIG_SET $A_BUSY_LOAD:u64:300
check "config-set with a knob of the wrong size: EINVAL/ERANGE with why, nothing changes" \
	raw_refused 'E(INVAL|RANGE)' manager/busy_load 200
raw $CMD_CONFIG_GET 1:u32:0
check "config-get takes no attributes: refused with why" raw_refused EINVAL
raw --dump $CMD_DEV_GET 1:u32:0
check "dev-get dump with an id: refused with why, not silently ignored" raw_refused EINVAL
raw $CMD_VQ_MOVE 1:u32:0 2:u32:0 $A_MOVE_CPU:raw:feffffff
check "vq-move to CPU -2: refused by the policy with why" \
	policy_refused ERANGE 'integer out of range'
raw --dump $CMD_CORE_GET 1:u32:0
check "core-get dump takes no attributes: refused with why" raw_refused EINVAL
# The rest of the spec's checks, each where the policy refuses.
raw $CMD_VQ_MOVE 1:u32:0 $A_MOVE_VQ:u32:2 $A_MOVE_CPU:u32:0
check "vq-move of vq 2 (a device has 0 and 1): ERANGE from the policy" \
	policy_refused ERANGE 'integer out of range'
raw $CMD_CONFIG_SET $A_INTERVAL_MS:u32:0 $A_BUSY_LOAD:u32:300
check "a knob below its range (interval-ms 0): ERANGE from the policy, the whole request changes nothing" \
	policy_refused ERANGE 'integer out of range' manager/busy_load 200
long=$(printf '0,%.0s' $(seq 2048))0
raw $CMD_CONFIG_SET $A_CPUS:str:$long $A_BUSY_LOAD:u32:300
check "cpus longer than 4096 characters (${#long}): EINVAL from the policy, nothing changes" \
	policy_refused EINVAL 'Attribute failed policy validation' manager/busy_load 200

ynl --do config-set --json '{"interval-ms": 50, "dwell-ms": 500}' > /dev/null

# A device with an owner: a process holding the node after SET_OWNER.
python3 -c 'import os, fcntl, sys, time
fd = os.open("/dev/vhost-sidecore-net", os.O_RDWR)
fcntl.ioctl(fd, 0xAF01)
print(os.getpid(), flush=True)
time.sleep(3600)' > "$VSC_TMP/owner" &
owner=$!
for _ in $(seq 50); do [ -s "$VSC_TMP/owner" ] && break; sleep 0.1; done
devs=$(ynl --dump dev-get)
diag "dev-get dump: $devs"
id=$(jq -r --argjson p "$owner" '.[] | select(."owner-pid" == $p) | .id' <<< "$devs")
check "dev-get dump lists the device with its owner and 2 vqs on demand" \
	test -n "$id" -a "$(jq -r --argjson p "$owner" \
		'[.[] | select(."owner-pid" == $p) | .vq[] | select(.mode == "ondemand")] | length' <<< "$devs")" = 2
check "dev-get do by id agrees" \
	test "$(ynl --do dev-get --json "{\"id\": ${id:-0}}" | jq -r '."owner-comm"')" = python3
out=$(ynl --do dev-get --json '{"id": 999999}' 2>&1)
check "dev-get of an unknown id: ENOENT with why" grep -q 'no open device' <<< "$out"

# Monitor: events of a vq move (manual policy) and of sidecore start.
# The CLI takes seconds to start under TCG. It subscribes right
# after it opens its generic netlink socket (port id = its pid).
# (45 s, longer on a slower kernel: VSC_TIMEOUT_SCALE, tools/check-debug)
"$YNL" --output-json --subscribe monitor --sleep $((45 * ${VSC_TIMEOUT_SCALE:-1})) \
	> "$VSC_TMP/mon" 2>&1 &
mon=$!
wait_genl_socket $mon 600
sleep 2
echo 1 > $SYS/cpus && echo manual > $SYS/policy
ynl --do vq-move --json "{\"dev\": $id, \"vq\": 0, \"cpu\": 1}" > /dev/null
moved=$(awk -v d="$id" '$1 == d && $4 == 0 { print $5 }' $DBG/vqs)
ynl --do vq-move --json "{\"dev\": $id, \"vq\": 0, \"cpu\": -1}" > /dev/null
cores=$(ynl --dump core-get)
echo ondemand > $SYS/policy
wait $mon
diag "core-get dump: $cores"
diag "monitor: $(cat "$VSC_TMP/mon")"
check "vq-move over netlink puts the vq on sidecore 1 ($moved)" test "$moved" = sidecore:1
check "core-get dump shows the sidecore on CPU 1" \
	test "$(jq -r '.[0].cpu' <<< "$cores")" = 1
n=$(jq '[.[] | select(.name == "vq-move-ntf")] | length' "$VSC_TMP/mon")
check "monitor: an event for each of the two moves ($n)" test "$n" = 2
check "monitor: config changes and the sidecore starting are events too" \
	sh -c "jq -e '[.[] | select(.name == \"config-change-ntf\")] | length >= 2' '$VSC_TMP/mon' >/dev/null &&
	       jq -e '[.[] | select(.name == \"core-state-ntf\" and .msg.state == \"running\")] | length == 1' '$VSC_TMP/mon' >/dev/null"

# Changes, the device dump and the monitor group are admin-only: refused
# (EPERM) for nobody, for root in a user namespace and for root without
# CAP_NET_ADMIN. The configuration is unchanged afterwards, and they can
# read it, as in sysfs (the spec's flags: config-get is not admin-perm).
# (Each YNL CLI start takes seconds under TCG: a few requests here, every
# command in sidecorectl.sh.)
# refused_all WRAPPER: run each request under WRAPPER (common.sh)
refused_all() {
	local who=$1 bad=0 before
	before=$(sysfs manager/interval_ms)
	out=$($who "$YNL" --do config-set --json '{"interval-ms": 77}' 2>&1)
	grep -q 'Operation not permitted' <<< "$out" ||
		{ diag "$who: config-set: $(tr '\n\t' '  ' <<< "$out" | cut -c1-300)"; bad=1; }
	out=$($who "$YNL" --subscribe monitor --sleep 1 2>&1)
	grep -q 'PermissionError\|Operation not permitted' <<< "$out" ||
		{ diag "$who: subscribe monitor: $(tail -n1 <<< "$out")"; bad=1; }
	[ "$(sysfs manager/interval_ms)" = "$before" ] || { diag "$who changed interval_ms"; bad=1; }
	return $bad
}
# reads_config WRAPPER: config-get and the core-get dump work under
# WRAPPER, the dev-get dump does not (the raw client: one YNL CLI start
# takes seconds)
reads_config() {
	local who=$1 r
	for r in "$CMD_CONFIG_GET:^ok 1\$" "--dump $CMD_CORE_GET:^ok" "--dump $CMD_DEV_GET:^error EPERM"; do
		# shellcheck disable=SC2086
		out=$($who python3 "$RAW" vhost_sidecore ${r%%:*} 2>&1)
		[[ "$out" =~ ${r#*:} ]] || { diag "$who: ${r%%:*}: $out"; return 1; }
	done
}
for who in $VSC_UNPRIVILEGED; do
	check "$who: EPERM from config-set, and no monitor" \
		refused_all "$who"
	check "$who: config-get and core-get work (what sysfs shows all), the dev-get dump is EPERM" \
		reads_config "$who"
done
tap_finish
