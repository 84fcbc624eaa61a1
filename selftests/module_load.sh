#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load and unload the module repeatedly; the device node must come and go.
. "$(dirname "$0")/lib/common.sh"

tap_header 3
[ -r "$VSC_MODULE" ] || { echo "1..0 # SKIP $VSC_MODULE not built"; exit $KSFT_SKIP; }

vsc_unload
cycles=20
failed=""
for i in $(seq $cycles); do
	if ! insmod "$VSC_MODULE"; then failed="insmod #$i"; break; fi
	if [ ! -c "$VSC_DEV" ]; then failed="no $VSC_DEV after insmod #$i"; break; fi
	if ! rmmod vhost_sidecore; then failed="rmmod #$i"; break; fi
	if [ -e "$VSC_DEV" ]; then failed="$VSC_DEV left after rmmod #$i"; break; fi
done
if [ -z "$failed" ]; then ok "$cycles insmod/rmmod cycles"; else diag "$failed"; not_ok "$cycles insmod/rmmod cycles"; fi

vsc_ensure_loaded
ver=$(cat /sys/module/vhost_sidecore/version 2>/dev/null)
want=$(modinfo -F version "$VSC_MODULE")
diag "loaded version '$ver', module file version '$want'"
check "module reports its version in sysfs" test -n "$ver" -a "$ver" = "$want"
check "load is logged" sh -c "dmesg | grep -q 'vhost_sidecore: version $want loaded'"
tap_finish
