#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Four writers change the configuration at once for 30 s, two through
# netlink (sidecorectl) and two through sysfs, valid and invalid values
# mixed, while two guests stream checked frames; then on until every
# writer got through 20 times (fewer on a slower kernel), for at most
# twice as long again: a slow kernel is no failure, a starved writer is.
# Afterwards: the streams
# lost nothing, netlink and sysfs report the same configuration, that
# configuration obeys its own rules, the sidecores and vqs match it, and
# the kernel logged no warning.
. "$(dirname "$0")/lib/common.sh"

CTL=$VSC_TOP/tools/sidecorectl/sidecorectl
VGS=$VSC_TOP/selftests/vgstream
SYS=/sys/kernel/vhost_sidecore
DBG=/sys/kernel/debug/vhost_sidecore
SECS=${VSC_WRITERS_SECS:-30}
KNOBS="interval_ms busy_load light_load busy_pps light_pps core_busy core_light
balance dwell_ms grace_ms pref regret backoff_ms"

vsc_ensure_loaded || tap_skip_all "module not loaded"
[ -x "$CTL" ] || tap_skip_all "sidecorectl not built"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
modprobe tun || tap_skip_all "cannot load tun"
vsc_tmpdir || exit $KSFT_FAIL
tmp=$VSC_TMP
tap_header 6

dmesg_before=$(dmesg | wc -l)
echo ondemand > $SYS/policy
# What to put back afterwards, however the test ends: the knobs as they
# were (common.sh's cleanup puts back policy, cpus and sidecores).
saved=$("$CTL" -j config show | jq -r 'to_entries[] | select(.key | test("^(policy|cpus|sidecores)$") | not) | "\(.key) \(.value)"')
# shellcheck disable=SC2016
vsc_defer 'echo ondemand > $SYS/policy; "$CTL" config set $saved'

# pick WORD...: one of the words, at random
pick() { shift $((RANDOM % $#)); echo "$1"; }

# One write each, valid or not; the writers run them until $tmp/stop
# exists, counting the writes and the refusals.
nl_placement() {
	"$CTL" config set cpus "$(pick 0 1 0-1 0-1)" sidecores "$(pick 0 1 2 3)" \
		policy "$(pick ondemand sidecore manual dynamic dynamic)" > /dev/null 2>&1
}

nl_knobs() {
	"$CTL" config set busy_load $((RANDOM % 1100)) light_load $((RANDOM % 400)) \
		interval_ms "$(pick 10 50 100 0 200000)" \
		dwell_ms $((RANDOM % 5000)) > /dev/null 2>&1
}

# sysfs writes are one value each; a refused write prints an error.
sysw() { echo "$2" > "$SYS/$1" 2> /dev/null; }

sysfs_placement() {
	case $((RANDOM % 4)) in
	0) sysw policy "$(pick ondemand sidecore manual dynamic junk)" ;;
	1) sysw cpus "$(pick 0 1 0-1 9999 x)" ;;
	2) sysw sidecores "$(pick 0 1 2 7)" ;;
	3) sysw vq_move "$(awk 'NR > 1 { print $1; exit }' $DBG/vqs) $((RANDOM % 2)) $(pick 0 1 ondemand)" ;;
	esac
}

# shellcheck disable=SC2086
sysfs_knobs() {
	sysw "manager/$(pick $KNOBS)" "$(pick $((RANDOM % 1000)) $((RANDOM % 100)) $RANDOM 0 -1 abc)"
}

# writer N WRITE: run WRITE until told to stop; "writes refused" in
# $tmp/wN after each (replaced whole: it is read meanwhile)
writer() {
	local n=0 refused=0
	until [ -e "$tmp/stop" ]; do
		"$2" || refused=$((refused + 1))
		n=$((n + 1))
		echo "$n $refused" > "$tmp/w$1.new" && mv "$tmp/w$1.new" "$tmp/w$1"
	done
}

# Two guests, each in its own netns, streaming for the whole run.
"$VGS" -T $((SECS + 10)) -t 20000 -i vgw0 -s 1 > "$tmp/s0" 2>&1 &
s0=$!
"$VGS" -T $((SECS + 10)) -t 20000 -i vgw1 -s 2 -E > "$tmp/s1" 2>&1 &
s1=$!
sleep 2

# 20 each; fewer on a slower kernel (VSC_TIMEOUT_SCALE, tools/check-debug).
min_writes=$((20 / ${VSC_TIMEOUT_SCALE:-1}))
short() { awk -v min="$min_writes" '$1 < min { s = 1 } END { exit !s }' "$tmp"/w[1-4]; }
for w in 1 2 3 4; do echo "0 0" > "$tmp/w$w"; done
writer 1 nl_placement & writer 2 nl_knobs & writer 3 sysfs_placement &
writer 4 sysfs_knobs &
sleep "$SECS"
end=$((SECONDS + 2 * SECS))
while short && [ $SECONDS -lt $end ]; do
	sleep 1
done
touch "$tmp/stop"
wait %3 %4 %5 %6 2>/dev/null
for w in 1 2 3 4; do
	read -r n r < "$tmp/w$w" || n=0
	diag "writer $w: $n writes, ${r:-?} refused"
done
check "every writer got through (at least $min_writes writes each)" eval '! short'

# The configuration as netlink and as sysfs report it, after the storm,
# while the guests still stream (unless the storm ran on past them).
cfg=$("$CTL" -j config show)
diag "config: $(jq -c . <<< "$cfg")"
agree=1
for k in policy cpus sidecores; do
	[ "$(jq -r ".$k" <<< "$cfg")" = "$(cat $SYS/$k)" ] ||
		{ diag "$k: netlink $(jq -r ".$k" <<< "$cfg"), sysfs $(cat $SYS/$k)"; agree=0; }
done
for k in $KNOBS; do
	[ "$(jq -r ".$k" <<< "$cfg")" = "$(cat $SYS/manager/$k)" ] ||
		{ diag "$k: netlink $(jq -r ".$k" <<< "$cfg"), sysfs $(cat $SYS/manager/$k)"; agree=0; }
done
check "netlink and sysfs report the same configuration" test $agree = 1

knob() { cat $SYS/manager/$1; }
check "the configuration obeys its cross-checks (light_load <= busy_load, light_pps <= busy_pps, core_light < core_busy)" \
	test "$(knob light_load)" -le "$(knob busy_load)" -a \
	     "$(knob light_pps)" -le "$(knob busy_pps)" -a \
	     "$(knob core_light)" -lt "$(knob core_busy)"

# Sidecores only on allowed CPUs, no more than allowed, every polled vq
# on one of them; under ondemand none at all.
in_list() {	# in_list CPU LIST
	local part
	for part in ${2//,/ }; do
		[ "$1" -ge "${part%-*}" ] && [ "$1" -le "${part#*-}" ] && return 0
	done
	return 1
}
placement_ok() {
	local policy cpus max running cpu n=0 mode
	policy=$(cat $SYS/policy) cpus=$(cat $SYS/cpus) max=$(cat $SYS/sidecores)
	running=$(cat $SYS/running)
	diag "policy $policy cpus '$cpus' sidecores $max running '$running'"
	diag "vqs: $(awk 'NR > 1 { printf "%s/%s %s; ", $1, $4, $5 }' $DBG/vqs)"
	if [ "$policy" = ondemand ]; then
		[ -z "$running" ] || return 1
		! awk 'NR > 1 && $5 != "ondemand" { f = 1 } END { exit !f }' $DBG/vqs
		return
	fi
	for cpu in $(awk -F, '{ for (i = 1; i <= NF; i++) { split($i, r, "-"); for (c = r[1]; c <= (r[2] == "" ? r[1] : r[2]); c++) print c } }' <<< "$running"); do
		in_list "$cpu" "$cpus" || return 1
		n=$((n + 1))
	done
	[ "$max" = 0 ] || [ "$n" -le "$max" ] || return 1
	for mode in $(awk 'NR > 1 { print $5 }' $DBG/vqs); do
		[ "$mode" = ondemand ] && continue
		in_list "${mode#sidecore:}" "$running" || return 1
	done
}
# Under policy dynamic the manager may start a sidecore between the two
# reads: a wrong answer has to persist to count.
placed() {
	for _ in 1 2 3 4 5; do
		placement_ok && return 0
		sleep 0.5
	done
	return 1
}
check "sidecores run only on allowed CPUs, within the limit, and polled vqs are on them" \
	placed

wait $s0; r0=$?
wait $s1; r1=$?
diag "stream 1 (exit $r0): $(tr '\n' ' ' < "$tmp/s0")"
diag "stream 2 (exit $r1): $(tr '\n' ' ' < "$tmp/s1")"
check "both guests streamed for ${SECS} s under the writers and lost nothing" \
	test "$r0/$r1" = 0/0

bad=$(dmesg | tail -n +"$((dmesg_before + 1))" |
	grep -E 'WARNING|BUG|Oops|lockdep|KASAN|stall|soft lockup|hung_task' || true)
[ -z "$bad" ] || diag "$bad"
check "the kernel logged no warning during the storm" test -z "$bad"
tap_finish
