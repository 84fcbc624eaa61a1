#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sidecorectl against the live family: every command round-trips and its
# JSON parses and agrees with sysfs/debugfs, with every member of an
# object always there (null where it does not apply), monitor prints
# every vq move within 1 s, stamped with -t; -d details and -s -i rates
# agree with debugfs under traffic; an overrun monitor prints a lost
# record and goes on, an unload ends it with status 3; -V prints both
# versions and warns when they differ; refusals print the kernel's
# extack text and exit 1, usage errors exit 2, and garbage written to any
# sysfs knob is refused with EINVAL and changes nothing. (Which commands
# need CAP_NET_ADMIN: privilege.sh.)
. "$(dirname "$0")/lib/common.sh"

CTL=$VSC_TOP/tools/sidecorectl/sidecorectl
VGS=$VSC_TOP/selftests/vgstream
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
tap_header 34
ctl() { "$CTL" "$@"; }
sysfs() { cat "$SYS/$1"; }
knob_file() {
	case $1 in policy|cpus|sidecores) echo "$1" ;; *) echo "manager/$1" ;; esac
}
# run CMD...: $out gets stdout and stderr, $rc the exit status
run() { out=$("$@" 2>&1); rc=$?; diag "$* -> $rc: $(tr '\n' ' ' <<< "$out" | cut -c1-300)"; }
# has_keys JSON-OBJECTS KEY...: every object (one per line, or an array's
# elements) has exactly these members, in this order
has_keys() {
	local json=$1 want
	shift
	want=$(printf '%s\n' "$@" | jq -Rsc 'split("\n")[:-1]')
	jq -e --argjson w "$want" -s 'flatten | length > 0 and all(.[]; keys_unsorted == $w)' \
		<<< "$json" > /dev/null ||
		{ diag "want $want, got $(jq -sc 'flatten | map(keys_unsorted) | unique' <<< "$json")"; return 1; }
}
VQ_KEYS="index mode cpu handed_off broken"
VQ_STATS="packets bytes kicks signals drops handoffs run_ns_max run_frames_max"
VQ_DETAILS="backend runs run_ns empty_runs weight_exits errors iotlb_misses"
CORE_KEYS="cpu state vqs"
CORE_STATS="busy_ns idle_ns busy_pct packets mm_switches"
CORE_DETAILS="passes empty_polls runs sleeps sleep_ns"
# per_s KEY...: the keys as -i names them (the maxima and busy_pct kept)
per_s() {
	local k
	for k in "$@"; do
		case $k in
		run_ns_max|run_frames_max|busy_pct|backend) echo "$k" ;;
		*) echo "${k}_per_s" ;;
		esac
	done
}
test_start=$(date +%s)

# -V: this tool's version, the module's from sysfs, a warning if they
# differ (make check builds both from one tree: they should not).
modver=$(cat /sys/module/vhost_sidecore/version)
version_ok() {
	local out err rc
	out=$(ctl -V 2> "$tmp/v.err")
	rc=$?
	err=$(cat "$tmp/v.err")
	diag "-V -> $rc: $(tr '\n' ' ' <<< "$out"); stderr: $err"
	[ "$rc" = 0 ] && [ "$(sed -n 2p <<< "$out")" = "vhost_sidecore module $modver" ] &&
		[[ $(sed -n 1p <<< "$out") == "sidecorectl "* ]] || return 1
	if [ "$(sed -n 1p <<< "$out")" = "sidecorectl $modver" ]; then
		[ -z "$err" ]
	else
		grep -q "warning: .*$modver" <<< "$err"
	fi
}
check "-V: the tool's version and the module's (as in sysfs), exit 0, a warning only if they differ" \
	version_ok
# A build of the same sources that calls itself another version
# (selftests/Makefile).
OTHER=$VSC_TOP/selftests/sidecorectl-other
other_version() {
	local o
	o=$("$OTHER" -j -V 2> "$tmp/other.err") || return 1
	diag "-j -V: $o; stderr: $(cat "$tmp/other.err")"
	[ "$(jq -c . <<< "$o")" = "{\"version\":\"0.0.0-other\",\"module_version\":\"$modver\"}" ] &&
		grep -q "warning: sidecorectl is version 0.0.0-other but the loaded vhost_sidecore module is $modver" \
			"$tmp/other.err"
}
if [ -x "$OTHER" ]; then
	check "-j -V of a build that calls itself 0.0.0-other: both versions in JSON, a warning naming both, exit 0" \
		other_version
else
	skip "-V version mismatch: $OTHER not built"
fi

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

# A device with an owner: a process holding the node after SET_OWNER
# (common.sh: sets owner and id).
owned_device
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
# shellcheck disable=SC2086
keys_always() {
	local all
	all=$(ctl -j -s -d dev show)
	has_keys "$devs" id owner_pid owner_comm vqs &&
		has_keys "$(jq -c '.[].vqs' <<< "$devs")" $VQ_KEYS &&
		has_keys "$(jq -c '.[].vqs' <<< "$all")" $VQ_KEYS $VQ_STATS $VQ_DETAILS &&
		[ "$(jq -c --argjson i "$id" '[.[] | select(.id == $i) | .vqs[] | .cpu]' <<< "$devs")" = '[null,null]' ]
}
check "dev show -j (and -s -d): every device and vq has all its members, cpu null on demand" \
	keys_always
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
"$CTL" -j -t monitor > "$tmp/mon" 2> "$tmp/mon.err" &
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
check "the same move again: moved false, exit 0, from = to = 1, ns null" \
	test "$rc/$(jq -c '[.moved, .from, .to, .ns]' <<< "$out" 2>/dev/null)/$(jq -c keys_unsorted <<< "$out")" = \
	     '0/[false,1,1,null]/["dev","vq","from","to","ns","moved"]'
cores=$(ctl -j -s core show)
diag "core show: $cores"
check "core show -j: the sidecores of sysfs running, CPU 1 polling 1 vq, stats present" \
	test "$(jq -r '[.[].cpu] | map(tostring) | join(",")' <<< "$cores")/$(jq -r '.[] | select(.cpu == 1) | "\(.vqs) \(.state) \(has("busy_ns"))"' <<< "$cores")" = \
	     "$(sysfs running | tr - ,)/1 running true"
# shellcheck disable=SC2086
core_keys_always() {
	has_keys "$(ctl -j core show)" $CORE_KEYS &&
		has_keys "$cores" $CORE_KEYS $CORE_STATS &&
		has_keys "$(ctl -j -s -d core show)" $CORE_KEYS $CORE_STATS $CORE_DETAILS
}
check "core show -j, -s, -s -d: every sidecore has all its members" core_keys_always
st=$(ctl -j status)
diag "status: $st"
check "status -j: policy, cpus, devices and vq placement agree with sysfs and debugfs" \
	test "$(jq -r '"\(.policy) \(.cpus) \(.devices) \(.vqs_sidecore)"' <<< "$st")" = \
	     "manual $(sysfs cpus) $(awk 'NR > 1 { print $1 }' $DBG/vqs | sort -u | wc -l) $(awk 'NR > 1 && $5 != "ondemand"' $DBG/vqs | wc -l)"

# Each move, then the time until monitor printed its event, counted from
# the move command's return: the kernel sends the event before its reply,
# so this is the monitor's own delay (the command's start-up under TCG,
# up to a second with the machine busy, is not the monitor's). The time
# it printed is its own -t stamp, not when this loop saw the line (each
# look forks a grep: slow under TCG).
ret=() cmd=()
for i in $(seq $MOVES); do
	ts=$(date +%s%N)
	# shellcheck disable=SC2046
	ctl vq move "$id" 1 $( ((i % 2)) && echo core 0 || echo ondemand) > /dev/null
	t0=$(date +%s%N)
	cmd+=($(( (t0 - ts) / 1000000 )))
	ret+=("$t0")
	n=$(grep -c '"vq-move"' "$tmp/mon")
	while [ "$n" -lt $((i + 1)) ] &&
	      [ $(( $(date +%s%N) - t0 )) -lt $((5000000000 * ${VSC_TIMEOUT_SCALE:-1})) ]; do
		sleep 0.05
		n=$(grep -c '"vq-move"' "$tmp/mon")
	done
done
# The events of these moves: the second vq-move event on.
lat=()
i=0
while read -r t; do
	e=$(date -d "$t" +%s%N) || break
	d=$(( (e - ret[i]) / 1000000 ))
	lat+=($((d < 0 ? 0 : d)))
	i=$((i + 1))
done < <(jq -r 'select(.event == "vq-move") | .time' "$tmp/mon" | tail -n +2 | head -n $MOVES)
diag "monitor: $(head -c 1500 "$tmp/mon")"
diag "ms each move command took: ${cmd[*]}; from its return to the event's -t stamp: ${lat[*]}"
every_move_seen() {
	local l
	[ "$(grep -c '"vq-move"' "$tmp/mon")" = $((MOVES + 1)) ] && [ ${#lat[@]} = $MOVES ] || return 1
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
# -t: each event's time first, RFC 3339 with microseconds, in order,
# within this test's run.
times_ok() {
	local first last
	jq -se 'length > 0 and all(.[]; keys_unsorted[0] == "time" and
		(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}$")))
		and ([.[].time] == ([.[].time] | sort))' "$tmp/mon" > /dev/null || return 1
	first=$(date -d "$(jq -rs '.[0].time' "$tmp/mon")" +%s) &&
		last=$(date -d "$(jq -rs '.[-1].time' "$tmp/mon")" +%s) || return 1
	diag "event times $first..$last, test from $test_start to $(date +%s)"
	[ "$first" -ge "$test_start" ] && [ "$last" -le "$(date +%s)" ]
}
check "monitor -j -t: every event has its time first (RFC 3339, us), in order, within the test" times_ok
events_keyed() {
	has_keys "$(jq -c 'select(.event == "vq-move")' "$tmp/mon")" time event dev vq from to ns &&
		has_keys "$(jq -c 'select(.event == "core-state")' "$tmp/mon")" time event cpu state
}
check "monitor -j: every vq-move and core-state event has all its members" events_keyed

# Traffic: a userspace guest streams through a device of its own, both
# vqs polled by sidecore 1, until the checks that need it are done (it
# is stopped then; on a debug kernel on a busy host they take minutes).
traffic=0
if [ -x "$VGS" ] && modprobe tun 2> /dev/null; then
	"$VGS" -T 1200 -t 20000 -i vgctl0 -s 3 > "$tmp/vgs" 2>&1 &
	vgs=$!
	for _ in $(seq 200); do
		vid=$(awk -v p="$vgs" '$2 == p { print $1; exit }' $DBG/vqs)
		[ -n "$vid" ] && break
		sleep 0.1
	done
	diag "streaming device ${vid:-none}, vgstream $vgs"
	if [ -n "$vid" ] && ctl vq move "$vid" 0 core 1 > /dev/null &&
	   ctl vq move "$vid" 1 core 1 > /dev/null; then
		traffic=1
		sleep 1
	fi
fi
# dbg_vq VQ COLUMN / dbg_core CPU COLUMN: a counter of debugfs
dbg_vq() { awk -v i="$vid" -v q="$1" -v c="$2" '$1 == i && $4 == q { print $c }' $DBG/vqs; }
dbg_core() { awk -v cpu="$1" -v c="$2" 'NR > 1 && $1 == cpu { print $c }' $DBG/sidecores; }
# -d after traffic: plausible, and between two debugfs readings.
details_ok() {
	local before=() after=() d vq k col v bad=0
	for vq in 0 1; do before+=("$(dbg_vq $vq 12) $(dbg_vq $vq 13) $(dbg_vq $vq 14) $(dbg_vq $vq 15) $(dbg_vq $vq 17)"); done
	d=$(ctl -j -s -d dev show "$vid" | jq -c 'if type == "array" then .[0] else . end')
	for vq in 0 1; do after+=("$(dbg_vq $vq 12) $(dbg_vq $vq 13) $(dbg_vq $vq 14) $(dbg_vq $vq 15) $(dbg_vq $vq 17)"); done
	diag "dev show -s -d $vid: $d"
	diag "debugfs runs run_ns empty_runs weight_exits errors before: ${before[*]}; after: ${after[*]}"
	for vq in 0 1; do
		jq -e --argjson q $vq '.vqs[$q] | .backend == true and .runs > 0 and .run_ns > 0 and
			.empty_runs <= .runs and .weight_exits <= .runs and .errors == 0 and
			.run_ns >= .run_ns_max and .packets > 0' <<< "$d" > /dev/null ||
			{ diag "vq $vq implausible"; bad=1; }
		col=0
		for k in runs run_ns empty_runs weight_exits errors; do
			col=$((col + 1))
			v=$(jq --argjson q $vq ".vqs[\$q].$k" <<< "$d")
			[ "$(cut -d' ' -f$col <<< "${before[vq]}")" -le "$v" ] &&
				[ "$v" -le "$(cut -d' ' -f$col <<< "${after[vq]}")" ] ||
				{ diag "vq $vq $k $v not between debugfs readings"; bad=1; }
		done
	done
	ctl -s -d dev show "$vid" | grep -qE '^[[:space:]]+backend yes runs [0-9]+ run_ns [0-9]+ empty_runs [0-9]+ weight_exits [0-9]+ errors 0 iotlb_misses 0$' ||
		{ diag "text: $(ctl -s -d dev show "$vid")"; bad=1; }
	return $bad
}
core_details_ok() {
	local b a c
	b="$(dbg_core 1 4) $(dbg_core 1 5) $(dbg_core 1 8) $(dbg_core 1 11) $(dbg_core 1 12)"
	c=$(ctl -j -s -d core show | jq -c '.[] | select(.cpu == 1)')
	a="$(dbg_core 1 4) $(dbg_core 1 5) $(dbg_core 1 8) $(dbg_core 1 11) $(dbg_core 1 12)"
	diag "core 1: $c; debugfs passes empty_polls runs sleeps sleep_ns before: $b; after: $a"
	jq -e '.passes > 0 and .empty_polls <= .passes and .runs > 0 and .sleep_ns <= .idle_ns' <<< "$c" > /dev/null &&
		jq -e --arg b "$b" --arg a "$a" '($b | split(" ") | map(tonumber)) as $b |
			($a | split(" ") | map(tonumber)) as $a |
			[.passes, .empty_polls, .runs, .sleeps, .sleep_ns] as $v |
			all(range(5); $b[.] <= $v[.] and $v[.] <= $a[.])' <<< "$c" > /dev/null
}
# shellcheck disable=SC2046
# -s -d -i 1 under traffic: rates over at least 1 s, no more than the
# growth debugfs saw around the command, and not 0.
rates_ok() {
	local b a t0 t1 r
	b=$(dbg_vq 1 8)
	t0=$(date +%s%N)
	r=$(ctl -j -s -d -i 1 dev show "$vid" | jq -c 'if type == "array" then .[0] else . end')
	t1=$(date +%s%N)
	a=$(dbg_vq 1 8)
	diag "-s -d -i 1 dev show $vid in $(( (t1 - t0) / 1000000 )) ms, tx packets $b -> $a: $r"
	[ $((t1 - t0)) -ge 1000000000 ] &&
		has_keys "$(jq -c '.vqs' <<< "$r")" $VQ_KEYS $(per_s $VQ_STATS $VQ_DETAILS) &&
		jq -e --argjson d $((a - b)) '.vqs[1].packets_per_s > 0 and .vqs[1].packets_per_s <= $d + 0.01
			and .vqs[1].runs_per_s > 0 and .vqs[1].errors_per_s == 0' <<< "$r" > /dev/null &&
		ctl -s -i 1 dev show "$vid" | grep -qE '^[[:space:]]+packets [0-9]+\.[0-9]/s bytes [0-9]+\.[0-9]/s .* run_ns_max [0-9]+ '
}
if [ "$traffic" = 1 ]; then
	check "dev show -s -d under traffic: backend, runs, run_ns, empty_runs, weight_exits, errors plausible and between two debugfs readings" \
		details_ok
	check "core show -s -d: sidecore 1's passes, empty_polls, runs, sleeps, sleep_ns plausible and between two debugfs readings" \
		core_details_ok
	check "dev show -s -d -i 1: per-second rates (KEY_per_s) over >= 1 s, > 0 and within debugfs's growth; text N/s" \
		rates_ok
	kill "$vgs"
	wait "$vgs"
	diag "vgstream: $(tr '\n' ' ' < "$tmp/vgs")"
	# The guest gone, sidecore 1 polls an idle vq: rates 0, totals not.
	idle=$(ctl -j -s -i 1 core show | jq -c '.[] | select(.cpu == 1)')
	total=$(ctl -j -s core show | jq -c '.[] | select(.cpu == 1)')
	diag "core 1 over 1 s: $idle; since load: $total"
	idle_rates_zero() {
		jq -en --argjson i "$idle" --argjson t "$total" \
			'$i.packets_per_s == 0 and $i.busy_pct == 0 and $t.packets > 0 and $t.busy_pct > 0' \
			> /dev/null
	}
	check "core show -s -i 1 after the traffic: packets_per_s 0 and busy_pct 0, while the totals since load are not" \
		idle_rates_zero
else
	skip "dev show -s -d under traffic: no vgstream or tun"
	skip "core show -s -d under traffic: no vgstream or tun"
	skip "dev show -s -d -i 1 under traffic: no vgstream or tun"
	skip "core show -s -i 1 after traffic: no vgstream or tun"
fi
# listening FILE: make config changes until one shows in FILE (a
# monitor's output): it has joined; up to 20 tries
dwell=$(sysfs manager/dwell_ms)
listening() {
	local n
	for n in $(seq 20); do
		echo $((2000 + n)) > $SYS/manager/dwell_ms
		sleep 0.5
		grep -q '"*dwell_ms"*[: ]20' "$1" && return 0
	done
	return 1
}
# Kept small, a stopped monitor's buffer overruns: it says so in the
# stream and goes on.
"$CTL" -j monitor --rcvbuf 1 > "$tmp/lost" 2> "$tmp/lost.err" &
lmon=$!
listening "$tmp/lost" || diag "monitor --rcvbuf 1 printed nothing: $(cat "$tmp/lost.err")"
kill -STOP $lmon
for i in $(seq 60); do echo $((1000 + i)) > $SYS/manager/dwell_ms; done
kill -CONT $lmon
# Once it has read what was queued, an event that must come through.
for _ in $(seq 50); do grep -q '"lost"' "$tmp/lost" && break; sleep 0.1; done
sleep 0.5
echo 4321 > $SYS/manager/dwell_ms
for _ in $(seq 50); do grep -q '"dwell_ms":4321' "$tmp/lost" && break; sleep 0.1; done
echo "$dwell" > $SYS/manager/dwell_ms
lost_ok() {
	diag "monitor --rcvbuf 1: $(grep -c . "$tmp/lost") lines, $(grep -c '"lost"' "$tmp/lost") lost; stderr: $(cat "$tmp/lost.err")"
	diag "$(jq -c '[.event, .dwell_ms]' "$tmp/lost" | tr '\n' ' ')"
	kill -0 $lmon && grep -qx '{"event":"lost"}' "$tmp/lost" &&
		[ "$(grep -c '"dwell_ms":10[0-9][0-9]' "$tmp/lost")" -lt 60 ] &&
		sed -n '/^{"event":"lost"}$/,$p' "$tmp/lost" | grep -q '"dwell_ms":4321' &&
		has_keys "$(grep '"config-change"' "$tmp/lost")" event policy cpus sidecores $KNOBS
}
# shellcheck disable=SC2086
check "monitor --rcvbuf 1, stopped during 60 changes: an in-band {\"event\":\"lost\"}, then config-change events again, each with all its members" \
	lost_ok
kill $lmon 2> /dev/null
wait $lmon 2> /dev/null

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

# Who may run which command (EPERM, exit 1, for nobody, root in a user
# namespace and root without CAP_NET_ADMIN) is privilege.sh's.

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

# The module unloaded under a monitor (text, -t after the command): it
# says so and exits with status 3.
wait $owner 2> /dev/null
"$CTL" monitor -t > "$tmp/gone" 2> "$tmp/gone.err" &
gmon=$!
listening "$tmp/gone" || diag "monitor -t printed nothing: $(cat "$tmp/gone.err")"
for _ in $(seq 50); do rmmod vhost_sidecore 2> /dev/null && break; sleep 0.1; done
for _ in $(seq 50); do kill -0 $gmon 2> /dev/null || break; sleep 0.1; done
kill $gmon 2> /dev/null
wait $gmon
grc=$?
diag "monitor -t: exit $grc, out: $(cat "$tmp/gone"); err: $(cat "$tmp/gone.err")"
gone_ok() {
	[ "$grc" = 3 ] && ! vsc_loaded &&
		grep -qE '^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}\] config-change .* dwell_ms 20[0-9]+ ' "$tmp/gone" &&
		grep -q 'monitor: generic netlink family vhost_sidecore is gone (the vhost_sidecore module was unloaded)' "$tmp/gone.err"
}
check "monitor -t (text): events stamped [time], and on rmmod: 'family vhost_sidecore is gone (the vhost_sidecore module was unloaded)', exit 3" \
	gone_ok
run ctl -j -V
check "-j -V with the module unloaded: module_version null, exit 0" \
	test "$rc/$(jq -c .module_version <<< "$out" 2>/dev/null)" = 0/null
insmod "$VSC_MODULE" || diag "could not load $VSC_MODULE again"
check "the bash completion completes commands, keys and targets" bash -c "
	. '$VSC_TOP/tools/sidecorectl/sidecorectl.bash-completion'
	comp() { COMP_WORDS=(\"\$@\"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _sidecorectl; echo \"\${COMPREPLY[*]}\"; }
	[ \"\$(comp sidecorectl con)\" = config ] &&
	[[ \" \$(comp sidecorectl config set b) \" == *' busy_load '* ]] &&
	[[ \" \$(comp sidecorectl vq move 1 0 '') \" == *' ondemand '* ]]"
tap_finish
