#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load and unload the module repeatedly; the device node must come and go.
# Module parameters of the policy; unload with sidecores running and under
# the manager. Leaves the module loaded.
. "$(dirname "$0")/lib/common.sh"

[ -r "$VSC_MODULE" ] || tap_skip_all "$VSC_MODULE not built"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
tap_header 12

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

SYS=$VSC_SYS
check "insmod policy=sidecore cpus=1" insmod "$VSC_MODULE" policy=sidecore cpus=1
check "the parameters set the policy and start a sidecore on CPU 1" \
	test "$(cat $SYS/policy)/$(cat $SYS/running)" = "sidecore/1"
check "rmmod with a sidecore running" rmmod vhost_sidecore
check "insmod policy=dynamic cpus=1" insmod "$VSC_MODULE" policy=dynamic cpus=1
check "policy dynamic, no sidecore until there is load, the manager thread runs" \
	test "$(cat $SYS/policy)/$(cat $SYS/running)/$(pgrep -c -x vsc-manager)" = "dynamic//1"
check "rmmod under policy dynamic stops the manager" \
	sh -c "rmmod vhost_sidecore && ! pgrep -x vsc-manager"
check "insmod policy=bogus is refused" sh -c "! insmod '$VSC_MODULE' policy=bogus 2>/dev/null"
check "insmod policy=sidecore without cpus is refused" \
	sh -c "! insmod '$VSC_MODULE' policy=sidecore 2>/dev/null"
check "a refused load leaves nothing behind" test ! -e $SYS -a ! -e "$VSC_DEV"

vsc_ensure_loaded
ver=$(cat /sys/module/vhost_sidecore/version 2>/dev/null)
want=$(modinfo -F version "$VSC_MODULE")
diag "loaded version '$ver', module file version '$want'"
check "module reports its version in sysfs" test -n "$ver" -a "$ver" = "$want"
check "load is logged" sh -c "dmesg | grep -q 'vhost_sidecore: version $want loaded'"
tap_finish
