#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DPDK virtio-user (vhost-kernel backend) as the client: testpmd opens our
# device itself (path=), identity-maps its memory and creates the tap.
# txonly: frames reach the tap; rxonly: frames sent on the tap reach testpmd.
. "$(dirname "$0")/lib/common.sh"

command -v dpdk-testpmd >/dev/null || tap_skip_all "dpdk-testpmd not installed"
[ "$(nproc)" -ge 2 ] || tap_skip_all "testpmd needs 2 CPUs"
modprobe tun && vsc_ensure_loaded || tap_skip_all "cannot load modules"
vsc_tmpdir || exit $KSFT_FAIL
tap_header 5
# testpmd's runtime files (--file-prefix)
vsc_defer "rm -rf /var/run/dpdk/vsc$$"

# testpmd MODE: runs until the script feeding its stdin is done.
testpmd() {
	local mode=$1 during=$2
	rm -f $VSC_TMP/testpmd.$mode
	{ for i in $(seq 240); do grep -qs 'Press enter to exit' $VSC_TMP/testpmd.$mode && break; sleep 0.5; done
	  ip link set dptap0 up
	  $during
	  echo; } |
	timeout 300 stdbuf -oL dpdk-testpmd -l 0-1 --no-huge -m 512 --no-pci --file-prefix vsc$$ \
		--vdev=virtio_user0,path="$VSC_DEV",queues=1,queue_size=256,iface=dptap0,mac=02:00:00:00:00:31 \
		-- --total-num-mbufs=16384 --forward-mode="$mode" --txpkts=64 -a > $VSC_TMP/testpmd.$mode 2>&1
}

tx_phase() {
	sleep 10
	grep ' dpdk-testpmd \| lcore' /sys/kernel/debug/vhost_sidecore/vqs > $VSC_TMP/testpmd.counters
	ip -s -j link show dptap0 > $VSC_TMP/testpmd.tap
}
testpmd txonly tx_phase
rc=$?
sed 's/^/# counters: /' $VSC_TMP/testpmd.counters
check "testpmd (txonly) ran on $VSC_DEV" test $rc = 0
check "testpmd owns one of our devices" test -s $VSC_TMP/testpmd.counters
tap_rx=$(jq '.[0].stats64.rx.packets' $VSC_TMP/testpmd.tap 2>/dev/null)
diag "tap received ${tap_rx:-?} frames from testpmd"
check "its frames reach the tap" test "${tap_rx:-0}" -gt 1000

rx_phase() {
	ip addr add 198.18.30.1/24 dev dptap0
	sleep 2
	busybox arping -c 20 -w 30 -I dptap0 198.18.30.2 > /dev/null 2>&1
	sleep 1
}
testpmd rxonly rx_phase
rc=$?
got=$(awk '/Accumulated forward statistics/ { f = 1 } f && /RX-packets:/ { print $2; exit }' $VSC_TMP/testpmd.rxonly)
diag "testpmd received ${got:-?} frames"
check "testpmd (rxonly) ran on $VSC_DEV" test $rc = 0
check "frames sent on the tap reach testpmd" test "${got:-0}" -ge 20
tap_finish
