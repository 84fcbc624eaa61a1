#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Multiqueue with standard QEMU: 4 queue pairs through sidecore-launch (a
# multiqueue tap's 4 queues, 4 opens of our device), a guest with 4 vCPUs
# and "ethtool -L eth0 combined 4". virtio-net maps vCPU i to tx queue i
# (XPS), and the tap answers a flow on the queue it came from, so a
# client pinned to vCPU i uses queue pair i both ways. One iperf3 client
# per queue pair, each way, on the workers, on a sidecore and under the
# dynamic policy with two CPUs (the manager spreads the 8 vqs over two
# sidecores): every pair's counters show its traffic. Then a numbered
# UDP stream per queue pair while the 8 vqs move ondemand -> sidecore ->
# ondemand -> sidecore -> ondemand: every datagram arrives once and in
# order.
. "$(dirname "$0")/lib/common.sh"
vsc_tmpdir || exit $KSFT_FAIL
NESTED_DIR=$VSC_TMP/nested
NESTED_KVER=${NESTED_KVER:-$("$VSC_TOP/tools/vmtest" --print-kernel 2>/dev/null)}
. "$(dirname "$0")/lib/nested.sh"

Q=4
IPERF_SECS=${IPERF_SECS:-8}
# Longer under dynamic: placements there follow a starved guest's loads.
DYN_SECS=${DYN_SECS:-20}
UDP_RATE=${UDP_RATE:-$((100 / ${VSC_TIMEOUT_SCALE:-1}))}	# per queue pair
UDP_SECS=${UDP_SECS:-20}
UDP_N=$((UDP_RATE * UDP_SECS))
UDPSEQ=$VSC_TOP/selftests/udpseq
LAUNCH=$VSC_TOP/tools/sidecorectl/sidecore-launch
GUEST_IP=198.18.1.2
HOST_IP=198.18.1.1
TAP=vsm0
DBG=/sys/kernel/debug/vhost_sidecore/vqs

for t in qemu-system-x86_64 iperf3 ethtool; do
	command -v $t > /dev/null || tap_skip_all "no $t"
done
[ -x "$UDPSEQ" ] || tap_skip_all "udpseq not built"
[ -x "$LAUNCH" ] || tap_skip_all "sidecore-launch not built"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
modprobe tun && vsc_ensure_loaded || tap_skip_all "cannot load modules"
tap_header 17

cat > "$VSC_TMP/guest.sh" <<GUEST
echo "VSC-GUEST: LINK \$(cat /sys/class/net/eth0/operstate)"
ethtool -L eth0 combined $Q > /tmp/eth 2>&1
echo "VSC-GUEST: ETHTOOL \$? \$(tr '\n' ' ' < /tmp/eth)"
echo "VSC-GUEST: COMBINED \$(ethtool -l eth0 | awk '/^Current/ { c = 1 } c && /^Combined/ { print \$2; exit }')"
echo "VSC-GUEST: XPS \$(for q in \$(seq 0 $((Q - 1))); do printf '%s,' \$(cat /sys/class/net/eth0/queues/tx-\$q/xps_cpus); done)"
ping -c 2 -W 5 \$VSC_PEER > /dev/null 2>&1
# iperfs TAG SECS [-R]: one client per queue pair, pinned to its vCPU
iperfs() {
	for q in \$(seq 0 $((Q - 1))); do
		taskset -c \$q iperf3 -c \$VSC_PEER -p \$((5201 + q)) -t \$2 -f m \$3 > /tmp/ip\$q 2>&1 &
	done
	wait
	echo "VSC-GUEST: IPERF-\$1 \$(for q in \$(seq 0 $((Q - 1))); do awk '/receiver/ { printf "%s", \$7 } END { printf "," }' /tmp/ip\$q; done)"
}
for p in OD SC DYN; do
	echo "VSC-GUEST: PHASE-\$p"
	sleep 5
	secs=$IPERF_SECS
	[ \$p = DYN ] && secs=$DYN_SECS
	iperfs \${p}TX \$secs
	iperfs \${p}RX \$secs -R
done
echo "VSC-GUEST: PHASE-UDP"
sleep 5
pids=
for q in \$(seq 0 $((Q - 1))); do
	taskset -c \$q udpseq send \$VSC_PEER \$((5001 + q)) $UDP_N $UDP_RATE > /tmp/u\$q 2>&1 &
	pids="\$pids \$!"
done
rcs=
for p in \$pids; do wait \$p; rcs="\$rcs\$?,"; done
echo "VSC-GUEST: UDP-SENT \$rcs"
GUEST

mkdir -p "$NESTED_DIR"
NESTED_BINS="ethtool" nested_initrd "$NESTED_DIR/initrd.gz" "$VSC_TMP/guest.sh"
# A multiqueue tap made beforehand, as an administrator would.
ip tuntap add dev $TAP mode tap multi_queue vnet_hdr
vsc_defer ip link del $TAP
ip addr add $HOST_IP/24 dev $TAP
ip link set $TAP up
for q in $(seq 0 $((Q - 1))); do
	iperf3 -s -B $HOST_IP -p $((5201 + q)) > "$VSC_TMP/iperf-server$q.log" 2>&1 &
done

start=$(date +%s)
NESTED_SMP=$Q NESTED_QUEUES=$Q nested_start g0 "$VSC_DEV" $TAP 52:54:00:5c:01:01 $GUEST_IP/24 $HOST_IP 512
qpid=${NESTED_PID[g0]}
if nested_wait g0 "VSC-GUEST: READY" 900; then
	ok "guest with $Q vCPUs and $Q queue pairs booted through sidecore-launch ($(( $(date +%s) - start )) s)"
else
	not_ok "guest with $Q vCPUs and $Q queue pairs booted through sidecore-launch"
	tail -n 30 "$NESTED_DIR/g0.log" "$NESTED_DIR/g0.qemu.log" | sed 's/^/# /'
	tap_finish
fi
diag "QEMU: $(tr '\0' ' ' < /proc/$qpid/cmdline | grep -o -- '-netdev [^ ]*')"
diag "tap: $(ip -d link show $TAP | grep -o 'multi_queue numqueues [0-9]*')"
# ours: QEMU's vqs in debugfs, "DEV VQ MODE PACKETS" by device id
ours() { awk -v p="$qpid" '$2 == p && $3 == "qemu-system-x86" { print $1, $4, $5, $8 }' $DBG | sort -n -k1,1 -k2,2; }
check "QEMU owns $Q devices of ours, $((2 * Q)) vqs (one device per queue pair)" \
	test "$(ours | awk '{ print $1 }' | sort -u | wc -l)/$(ours | wc -l)" = "$Q/$((2 * Q))"

nested_wait g0 "VSC-GUEST: XPS" 120
diag "$(grep -a 'VSC-GUEST: ETHTOOL\|VSC-GUEST: XPS' "$NESTED_DIR/g0.log" | tr -d '\r' | tr '\n' ' ')"
check "guest link is up" test "$(nested_result g0 LINK)" = up
check "ethtool -L eth0 combined $Q: the guest uses $Q queue pairs" \
	test "$(nested_result g0 COMBINED)" = $Q

set_policy() {	# policy [cpus]
	echo ondemand > $VSC_SYS/policy && echo "${2:-}" > $VSC_SYS/cpus &&
		{ [ "$1" = ondemand ] || echo "$1" > $VSC_SYS/policy; }
}
modes() { ours | awk '{ print $3 }' | sort -u | tr '\n' ' '; }
# each_pair_carried BEFORE AFTER: every vq's frames grew by 50 or more
each_pair_carried() {
	paste -d ' ' <(echo "$1") <(echo "$2") |
		awk 'NF != 8 || $8 - $4 < 50 { bad = 1 } END { exit bad || NR != 2 * q }' q=$Q
}
# all_positive LIST: "a,b,c,d," of $Q numbers, each above 0
all_positive() {
	awk -v l="$1" -v q=$Q 'BEGIN { n = split(l, v, ","); c = 0
		for (i = 1; i <= n; i++) if (v[i] + 0 > 0) c++
		exit c != q }'
}
iperf_both() {
	all_positive "$(nested_result g0 "IPERF-${1}TX")" &&
		all_positive "$(nested_result g0 "IPERF-${1}RX")"
}
# phase TAG NEXT-MARKER NAME: traffic of one phase, per queue pair
phase() {
	local tag=$1 next=$2 name=$3 before after
	samples=() spread=()
	before=$(ours)
	while ! nested_wait g0 "VSC-GUEST: $next" 1; do
		kill -0 "$qpid" 2> /dev/null || break
		[ $((SECONDS - t0)) -lt $((DYN_SECS * 2 * 30 + 600)) ] || break
		samples+=("$(modes)")
		# how many vqs each sidecore polls, e.g. "sidecore:0=3 sidecore:1=5"
		spread+=("$(ours | awk '$3 ~ /^sidecore/ { n[$3]++ } END { for (c in n) printf "%s=%d ", c, n[c] }' | tr ' ' '\n' | sort | tr '\n' ' ')")
	done
	after=$(ours)
	diag "$name: iperf3 Mbit/s per queue pair, guest->host $(nested_result g0 IPERF-${tag}TX), host->guest $(nested_result g0 IPERF-${tag}RX)"
	diag "$name: placements seen: $(printf '%s\n' "${samples[@]}" | sort | uniq -c | tr '\n' ';')"
	diag "$name: frames before: $(echo "$before" | awk '{ printf "%s/%s:%s ", $1, $2, $4 }')"
	diag "$name: frames after:  $(echo "$after" | awk '{ printf "%s/%s:%s ", $1, $2, $4 }')"
	check "$name: iperf3 both ways on each of the $Q queue pairs" \
		iperf_both "$tag"
	check "$name: each of the $((2 * Q)) vqs carried 50 frames or more" \
		each_pair_carried "$before" "$after"
}

t0=$SECONDS
nested_wait g0 "VSC-GUEST: PHASE-OD" 300
phase OD PHASE-SC "on demand"
all_on_sidecore() { set_policy sidecore 1 && [ "$(modes)" = "sidecore:1 " ]; }
check "policy sidecore cpus=1: all $((2 * Q)) vqs on the sidecore of CPU 1" all_on_sidecore
phase SC PHASE-DYN "sidecore"
# The manager with two CPUs to use, thresholds scaled down to what a
# nested TCG guest offers (a vq there moves tens to thousands of frames a
# second, and less still once two CPUs spin), and the trial search off
# (grace_ms 0), so that placement follows the measured loads alone:
# every vq with traffic goes to a sidecore, a second sidecore starts once
# the first is busy for core_busy per-mille with two vqs or more, and the
# vqs are spread over both by load. dwell_ms 1000: a polled vq of the
# starved guest (two CPUs spin) that sees no frame for a moment stays.
CTL=$VSC_TOP/tools/sidecorectl/sidecorectl
# shellcheck disable=SC2034 # used by the deferred command
saved=$("$CTL" -j config show | jq -r 'to_entries[] | select(.key | test("^(policy|cpus|sidecores)$") | not) | "\(.key) \(.value)"')
# shellcheck disable=SC2016
vsc_defer 'echo ondemand > $VSC_SYS/policy; "$CTL" config set $saved'
echo ondemand > $VSC_SYS/policy
check "manager knobs for a nested guest (busy_load 1, busy_pps 20, light_pps 5, core_busy 150, dwell_ms 1000, grace_ms 0), cpus 0-1, sidecores 2" \
	"$CTL" config set light_load 0 busy_load 1 light_pps 5 busy_pps 20 \
		core_light 50 core_busy 150 dwell_ms 1000 grace_ms 0 cpus 0-1 sidecores 2
set_policy dynamic 0-1
phase DYN PHASE-UDP "dynamic (cpus 0-1)"
# spread holds, per look, the vqs each sidecore polled ("sidecore:0=3
# sidecore:1=5"): at some look all of them were polled, on both.
all=$(printf '%s\n' "${spread[@]}" | awk -v n=$((2 * Q)) '
	/sidecore:0=/ && /sidecore:1=/ { split($0, f, /[ =]/); t = 0
		for (i = 2; i in f; i += 2) t += f[i]
		if (t == n) c++ }
	END { print c + 0 }')
diag "dynamic: vqs per sidecore at each look: $(printf '%s\n' "${spread[@]}" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
check "dynamic: the manager spread all $((2 * Q)) vqs over the sidecores of CPU 0 and CPU 1 ($all looks of ${#spread[@]})" \
	test "$all" -gt 0
echo ondemand > $VSC_SYS/policy
echo 0 > $VSC_SYS/sidecores

set_policy ondemand
rx=()
for q in $(seq 0 $((Q - 1))); do
	"$UDPSEQ" recv $((5001 + q)) $UDP_N $((UDP_SECS + 180)) > "$VSC_TMP/udprx$q" 2>&1 &
	rx+=($!)
done
moved=()
for p in sidecore ondemand sidecore ondemand; do
	sleep $((UDP_SECS / 5))
	if [ $p = sidecore ]; then set_policy sidecore 1; else set_policy ondemand; fi
	moved+=("$(modes)")
done
diag "vq modes after each switch: ${moved[*]}"
check "all $((2 * Q)) vqs moved ondemand -> sidecore -> ondemand -> sidecore -> ondemand during the streams" \
	test "${moved[*]}" = "sidecore:1  ondemand  sidecore:1  ondemand "
rcs=
for q in $(seq 0 $((Q - 1))); do
	wait "${rx[q]}"
	rcs="$rcs$?,"
	diag "queue pair $q: host received $(tail -n 1 "$VSC_TMP/udprx$q")"
done
nested_wait g0 "VSC-GUEST: UDP-SENT" $((UDP_SECS + 180))
diag "guest senders' exit status: $(nested_result g0 UDP-SENT)"
check "a numbered UDP stream on each queue pair ($UDP_N datagrams at $UDP_RATE/s each): every datagram once and in order" \
	test "$rcs/$(nested_result g0 UDP-SENT)" = "$(printf '0,%.0s' $(seq $Q))/$(printf '0,%.0s' $(seq $Q))"

nested_wait g0 "VSC-GUEST: DONE" 60
nested_stop g0
qrc=$?
[ -s "$NESTED_DIR/g0.qemu.log" ] && sed 's/^/# qemu: /' "$NESTED_DIR/g0.qemu.log" | head -n 20
check "QEMU exited with status 0 ($qrc) once the guest powered off" \
	sh -c "[ $qrc = 0 ] && grep -aq 'VSC-GUEST: DONE' '$NESTED_DIR/g0.log'"
if nested_log_clean g0; then ok "guest kernel log clean"; else
	grep -aE 'WARNING|BUG|Oops|panic' "$NESTED_DIR/g0.log" | head | sed 's/^/# /'; not_ok "guest kernel log clean"; fi
tap_finish
