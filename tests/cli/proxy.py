#!/usr/bin/python3
"""Logging proxy for recording the docker CLI's exchanges with dockerd: listen
on LISTEN, forward to TARGET, write each connection's traffic to DIR/NNN.req and
DIR/NNN.resp."""
import os, socket, sys, threading, itertools

listen, target, outdir = sys.argv[1:4]
os.makedirs(outdir, exist_ok=True)
try:
    os.unlink(listen)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(listen)
srv.listen(64)
counter = itertools.count(len(os.listdir(outdir)) // 2)


def pump(a, b, f):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            f.write(d)
            f.flush()
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


while True:
    c, _ = srv.accept()
    n = next(counter)
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(target)
    fq = open(os.path.join(outdir, "%03d.req" % n), "wb")
    fr = open(os.path.join(outdir, "%03d.resp" % n), "wb")
    threading.Thread(target=pump, args=(c, u, fq), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, fr), daemon=True).start()
