#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Many netlink requests from one process: the kernel's YNL library (what
tools/ynl's CLI runs) for well-formed ones, genl_raw.py for the rest.

Under TCG each Python start costs seconds; a test that makes dozens of
requests keeps one of these on a pipe (a bash coproc) instead.

  ynl_serve.py < REQUESTS

One request per line, one answer line per request, flushed:

  doit OP [JSON]      the reply as JSON, as `tools/ynl --output-json --do`
  dumpit OP [JSON]    the replies as a JSON list
  subscribe GROUP     "ok", or the error (a socket of its own: the
                      library cannot take events among its replies)
  ntf                 the notifications received so far, a JSON list
  raw [--dump] CMD ATTR...   genl_raw.py's answer line

A refused request answers "error: " and what the CLI prints for it (the
netlink error, the extack) on one line. The YNL library comes from
$VSC_YNL_DIR (tools/ynl --prepare; default /var/cache/vhost-sidecore/ynl),
the spec from this tree.
"""
import json
import os
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
YNL_DIR = os.environ.get("VSC_YNL_DIR", "/var/cache/vhost-sidecore/ynl")
SPEC = os.path.join(TOP, "Documentation/netlink/specs/vhost_sidecore.yaml")

sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(YNL_DIR, "tools/net/ynl"))
import genl_raw  # noqa: E402
from lib import NlError, YnlFamily  # noqa: E402


def schema_path():
    with open(SPEC) as f:
        for line in f:
            if line.startswith("protocol:"):
                proto = line.split(":", 1)[1].split()[0]
                break
        else:
            proto = "genetlink"
    return os.path.join(YNL_DIR, "Documentation/netlink", proto + ".yaml")


class Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, (bytes, bytearray)):
            return o.hex()
        if isinstance(o, set):
            return sorted(o)
        return json.JSONEncoder.default(self, o)


def raw(args):
    """genl_raw.py's request, its answer line returned."""
    dump = "--dump" in args
    args = [a for a in args if a != "--dump"]
    payload = b"".join(genl_raw.encode(a) for a in args[1:])
    g = genl_raw.Genl()
    try:
        fam = g.resolve("vhost_sidecore")
        replies, err, text = g.request(fam, int(args[0], 0),
                                       genl_raw.NLM_F_DUMP if dump else 0,
                                       payload)
    finally:
        g.sock.close()
    if err:
        return "error %s: %s" % (genl_raw.errno.errorcode.get(err, str(err)),
                                 text)
    return "ok %d" % len(replies)


def answer(ynl, mon, line):
    words = shlex.split(line)
    if not words:
        return "error: empty request"
    verb, rest = words[0], words[1:]
    if verb == "raw":
        return raw(rest)
    if verb == "subscribe":
        mon.ntf_subscribe(rest[0])
        return "ok"
    if verb == "ntf":
        mon.check_ntf()
        msgs = list(mon.async_msg_queue)
        mon.async_msg_queue.clear()
        return json.dumps(msgs, cls=Encoder)
    if verb in ("doit", "dumpit") and rest:
        attrs = json.loads(rest[1]) if len(rest) > 1 else {}
        if verb == "doit":
            return json.dumps(ynl.do(rest[0], attrs), cls=Encoder)
        return json.dumps(ynl.dump(rest[0], attrs), cls=Encoder)
    return "error: unknown request %r" % line


def main():
    # The library prints what it did not expect: to stderr, not into
    # the answers.
    answers, sys.stdout = sys.stdout, sys.stderr
    ynl = YnlFamily(SPEC, schema_path())
    # Notifications on a socket of their own: the library's requests
    # lose track of their replies when an event arrives among them.
    mon = YnlFamily(SPEC, "")
    for line in sys.stdin:
        try:
            out = answer(ynl, mon, line)
        except NlError as e:
            out = "error: " + str(e)
        except Exception as e:  # PermissionError, a bad request...
            out = "error: %s: %s" % (type(e).__name__, e)
        print(" ".join(out.split("\n")), file=answers, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
