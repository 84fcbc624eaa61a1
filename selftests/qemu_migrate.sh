#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live migration under traffic, with standard Debian QEMU: one nested
# guest migrates six times over a unix socket between QEMUs in this VM,
# each on its own tap in one bridge, while it
#   - receives a numbered UDP stream from this VM (1400-byte payloads that
#     depend on the number) and reads it slowly, once a second, so that
#     frames our device wrote into its memory are still unread at each
#     switch-over: a page the device wrote and did not log arrives stale
#     and the payload check fails (QEMU marks the used ring dirty itself
#     when it stops vhost, but not the buffers),
#   - sends a numbered UDP stream to this VM,
#   - keeps rewriting and checking a memory pattern (mempat, once a second).
# The chain covers every pairing: ours on demand -> ours, ours polled on a
# sidecore -> in-tree vhost-net, vhost-net -> ours on a sidecore, ours on
# a sidecore -> ours, ours on demand -> vhost-net, vhost-net -> ours on
# demand. After each switch-over the destination carries the streams; at
# the end neither stream has a duplicate, a reordered or a corrupted
# datagram and both resumed (the frames lost during the downtimes are
# reported), no word of the pattern was stale, the guest powers off
# cleanly and its kernel log is clean.
. "$(dirname "$0")/lib/common.sh"
vsc_tmpdir || exit $KSFT_FAIL
NESTED_DIR=$VSC_TMP/nested
# Debian's default kernel for the guest, as in qemu_vhost.sh.
NESTED_KVER=${NESTED_KVER:-$("$VSC_TOP/tools/vmtest" --print-kernel 2>/dev/null)}
. "$(dirname "$0")/lib/nested.sh"

SCALE=${VSC_TIMEOUT_SCALE:-1}
# Light enough that the nested guest under TCG keeps up between the
# downtimes (it drains its rx ring and reads its socket).
UDP_RATE=${UDP_RATE:-$((50 / SCALE))}	# datagrams per second, each way
UDP_SIZE=1400
UDP_MAX=$((UDP_RATE * 7200))
MEMPAT_MB=${MEMPAT_MB:-2}
MEM=256
UDPSEQ=$VSC_TOP/selftests/udpseq
QMP=$VSC_TOP/selftests/lib/qmp.py
HOST_IP=198.18.0.1
GUEST_IP=198.18.0.2
MAC=52:54:00:5c:00:07
BRIDGE_MAC=52:54:00:5c:00:fe
DBG=/sys/kernel/debug/vhost_sidecore/vqs

command -v qemu-system-x86_64 >/dev/null || tap_skip_all "no qemu-system-x86_64"
command -v python3 >/dev/null || tap_skip_all "no python3"
[ -x "$UDPSEQ" ] && [ -x "$VSC_TOP/selftests/mempat" ] || tap_skip_all "udpseq or mempat not built"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
modprobe tun && modprobe bridge && vsc_ensure_loaded || tap_skip_all "cannot load modules"
modprobe vhost_net && [ -c /dev/vhost-net ] || tap_skip_all "no in-tree vhost_net"

# The chain: QEMU i runs on BACKEND[i] (ours: our device, vhost-net: the
# in-tree one); POLICY[i] is our module's policy while QEMU i is the
# source (the policy is the module's: a destination starts under its
# source's, and the policy changes between migrations).
BACKEND=(ours ours vhost-net ours ours vhost-net ours)
POLICY=(ondemand sidecore sidecore sidecore ondemand ondemand ondemand)
NMIG=$((${#BACKEND[@]} - 1))
tap_header $((8 + 5 * NMIG))

cat > "$VSC_TMP/guest.sh" <<GUEST
# Neighbour entries that do not expire: an ARP resolution queues a
# stream's datagrams and lets later ones overtake them, and one that
# fails during a downtime drops them for seconds.
arp -s \$VSC_PEER \$VSC_PEERMAC
mempat $MEMPAT_MB 1000 > /tmp/mempat 2>&1 &
mp=\$!
# Slowly: what the device wrote waits in the socket for up to a second.
udpseq recv -l -p 1000 5002 $UDP_MAX 7200 > /tmp/udprx 2>&1 &
rx=\$!
for i in \$(seq 600); do grep -q listening /tmp/udprx && break; sleep 0.1; done
udpseq send \$VSC_PEER 5001 $UDP_MAX $UDP_RATE $UDP_SIZE > /tmp/udptx 2>&1 &
tx=\$!
echo "VSC-GUEST: STREAMING"
# Until the host ends its stream (after the last migration).
wait \$rx
rxrc=\$?
kill -TERM \$tx
wait \$tx
txrc=\$?
kill -TERM \$mp
wait \$mp
mprc=\$?
grep 'mempat: round ' /tmp/mempat | head -n 8
grep -v 'listening\|received' /tmp/udprx | head -n 8
echo "VSC-GUEST: UDPSTAT \$(grep '^Udp:' /proc/net/snmp | tail -n 1)"
echo "VSC-GUEST: UDP-SENT \$txrc \$(tail -n 1 /tmp/udptx)"
echo "VSC-GUEST: UDP-RX \$rxrc \$(tail -n 1 /tmp/udprx)"
echo "VSC-GUEST: MEMPAT \$mprc \$(tail -n 1 /tmp/mempat)"
GUEST

mkdir -p "$NESTED_DIR"
nested_initrd "$NESTED_DIR/initrd.gz" "$VSC_TMP/guest.sh"
ip link add vsmbr0 address $BRIDGE_MAC type bridge && vsc_defer ip link del vsmbr0
ip addr add $HOST_IP/24 dev vsmbr0
ip neigh replace $GUEST_IP lladdr $MAC dev vsmbr0 nud permanent
ip link set vsmbr0 up
for t in vsm0 vsm1; do
	ip tuntap add dev $t mode tap vnet_hdr && vsc_defer ip link del $t
	ip link set $t master vsmbr0
	ip link set $t up
done

qmp() { python3 -B "$QMP" "$NESTED_DIR/$1.qmp" "${@:2}"; }
set_policy() {	# policy
	echo ondemand > $VSC_SYS/policy || return
	case $1 in
	ondemand) ;;
	*) echo 1 > $VSC_SYS/cpus && echo "$1" > $VSC_SYS/policy ;;
	esac
}
want_mode() { if [ "$1" = sidecore ]; then echo "sidecore:1 "; else echo "ondemand "; fi; }
vq_modes() { grep " $1 qemu-system-x86 " $DBG | awk '{ print $5 }' | sort -u | tr '\n' ' '; }
frames() { grep " $1 qemu-system-x86 " $DBG | awk '{ p += $8 } END { print p + 0 }'; }
tap_packets() { echo $(( $(cat /sys/class/net/$1/statistics/rx_packets) + $(cat /sys/class/net/$1/statistics/tx_packets) )); }

# qemu_start I [INCOMING]: QEMU i of the chain, on tap vsm(i % 2)
qemu_start() {
	local i=$1 dev=$VSC_DEV
	[ "${BACKEND[i]}" = ours ] || dev=/dev/vhost-net
	NESTED_ARGS=(-qmp "unix:$NESTED_DIR/m$i.qmp,server=on,wait=off")
	[ -z "${2:-}" ] || NESTED_ARGS+=(-incoming "unix:$2")
	nested_start "m$i" "$dev" "vsm$((i % 2))" $MAC $GUEST_IP/24 $HOST_IP $MEM \
		"vsc.peermac=$BRIDGE_MAC"
	NESTED_ARGS=()
}

# carries I: QEMU i moves the streams: its vqs on our device (or its tap)
# see 20 more frames within 60 s
carries() {
	local i=$1 pid=${NESTED_PID[m$1]} t a b
	for ((t = 0; t < 60 * SCALE; t++)); do
		if [ "${BACKEND[i]}" = ours ]; then a=$(frames "$pid"); else a=$(tap_packets "vsm$((i % 2))"); fi
		[ -n "${b:-}" ] && [ $((a - b)) -ge 20 ] && return 0
		b=${b:-$a}
		sleep 1
	done
	return 1
}

# label I POLICY: how QEMU i runs
label() { if [ "${BACKEND[$1]}" = ours ]; then echo "ours ($2)"; else echo vhost-net; fi; }
# mig_failed I WHAT: migration i did not complete, its other checks fail
mig_failed() {
	local k
	not_ok "migration $1: $2 completed"
	for k in "the destination runs the guest" "the source QEMU exited" \
		 "the destination's vqs" "the destination carries the streams"; do
		not_ok "migration $1: $k (not checked)"
	done
	return 1
}

# migrate I: QEMU i-1 -> QEMU i
migrate() {
	local i=$1 src=m$(($1 - 1)) dst=m$1 sock=$NESTED_DIR/mig$1.sock t st out
	local what
	what="$(label $((i - 1)) "${POLICY[i - 1]}") -> $(label "$i" "$(cat $VSC_SYS/policy)")"
	qemu_start "$i" "$sock"
	for ((t = 0; t < 120; t++)); do [ -S "$sock" ] && [ -S "$NESTED_DIR/$dst.qmp" ] && break; sleep 0.5; done
	if ! qmp "$src" migrate "{\"uri\": \"unix:$sock\"}" > "$VSC_TMP/mig.out" 2>&1; then
		sed 's/^/# /' "$VSC_TMP/mig.out"
		mig_failed "$i" "$what"
		return
	fi
	for ((t = 0; t < 600 * SCALE; t++)); do
		out=$(qmp "$src" query-migrate 2>&1)
		st=$(jq -r '.status // empty' <<< "$out" 2>/dev/null)
		case $st in completed|failed|cancelled) break ;; esac
		sleep 1
	done
	diag "migration $i: $(jq -c '{status, "total-time", downtime, "setup-time", ram: {transferred: .ram.transferred, "dirty-sync-count": .ram["dirty-sync-count"]}}' <<< "$out" 2>/dev/null || echo "$out")"
	if [ "$st" != completed ]; then
		sed 's/^/# qemu: /' "$NESTED_DIR/$src.qemu.log" "$NESTED_DIR/$dst.qemu.log" | tail -n 20
		mig_failed "$i" "$what"
		return
	fi
	ok "migration $i: $what completed ($(jq -r '."total-time"' <<< "$out") ms, downtime $(jq -r '.downtime' <<< "$out") ms)"
	for ((t = 0; t < 60; t++)); do
		st=$(qmp "$dst" query-status 2>/dev/null | jq -r .status)
		[ "$st" = running ] && break
		sleep 0.5
	done
	if [ "$st" = running ]; then ok "migration $i: the destination runs the guest"; else
		tail -n 20 "$NESTED_DIR/$dst.log" "$NESTED_DIR/$dst.qemu.log" | sed 's/^/# /'
		not_ok "migration $i: the destination runs the guest (${st:-no answer})"
	fi
	qmp "$src" quit > /dev/null 2>&1
	nested_stop "$src"
	check "migration $i: the source QEMU exited with status 0 after quit" test $? = 0
	if [ "${BACKEND[i]}" = ours ]; then
		st=$(want_mode "$(cat $VSC_SYS/policy)")
		check "migration $i: the destination's vqs are on $st" \
			test "$(vq_modes "${NESTED_PID[$dst]}")" = "$st"
	else
		check "migration $i: the destination is not on our device" \
			test -z "$(vq_modes "${NESTED_PID[$dst]}")"
	fi
	check "migration $i: the destination carries the streams" carries "$i"
}

# Listening before the guest starts its stream.
"$UDPSEQ" recv -l 5001 $UDP_MAX 7200 > "$VSC_TMP/udprx" 2>&1 &
host_rx=$!
start=$(date +%s)
set_policy "${POLICY[0]}"
qemu_start 0
if nested_wait m0 "VSC-GUEST: STREAMING" $((600 * SCALE)); then
	ok "guest booted on our device and streams ($(( $(date +%s) - start )) s, accel $(nested_accel))"
else
	not_ok "guest booted on our device and streams"
	tail -n 30 "$NESTED_DIR/m0.log" "$NESTED_DIR/m0.qemu.log" | sed 's/^/# /'
	tap_finish
fi
"$UDPSEQ" send $GUEST_IP 5002 $UDP_MAX $UDP_RATE $UDP_SIZE > "$VSC_TMP/udptx" 2>&1 &
host_tx=$!
check "the first QEMU's vqs are on $(want_mode "${POLICY[0]}")" \
	test "$(vq_modes "${NESTED_PID[m0]}")" = "$(want_mode "${POLICY[0]}")"
check "the first QEMU carries the streams" carries 0
supported=$(qmp m0 query-migrate-capabilities 2>/dev/null | jq -r 'length')
diag "QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }'): $supported migration capabilities, all at their defaults"

for ((m = 1; m <= NMIG; m++)); do
	# The policy the source runs under while it migrates.
	[ "${POLICY[m - 1]}" = "$(cat $VSC_SYS/policy)" ] || set_policy "${POLICY[m - 1]}"
	sleep $((5 * SCALE))
	migrate $m || break
done
last=m$NMIG
[ $m -gt $NMIG ] || last=m$((m - 1))
for ((m++; m <= NMIG; m++)); do
	for k in 1 2 3 4 5; do not_ok "migration $m: not reached ($k)"; done
done

# A few seconds on the last, then the end of both streams.
sleep $((10 * SCALE))
kill -TERM $host_tx
wait $host_tx
tx_rc=$?
nested_wait $last "VSC-GUEST: MEMPAT" $((300 * SCALE))
wait $host_rx
rx_rc=$?
diag "host sent: $(tail -n 1 "$VSC_TMP/udptx")"
diag "guest received: $(grep -a 'VSC-GUEST: UDP-RX' "$NESTED_DIR/$last.log" | tr -d '\r')"
grep -a '^udpseq: [#a]' "$NESTED_DIR/$last.log" | tr -d '\r' | sed 's/^/# guest: /'
# Where losses beyond the downtimes went: frames the guest did not take
# from its tap (dropped there), datagrams its socket had no room for.
diag "taps dropped (frames the guest did not take): vsm0 $(cat /sys/class/net/vsm0/statistics/tx_dropped), vsm1 $(cat /sys/class/net/vsm1/statistics/tx_dropped)"
diag "guest $(grep -a 'VSC-GUEST: UDPSTAT' "$NESTED_DIR/$last.log" | tr -d '\r' | cut -d' ' -f3-) (Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors ...)"
check "host->guest stream: no datagram duplicated, reordered or corrupted; its end arrived after the last switch-over" \
	test "$tx_rc/$(nested_result $last UDP-RX)" = 0/0
diag "guest sent: $(grep -a 'VSC-GUEST: UDP-SENT' "$NESTED_DIR/$last.log" | tr -d '\r')"
grep -v 'listening\|received' "$VSC_TMP/udprx" | head -n 8 | sed 's/^/# host: /'
diag "host received: $(tail -n 1 "$VSC_TMP/udprx")"
check "guest->host stream: no datagram duplicated, reordered or corrupted; its end arrived after the last switch-over" \
	test "$rx_rc/$(nested_result $last UDP-SENT)" = 0/0
grep -a 'mempat: round ' "$NESTED_DIR/$last.log" | tr -d '\r' | sed 's/^/# /'
diag "guest: $(grep -a 'VSC-GUEST: MEMPAT' "$NESTED_DIR/$last.log" | tr -d '\r')"
rounds=$(grep -a 'VSC-GUEST: MEMPAT' "$NESTED_DIR/$last.log" | tr -d '\r' | sed -n 's/.* rounds \([0-9]*\) .*/\1/p')
check "the guest's memory pattern checked out in every round across the migrations (${rounds:-0} rounds)" \
	test "$(nested_result $last MEMPAT)" = 0 -a "${rounds:-0}" -gt $NMIG

nested_wait $last "VSC-GUEST: DONE" 120
nested_stop $last
qrc=$?
check "the last QEMU exited with status 0 ($qrc) once the guest powered off" \
	sh -c "[ $qrc = 0 ] && grep -aq 'VSC-GUEST: DONE' '$NESTED_DIR/$last.log'"
bad=
for ((i = 0; i <= NMIG; i++)); do
	[ -f "$NESTED_DIR/m$i.log" ] || continue
	nested_log_clean m$i || bad+=" m$i"
done
[ -z "$bad" ] || grep -aEf "$VSC_TOP/tools/kernel-log-bad.ere" "$NESTED_DIR"/m*.log | head | sed 's/^/# /'
check "guest kernel log clean on every QEMU" test -z "$bad"
for ((i = 0; i <= NMIG; i++)); do
	[ -s "$NESTED_DIR/m$i.qemu.log" ] && sed "s/^/# qemu m$i: /" "$NESTED_DIR/m$i.qemu.log" | head -n 5
done
tap_finish
