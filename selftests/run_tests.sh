#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run tests in the given order and print TAP (kselftest conventions): each
# test's own output is indented as "# ..." and followed by one
# "ok N selftests: vhost_sidecore: NAME" line.
#
#   run_tests.sh [-C DIR] [-p PREFIX] [-m MANIFEST [-a]] [-K] TEST...
#
#   -C DIR       the tests are in DIR (default: this script's directory);
#                DIR/settings holds the per-test timeout ("timeout=SECS",
#                and "NAME.timeout=SECS" for one test), multiplied by
#                $VSC_TIMEOUT_SCALE when set (a debug kernel is slower)
#   -p PREFIX    result line prefix (default "selftests: vhost_sidecore:")
#   -m MANIFEST  tests that must run: a listed test (one name or glob per
#                line, # comments) fails when it skips, or when any of its
#                cases skips
#   -a           the TESTS are the whole suite: every name on the manifest
#                must be among them
#   -K           do not mark each test's start and end in the kernel log
#
# A test passes only when it exits 0, printed exactly one plan ("1..N",
# first or last), N results and no "not ok" but those marked "# TODO"
# (known shortfalls, as TAP has them; counted in the test's line); it is
# skipped when it exits
# 4 (or 0) having printed "1..0 # SKIP reason" and nothing else, or when
# every one of its results is a skip. Anything else fails it: no plan,
# fewer or more results than planned, a "not ok", death by a signal, a
# timeout, any other exit status. Exit status 0 when no test failed.

dir=$(cd "$(dirname "$0")" && pwd)
prefix="selftests: vhost_sidecore:"
manifest=""
whole=0
kmsg=1
while getopts "C:p:m:aK" opt; do
	case $opt in
	C) dir=$(cd "$OPTARG" && pwd) || exit 2 ;;
	p) prefix=$OPTARG ;;
	m) manifest=$(readlink -f "$OPTARG") ;;
	a) whole=1 ;;
	K) kmsg=0 ;;
	*) sed -n '6,20p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
cd "$dir" || exit 1

timeout=$(sed -n 's/^timeout=//p' settings 2>/dev/null)
timeout=${timeout:-600}
out=$(mktemp -d /tmp/vsc-run_tests.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT

must=()
if [ -n "$manifest" ]; then
	if [ ! -r "$manifest" ]; then
		echo "# run_tests: no manifest $manifest" >&2
		exit 1
	fi
	mapfile -t must < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$manifest")
fi

# on_manifest NAME: NAME matches a line of the manifest
on_manifest() {
	local m
	for m in "${must[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == $m ]] && return 0
	done
	return 1
}

kmsg() { [ "$kmsg" = 0 ] || echo "vsc-selftest: $*" > /dev/kmsg 2>/dev/null; }

# verdict RC FILE: read a test's own TAP output from FILE; print
# "pass|skip|fail SKIPPED_CASES TOTAL_CASES reason..."
verdict() {
	awk -v rc="$1" '
	{ sub(/\r$/, "") }
	/^1\.\.[0-9]+/ {
		plans++
		planned = $0; sub(/^1\.\./, "", planned); planned = planned + 0
		if (planned == 0) {
			reason = $0
			sub(/^1\.\.0[[:space:]]*(#[[:space:]]*)?([Ss][Kk][Ii][Pp])?[[:space:]]*/, "", reason)
		}
		next
	}
	/^(not )?ok([[:space:]]|$)/ {
		n++
		if ($1 == "not" && $0 ~ /#[[:space:]]*[Tt][Oo][Dd][Oo]/) todo++
		else if ($1 == "not") failed++
		else if ($0 ~ /#[[:space:]]*[Ss][Kk][Ii][Pp]/) skipped++
	}
	END {
		sig = ""
		if (rc > 128) {
			sig = rc - 128
			printf "fail %d %d killed by signal %d%s\n", skipped, n, sig,
				(sig == 9 || sig == 15) ? " (timeout or runner)" : ""
			exit
		}
		if (rc == 124) { printf "fail %d %d timeout\n", skipped, n; exit }
		if (plans == 0) { printf "fail %d %d no plan (%d results, exit %d)\n", skipped, n, n, rc; exit }
		if (plans > 1) { printf "fail %d %d %d plans\n", skipped, n, plans; exit }
		if (planned == 0) {
			if (n > 0) { printf "fail %d %d plan 1..0 with %d results\n", skipped, n, n; exit }
			if (rc != 4 && rc != 0) { printf "fail 0 0 skipped, but exit %d\n", rc; exit }
			printf "skip 0 0 %s\n", reason
			exit
		}
		if (n != planned) { printf "fail %d %d planned %d, ran %d (exit %d)\n", skipped, n, planned, n, rc; exit }
		if (failed) { printf "fail %d %d %d of %d failed (exit %d)\n", skipped, n, failed, n, rc; exit }
		if (rc == 0 || rc == 4) {
			if (skipped == n) { printf "skip %d %d all %d cases skipped\n", skipped, n, n; exit }
			if (rc == 4) { printf "fail %d %d exit 4 (skip) after %d results that are not skips\n", skipped, n, n - skipped; exit }
			printf "pass %d %d%s\n", skipped, n, todo ? " " todo " todo" : ""
			exit
		}
		printf "fail %d %d exit %d\n", skipped, n, rc
	}' "$2"
}

echo "TAP version 13"
echo "1..$(($# + whole))"
n=0
failed=0

# The whole suite: every test the manifest names (globs aside: they may
# match none yet) is in it.
if [ "$whole" = 1 ]; then
	n=1 missing=""
	for m in "${must[@]}"; do
		case $m in *[*?[]*) continue ;; esac
		found=0
		for t in "$@"; do
			[ "$(basename "$t")" = "$m" ] && { found=1; break; }
		done
		[ "$found" = 1 ] || missing="$missing $m"
	done
	if [ -z "$missing" ]; then
		echo "ok 1 $prefix every test on ${manifest##*/} is in the suite"
	else
		echo "not ok 1 $prefix every test on ${manifest##*/} is in the suite # not in it:$missing"
		failed=1
	fi
fi

for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	echo "# $prefix $name"
	if [ ! -x "./$t" ]; then
		echo "not ok $n $prefix $name # not built"
		failed=$((failed + 1))
		continue
	fi
	limit=$(awk -F= -v k="$name.timeout" '$1 == k { print $2 }' settings 2>/dev/null)
	limit=${limit:-$timeout}
	# A slower kernel (KASAN, KCSAN: tools/check-debug) scales them all.
	limit=$((limit * ${VSC_TIMEOUT_SCALE:-1}))
	kmsg "start $name"
	start=$(date +%s)
	timeout -k 10 "$limit" "./$t" < /dev/null 2>&1 | tee "$out/log" | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	secs=$(( $(date +%s) - start ))
	kmsg "end $name rc=$rc"
	read -r v sk total why <<< "$(verdict "$rc" "$out/log")"
	[ "$rc" != 124 ] || why="timeout after ${limit}s"
	if [ "$v" != fail ] && on_manifest "$name"; then
		if [ "$v" = skip ]; then
			v=fail why="must run (${manifest##*/}), but skipped: $why"
		elif [ "$sk" -gt 0 ]; then
			v=fail why="must run (${manifest##*/}), but $sk of $total cases skipped"
		fi
	fi
	case $v in
	pass)
		echo "ok $n $prefix $name # ${secs}s${total:+, $total checks}$([ "$sk" -gt 0 ] && echo ", $sk skipped")${why:+, $why}" ;;
	skip)
		echo "ok $n $prefix $name # SKIP $why" ;;
	*)
		echo "not ok $n $prefix $name # $why"
		failed=$((failed + 1)) ;;
	esac
done

[ "$failed" = 0 ]
