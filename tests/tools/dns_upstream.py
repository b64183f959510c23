#!/usr/bin/env python3
"""A fake upstream resolver for the tests, on ADDR:53 (UDP and TCP):
  a name with "silent" in it gets no reply;
  a name starting "big-" gets 40 A records over TCP, and over UDP an empty
  reply with TC set;
  a name starting "ext-" gets A 198.51.100.7;
  any other name NXDOMAIN;
with --refuse, every name REFUSED.
Each query is logged to LOG as "udp|tcp ID NAME".  Usage: dns_upstream.py ADDR LOG [--refuse]"""
import socket, struct, sys, threading


def parse(msg):
    qid, flags = struct.unpack(">HH", msg[:4])
    off, labels = 12, []
    while msg[off]:
        labels.append(msg[off + 1 : off + 1 + msg[off]].decode())
        off += 1 + msg[off]
    return qid, flags, ".".join(labels).lower(), off + 5


def answer(msg, tcp):
    qid, flags, name, qend = parse(msg)
    with open(sys.argv[2], "a") as log:
        log.write("%s %d %s\n" % ("tcp" if tcp else "udp", qid, name))
    if "silent" in name:
        return None
    question = msg[12:qend]
    if REFUSE:
        return struct.pack(">HHHHHH", qid, 0x8085 | (flags & 0x0100), 1, 0, 0, 0) + question
    rr = lambda ip: b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(ip)
    rd = flags & 0x0100
    if name.startswith("big-"):
        if not tcp:
            return struct.pack(">HHHHHH", qid, 0x8280 | rd, 1, 0, 0, 0) + question
        ans = b"".join(rr("203.0.113.%d" % i) for i in range(1, 41))
        return struct.pack(">HHHHHH", qid, 0x8080 | rd, 1, 40, 0, 0) + question + ans
    if name.startswith("ext-"):
        return struct.pack(">HHHHHH", qid, 0x8080 | rd, 1, 1, 0, 0) + question + rr("198.51.100.7")
    return struct.pack(">HHHHHH", qid, 0x8083 | rd, 1, 0, 0, 0) + question


def serve_udp(s):
    while True:
        msg, peer = s.recvfrom(4096)
        reply = answer(msg, False)
        if reply:
            s.sendto(reply, peer)


def serve_conn(c):
    with c:
        data = b""
        while True:
            chunk = c.recv(4096)
            if not chunk:
                return
            data += chunk
            while len(data) >= 2 and len(data) >= 2 + struct.unpack(">H", data[:2])[0]:
                n = struct.unpack(">H", data[:2])[0]
                reply = answer(data[2 : 2 + n], True)
                data = data[2 + n :]
                if reply:
                    c.sendall(struct.pack(">H", len(reply)) + reply)


def serve_tcp(s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_conn, args=(c,), daemon=True).start()


addr = sys.argv[1]
REFUSE = sys.argv[3:] == ["--refuse"]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((addr, 53))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((addr, 53))
t.listen(16)
threading.Thread(target=serve_udp, args=(u,), daemon=True).start()
print("ready", flush=True)
serve_tcp(t)
