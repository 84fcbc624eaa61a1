#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sidecorectl against the live family: every command round-trips and its
# JSON parses and agrees with sysfs/debugfs, monitor prints every vq move
# within 1 s, refusals print the kernel's extack text and exit 1, usage
# errors exit 2, nobody, root in a user namespace and root without
# CAP_NET_ADMIN get EPERM from every command but config show and core show
# (open to all, as sysfs) and cannot write the sysfs files, and garbage written to any sysfs knob is refused with EINVAL and
# changes nothing.
. "$(dirname "$0")/lib/common.sh"

CTL=$VSC_TOP/tools/sidecorectl/sidecorectl
SYS=/sys/kernel/vhost_sidecore
DBG=/sys/kernel/debug/vhost_sidecore
KNOBS="interval_ms busy_load light_load busy_pps light_pps core_busy core_light
balance dwell_ms grace_ms pref regret backoff_ms"
MOVES=5

vsc_ensure_loaded || tap_skip_all "module not loaded"
[ -x "$CTL" ] || tap_skip_all "sidecorectl not built"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
vsc_tmpdir || exit $KSFT_FAIL
tmp=$VSC_TMP
tap_header 27
ctl() { "$CTL" "$@"; }
sysfs() { cat "$SYS/$1"; }
knob_file() {
	case $1 in policy|cpus|sidecores) echo "$1" ;; *) echo "manager/$1" ;; esac
}
# run CMD...: $out gets stdout and stderr, $rc the exit status
run() { out=$("$@" 2>&1); rc=$?; diag "$* -> $rc: $(tr '\n' ' ' <<< "$out" | cut -c1-300)"; }

# agree_config JSON: the 16 keys of config show, each equal to its sysfs file
agree_config() {
	local k bad=0
	for k in policy cpus sidecores $KNOBS; do
		[ "$(jq -r ".$k" <<< "$1")" = "$(sysfs "$(knob_file $k)")" ] ||
			{ diag "$k: sidecorectl '$(jq -r ".$k" <<< "$1")', sysfs '$(sysfs "$(knob_file $k)")'"; bad=1; }
	done
	[ "$(jq 'keys | length' <<< "$1")" = 16 ] || { diag "keys: $(jq -c keys <<< "$1")"; bad=1; }
	return $bad
}

echo ondemand > $SYS/policy
echo > $SYS/cpus
cfg=$(ctl -j config show)
diag "config show: $cfg"
check "config show -j parses and its 16 keys agree with sysfs" agree_config "$cfg"
text=$(ctl config show)
text_agrees() {
	local k v
	for k in policy sidecores $KNOBS; do
		v=$(jq -r ".$k" <<< "$cfg")
		grep -qE "(^|[[:space:]])${k}[[:space:]:=]+${v}([[:space:]]|$)" <<< "$text" ||
			{ diag "text lacks '$k $v': $text"; return 1; }
	done
}
check "config show as text prints the same keys and values" text_agrees

# Every key in one call, each to a value that is not its default and
# that passes the cross-checks; then shown.
set_args=(policy manual cpus 0-1 sidecores 1 interval_ms 40 busy_load 300
	light_load 30 busy_pps 60000 light_pps 9000 core_busy 800 core_light 600
	balance 150 dwell_ms 700 grace_ms 900 pref 1500 regret 40 backoff_ms 5000)
defaults=$(ctl -j config show | jq -r 'to_entries | map("\(.key) \(.value)") | .[]' |
	grep -v '^policy \|^cpus ')
run ctl config set "${set_args[@]}"
cfg=$(ctl -j config show)
all_set() {
	local i
	[ "$rc" = 0 ] || return 1
	for ((i = 0; i < ${#set_args[@]}; i += 2)); do
		[ "$(jq -r ".${set_args[i]}" <<< "$cfg")" = "${set_args[i + 1]}" ] ||
			{ diag "${set_args[i]}: want ${set_args[i + 1]}, got $(jq -r ".${set_args[i]}" <<< "$cfg")"; return 1; }
	done
	agree_config "$cfg"
}
check "config set of all 16 keys in one call reads back in config show and sysfs" all_set
# shellcheck disable=SC2086
ctl config set $defaults

# A device with an owner: a process holding the node after SET_OWNER.
python3 -c 'import os, fcntl, time
fd = os.open("/dev/vhost-sidecore-net", os.O_RDWR)
fcntl.ioctl(fd, 0xAF01)
print(os.getpid(), flush=True)
time.sleep(3600)' > "$tmp/owner" &
owner=$!
for _ in $(seq 100); do [ -s "$tmp/owner" ] && break; sleep 0.1; done
id=$(awk -v p="$owner" '$2 == p { print $1; exit }' $DBG/vqs)
diag "device $id, owner $owner"

# dev_agrees JSON-OBJECT: a device as sidecorectl shows it against debugfs
dev_agrees() {
	local d=$1 vq mode cpu want
	[ "$(jq -r .owner_pid <<< "$d")/$(jq -r .owner_comm <<< "$d")" = \
	  "$(awk -v i="$id" '$1 == i { print $2 "/" $3; exit }' $DBG/vqs)" ] || return 1
	for vq in 0 1; do
		mode=$(jq -r ".vqs[] | select(.index == $vq) | .mode" <<< "$d")
		cpu=$(jq -r ".vqs[] | select(.index == $vq) | .cpu // empty" <<< "$d")
		want=$(awk -v i="$id" -v q=$vq '$1 == i && $4 == q { print $5 }' $DBG/vqs)
		[ "$mode${cpu:+:$cpu}" = "$want" ] || { diag "vq $vq: '$mode${cpu:+:$cpu}' vs debugfs '$want'"; return 1; }
	done
}
echo 0-1 > $SYS/cpus
echo manual > $SYS/policy
devs=$(ctl -j dev show)
check "dev show -j lists the device; owner, comm and vq modes agree with debugfs" \
	dev_agrees "$(jq -c --argjson i "${id:-0}" '.[] | select(.id == $i)' <<< "$devs")"
one=$(ctl -j -s dev show "$id" | jq -c 'if type == "array" then .[0] else . end')
diag "dev show $id: $one"
stats_agree() {
	local vq k col v
	dev_agrees "$1" || return 1
	for vq in 0 1; do
		for k in packets:8 bytes:9 kicks:10 signals:11 drops:16; do
			col=${k#*:} k=${k%:*}
			v=$(awk -v i="$id" -v q=$vq -v c="$col" '$1 == i && $4 == q { print $c }' $DBG/vqs)
			[ "$(jq -r ".vqs[] | select(.index == $vq) | .$k" <<< "$1")" = "$v" ] ||
				{ diag "vq $vq $k: $(jq -c ".vqs[$vq]" <<< "$1") vs debugfs $v"; return 1; }
		done
	done
}
check "dev show ID -j -s: the same device, with counters equal to debugfs" stats_agree "$one"

# Manual moves: JSON result, dev show, debugfs and the monitor all agree.
"$CTL" -j monitor > "$tmp/mon" 2> "$tmp/mon.err" &
mon=$!
wait_genl_socket $mon 300
sleep 0.5
run ctl -j vq move "$id" 0 core 1
mv1=$out
check "vq move DEV 0 core 1: JSON says from ondemand (-1) to 1, moved" \
	test "$(jq -c '[.from, .to, .moved, (.ns > 0)]' <<< "$mv1" 2>/dev/null)" = '[-1,1,true,true]'
on_core1() {
	[ "$(awk -v i="$id" '$1 == i && $4 == 0 { print $5 }' $DBG/vqs)" = sidecore:1 ] &&
		dev_agrees "$(ctl -j dev show "$id" | jq -c 'if type == "array" then .[0] else . end')"
}
check "dev show and debugfs both show the vq on sidecore 1" on_core1
run ctl -j vq move "$id" 0 core 1
check "the same move again: moved false, exit 0" \
	test "$rc/$(jq -c .moved <<< "$out" 2>/dev/null)" = 0/false
cores=$(ctl -j -s core show)
diag "core show: $cores"
check "core show -j: the sidecores of sysfs running, CPU 1 polling 1 vq, stats present" \
	test "$(jq -r '[.[].cpu] | map(tostring) | join(",")' <<< "$cores")/$(jq -r '.[] | select(.cpu == 1) | "\(.vqs) \(.state) \(has("busy_ns"))"' <<< "$cores")" = \
	     "$(sysfs running | tr - ,)/1 running true"
st=$(ctl -j status)
diag "status: $st"
check "status -j: policy, cpus, devices and vq placement agree with sysfs and debugfs" \
	test "$(jq -r '"\(.policy) \(.cpus) \(.devices) \(.vqs_sidecore)"' <<< "$st")" = \
	     "manual $(sysfs cpus) $(awk 'NR > 1 { print $1 }' $DBG/vqs | sort -u | wc -l) $(awk 'NR > 1 && $5 != "ondemand"' $DBG/vqs | wc -l)"

# Each move, then the time until monitor printed its event, counted from
# the move command's return: the kernel sends the event before its reply,
# so this is the monitor's own delay (the command's start-up under TCG,
# up to a second with the machine busy, is not the monitor's).
lat=() cmd=()
for i in $(seq $MOVES); do
	ts=$(date +%s%N)
	# shellcheck disable=SC2046
	ctl vq move "$id" 1 $( ((i % 2)) && echo core 0 || echo ondemand) > /dev/null
	t0=$(date +%s%N)
	cmd+=($(( (t0 - ts) / 1000000 )))
	n=$(grep -c '"vq-move"' "$tmp/mon")
	while [ "$n" -lt $((i + 1)) ] &&
	      [ $(( $(date +%s%N) - t0 )) -lt $((3000000000 * ${VSC_TIMEOUT_SCALE:-1})) ]; do
		sleep 0.01
		n=$(grep -c '"vq-move"' "$tmp/mon")
	done
	lat+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
diag "monitor: $(head -c 1500 "$tmp/mon")"
diag "ms each move command took: ${cmd[*]}; from its return to the event printed: ${lat[*]}"
every_move_seen() {
	local l
	[ "$(grep -c '"vq-move"' "$tmp/mon")" = $((MOVES + 1)) ] || return 1
	for l in "${lat[@]}"; do [ "$l" -le "$LAT_MAX" ] || return 1; done
}
# 1 s; longer on a slower kernel (VSC_TIMEOUT_SCALE, tools/check-debug).
LAT_MAX=$((1000 * ${VSC_TIMEOUT_SCALE:-1}))
check "monitor printed an event for each of the $((MOVES + 1)) moves, each within $LAT_MAX ms" \
	every_move_seen
first_event_right() {
	jq -se --argjson i "$id" '[.[] | select(.event == "vq-move")] | .[0] |
		.dev == $i and .vq == 0 and .from == -1 and .to == 1' "$tmp/mon" > /dev/null
}
check "monitor events are JSON lines that say dev, vq, from and to" first_event_right
# Core 0 got vq 1 three times and lost it twice: running, then parked.
core0_states() {
	jq -rs '[.[] | select(.event == "core-state" and .cpu == 0) | .state] | join(" ")' "$tmp/mon"
}
diag "core 0 states: $(core0_states)"
check "monitor: core-state says running when a sidecore gets its first vq, parked when its last leaves" \
	test "$(core0_states)" = "running parked running parked running"

# Refusals: the kernel's reason printed, exit 1, nothing changed.
# refused_with TEXT [FILE VALUE]: the last run exited 1 and printed TEXT;
# the sysfs FILE still holds VALUE
refused_with() {
	[ "$rc" = 1 ] && grep -q -- "$1" <<< "$out" &&
		{ [ $# -lt 3 ] || [ "$(sysfs "$2")" = "$3" ]; }
}
busy=$(sysfs manager/busy_load) light=$(sysfs manager/light_load)
run ctl config set busy_load 5000
check "config set busy_load 5000: exit 1, prints why (busy_load must be in 1..1000), unchanged" \
	refused_with 'busy_load must be in 1..1000' manager/busy_load "$busy"
run ctl config set light_load $((busy + 1)) dwell_ms 1234
check "config set light_load above busy_load: exit 1 with why, the whole call changes nothing" \
	refused_with 'must not exceed' manager/light_load "$light"
cl=$(sysfs manager/core_light)
run ctl config set core_light 1000
check "config set core_light 1000: exit 1 with its range (0..999), unchanged" \
	refused_with 'core_light must be in 0..999' manager/core_light "$cl"
run ctl vq move 999999 0 ondemand
check "vq move of an unknown device: exit 1 with why" refused_with 'no device with that id'
run ctl vq move "$id" 0 sideways
check "a bad command line exits 2" test "$rc" = 2

# EPERM from every command that needs CAP_NET_ADMIN, exit 1: for nobody,
# for root in a user namespace and for root without CAP_NET_ADMIN
# (common.sh). config show and core show are open to all.
# eperm_all WRAPPER
eperm_all() {
	local who=$1 c bad=0
	while read -r c; do
		# shellcheck disable=SC2086
		out=$($who timeout 10 "$CTL" $c 2>&1)
		rc=$?
		grep -q 'Operation not permitted' <<< "$out" && [ $rc = 1 ] ||
			{ diag "$who: $c -> $rc: $out"; bad=1; }
	done <<EOF
status
dev show
dev show $id
config set dwell_ms 100
vq move $id 0 ondemand
monitor
EOF
	return $bad
}
# vq0_mode: where vq 0 of the device runs (debugfs)
vq0_mode() { awk -v i="$id" '$1 == i && $4 == 0 { print $5 }' $DBG/vqs; }
# sysfs_refused WRAPPER: writes to the placement files, to a knob and to
# vq_move are refused (EACCES or EPERM) and change nothing
sysfs_refused() {
	local who=$1 f v before err bad=0 to=ondemand
	[ "$(vq0_mode)" != ondemand ] || to=1
	for f in policy:ondemand cpus:1 sidecores:2 manager/dwell_ms:123 "vq_move:$id 0 $to"; do
		v=${f#*:} f=${f%%:*}
		if [ "$f" = vq_move ]; then before=$(vq0_mode); else before=$(sysfs "$f"); fi
		# coreutils' echo: dash's builtin says "I/O error" for any errno.
		err=$($who sh -c "exec /bin/echo '$v' > $SYS/$f" 2>&1)
		grep -q 'Permission denied\|Operation not permitted' <<< "$err" ||
			{ diag "$who: echo '$v' > $f: '$err'"; bad=1; }
		if [ "$f" = vq_move ]; then v=$(vq0_mode); else v=$(sysfs "$f"); fi
		[ "$v" = "$before" ] || { diag "$who changed $f: '$before' -> '$v'"; bad=1; }
	done
	return $bad
}
for who in $VSC_UNPRIVILEGED; do
	check "$who: EPERM (exit 1) from the 6 admin commands, monitor included" eperm_all "$who"
	check "$who: writes to policy, cpus, sidecores, a knob and vq_move are refused, nothing changes" \
		sysfs_refused "$who"
done

# sysfs: garbage into every writable file is EINVAL and changes nothing.
garbage_refused() {
	local f before err bad=0
	for f in policy cpus sidecores $(for k in $KNOBS; do echo manager/$k; done); do
		before=$(sysfs "$f")
		err=$( (echo 'x7!' > "$SYS/$f") 2>&1)
		grep -q 'Invalid argument' <<< "$err" && [ "$(sysfs "$f")" = "$before" ] ||
			{ diag "$f: '$err', '$before' -> '$(sysfs "$f")'"; bad=1; }
	done
	err=$( (echo 'x y z' > "$SYS/vq_move") 2>&1)
	grep -q 'Invalid argument' <<< "$err" || { diag "vq_move: $err"; bad=1; }
	return $bad
}
check "garbage written to each of the 17 writable sysfs files: EINVAL, nothing changes" garbage_refused

run ctl -j vq move "$id" 0 ondemand
echo ondemand > $SYS/policy
echo > $SYS/cpus
kill $mon $owner 2>/dev/null
wait $mon 2>/dev/null
check "monitor exits 0 on SIGTERM" test $? = 0
check "the bash completion completes commands, keys and targets" bash -c "
	. '$VSC_TOP/tools/sidecorectl/sidecorectl.bash-completion'
	comp() { COMP_WORDS=(\"\$@\"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _sidecorectl; echo \"\${COMPREPLY[*]}\"; }
	[ \"\$(comp sidecorectl con)\" = config ] &&
	[[ \" \$(comp sidecorectl config set b) \" == *' busy_load '* ]] &&
	[[ \" \$(comp sidecorectl vq move 1 0 '') \" == *' ondemand '* ]]"
tap_finish
