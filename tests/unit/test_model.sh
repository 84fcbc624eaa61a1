#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/simulate/model, on the host: it lists at least 12 scenarios, is
# deterministic for a seed (two runs print the same table), tells a met
# goal from a missed one only by exit 0 or 1, refuses a bad knob or
# option with 2, and its timeline covers the scenario. Then the whole
# table (every scenario at noise 0, 10 and 30%, 10 seeds), printed as
# diagnostics: every row must meet the goal, and the model then exits 0.
# Prints TAP.
set -u
. "$(dirname "$0")/lib.sh"
M=$TOP/tools/simulate/model
make -s --no-print-directory -C "$TOP/tools/simulate" model > /dev/null || exit 1

"$M" -l > "$dir/list"
check "lists at least 12 scenarios" [ "$(wc -l < "$dir/list")" -ge 12 ]
"$M" -s phased -n 10 -S 4 > "$dir/a"; rc1=$?
"$M" -s phased -n 10 -S 4 > "$dir/b"; rc2=$?
check "same seeds, same table" cmp -s "$dir/a" "$dir/b"
check "exit 0 or 1 with a table ($rc1)" eval '[ $rc1 = $rc2 ] && [ $rc1 -le 1 ] && grep -q "^| phased | 10% | 4 " "$dir/a"'
check "the exit says whether a row missed the goal" \
	eval '{ grep -q FAILS "$dir/a" && [ $rc1 = 1 ]; } || { ! grep -q FAILS "$dir/a" && [ $rc1 = 0 ]; }'
"$M" -k busy_load=5000 > /dev/null 2> "$dir/err"; rc=$?
check "a knob out of range: exit 2, says the range" eval '[ $rc = 2 ] && grep -q "busy_load must be in" "$dir/err"'
"$M" -s nope > /dev/null 2>&1; rc=$?
check "an unknown scenario: exit 2" [ $rc = 2 ]
"$M" -t -s phased -c nope > /dev/null 2>&1; rc=$?
check "a timeline of an unknown configuration: exit 2" [ $rc = 2 ]
"$M" -t -s phased -c ondemand > "$dir/t"
check "the timeline covers the scenario's 65 s" eval '[ "$(tail -n1 "$dir/t" | cut -d" " -f1)" = 64.9 ]'
"$M" > "$dir/table"; rc=$?
sed 's/^/# /' "$dir/table"
check "the table has a row for every scenario at 0, 10 and 30% ($rc)" \
	eval '[ $rc -le 1 ] && [ "$(grep -c "^| " "$dir/table")" -ge $((3 * $(wc -l < "$dir/list") + 2)) ]'
while IFS='|' read -r _ sc noise ph _ _ _ _ _ goal _; do
	sc=${sc// /} noise=${noise// /} ph=${ph%% (*} ph=${ph// /} goal=${goal// /}
	[ "$goal" = ok ] || [ "$goal" = FAILS ] || continue
	n=$((n + 1))
	row="$sc|$noise|$ph"
	if [ "$goal" = ok ]; then
		echo "ok $n goal met: $row"
	else
		echo "not ok $n goal met: $row"
		fail=1
	fi
done < <(grep '^| ' "$dir/table" | grep -v '^| scenario\|^|---')
check "every row meets the goal: the model exits 0 ($rc)" [ "$rc" = 0 ]
tap_end
