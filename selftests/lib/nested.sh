# SPDX-License-Identifier: GPL-2.0
#
# Second-level QEMU guests inside the test VM, attached to a vhost device
# with "-netdev tap,vhost=on,vhostfd=N" exactly as a user would do it.
# Used by the QEMU selftests, tools/bench and the demo.
#
#   nested_initrd OUT GUEST_SCRIPT   build an initramfs (busybox, iperf3,
#                                    udpseq, mempat) whose /init brings
#                                    up eth0 (from vsc.ip= / vsc.peer= on
#                                    the kernel command line), prints
#                                    "VSC-GUEST: READY", runs GUEST_SCRIPT,
#                                    prints "VSC-GUEST: DONE", powers off
#   nested_start NAME VHOSTDEV TAP MAC IP PEER [MEM] [EXTRA_APPEND]
#                                    start QEMU in the background; sets
#                                    NESTED_PID[NAME], log in $NESTED_DIR;
#                                    NESTED_SMP vCPUs (default 1);
#                                    NESTED_QUEUES=N > 1: N queue pairs,
#                                    through tools/sidecorectl/sidecore-launch
#                                    (TAP: a multiqueue tap, or a name
#                                    for a new one); NESTED_VIOMMU=1: a
#                                    q35 machine with an Intel vIOMMU in
#                                    front of the NIC (see nested_viommu);
#                                    VHOSTDEV /dev/vhost-net: in-tree vhost;
#                                    NESTED_ARGS=(...): more QEMU arguments
#                                    (-qmp, -incoming: see qemu_migrate.sh)
#   nested_wait NAME MARKER SECS     wait for a console line
#   nested_stop NAME                 wait for power-off (or kill); QEMU's
#                                    exit status
#   nested_log_clean NAME            guest kernel log has no WARN/BUG/...

NESTED_DIR=${NESTED_DIR:-/tmp/nested}
NESTED_KVER=${NESTED_KVER:-$(uname -r)}
declare -gA NESTED_PID

# TCG by default. NESTED_ACCEL=kvm uses KVM inside the TCG test VM (QEMU
# emulates AMD SVM): guests boot 3x faster and kicks take the production
# ioeventfd/irqfd path, but it is not reliable enough for CI: with two
# KVM guests at once the test VM's own kernel overflowed a stack in
# qemu-system-x86's KVM path. NESTED_ACCEL=auto: KVM when it loads.
nested_accel() {
	case ${NESTED_ACCEL:-tcg} in
	auto)
		NESTED_ACCEL=tcg
		if modprobe -q kvm_amd 2>/dev/null || modprobe -q kvm_intel 2>/dev/null; then
			[ -c /dev/kvm ] && NESTED_ACCEL=kvm
		fi ;;
	kvm) modprobe -q kvm_amd 2>/dev/null || modprobe -q kvm_intel 2>/dev/null ;;
	esac
	echo "${NESTED_ACCEL:-tcg}"
}

nested_initrd() {
	local out=$1 script=$2 dir m lib
	dir=$(mktemp -d)
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,lib/modules}
	cp "$(command -v busybox)" "$dir/bin/busybox"
	: > "$dir/modules.order"
	for m in virtio_pci virtio_net; do
		modprobe -S "$NESTED_KVER" --show-depends "$m" 2>/dev/null
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r m; do
		case "$m" in
		*.xz) xz -dc "$m" > "$dir/lib/modules/$(basename "${m%.xz}")"; m=${m%.xz} ;;
		*.zst) zstd -qdc "$m" > "$dir/lib/modules/$(basename "${m%.zst}")"; m=${m%.zst} ;;
		*) cp "$m" "$dir/lib/modules/" ;;
		esac
		basename "$m" >> "$dir/modules.order"
	done
	# iperf3 (and NESTED_BINS, more host programs) and every library
	# they need, at the same paths.
	for b in iperf3 ${NESTED_BINS:-}; do
		b=$(command -v "$b") || continue
		mkdir -p "$dir$(dirname "$b")"
		cp "$b" "$dir$b"
		for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
			mkdir -p "$dir$(dirname "$lib")"
			cp -L "$lib" "$dir$lib"
		done
	done
	# udpseq and mempat (selftests/*.c, static): numbered UDP streams,
	# a memory pattern checked across a migration.
	for b in udpseq mempat; do
		[ ! -x "$VSC_TOP/selftests/$b" ] || cp "$VSC_TOP/selftests/$b" "$dir/usr/bin/$b"
	done
	echo "127.0.0.1 localhost" > "$dir/etc/hosts"
	cp "$script" "$dir/guest.sh"
	cat > "$dir/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $(cat /modules.order); do insmod /lib/modules/$m; done
for a in $(cat /proc/cmdline); do
	case $a in
	vsc.ip=*) VSC_IP=${a#vsc.ip=} ;;
	vsc.peer=*) VSC_PEER=${a#vsc.peer=} ;;
	vsc.*=*) k=${a#vsc.}; export "VSC_$(echo "${k%%=*}" | tr a-z A-Z)=${a#*=}" ;;
	esac
done
export VSC_IP VSC_PEER
ip link set lo up
ip link set eth0 up
ip addr add "$VSC_IP" dev eth0
for i in $(seq 50); do
	[ "$(cat /sys/class/net/eth0/operstate)" = up ] && break
	sleep 0.2
done
echo "VSC-GUEST: READY $(uname -r)"
sh /guest.sh 2>&1
echo "VSC-GUEST: DONE"
sync
poweroff -f
EOF
	chmod +x "$dir/init"
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
	rm -rf "$dir"
}

# nested_start NAME VHOSTDEV TAP MAC IP PEER [MEM] [EXTRA_APPEND]
nested_start() {
	local name=$1 vdev=$2 tap=$3 mac=$4 ip=$5 peer=$6 mem=${7:-256}
	local extra=${8:-} fd q=${NESTED_QUEUES:-1} net=() pre=()
	mkdir -p "$NESTED_DIR"
	: > "$NESTED_DIR/$name.log"
	if [ "$q" -gt 1 ]; then
		# N queue pairs: the launcher opens the tap's queues and the
		# device N times and adds the -netdev (id net0).
		pre=("$VSC_TOP/tools/sidecorectl/sidecore-launch" -q "$q" -t "$tap" -d "$vdev" --)
		net=(-device "virtio-net-pci,netdev=net0,mac=$mac,mq=on,vectors=$((2 * q + 2))")
	else
		# Open the vhost device on a fresh fd and hand it to QEMU.
		exec {fd}<>"$vdev" || return 1
		net=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=on,vhostfd=$fd"
		     -device "virtio-net-pci,netdev=n0,mac=$mac")
	fi
	local accel cpu=qemu64 machine=()
	# Not "-cpu host": the xsave layout TCG emulates makes the guest
	# kernel WARN in fpu__init_system_xstate().
	accel=$(nested_accel)
	if [ "${NESTED_VIOMMU:-0}" = 1 ]; then
		nested_viommu "$accel"
		extra="intel_iommu=on $extra"
	fi
	"${pre[@]}" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" \
		"${machine[@]}" -smp "${NESTED_SMP:-1}" -m "$mem" \
		-nodefaults -no-reboot -display none -monitor none \
		-serial "file:$NESTED_DIR/$name.log" \
		-kernel "/boot/vmlinuz-$NESTED_KVER" -initrd "$NESTED_DIR/initrd.gz" \
		-append "console=ttyS0 panic=-1 net.ifnames=0 mitigations=off vsc.ip=$ip vsc.peer=$peer $extra" \
		"${net[@]}" "${NESTED_ARGS[@]}" \
		> "$NESTED_DIR/$name.qemu.log" 2>&1 &
	NESTED_PID[$name]=$!
	[ -z "$fd" ] || exec {fd}>&-
}

# nested_viommu ACCEL: the guest's NIC behind an emulated Intel IOMMU, as
# vhost with a vIOMMU needs it (sets machine=() and rewrites net=() of
# nested_start): a q35 machine; intel-iommu before every PCI device, with
# interrupt remapping and device-IOTLB support, so that the guest enables
# ATS on the NIC and its unmaps reach the vhost device as invalidations;
# the NIC a PCI Express endpoint (behind a root port, modern only: ATS is
# a PCIe capability) with iommu_platform=on (VIRTIO_F_ACCESS_PLATFORM).
# Under KVM the interrupt remapping needs a split irqchip.
nested_viommu() {
	local i
	machine=(-machine q35 -device intel-iommu,intremap=on,device-iotlb=on
		 -device pcie-root-port,id=rp0,chassis=1,slot=0)
	[ "$1" = kvm ] && machine[1]=q35,kernel-irqchip=split
	for i in "${!net[@]}"; do
		case ${net[$i]} in
		virtio-net-pci,*)
			net[$i]="${net[$i]},bus=rp0,disable-legacy=on,iommu_platform=on,ats=on" ;;
		esac
	done
}

nested_wait() {
	local name=$1 marker=$2 secs=$3 i
	for ((i = 0; i < secs * 2; i++)); do
		grep -aq "$marker" "$NESTED_DIR/$name.log" 2>/dev/null && return 0
		kill -0 "${NESTED_PID[$name]}" 2>/dev/null || {
			grep -aq "$marker" "$NESTED_DIR/$name.log" 2>/dev/null
			return
		}
		sleep 0.5
	done
	return 1
}

# nested_stop NAME: wait up to 60 s for QEMU to exit (the guest powers
# off), else kill it; return QEMU's exit status (137 when killed).
nested_stop() {
	local name=$1 pid=${NESTED_PID[$1]} i
	for ((i = 0; i < 120; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

nested_log_clean() {
	! grep -aEqf "$VSC_TOP/tools/kernel-log-bad.ere" "$NESTED_DIR/$1.log"
}

# The value printed by the guest as "VSC-GUEST: KEY value".
nested_result() {
	grep -a "VSC-GUEST: $2 " "$NESTED_DIR/$1.log" | tr -d '\r' | tail -n1 | awk '{ print $3 }'
}
