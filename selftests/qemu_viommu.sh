#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A QEMU guest behind an emulated Intel IOMMU (q35, -device intel-iommu,
# intremap=on,device-iotlb=on; virtio-net with iommu_platform=on,ats=on
# behind a PCIe root port; the guest booted with intel_iommu=on): its
# NIC negotiates VIRTIO_F_ACCESS_PLATFORM, so every ring and buffer
# address the vhost device sees is an I/O virtual address that QEMU
# translates for it through IOTLB messages on the device fd. Two guests
# at once: one on in-tree vhost-net (the reference: the same setup must
# work there) and one on our device, which runs iperf3 both ways on
# demand and then polled on a sidecore. Our counters show the IOTLB
# misses QEMU answered; QEMU exits 0; both guests' kernel logs are clean.
. "$(dirname "$0")/lib/common.sh"
vsc_tmpdir || exit $KSFT_FAIL
NESTED_DIR=$VSC_TMP/nested
NESTED_KVER=${NESTED_KVER:-$("$VSC_TOP/tools/vmtest" --print-kernel 2>/dev/null)}
. "$(dirname "$0")/lib/nested.sh"

IPERF_SECS=${IPERF_SECS:-10}
DBG=/sys/kernel/debug/vhost_sidecore/vqs

command -v qemu-system-x86_64 >/dev/null || tap_skip_all "no qemu-system-x86_64"
command -v iperf3 >/dev/null || tap_skip_all "no iperf3"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
modprobe tun && vsc_ensure_loaded || tap_skip_all "cannot load modules"
[ -c /dev/vhost-net ] || modprobe vhost_net || tap_skip_all "no in-tree vhost_net"
tap_header 20

cat > "$VSC_TMP/guest.sh" <<GUEST
iperf() {	# tag secs [-R]
	iperf3 -c \$VSC_PEER -t \$2 -f m \$3 > /tmp/iperf 2>&1
	tail -n 4 /tmp/iperf
	echo "VSC-GUEST: IPERF-\$1 \$(awk '/receiver/ { print \$7 }' /tmp/iperf)"
}
pci=\$(readlink -f /sys/class/net/eth0/device/..)
# VIRTIO_F_ACCESS_PLATFORM is bit 33 of the negotiated features.
echo "VSC-GUEST: PLATFORM \$(cut -c34 /sys/class/net/eth0/device/features)"
echo "VSC-GUEST: GROUP \$(basename "\$(readlink \$pci/iommu_group)")"
dmesg | grep -aE 'DMAR|IOMMU' | head -n 5
echo "VSC-GUEST: LINK \$(cat /sys/class/net/eth0/operstate)"
if ping -c 3 -W 5 \$VSC_PEER > /tmp/ping 2>&1; then echo "VSC-GUEST: PING ok"; else cat /tmp/ping; echo "VSC-GUEST: PING fail"; fi
iperf TX $IPERF_SECS
iperf RX $IPERF_SECS -R
if [ "\${VSC_PHASES:-2}" = 2 ]; then
	# The host puts our queues on a sidecore now.
	echo "VSC-GUEST: PHASE-SC"
	sleep 5
	iperf SCTX $IPERF_SECS
	iperf SCRX $IPERF_SECS -R
fi
GUEST

mkdir -p "$NESTED_DIR"
nested_initrd "$NESTED_DIR/initrd.gz" "$VSC_TMP/guest.sh"
for i in 0 1; do
	ip tuntap add dev vsi$i mode tap vnet_hdr
	vsc_defer ip link del vsi$i
	ip addr add 198.18.$((10 + i)).1/24 dev vsi$i
	ip link set vsi$i up
	iperf3 -s -B 198.18.$((10 + i)).1 > "$VSC_TMP/iperf-server$i.log" 2>&1 &
done

start=$(date +%s)
NESTED_VIOMMU=1
nested_start ref /dev/vhost-net vsi1 52:54:00:5c:01:01 198.18.11.2/24 198.18.11.1 256 vsc.phases=1
nested_start g0 "$VSC_DEV" vsi0 52:54:00:5c:01:00 198.18.10.2/24 198.18.10.1
qpid=${NESTED_PID[g0]}
for g in ref g0; do
	dev=$VSC_DEV; [ $g = ref ] && dev=/dev/vhost-net
	if nested_wait $g "VSC-GUEST: READY" 900; then
		ok "$g: guest behind a vIOMMU booted with vhost on $dev ($(( $(date +%s) - start )) s, accel $(nested_accel))"
	else
		not_ok "$g: guest behind a vIOMMU booted with vhost on $dev"
		tail -n 30 "$NESTED_DIR/$g.log" "$NESTED_DIR/$g.qemu.log" | sed 's/^/# /'
		tap_finish
	fi
done
check "QEMU uses our device (it is the owner of one)" \
	grep -q " $qpid qemu-system-x86 " $DBG

positive() { awk -v v="${1:-0}" 'BEGIN { exit !(v > 0) }'; }
for g in ref g0; do
	nested_wait $g "VSC-GUEST: PING" 180
	grep -a 'DMAR\|IOMMU' "$NESTED_DIR/$g.log" | head -n 3 | sed "s/^/# $g: /"
	check "$g: the NIC negotiated VIRTIO_F_ACCESS_PLATFORM and sits in IOMMU group $(nested_result $g GROUP)" \
		test "$(nested_result $g PLATFORM)" = 1 -a -n "$(nested_result $g GROUP)"
	check "$g: guest pings the host" test "$(nested_result $g PING)" = ok
done
if busybox ping -c 3 -W 5 198.18.10.2 > "$VSC_TMP/hostping" 2>&1; then
	ok "g0: host pings the guest"
else
	sed 's/^/# /' "$VSC_TMP/hostping"; not_ok "g0: host pings the guest"
fi

nested_wait ref "VSC-GUEST: IPERF-RX" $((IPERF_SECS * 2 + 300))
tx=$(nested_result ref IPERF-TX) rx=$(nested_result ref IPERF-RX)
diag "ref (in-tree vhost-net): iperf3 guest->host ${tx:-?} Mbit/s, host->guest ${rx:-?} Mbit/s"
check "ref: iperf3 TCP both ways through in-tree vhost-net with the vIOMMU" \
	sh -c "positive() { awk -v v=\"\${1:-0}\" 'BEGIN { exit !(v > 0) }'; }; positive '$tx' && positive '$rx'"

vq_modes() { grep " $qpid qemu-system-x86 " $DBG | awk '{ print $5 }' | sort -u | tr '\n' ' '; }
# QEMU's kicks, frames and IOTLB misses, both vqs summed
counters() { grep " $qpid qemu-system-x86 " $DBG | awk '{ k += $10; p += $8; m += $22 } END { print k + 0, p + 0, m + 0 }'; }
set_policy() {	# policy [cpus]
	echo ondemand > $VSC_SYS/policy && echo "${2:-}" > $VSC_SYS/cpus &&
		{ [ "$1" = ondemand ] || echo "$1" > $VSC_SYS/policy; }
}

nested_wait g0 "VSC-GUEST: PHASE-SC" $((IPERF_SECS * 2 + 300))
grep " $qpid qemu-system-x86 " $DBG > "$VSC_TMP/counters"
sed 's/^/# counters: /' "$VSC_TMP/counters"
read -r k0 f0 m0 <<< "$(counters)"
tx=$(nested_result g0 IPERF-TX) rx=$(nested_result g0 IPERF-RX)
diag "g0 on demand: iperf3 guest->host ${tx:-?} Mbit/s, host->guest ${rx:-?} Mbit/s; IOTLB misses $m0"
check "g0 on demand: iperf3 TCP guest->host for ${IPERF_SECS}s" positive "$tx"
check "g0 on demand: iperf3 TCP host->guest for ${IPERF_SECS}s" positive "$rx"
check "g0: QEMU answered our IOTLB misses ($m0) and both vqs carried 100 frames or more" \
	sh -c "[ ${m0:-0} -gt 0 ] && awk '\$8 < 100 { bad = 1 } END { exit bad || NR != 2 }' '$VSC_TMP/counters'"

check "policy sidecore cpus=1" set_policy sidecore 1
check "g0's vqs are polled by the sidecore on CPU 1" test "$(vq_modes)" = "sidecore:1 "
nested_wait g0 "VSC-GUEST: IPERF-SCRX" $((IPERF_SECS * 2 + 300))
read -r k1 f1 m1 <<< "$(counters)"
sctx=$(nested_result g0 IPERF-SCTX) scrx=$(nested_result g0 IPERF-SCRX)
diag "g0 on the sidecore: iperf3 guest->host ${sctx:-?} Mbit/s, host->guest ${scrx:-?} Mbit/s; IOTLB misses $((m1 - m0)), kicks $((k1 - k0)) for $((f1 - f0)) frames"
check "g0 on the sidecore: iperf3 TCP guest->host for ${IPERF_SECS}s" positive "$sctx"
check "g0 on the sidecore: iperf3 TCP host->guest for ${IPERF_SECS}s" positive "$scrx"
set_policy ondemand

for g in ref g0; do
	nested_wait $g "VSC-GUEST: DONE" 120
	nested_stop $g
	qrc=$?
	[ -s "$NESTED_DIR/$g.qemu.log" ] && sed "s/^/# $g qemu: /" "$NESTED_DIR/$g.qemu.log" | head -n 20
	check "$g: QEMU exited with status 0 ($qrc) once the guest powered off" \
		sh -c "[ $qrc = 0 ] && grep -aq 'VSC-GUEST: DONE' '$NESTED_DIR/$g.log'"
	if nested_log_clean $g; then ok "$g: guest kernel log clean"; else
		grep -aE 'WARNING|BUG|Oops|panic' "$NESTED_DIR/$g.log" | head | sed 's/^/# /'; not_ok "$g: guest kernel log clean"; fi
done
tap_finish
