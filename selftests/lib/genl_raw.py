#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one hand-built generic netlink request and print the kernel's answer.

For tests that need what no well-behaved client sends: attribute types the
family does not know, attributes of the wrong size, attributes on a dump.

  genl_raw.py FAMILY CMD [--dump] [ATTR...]
  genl_raw.py FAMILY -     requests from stdin, "CMD [--dump] [ATTR...]"
                           one per line, an answer line each (flushed):
                           one Python start for many (seconds under TCG)

ATTR is TYPE:u32:VALUE, TYPE:u64:VALUE, TYPE:str:TEXT or TYPE:raw:HEX.
Prints one line, "ok N" (N reply messages) or "error ERRNO-NAME: EXTACK",
followed by " (attribute TYPE)" when the extack points at an attribute of
the request, and exits 0 either way (1 when the family is missing, 2 on usage or
socket errors).
"""
import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
SOL_NETLINK, NETLINK_EXT_ACK = 270, 11


def align(n):
    return (n + 3) & ~3


def attr(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * (align(len(payload)) - len(payload))


def parse_attrs(buf):
    out, off = {}, 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4:
            break
        out[atype & 0x3FFF] = buf[off + 4:off + alen]
        off += align(alen)
    return out


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, family, cmd, flags, payload):
        """Returns (replies, errno, extack text)."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        msg = struct.pack("=IHHII", 16 + len(body), family,
                          NLM_F_REQUEST | NLM_F_ACK | flags, self.seq,
                          0) + body
        self.sock.send(msg)
        replies = []
        while True:
            data = self.sock.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                mlen, mtype, mflags, seq, _ = struct.unpack_from("=IHHII",
                                                                data, off)
                if mlen < 16:
                    return replies, errno.EIO, "short message"
                chunk = data[off:off + mlen]
                off += align(mlen)
                if seq != self.seq:
                    continue
                if mtype == NLMSG_DONE:
                    # A dump that failed says so in its DONE message.
                    err = (-struct.unpack_from("=i", chunk, 16)[0]
                           if mlen >= 20 else 0)
                    tlv = parse_attrs(chunk[20:]) if mflags & 0x200 else {}
                    text = tlv.get(NLMSGERR_ATTR_MSG, b"").rstrip(b"\0")
                    return replies, err, text.decode(errors="replace")
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", chunk, 16)[0]
                    # The request is echoed unless capped (0x100).
                    skip = 20 + (16 if mflags & 0x100 else
                                 struct.unpack_from("=I", chunk, 20)[0])
                    tlv = parse_attrs(chunk[align(skip):])
                    text = tlv.get(NLMSGERR_ATTR_MSG, b"").rstrip(b"\0")
                    text = text.decode(errors="replace")
                    # The attribute blamed: an offset into the request.
                    offs = tlv.get(NLMSGERR_ATTR_OFFS, b"")
                    if len(offs) == 4:
                        offs = struct.unpack("=I", offs)[0]
                        if 20 <= offs <= len(msg) - 4:
                            text += " (attribute %d)" % (
                                struct.unpack_from("=HH", msg, offs)[1] &
                                0x3FFF)
                    return replies, err, text
                replies.append(chunk)

    def resolve(self, name):
        replies, err, text = self.request(
            GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
            attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        if err or not replies:
            sys.exit("genl_raw.py: family %s: %s %s" %
                     (name, os.strerror(err) if err else "no reply", text))
        attrs = parse_attrs(replies[0][20:])
        return struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID][:2])[0]


def encode(spec):
    atype, kind, value = spec.split(":", 2)
    atype = int(atype)
    if kind == "u32":
        return attr(atype, struct.pack("=I", int(value, 0)))
    if kind == "u64":
        return attr(atype, struct.pack("=Q", int(value, 0)))
    if kind == "str":
        return attr(atype, value.encode() + b"\0")
    if kind == "raw":
        return attr(atype, bytes.fromhex(value))
    raise ValueError(kind)


def answer(g, fam, words):
    """One request (CMD [--dump] [ATTR...]); its answer line."""
    args = [a for a in words if a != "--dump"]
    payload = b"".join(encode(a) for a in args[1:])
    replies, err, text = g.request(fam, int(args[0], 0),
                                   NLM_F_DUMP if "--dump" in words else 0,
                                   payload)
    if err:
        return "error %s: %s" % (errno.errorcode.get(err, str(err)), text)
    return "ok %d" % len(replies)


def main(argv):
    args = [a for a in argv[1:] if a != "--dump"]
    if len(args) < 2 or "-h" in args or "--help" in args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        g = Genl()
        fam = g.resolve(args[0])
        if args[1] != "-":
            print(answer(g, fam, argv[2:]))
            return 0
        for line in sys.stdin:
            try:
                out = answer(g, fam, line.split())
            except (ValueError, IndexError) as e:
                out = "genl_raw.py: bad request %r: %s" % (line.strip(), e)
            print(out, flush=True)
    except (ValueError, OSError) as e:
        print("genl_raw.py: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
