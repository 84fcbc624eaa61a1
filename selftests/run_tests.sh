#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run selftests in the given order and print TAP (kselftest conventions):
# each test's own output is indented as "# ..." and followed by one
# "ok N selftests: vhost_sidecore: NAME" line. Exit status 0 for 0 ok,
# 1 when any test failed. Timeout per test: the "settings" file.
cd "$(dirname "$0")" || exit 1

timeout=$(sed -n 's/^timeout=//p' settings 2>/dev/null)
timeout=${timeout:-600}

echo "TAP version 13"
echo "1..$#"
n=0
failed=0
for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	echo "# selftests: vhost_sidecore: $name"
	echo "vsc-selftest: start $name" > /dev/kmsg 2>/dev/null
	start=$(date +%s)
	if [ ! -x "./$t" ]; then
		echo "not ok $n selftests: vhost_sidecore: $name # not built"
		failed=$((failed + 1))
		continue
	fi
	timeout -k 10 "$timeout" "./$t" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	secs=$(( $(date +%s) - start ))
	echo "vsc-selftest: end $name rc=$rc" > /dev/kmsg 2>/dev/null
	case $rc in
	0) echo "ok $n selftests: vhost_sidecore: $name # ${secs}s" ;;
	4) echo "ok $n selftests: vhost_sidecore: $name # SKIP" ;;
	124) echo "not ok $n selftests: vhost_sidecore: $name # TIMEOUT ${timeout}s"
	     failed=$((failed + 1)) ;;
	*) echo "not ok $n selftests: vhost_sidecore: $name # exit=$rc"
	   failed=$((failed + 1)) ;;
	esac
done
[ "$failed" = 0 ]
