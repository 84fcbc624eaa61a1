#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Input parsing (Documentation/ABI/testing/sysfs-kernel-vhost_sidecore):
# sysfs numbers are decimal ("010" is ten), words of vq_move each parsed
# whole, and a negative, too large or non-decimal number is EINVAL with a
# log line saying which word and how, changing nothing. Over netlink, a
# refused vq-move or cross-field configuration names the attribute to
# blame in its extack, and each knob's attribute (numbered as in the uapi
# header) sets that knob and no other.
. "$(dirname "$0")/lib/common.sh"

CTL=$VSC_TOP/tools/sidecorectl/sidecorectl
RAW=$VSC_TOP/selftests/lib/genl_raw.py
UAPI=$VSC_TOP/uapi/linux/vhost_sidecore.h
SYS=/sys/kernel/vhost_sidecore

vsc_ensure_loaded || tap_skip_all "module not loaded"
[ -x "$CTL" ] || tap_skip_all "sidecorectl not built"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
vsc_tmpdir || exit $KSFT_FAIL
tap_header 20
ctl() { "$CTL" "$@"; }
sysfs() { cat "$SYS/$1"; }
# raw CMD [ATTR...]: a hand-built request, its answer line in $out; one
# genl_raw.py process for them all (a Python start takes seconds in TCG)
coproc RAWS { python3 -B "$RAW" vhost_sidecore - 2>&1; }
raw() {
	echo "$*" >&"${RAWS[1]}"
	IFS= read -r -t $((60 * ${VSC_TIMEOUT_SCALE:-1})) out <&"${RAWS[0]}" ||
		out="no answer from genl_raw.py"
}
new_log_start

owned_device
diag "device $id, owner $owner"
echo ondemand > $SYS/policy
echo 1 > $SYS/cpus
echo manual > $SYS/policy
dwell=$(sysfs manager/dwell_ms)
# shellcheck disable=SC2016
vsc_defer "echo $dwell > $SYS/manager/dwell_ms"

# --- sysfs ---

# write FILE VALUE: $err gets what the shell said, $log the kernel's lines
write() {
	new_log > /dev/null
	err=$( (/bin/echo -e "$2" > "$SYS/$1") 2>&1)
	log=$(new_log)
	diag "echo '$2' > $1: '$err' $(grep -o 'vhost_sidecore: .*' <<< "$log" | tr '\n' ' ')"
}
# refused LOG-TEXT FILE WANT: EINVAL, the log line, FILE still reads WANT
refused() {
	grep -q 'Invalid argument' <<< "$err" && grep -q -- "$1" <<< "$log" &&
		[ "$(sysfs "$2")" = "$3" ]
}

write manager/dwell_ms 010
check "010 into a knob is ten, not eight" test -z "$err" -a "$(sysfs manager/dwell_ms)" = 10
write manager/dwell_ms 0x10
check "0x10: EINVAL, 'not a decimal number', unchanged" \
	refused 'dwell_ms: refused: the value is not a decimal number' manager/dwell_ms 10
write manager/dwell_ms -1
check "-1 into a knob: EINVAL, 'negative', unchanged" \
	refused 'dwell_ms: refused: the value is negative' manager/dwell_ms 10
write manager/dwell_ms 4294967306
check "2^32 + 10 into a knob: EINVAL, 'larger than 4294967295', unchanged" \
	refused 'dwell_ms: refused: the value is larger than 4294967295' manager/dwell_ms 10
write sidecores -1
check "-1 into sidecores: EINVAL, 'negative', unchanged" \
	refused 'sidecores: refused: the value is negative' sidecores "$(sysfs sidecores)"
write manager/dwell_ms 12abc
check "12abc: EINVAL, 'not a decimal number', unchanged" \
	refused 'dwell_ms: refused: the value is not a decimal number' manager/dwell_ms 10
sleep 5	# ten log lines per 5 s at most

# moved TEXT WANT: EINVAL (or no error when TEXT is empty), the log line,
# vq 0 now WANT
moved() {
	if [ -z "$1" ]; then [ -z "$err" ]; else
		grep -q 'Invalid argument' <<< "$err" && grep -q -- "$1" <<< "$log"; fi &&
		[ "$(vq0_mode)" = "$2" ]
}
write vq_move "$id 0 1"
check "vq_move '$id 0 1' moves vq 0 to the sidecore of CPU 1" moved '' sidecore:1
write vq_move "$((id + 4294967296)) 0 ondemand"
check "vq_move with device 2^32 + $id: EINVAL, 'DEV is larger', device $id not moved" \
	moved 'vq_move: refused: DEV is larger than 2147483647' sidecore:1
write vq_move "$id -1 ondemand"
check "vq_move with vq -1: EINVAL, 'VQ is negative', not moved" \
	moved 'vq_move: refused: VQ is negative' sidecore:1
write vq_move "$id 0 -1"
check "vq_move to CPU -1: EINVAL, 'CPU (or ondemand) is negative', not moved" \
	moved 'vq_move: refused: CPU (or ondemand) is negative' sidecore:1
write vq_move "$id 0 ondemand 1"
check "vq_move with a fourth word: EINVAL, 'expected three words', not moved" \
	moved 'vq_move: refused: expected three words' sidecore:1
write vq_move "0x$id 0 ondemand"
check "vq_move with a hex device: EINVAL, 'DEV is not a decimal number', not moved" \
	moved 'vq_move: refused: DEV is not a decimal number' sidecore:1
write vq_move " $id\\t0   ondemand "
check "vq_move words parted by runs of blanks and tabs: moved on demand" moved '' ondemand

# --- netlink extack: the attribute blamed ---

# run CMD...: $out gets stdout and stderr, $rc the exit status
run() { out=$("$@" 2>&1); rc=$?; diag "$* -> $rc: $(tr '\n' ' ' <<< "$out" | cut -c1-300)"; }
blamed() { [ "$rc" != 0 ] && grep -q -- "$1" <<< "$out"; }
raw 5 1:u32:"$id" 2:u32:5 3:u32:1
diag "vq-move of vq 5: $out"
check "vq-move of vq 5: refused by the spec's policy (ERANGE), the extack points at vq (attribute 2)" \
	grep -q '^error ERANGE: integer out of range (attribute 2)$' <<< "$out"
run ctl vq move 999999 0 ondemand
check "vq-move of an unknown device: the extack points at dev" \
	blamed 'no device with that id.*(attribute dev)'
run ctl vq move "$id" 0 core 0
check "vq-move to a CPU without a sidecore: the extack points at cpu" \
	blamed 'no sidecore runs on that CPU.*(attribute cpu)'
busy=$(sysfs manager/busy_load) light=$(sysfs manager/light_load)
run ctl config set light_load $((busy + 1))
check "light_load above busy_load: the extack points at light_load" \
	blamed 'light_load must not exceed busy_load.*(attribute light_load)'
run ctl config set busy_load $((light - 1))
check "busy_load below light_load, light_load not in the request: points at busy_load" \
	blamed 'light_load must not exceed busy_load.*(attribute busy_load)'
run ctl config set sidecores 2
check "sidecores above the CPUs in cpus: points at sidecores" \
	blamed 'sidecores is larger.*(attribute sidecores)'

# --- each knob attribute sets its own knob ---

# The config attributes' numbers as the uapi header has them.
attrs=$(awk '/VHOST_SIDECORE_A_CONFIG_POLICY = 1,/ { n = 1 }
	n && /^\tVHOST_SIDECORE_A_CONFIG_[A-Z_]+[ ,]/ {
		a = $1; sub(/^VHOST_SIDECORE_A_CONFIG_/, "", a); sub(/,$/, "", a)
		print tolower(a), n++ }
	/^\t__VHOST_SIDECORE_A_CONFIG_MAX/ { n = 0 }' "$UAPI")
# knob_values: "name value" of every knob (the writable files of manager/;
# read with builtins: a fork costs a lot under TCG)
knob_files=$(find $SYS/manager -type f -perm -u+w | sort)
knob_values() {
	local k v
	for k in $knob_files; do
		read -r v < "$k"
		echo "${k##*/} $v"
	done
}
knobs_by_attr() {
	local name n before after v bad=0 tested=0
	while read -r name n; do
		[ -e "$SYS/manager/$name" ] || continue
		tested=$((tested + 1))
		before=$(knob_values)
		v=$(sysfs "manager/$name")
		v=$((v + 1))
		raw 4 "$n:u32:$v"
		after=$(knob_values)
		[ "$out" = "ok 0" ] &&
			[ "$(diff <(echo "$before") <(echo "$after") | grep '^>')" = "> $name $v" ] ||
			{ diag "attribute $n ($name) = $v: $out; changed: $(diff <(echo "$before") <(echo "$after") | grep '^>' | tr '\n' ' ')"; bad=1; }
		echo $((v - 1)) > "$SYS/manager/$name"
	done <<< "$attrs"
	# Every writable file of manager/ is a knob with an attribute.
	[ "$tested" = "$(wc -w <<< "$knob_files")" ] ||
		{ diag "$tested knob attributes for $(wc -w <<< "$knob_files") knob files"; bad=1; }
	return $bad
}
check "every knob attribute of the uapi header sets the knob of its name and no other" \
	knobs_by_attr

echo ondemand > $SYS/policy
tap_finish
