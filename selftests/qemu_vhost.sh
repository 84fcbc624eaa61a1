#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Standard Debian QEMU as a second-level guest, attached to our device
# with -netdev tap,vhost=on,vhostfd=N: link up, ping both ways, iperf3 TCP
# 10 s each direction; our counters show the traffic; both kernel logs
# clean (the runner checks this VM's). Then the same with policy sidecore
# (vqs polled on CPU 1), and one run across ondemand -> sidecore ->
# ondemand switches.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/nested.sh"

IPERF_SECS=${IPERF_SECS:-10}
tap_header
command -v qemu-system-x86_64 >/dev/null || { echo "1..0 # SKIP no qemu-system-x86_64"; exit $KSFT_SKIP; }
command -v iperf3 >/dev/null || { echo "1..0 # SKIP no iperf3"; exit $KSFT_SKIP; }
modprobe tun && vsc_ensure_loaded || { echo "1..0 # SKIP cannot load modules"; exit $KSFT_SKIP; }

cleanup() {
	[ -n "${NESTED_PID[g0]:-}" ] && kill -9 "${NESTED_PID[g0]}" 2>/dev/null
	[ -n "${iperf_pid:-}" ] && kill "$iperf_pid" 2>/dev/null
	ip link del vsq0 2>/dev/null
	echo ondemand > /sys/kernel/vhost_sidecore/policy 2>/dev/null
}
trap cleanup EXIT

cat > /tmp/qemu_vhost.guest.sh <<GUEST
iperf() {	# tag secs [-R]
	iperf3 -c \$VSC_PEER -t \$2 -f m \$3 > /tmp/iperf 2>&1
	tail -n 4 /tmp/iperf
	echo "VSC-GUEST: IPERF-\$1 \$(awk '/receiver/ { print \$7 }' /tmp/iperf)"
}
echo "VSC-GUEST: LINK \$(cat /sys/class/net/eth0/operstate)"
if ping -c 3 -W 5 \$VSC_PEER > /tmp/ping 2>&1; then echo "VSC-GUEST: PING ok"; else cat /tmp/ping; echo "VSC-GUEST: PING fail"; fi
iperf TX $IPERF_SECS
iperf RX $IPERF_SECS -R
# The host puts our queues on a sidecore now.
echo "VSC-GUEST: PHASE-SC"
sleep 5
iperf SCTX $IPERF_SECS
iperf SCRX $IPERF_SECS -R
# ... back to ondemand, then switched while this run goes on.
echo "VSC-GUEST: PHASE-SWITCH"
sleep 5
echo "VSC-GUEST: SWITCH-START"
iperf SWITCH $((IPERF_SECS * 2))
# Stay up a moment: the host reads our device counters now.
echo "VSC-GUEST: HOLD"
sleep 5
GUEST

mkdir -p "$NESTED_DIR"
nested_initrd "$NESTED_DIR/initrd.gz" /tmp/qemu_vhost.guest.sh
ip tuntap add dev vsq0 mode tap vnet_hdr
ip addr add 198.18.0.1/24 dev vsq0
ip link set vsq0 up
iperf3 -s -B 198.18.0.1 > /tmp/iperf-server.log 2>&1 &
iperf_pid=$!

start=$(date +%s)
nested_start g0 "$VSC_DEV" vsq0 52:54:00:5c:00:01 198.18.0.2/24 198.18.0.1
qpid=${NESTED_PID[g0]}
if nested_wait g0 "VSC-GUEST: READY" 600; then
	ok "guest booted with vhost on $VSC_DEV ($(( $(date +%s) - start )) s, accel $(nested_accel))"
else
	not_ok "guest booted with vhost on $VSC_DEV"
	tail -n 30 "$NESTED_DIR/g0.log" "$NESTED_DIR/g0.qemu.log" | sed 's/^/# /'
	tap_finish
fi
diag "$(grep -a 'VSC-GUEST: READY' "$NESTED_DIR/g0.log")"
check "QEMU uses our device (it is the owner of one)" \
	grep -q " $qpid qemu-system-x86 " /sys/kernel/debug/vhost_sidecore/vqs

nested_wait g0 "VSC-GUEST: LINK" 60
check "guest link is up" test "$(nested_result g0 LINK)" = up
if busybox ping -c 3 -W 5 198.18.0.2 > /tmp/hostping 2>&1; then
	ok "host pings the guest"
else
	sed 's/^/# /' /tmp/hostping; not_ok "host pings the guest"
fi
nested_wait g0 "VSC-GUEST: PING" 120
check "guest pings the host" test "$(nested_result g0 PING)" = ok

SYS=/sys/kernel/vhost_sidecore
vq_modes() { grep " $qpid qemu-system-x86 " /sys/kernel/debug/vhost_sidecore/vqs | awk '{ print $5 }' | sort -u | tr '\n' ' '; }
set_policy() {	# policy [cpus]
	echo ondemand > $SYS/policy && echo "${2:-}" > $SYS/cpus &&
		{ [ "$1" = ondemand ] || echo "$1" > $SYS/policy; }
}

nested_wait g0 "VSC-GUEST: PHASE-SC" $((IPERF_SECS * 2 + 300))
grep " $qpid qemu-system-x86 " /sys/kernel/debug/vhost_sidecore/vqs > /tmp/qemu_vhost.counters
tx=$(nested_result g0 IPERF-TX)
rx=$(nested_result g0 IPERF-RX)
diag "ondemand: iperf3 guest->host ${tx:-?} Mbit/s, host->guest ${rx:-?} Mbit/s"
check "iperf3 TCP guest->host for ${IPERF_SECS}s" awk -v v="${tx:-0}" 'BEGIN { exit !(v > 0) }'
check "iperf3 TCP host->guest for ${IPERF_SECS}s" awk -v v="${rx:-0}" 'BEGIN { exit !(v > 0) }'
sed 's/^/# counters: /' /tmp/qemu_vhost.counters
check "our rx and tx queues carried the traffic" \
	awk '$8 < 1000 { bad = 1 } END { exit bad || NR != 2 }' /tmp/qemu_vhost.counters

check "policy sidecore cpus=1" set_policy sidecore 1
modes=$(vq_modes)
diag "vq modes: $modes"
check "QEMU's vqs are polled by the sidecore on CPU 1" test "$modes" = "sidecore:1 "
kicks0=$(grep " $qpid qemu-system-x86 " /sys/kernel/debug/vhost_sidecore/vqs | awk '{ k += $10; p += $8 } END { print k, p }')
nested_wait g0 "VSC-GUEST: PHASE-SWITCH" $((IPERF_SECS * 2 + 300))
kicks1=$(grep " $qpid qemu-system-x86 " /sys/kernel/debug/vhost_sidecore/vqs | awk '{ k += $10; p += $8 } END { print k, p }')
sctx=$(nested_result g0 IPERF-SCTX)
scrx=$(nested_result g0 IPERF-SCRX)
diag "sidecore: iperf3 guest->host ${sctx:-?} Mbit/s, host->guest ${scrx:-?} Mbit/s"
diag "sidecore: guest kicks / frames: $(echo $kicks0 $kicks1 | awk '{ printf "%d / %d", $3 - $1, $4 - $2 }')"
check "sidecore: iperf3 TCP guest->host for ${IPERF_SECS}s" awk -v v="${sctx:-0}" 'BEGIN { exit !(v > 0) }'
check "sidecore: iperf3 TCP host->guest for ${IPERF_SECS}s" awk -v v="${scrx:-0}" 'BEGIN { exit !(v > 0) }'

check "back to policy ondemand before the switch run" set_policy ondemand
nested_wait g0 "VSC-GUEST: SWITCH-START" 120
sleep $((IPERF_SECS / 2))
set_policy sidecore 1; m1=$(vq_modes)
sleep $((IPERF_SECS / 2))
set_policy ondemand; m2=$(vq_modes)
diag "during the run: $m1-> $m2"
check "switched ondemand -> sidecore -> ondemand during the run" \
	test "$m1/$m2" = "sidecore:1 /ondemand "
nested_wait g0 "VSC-GUEST: HOLD" $((IPERF_SECS * 4 + 300))
sw=$(nested_result g0 IPERF-SWITCH)
grep -a -A0 -B3 'VSC-GUEST: IPERF' "$NESTED_DIR/g0.log" | tr -d '\r' | sed 's/^/# /'
diag "across the switches: iperf3 guest->host ${sw:-?} Mbit/s"
check "iperf3 TCP across the switches completes" awk -v v="${sw:-0}" 'BEGIN { exit !(v > 0) }'
nested_wait g0 "VSC-GUEST: DONE" 60
nested_stop g0
check "QEMU exited cleanly" sh -c "! grep -qi error '$NESTED_DIR/g0.qemu.log'"
if nested_log_clean g0; then ok "guest kernel log clean"; else
	grep -aE 'WARNING|BUG|Oops' "$NESTED_DIR/g0.log" | head | sed 's/^/# /'; not_ok "guest kernel log clean"; fi
tap_finish
