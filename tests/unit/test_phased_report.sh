#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bench/phased-report on a made-up phased.csv: dynamic against the
# best static configuration, the verdict on 0.94, and the noise floor
# (repeat / ondemand) of the same run. Prints TAP.
set -u
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Four repetitions, phases idle and heavy; per repetition r, ondemand
# moves 100 * r Mbit/s, sidecore 90 * r, dynamic 0.5x or 1.1x ondemand,
# repeat exactly ondemand (or 1.2x in the third repetition).
mk() {
	local dyn=$1 rep3=$2 r c m
	echo "direction,config,rep,phase,name,seconds,mbps,bytes,io_cpu_ms,io_cpu_pct"
	for r in 1 2 3 4; do
		for c in ondemand sidecore dynamic repeat; do
			echo "host-to-guest,$c,$r,0,idle,5.0,0.00,0,0.0,0.0"
			case $c in
			ondemand) m=$((100 * r)) ;;
			sidecore) m=$((90 * r)) ;;
			dynamic) m=$(awk -v r="$r" -v f="$dyn" 'BEGIN { print 100 * r * f }') ;;
			repeat) m=$(awk -v r="$r" -v f="$rep3" 'BEGIN { print 100 * r * (r == 3 ? f : 1) }') ;;
			esac
			echo "host-to-guest,$c,$r,1,heavy,15.0,$m,1,10.0,5.0"
		done
	done
}
row() { grep '| host-to-guest | 2 heavy |' "$dir/out"; }
mk 1.1 1 > "$dir/phased.csv"
"$TOP/tools/bench/phased-report" "$dir" > "$dir/out"
check "dynamic at 1.1x ondemand: ratio 1.10, holds" bash -c "grep -q '| 1.10 | 1.10-1.10 | holds |' <<< '$(row)'"
check "repeat equal to ondemand: the floor is 1.00, no spread" bash -c "grep -q '| 1.00 | 1.00-1.00 |\$' <<< '$(row)'"
check "the idle phase has no ratio" grep -q '| host-to-guest | 1 idle | .* | - | - | - |' "$dir/out"
mk 0.5 1.2 > "$dir/phased.csv"
"$TOP/tools/bench/phased-report" "$dir" > "$dir/out"
check "dynamic at 0.5x ondemand: fails" bash -c "grep -q '| 0.50 | 0.50-0.50 | fails |' <<< '$(row)'"
fl=$(row | awk -F'|' '{ gsub(/ /, "", $15); print $15 }')
check "one repeat at 1.2x widens the floor ($fl)" awk -v f="$fl" 'BEGIN { split(f, a, "-"); exit !(a[1] == 1.00 && a[2] > 1.05) }'
# Without repeat rows (older runs): no floor columns.
grep -v ',repeat,' "$dir/phased.csv" > "$dir/p" && mv "$dir/p" "$dir/phased.csv"
"$TOP/tools/bench/phased-report" "$dir" > "$dir/out"
check "no repeat runs: no floor column" bash -c "! grep -q 'noise floor' '$dir/out'"
tap_end
