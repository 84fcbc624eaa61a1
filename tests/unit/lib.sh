# SPDX-License-Identifier: GPL-2.0
#
# What the host shell tests (test_*.sh) share, sourced first: TOP, a
# scratch directory $dir removed on exit, and TAP output.
#
#   check WHAT CMD...   one result: ok when CMD succeeds
#   tap_end             the plan; exits 1 if a check failed

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0 fail=0
echo "TAP version 13"

check() {
	local what=$1

	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n $what"; else echo "not ok $n $what"; fail=1; fi
}

tap_end() {
	echo "1..$n"
	exit $fail
}
