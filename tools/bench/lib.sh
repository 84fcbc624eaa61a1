# SPDX-License-Identifier: GPL-2.0
#
# What tools/bench/workloads and tools/bench/phased share, sourced after
# selftests/lib/common.sh: where the module's controls are, the
# sidecore's CPU, the dynamic knobs, and how a configuration is set.
#
#   BENCH_DYNAMIC_KNOBS  "knob=value ..." for policy dynamic, or
#                        "defaults" for the module's own (meant for
#                        hardware). The default below: thresholds scaled
#                        to what one nested TCG guest moves (about 100
#                        times less than hardware), throughput first, a
#                        second of busy load before a trial and trials of
#                        two to see through TCG's second-to-second swings,
#                        a reverted trial retried after 30 s.

SYS=/sys/kernel/vhost_sidecore
DBG=/sys/kernel/debug/vhost_sidecore
# The sidecore's CPU: BENCH_SC_CPU, by default the last one; the guests
# run on every other CPU (OTHER_CPUS).
SC_CPU=${BENCH_SC_CPU:-$(( $(nproc) - 1 ))}
OTHER_CPUS=$(awk -v s="$SC_CPU" -v n="$(nproc)" 'BEGIN {
	for (i = 0; i < n; i++) if (i != s) l = l (l == "" ? "" : ",") i; print l }')
read -r -a KNOBS <<< "${BENCH_DYNAMIC_KNOBS:-busy_load=40 light_load=10 dwell_ms=1000 pref=20000 grace_ms=2000 backoff_ms=30000}"
[ "${KNOBS[*]}" = defaults ] && KNOBS=()

# bench_place WHERE PID...: every vq of these QEMU processes' devices to
# CPU WHERE or "ondemand" (policy manual).
bench_place() {
	local where=$1 pid id
	shift
	for pid in "$@"; do
		for id in $(awk -v p="$pid" '$2 == p && $4 == 0 { print $1 }' $DBG/vqs); do
			echo "$id 0 $where" > $SYS/vq_move && echo "$id 1 $where" > $SYS/vq_move ||
				echo "bench: vq_move $id $where failed" >&2
		done
	done
}

# bench_configure CONFIG PID...: ondemand (also vhost-net: ours idle),
# sidecore (the PIDs' vqs on the sidecore of SC_CPU) or dynamic (the
# manager, one allowed CPU, the KNOBS).
bench_configure() {
	local cfg=$1 k
	shift
	echo ondemand > $SYS/policy && echo 0 > $SYS/sidecores &&
		echo "$SC_CPU" > $SYS/cpus || return 1
	case $cfg in
	vhost-net|ondemand) ;;
	sidecore) echo manual > $SYS/policy && bench_place "$SC_CPU" "$@" ;;
	dynamic)
		# Twice: a knob may be refused until another one has moved
		# (light_load may not exceed busy_load); the second pass counts.
		for k in "${KNOBS[@]}"; do echo "${k#*=}" > "$SYS/manager/${k%%=*}"; done 2> /dev/null
		for k in "${KNOBS[@]}"; do echo "${k#*=}" > "$SYS/manager/${k%%=*}" || return 1; done
		echo 1 > $SYS/sidecores && echo dynamic > $SYS/policy ;;
	*) return 1 ;;
	esac
}

# bench_guest_initrd: the initrd of the benchmark guests (an iperf3
# server), in NESTED_DIR.
bench_guest_initrd() {
	echo 'exec iperf3 -s' > "$NESTED_DIR/guest.sh" &&
		nested_initrd "$NESTED_DIR/initrd.gz" "$NESTED_DIR/guest.sh"
}

# bench_guest_start NAME VHOSTDEV TAP MAC SUBNET: tap TAP at SUBNET.1 and
# a guest NAME at SUBNET.2 on VHOSTDEV, booting.
bench_guest_start() {
	ip tuntap add dev "$3" mode tap vnet_hdr &&
		ip addr add "$5.1/24" dev "$3" &&
		ip link set "$3" up &&
		nested_start "$1" "$2" "$3" "$4" "$5.2/24" "$5.1" 384
}

# bench_guest_ready SECS NAME...: wait up to SECS for each guest's iperf3
# server, then keep its threads off the sidecore CPU, as on a host where
# the sidecore has its core to itself (every configuration alike).
bench_guest_ready() {
	local secs=$1 n
	shift
	for n in "$@"; do
		nested_wait "$n" "Server listening" "$secs" ||
			{ echo "bench: guest $n did not boot" >&2; return 1; }
		[ -z "$OTHER_CPUS" ] ||
			taskset -a -p -c "$OTHER_CPUS" "${NESTED_PID[$n]}" > /dev/null
	done
	return 0
}

# bench_worker_ns PID: CPU time (ns) of the vhost workers of QEMU process
# PID: our kthread vhost-sc-PID, and in-tree vhost-net's vhost-PID, a
# kthread up to Linux 6.3 and from 6.4 on a thread of PID itself
# (vhost_task), which only /proc/PID/task lists.
bench_worker_ns() {
	local p=$1 sum=0 f c t
	for f in /proc/[0-9]*/comm /proc/"$p"/task/[0-9]*/comm; do
		read -r c 2> /dev/null < "$f" || continue
		[ "$c" = "vhost-$p" ] || [ "$c" = "vhost-sc-$p" ] || continue
		read -r t _ < "${f%comm}schedstat" && sum=$((sum + t))
	done
	echo "$sum"
}
