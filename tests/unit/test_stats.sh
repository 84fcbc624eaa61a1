#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/bench/stats.awk's paired(): the geometric mean of paired ratios
# and its 90% bootstrap interval over the pairs. Prints TAP.
set -u
. "$(dirname "$0")/lib.sh"
# paired LIST N: "gm lo hi"
paired() {
	awk -v l="$1" -v n="$2" "$(cat "$TOP/tools/bench/stats.awk"; echo '
		BEGIN { srand(1); paired(l, n, o); printf "%.4f %.4f %.4f\n", o["gm"], o["lo"], o["hi"] }')"
}

check "equal ratios: the interval is the ratio" [ "$(paired "1.1 1.1 1.1 1.1" 4)" = "1.1000 1.1000 1.1000" ]
check "one pair: no spread" [ "$(paired "2" 1)" = "2.0000 2.0000 2.0000" ]
check "the geometric mean, not the arithmetic" [ "$(paired "0.5 2" 2 | cut -d' ' -f1)" = "1.0000" ]
read -r gm lo hi < <(paired "0.9 1.0 1.1 1.2 0.95 1.05 1.15 1.0" 8)
check "the interval holds the mean ($lo <= $gm <= $hi)" awk -v a="$lo" -v b="$gm" -v c="$hi" 'BEGIN { exit !(a <= b && b <= c && a < c) }'
check "the interval lies within the ratios" awk -v a="$lo" -v c="$hi" 'BEGIN { exit !(a >= 0.9 && c <= 1.2) }'
tap_end
