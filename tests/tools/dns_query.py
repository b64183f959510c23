#!/usr/bin/env python3
"""A DNS client for the tests: one question, its reply printed as
    rcode=NOERROR tc=0 id=ok
    A 10.1.2.3
    PTR web.net.
Usage: dns_query.py [--tcp] [--edns SIZE] [--raw HEX] SERVER NAME TYPE
       dns_query.py --bench SECONDS SERVER NAME       (answers a second over UDP)
--raw sends the given bytes instead and prints the reply's rcode (or "no reply")."""
import random, socket, struct, sys, time

TYPES = {"A": 1, "PTR": 12, "AAAA": 28, "MX": 15, "TXT": 16}
RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qid, name, qtype, edns=0):
    msg = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    msg += encode_name(name) + struct.pack(">HH", TYPES[qtype], 1)
    if edns:
        msg += b"\0" + struct.pack(">HHIH", 41, edns, 0, 0)
    return msg


def read_name(msg, off):
    labels, jumped, end = [], False, off
    for _ in range(128):
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            jumped, off = True, ((n & 0x3F) << 8) | msg[off + 1]
            continue
        if n == 0:
            return ".".join(labels) + ".", (end if jumped else off + 1)
        labels.append(msg[off + 1 : off + 1 + n].decode())
        off += 1 + n
    raise ValueError("name loop")


def describe(msg, qid):
    rid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    lines = ["rcode=%s tc=%d id=%s" % (RCODES[flags & 15] if flags & 15 < 6 else flags & 15,
                                       (flags >> 9) & 1, "ok" if rid == qid else "bad")]
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    for _ in range(an):
        _, off = read_name(msg, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off : off + 10])
        off += 10
        if rtype == 1:
            lines.append("A " + socket.inet_ntoa(msg[off : off + 4]))
        elif rtype == 12:
            lines.append("PTR " + read_name(msg, off)[0])
        else:
            lines.append("TYPE%d" % rtype)
        off += rdlen
    return "\n".join(lines)


def exchange(server, msg, tcp, timeout=8.0):
    if tcp:
        s = socket.create_connection((server, 53), timeout=timeout)
        s.sendall(struct.pack(">H", len(msg)) + msg)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            data += chunk
        return data[2:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(msg, (server, 53))
    return s.recv(65536)


def bench(seconds, server, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((server, 53))
    msgs = [query(i, name, "A") for i in range(256)]
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        for i in range(256):
            s.send(msgs[i])
            s.recv(4096)
        n += 256
    print(int(n / seconds))


def main(argv):
    tcp, edns, raw = False, 0, None
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--tcp":
            tcp = True
        elif opt == "--edns":
            edns = int(argv.pop(0))
        elif opt == "--raw":
            raw = bytes.fromhex(argv.pop(0))
        elif opt == "--bench":
            return bench(float(argv.pop(0)), argv[0], argv[1])
    server = argv[0]
    if raw is not None:
        try:
            reply = exchange(server, raw, tcp, timeout=2)
        except (socket.timeout, EOFError):
            print("no reply")
            return
        flags = struct.unpack(">H", reply[2:4])[0]
        print("rcode=%s id=%s" % (RCODES[flags & 15], reply[:2].hex()))
        return
    qid = random.randrange(65536)
    print(describe(exchange(server, query(qid, argv[1], argv[2], edns), tcp), qid))


main(sys.argv[1:])
