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
[ -r "${VSC_YNL_DIR:-/var/cache/vhost-sidecore/ynl}/tools/net/ynl/cli.py" ] ||
	tap_skip_all "the YNL CLI is not unpacked (tools/ynl --prepare)"
vsc_tmpdir || exit $KSFT_FAIL
tap_header 28
sysfs() { cat "$SYS/$1"; }
# Every request but the first and the monitor's goes through one YNL
# library process (lib/ynl_serve.py: a Python start takes seconds under
# TCG): ynl doit|dumpit OP [JSON] and raw ... put the answer line in $out.
SERVE=$VSC_TOP/selftests/lib/ynl_serve.py
coproc YNLS { python3 -B "$SERVE" 2> "$VSC_TMP/ynls.err"; }
ynl() {
	local q
	printf -v q '%q ' "$@"
	echo "$q" >&"${YNLS[1]}"
	IFS= read -r -t $((120 * ${VSC_TIMEOUT_SCALE:-1})) out <&"${YNLS[0]}" ||
		out="error: no answer from ynl_serve.py"
}
# Events come to a second socket of the same process.
ynl subscribe monitor
diag "subscribe monitor: $out"

echo ondemand > $SYS/policy
# The CLI itself, once.
cfg=$("$YNL" --output-json --do config-get)
diag "config-get (the CLI): $cfg"
check "config-get: policy and interval agree with sysfs" \
	test "$(jq -r '.policy' <<< "$cfg")/$(jq -r '."interval-ms"' <<< "$cfg")" = \
	     "$(sysfs policy)/$(sysfs manager/interval_ms)"

ynl doit config-set '{"interval-ms": 70, "dwell-ms": 600}'
check "config-set interval-ms 70, dwell-ms 600: sysfs reads them back" \
	test "$(sysfs manager/interval_ms)/$(sysfs manager/dwell_ms)" = "70/600"
ynl doit config-get
cfg=$out
check "config-get reads them back" \
	test "$(jq -r '."interval-ms"' <<< "$cfg")/$(jq -r '."dwell-ms"' <<< "$cfg")" = "70/600"

# refused "extack text" "sysfs file" value: the text is in $out, the file holds value
refused() { grep -q "$1" <<< "$out" && [ "$(sysfs "$2")" = "$3" ]; }
# The spec's checks are the kernel's policy: a knob out of its range is
# refused before the handler, the extack naming the attribute and its range.
ynl doit config-set '{"busy-load": 5000}'
diag "busy-load 5000: $(tr '\n\t' '  ' <<< "$out")"
policy_refused() {
	grep -q 'error: -34 ' <<< "$out" && grep -q "'bad-attr': '\.busy-load'" <<< "$out" &&
		grep -q "'min-value': 1, 'max-value': 1000" <<< "$out" &&
		[ "$(sysfs manager/busy_load)" = 200 ]
}
check "a knob above its range (busy-load 5000): ERANGE from the policy, the range in the extack, nothing changes" \
	policy_refused
ynl doit config-set '{"cpus": "zz", "interval-ms": 90}'
diag "cpus zz: $(tr '\n\t' '  ' <<< "$out")"
check "a bad CPU list is refused, the whole request changes nothing" \
	refused 'not a CPU list' manager/interval_ms 70
ynl doit config-set '{"policy": "sidecore", "cpus": ""}'
check "a policy that needs cpus is refused with why" refused 'set cpus first' policy ondemand

# What no well-behaved client sends, built by hand: each is refused with
# an extack text and changes nothing.
CMD_DEV_GET=1 CMD_CORE_GET=2 CMD_CONFIG_GET=3 CMD_CONFIG_SET=4 CMD_VQ_MOVE=5
A_CPUS=2 A_INTERVAL_MS=4 A_BUSY_LOAD=5 A_MOVE_VQ=2 A_MOVE_CPU=3
raw() { ynl raw "$@"; diag "raw $(cut -c1-80 <<< "$*"): $out"; }
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

ynl doit config-set '{"interval-ms": 50, "dwell-ms": 500}'

# A device with an owner: a process holding the node after SET_OWNER
# (common.sh: sets owner and id).
owned_device
ynl dumpit dev-get
devs=$out
diag "dev-get dump: $devs"
id=$(jq -r --argjson p "$owner" '.[] | select(."owner-pid" == $p) | .id' <<< "$devs")
check "dev-get dump lists the device with its owner and 2 vqs on demand" \
	test -n "$id" -a "$(jq -r --argjson p "$owner" \
		'[.[] | select(."owner-pid" == $p) | .vq[] | select(.mode == "ondemand")] | length' <<< "$devs")" = 2
dev_comm() { ynl doit dev-get "{\"id\": ${id:-0}}"; [ "$(jq -r '."owner-comm"' <<< "$out")" = python3 ]; }
check "dev-get do by id agrees" dev_comm
ynl doit dev-get '{"id": 999999}'
check "dev-get of an unknown id: ENOENT with why" grep -q 'no open device' <<< "$out"

# Monitor: events of a vq move (manual policy) and of sidecore start,
# received by the library process (subscribed at its start:
# the kernel sends each event before the reply to the request that
# caused it). What it has queued so far is dropped first.
ynl ntf
echo 1 > $SYS/cpus && echo manual > $SYS/policy
ynl doit vq-move "{\"dev\": $id, \"vq\": 0, \"cpu\": 1}"
moved=$(awk -v d="$id" '$1 == d && $4 == 0 { print $5 }' $DBG/vqs)
ynl doit vq-move "{\"dev\": $id, \"vq\": 0, \"cpu\": -1}"
ynl dumpit core-get
cores=$out
echo ondemand > $SYS/policy
ynl ntf
echo "$out" > "$VSC_TMP/mon"
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
# End the library process: its input closed, it exits.
serve_pid=$YNLS_PID
eval "exec ${YNLS[1]}>&-"
wait "$serve_pid" 2> /dev/null
[ ! -s "$VSC_TMP/ynls.err" ] || diag "ynl_serve.py: $(head -c 1000 "$VSC_TMP/ynls.err")"

# Changes, the device dump and the monitor group are admin-only: refused
# (EPERM) for nobody, for root in a user namespace and for root without
# CAP_NET_ADMIN. The configuration is unchanged afterwards, and they can
# read it, as in sysfs (the spec's flags: config-get is not admin-perm).
# One library process under each WRAPPER (common.sh) makes the requests:
# config-set, subscribe, config-get, the core-get and dev-get dumps.
as_who() {
	local who=$1
	before=$(sysfs manager/interval_ms)
	mapfile -t ans < <($who python3 -B "$SERVE" 2>&1 <<EOF
subscribe monitor
doit config-set '{"interval-ms": 77}'
raw $CMD_CONFIG_GET
raw --dump $CMD_CORE_GET
raw --dump $CMD_DEV_GET
EOF
)
	diag "$who: $(printf '[%s] ' "${ans[@]}" | cut -c1-600)"
}
# refused_all: config-set and subscribe refused, nothing changed
refused_all() {
	[[ ${ans[1]:-} == "error: "*"Operation not permitted"* ]] &&
		[[ ${ans[0]:-} =~ ^error:\ .*(PermissionError|Operation\ not\ permitted) ]] &&
		[ "$(sysfs manager/interval_ms)" = "$before" ]
}
# reads_config: config-get and the core-get dump work, the dev-get dump not
reads_config() {
	[ "${ans[2]:-}" = "ok 1" ] && [[ ${ans[3]:-} == "ok "* ]] &&
		[[ ${ans[4]:-} == "error EPERM"* ]]
}
for who in $VSC_UNPRIVILEGED; do
	as_who "$who"
	check "$who: EPERM from config-set, and no monitor" refused_all
	check "$who: config-get and core-get work (what sysfs shows all), the dev-get dump is EPERM" \
		reads_config
done
tap_finish
