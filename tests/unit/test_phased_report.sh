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
check "ratio of mean throughputs: 1.10, holds; floor 1.00" grep -q '| host-to-guest | 2 heavy | 1.10 | 1.10-1.10 | holds | 1.00 | 1.00-1.00 |$' "$dir/out"
check "repeat equal to ondemand: the floor is 1.00, no spread" bash -c "grep -q '| 1.00 | 1.00-1.00 |\$' <<< '$(row)'"
check "the idle phase has no ratio" grep -q '| host-to-guest | 1 idle | .* | - | - | - |' "$dir/out"
mk 0.5 1.2 > "$dir/phased.csv"
"$TOP/tools/bench/phased-report" "$dir" > "$dir/out"
check "dynamic at 0.5x ondemand: fails" bash -c "grep -q '| 0.50 | 0.50-0.50 | fails |' <<< '$(row)'"
fl=$(row | awk -F'|' '{ gsub(/ /, "", $15); print $15 }')
check "one repeat at 1.2x widens the floor ($fl)" awk -v f="$fl" 'BEGIN { split(f, a, "-"); exit !(a[1] == 1.00 && a[2] > 1.05) }'
check "no host speeds recorded: no adjusted table" bash -c "! grep -q 'Host-speed adjusted' '$dir/out'"
# The host's speed moves by repetition and configuration, and every
# configuration's throughput follows it exactly (dynamic and repeat equal
# to ondemand at the same speed): the raw ratios scatter, the adjusted
# ones are 1.00 with theta 1.
mkh() {
	local r c s
	echo "direction,config,rep,phase,name,seconds,mbps,bytes,io_cpu_ms,io_cpu_pct,host_speed"
	for r in 1 2 3 4; do
		for c in ondemand sidecore dynamic repeat; do
			case $c in
			ondemand) s=1.$r ;; sidecore) s=2.$r ;; dynamic) s=1.$((9 - r)) ;; repeat) s=0.$((r + 4)) ;;
			esac
			echo "host-to-guest,$c,$r,0,idle,5.0,0.00,0,0.0,0.0,$s"
			echo "host-to-guest,$c,$r,1,heavy,15.0,$(awk -v s="$s" -v c="$c" 'BEGIN { print 100 * s * (c == "sidecore" ? 0.3 : 1) }'),1,10.0,5.0,$s"
		done
	done
}
mkh > "$dir/phased.csv"
"$TOP/tools/bench/phased-report" "$dir" > "$dir/out"
adj() { grep '| host-to-guest | 2 heavy |' "$dir/out" | tail -n 1; }
check "host speed recorded: an adjusted table" grep -q 'Host-speed adjusted' "$dir/out"
check "raw ratios scatter with the host's speed" bash -c "! grep -q '| 1.00 | 1.00-1.00 | holds |' <<< '$(row | head -n 1)'"
check "adjusted: theta 1.00, dynamic 1.00 holds, floor 1.00" bash -c "grep -q '| 1.00 | 1.00 | 1.00-1.00 | holds | 1.00 | 1.00-1.00 |\$' <<< '$(adj)'"
# Two runs pooled: one with dynamic at 1.1x ondemand, one at 0.9x; the
# pooled ratio is their geometric mean over all eight pairs.
mkdir -p "$dir/a" "$dir/b"
mk 1.1 1 > "$dir/a/phased.csv"
mk 0.9 1 > "$dir/b/phased.csv"
"$TOP/tools/bench/phased-report" "$dir/a" "$dir/b" > "$dir/out"
check "two runs pooled: dynamic 0.99 over 8 pairs (1.1x and 0.9x)" bash -c "grep -q '| 0.99 | 0.9[0-9]-1.0[0-9] |' <<< '$(row | head -n 1)'"
# Without repeat rows (older runs): no floor columns.
grep -v ',repeat,' "$dir/phased.csv" > "$dir/p" && mv "$dir/p" "$dir/phased.csv"
"$TOP/tools/bench/phased-report" "$dir" > "$dir/out"
check "no repeat runs: no floor column" bash -c "! grep -q 'noise floor' '$dir/out'"
tap_end
