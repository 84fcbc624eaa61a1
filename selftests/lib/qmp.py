#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# qmp.py SOCKET COMMAND [JSON-ARGUMENTS]: run one QMP command on a QEMU
# started with -qmp unix:SOCKET,server=on,wait=off and print its "return"
# as JSON. Exit 0 on success; 1 with QEMU's error on stderr; 2 when the
# socket does not answer. "quit" succeeds when QEMU closes the socket.
import json
import socket
import sys


def main():
    if len(sys.argv) < 3:
        print("usage: qmp.py SOCKET COMMAND [JSON-ARGUMENTS]", file=sys.stderr)
        return 2
    cmd = {"execute": sys.argv[2]}
    if len(sys.argv) > 3:
        cmd["arguments"] = json.loads(sys.argv[3])
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(sys.argv[1])
        f = s.makefile("rw")
        json.loads(f.readline())                # the greeting
        for c in ({"execute": "qmp_capabilities"}, cmd):
            f.write(json.dumps(c) + "\n")
            f.flush()
            while True:
                line = f.readline()
                if not line:
                    if c is cmd and cmd["execute"] == "quit":
                        return 0
                    raise OSError("QEMU closed the socket")
                msg = json.loads(line)
                if "event" in msg:
                    continue
                break
            if "error" in msg:
                print("qmp: %s: %s" % (c["execute"], msg["error"].get("desc")),
                      file=sys.stderr)
                return 1
    except (OSError, ValueError) as e:
        print("qmp: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 2
    print(json.dumps(msg["return"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
