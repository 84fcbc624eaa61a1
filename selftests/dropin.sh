#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Drop-in mode (dropin=1): with in-tree vhost_net not loaded, we also serve
# /dev/vhost-net (misc minor 238), so tools that open it find us; with
# vhost_net loaded, we load anyway and leave its node alone.
. "$(dirname "$0")/lib/common.sh"
cd "$(dirname "$0")" || exit 1

[ -r "$VSC_MODULE" ] || tap_skip_all "$VSC_MODULE not built"
modprobe tun || tap_skip_all "cannot load tun"
vsc_tmpdir || exit $KSFT_FAIL
tap_header 13

# Whatever happens: our module back without the drop-in node.
vsc_defer 'rmmod vhost_sidecore; insmod "$VSC_MODULE"'

vsc_unload
rmmod vhost_net 2>/dev/null
check "vhost_net unloaded" test ! -d /sys/module/vhost_net
check "insmod dropin=1" insmod "$VSC_MODULE" dropin=1
check "/dev/vhost-net is misc minor 238" \
	sh -c '[ "$(stat -c %t:%T /dev/vhost-net)" = a:ee ]'
check "/dev/vhost-net is ours (0600 root)" \
	sh -c '[ "$(stat -c %a:%u /dev/vhost-net)" = 600:0 ]'
check "load log names the drop-in" sh -c "dmesg | tail -n 5 | grep -q 'also serving /dev/vhost-net'"
./vgstream -d /dev/vhost-net -n 3000 -w "$VSC_TMP/go" > "$VSC_TMP/out" 2>&1 &
pid=$!
for i in $(seq 100); do
	grep -q " $pid vgstream " /sys/kernel/debug/vhost_sidecore/vqs && break
	sleep 0.1
done
check "a guest opening /dev/vhost-net gets one of our devices" \
	grep -q " $pid vgstream " /sys/kernel/debug/vhost_sidecore/vqs
touch "$VSC_TMP/go"
wait $pid
rc=$?
sed 's/^/# /' "$VSC_TMP/out"
check "3000 frames each way through /dev/vhost-net" test $rc = 0
check "rmmod with the drop-in node" rmmod vhost_sidecore
check "/dev/vhost-net gone with it" test ! -e /dev/vhost-net

check "modprobe vhost_net" modprobe vhost_net
check "insmod dropin=1 while vhost_net holds the minor" insmod "$VSC_MODULE" dropin=1
check "log says the drop-in was not taken" sh -c "dmesg | tail -n 5 | grep -q 'dropin: cannot take /dev/vhost-net'"
check "our own node still registered" test -c "$VSC_DEV"
tap_finish
