#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/simulate's knobs, on the host: -s and -k take what the module
# takes and refuse, with the range, what it refuses (one table,
# manager/policy.c). Prints TAP.
set -u
. "$(dirname "$0")/lib.sh"
SIM=$TOP/tools/simulate/simulate
make -s --no-print-directory -C "$TOP/tools/simulate" > /dev/null || exit 1
# exit status and stderr of simulate ARGS on an empty trace
run() { "$SIM" "$@" < /dev/null > "$dir/out" 2> "$dir/err"; echo $? > "$dir/rc"; }
rc_is() { [ "$(cat "$dir/rc")" = "$1" ]; }
err_has() { grep -qF -- "$1" "$dir/err"; }

knobs="interval_ms busy_load light_load busy_pps light_pps core_busy core_light balance dwell_ms grace_ms pref regret backoff_ms"
for k in $knobs; do echo 7 > "$dir/$k"; done

run -s busy_load=1000 -s max_sidecores=2
check "-s in range: accepted (no tick: exit 1)" rc_is 1
run -s busy_load=1001
check "-s out of range: exit 2, says the range" eval 'rc_is 2 && err_has "busy_load must be in 1..1000"'
run -s busy_load=-1
check "-s negative: refused" rc_is 2
run -s nope=1
check "-s unknown knob: refused by name" eval 'rc_is 2 && err_has "no knob '\''nope'\''"'
run -s busy_load
check "-s without =: refused" rc_is 2
run -k "$dir"
check "-k with every knob: accepted" rc_is 1
echo 0 > "$dir/interval_ms"
run -k "$dir"
check "-k with a value out of range: refused with the range" eval 'rc_is 2 && err_has "interval_ms must be in 1..10000"'
echo 7 > "$dir/interval_ms"
rm "$dir/pref"
run -k "$dir"
check "-k with a knob missing: refused with the path" eval 'rc_is 2 && err_has "$dir/pref"'
tap_end
