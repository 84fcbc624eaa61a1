#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One privilege model (Documentation/usage.rst, "Who may do what"). For
# root in a user namespace and for root without CAP_NET_ADMIN: every sysfs
# write is EPERM with a log line and changes nothing; config-set, vq-move,
# dev-get (which shows the owners) and the monitor group are EPERM to
# sidecorectl; config-get and core-get (what sysfs shows everyone) work,
# for nobody too. The owner pid of
# dev-get is the reader's pid namespace's number, 0 where the reader
# cannot see the owner, and 0 once the owner has exited, also when its
# number has been given to another process.
. "$(dirname "$0")/lib/common.sh"

CTL=$VSC_TOP/tools/sidecorectl/sidecorectl
SYS=/sys/kernel/vhost_sidecore
DBG=/sys/kernel/debug/vhost_sidecore

vsc_ensure_loaded || tap_skip_all "module not loaded"
[ -x "$CTL" ] || tap_skip_all "sidecorectl not built"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
for t in unshare nsenter setpriv jq; do
	command -v $t > /dev/null || tap_skip_all "no $t"
done
vsc_tmpdir || exit $KSFT_FAIL
tmp=$VSC_TMP
tap_header 13
ctl() { "$CTL" "$@"; }
sysfs() { cat "$SYS/$1"; }
new_log_start

# A device with an owner: a process holding the node after SET_OWNER,
# its vq 0 moved by hand to the sidecore on CPU 1.
owned_device
diag "device $id, owner $owner"
echo ondemand > $SYS/policy
echo 1 > $SYS/cpus
echo manual > $SYS/policy
ctl vq move "$id" 0 core 1 > /dev/null
check "setup: device $id, vq 0 on the sidecore of CPU 1" test "$(vq0_mode)" = sidecore:1

# runs_as WRAPPER: the wrapper works and takes what it should (were it to
# fail, its own "Operation not permitted" must not pass for the kernel's):
# as_userns runs in another user namespace, as_no_net_admin without
# CAP_NET_ADMIN (bit 12) in its effective set.
runs_as() {
	local caps
	case $1 in
	as_userns)
		[ "$($1 readlink /proc/self/ns/user)" != "$(readlink /proc/self/ns/user)" ] ;;
	as_no_net_admin)
		caps=$($1 awk '/^CapEff/ { print $2 }' /proc/self/status) &&
			[ -n "$caps" ] && (( ((0x$caps >> 12) & 1) == 0 )) ;;
	*) $1 true ;;
	esac || { diag "$1 does not run as it should"; return 1; }
}

# sysfs_eperm WRAPPER: a write to each writable kind of file (placement,
# knob, vq_move) is EPERM, logged, and changes nothing. Ten refusals at
# most every 5 s are logged: one per file here, then a pause.
sysfs_eperm() {
	local who=$1 f v before err bad=0 log
	runs_as "$who" || return 1
	new_log > /dev/null
	for f in policy:ondemand cpus:0 sidecores:1 manager/dwell_ms:123 "vq_move:$id 0 ondemand"; do
		v=${f#*:} f=${f%%:*}
		if [ "$f" = vq_move ]; then before=$(vq0_mode); else before=$(sysfs "$f"); fi
		# coreutils' echo: dash's builtin says "I/O error" for any errno.
		err=$($who sh -c "exec /bin/echo '$v' > $SYS/$f" 2>&1)
		grep -q 'write error: Operation not permitted' <<< "$err" ||
			{ diag "$who: echo '$v' > $f: '$err'"; bad=1; }
		if [ "$f" = vq_move ]; then v=$(vq0_mode); else v=$(sysfs "$f"); fi
		[ "$v" = "$before" ] || { diag "$who changed $f: '$before' -> '$v'"; bad=1; }
	done
	log=$(new_log)
	for f in policy cpus sidecores dwell_ms vq_move; do
		grep -q "vhost_sidecore: $f: refused: needs CAP_NET_ADMIN" <<< "$log" ||
			{ diag "$who: no log line for $f: $log"; bad=1; }
	done
	sleep 5
	return $bad
}

# netlink_split WRAPPER: sidecorectl's config set, vq move, dev show,
# status (it lists the devices) and monitor are EPERM (exit 1) and change
# nothing; config show agrees with sysfs, core show shows the sidecore on
# CPU 1.
netlink_split() {
	local who=$1 c out rc bad=0 dwell
	runs_as "$who" || return 1
	dwell=$(sysfs manager/dwell_ms)
	while read -r c; do
		# shellcheck disable=SC2086
		out=$($who timeout 10 "$CTL" $c 2>&1)
		rc=$?
		grep -q '^sidecorectl: .*Operation not permitted' <<< "$out" && [ $rc = 1 ] ||
			{ diag "$who: $c -> $rc: $out"; bad=1; }
	done <<EOF
config set dwell_ms 123
vq move $id 0 ondemand
dev show
dev show $id
status
monitor
EOF
	[ "$(sysfs manager/dwell_ms)/$(vq0_mode)" = "$dwell/sidecore:1" ] ||
		{ diag "$who changed something: dwell_ms $(sysfs manager/dwell_ms), vq 0 $(vq0_mode)"; bad=1; }
	out=$($who timeout 10 "$CTL" -j config show 2>&1)
	[ "$(jq -r '"\(.policy) \(.cpus) \(.dwell_ms)"' <<< "$out" 2>&1)" = \
	  "manual 1 $dwell" ] || { diag "$who: config show: $out"; bad=1; }
	out=$($who timeout 10 "$CTL" -j core show 2>&1)
	[ "$(jq -r '[.[] | .cpu] | join(",")' <<< "$out" 2>&1)" = 1 ] ||
		{ diag "$who: core show: $out"; bad=1; }
	return $bad
}

for who in as_userns as_no_net_admin; do
	check "$who: sysfs writes to policy, cpus, sidecores, a knob and vq_move: EPERM, logged, nothing changes" \
		sysfs_eperm "$who"
	check "$who: config set, vq move, dev show, status, monitor EPERM; config show and core show work" \
		netlink_split "$who"
done
# nobody cannot open the files for writing (mode 0644): netlink only.
check "as_nobody: config set, vq move, dev show, status, monitor EPERM; config show and core show work" \
	netlink_split as_nobody

# owner_of DEV [WRAPPER...]: the owner pid of DEV in dev show, run under
# WRAPPER (e.g. in another pid namespace)
owner_of() {
	local dev=$1
	shift
	"$@" "$CTL" -j dev show "$dev" | jq -r 'if type == "array" then .[0] else . end | .owner_pid'
}
check "the owner, from its own (the initial) pid namespace: its pid" \
	test "$(owner_of "$id")" = "$owner"
out=$(owner_of "$id" unshare --pid --fork --mount-proc)
check "the owner, from a child pid namespace that cannot see it: 0 ($out)" test "$out" = 0

# An owner inside a child pid namespace: pid 1 there.
unshare --pid --fork --kill-child --mount-proc python3 -c 'import os, fcntl, time
fd = os.open("/dev/vhost-sidecore-net", os.O_RDWR)
fcntl.ioctl(fd, 0xAF01)
print(os.getpid(), flush=True)
time.sleep(3600)' > "$tmp/nsowner" &
nsunshare=$!
for _ in $(seq 100); do [ -s "$tmp/nsowner" ] && break; sleep 0.1; done
gpid=$(pgrep -P $nsunshare)
nsid=$(awk -v p="$gpid" '$2 == p { print $1; exit }' $DBG/vqs)
diag "owner in a child pid namespace: pid $(cat "$tmp/nsowner") there, $gpid here, device $nsid"
check "an owner in a child pid namespace, seen from there: $(cat "$tmp/nsowner")" \
	test -n "$nsid" -a "$(owner_of "$nsid" nsenter --target "$gpid" --pid)" = "$(cat "$tmp/nsowner")"
check "... and from the initial namespace: its pid here ($gpid)" \
	test -n "$nsid" -a "$(owner_of "$nsid")" = "$gpid"
kill $nsunshare 2>/dev/null

# The owner exits, a child keeps the device open, and the owner's number
# is given to a new process (clone3's set_tid, in a pid namespace of our
# own: unlike ns_last_pid it needs no CONFIG_CHECKPOINT_RESTORE, which
# our debug kernel lacks): dev-get says 0, not the new process's pid.
# Prints one JSON object.
cat > "$tmp/reuse.py" << 'EOF'
import ctypes, fcntl, json, os, struct, subprocess, sys, time

CTL = sys.argv[1]


def owner(dev):
    out = subprocess.run([CTL, "-j", "dev", "show", str(dev)],
                         capture_output=True, text=True).stdout
    d = json.loads(out)
    return (d[0] if isinstance(d, list) else d)["owner_pid"]


ready_r, ready_w = os.pipe()
go_r, go_w = os.pipe()
p = os.fork()
if p == 0:
    try:
        os.close(ready_r)
        os.close(go_w)
        fd = os.open("/dev/vhost-sidecore-net", os.O_RDWR)
        fcntl.ioctl(fd, 0xAF01)
        if os.fork() == 0:
            os.close(ready_w)
            time.sleep(3600)  # holds the device after the owner is gone
            os._exit(0)
        os.write(ready_w, b"x")
        os.read(go_r, 1)
    finally:
        os._exit(0)
os.close(ready_w)
os.close(go_r)
if os.read(ready_r, 1) != b"x":
    sys.exit("the owner could not open the device or set itself owner")
devs = json.loads(subprocess.run([CTL, "-j", "dev", "show"],
                                 capture_output=True, text=True).stdout)
dev = [d["id"] for d in devs if d["owner_pid"] == p][0]
res = {"owner": p, "dev": dev, "live": owner(dev)}
os.write(go_w, b"x")
os.waitpid(p, 0)
res["exited"] = owner(dev)
# clone3(struct clone_args) with exit_signal SIGCHLD and set_tid {p}.
libc = ctypes.CDLL(None, use_errno=True)
tid = ctypes.c_int(p)
raw = struct.pack("11Q", 0, 0, 0, 0, 17, 0, 0, 0, ctypes.addressof(tid), 1, 0)
q = libc.syscall(435, ctypes.create_string_buffer(raw, len(raw)), len(raw))
if q == 0:
    time.sleep(3600)
    os._exit(0)
if q < 0:
    sys.exit("clone3 with set_tid %d: %s" % (p, os.strerror(ctypes.get_errno())))
res["new"] = q
res["reused"] = owner(dev)
print(json.dumps(res), flush=True)
EOF
out=$(timeout -s KILL 300 unshare --pid --fork --kill-child --mount-proc \
	python3 "$tmp/reuse.py" "$CTL" 2>&1)
diag "reuse: $out"
check "a live owner is reported by its pid ($(jq -r .owner <<< "$out" 2>/dev/null))" \
	test "$(jq -r '.live == .owner' <<< "$out" 2>/dev/null)" = true
check "the owner exited, its child holds the device: 0" \
	test "$(jq -r .exited <<< "$out" 2>/dev/null)" = 0
check "the owner's number given to a new process: still 0, not the new process" \
	test "$(jq -r '"\(.new == .owner) \(.reused)"' <<< "$out" 2>/dev/null)" = "true 0"

ctl vq move "$id" 0 ondemand > /dev/null
echo ondemand > $SYS/policy
tap_finish
