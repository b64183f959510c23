#!/usr/bin/python3
"""A --console-socket for tests: listen on a unix socket, receive the pty
master a runtime sends over it (SCM_RIGHTS), type INPUT into it, and copy
everything the container writes to OUT until its side of the pty closes.

    console.py SOCKET OUT [INPUT]

INPUT may hold escapes (\\n, \\x04).  It is typed once the first output came,
so that a shell has set its terminal up.  Exits 0 once the pty closed, 2 on
a timeout (30 s)."""
import os
import select
import socket
import sys
import time


def main():
    path, out_path = sys.argv[1], sys.argv[2]
    typed = sys.argv[3].encode().decode("unicode_escape").encode() if len(sys.argv) > 3 else b""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path + ".tmp")
    srv.listen(1)
    # Appear under the final name only once listening.
    os.rename(path + ".tmp", path)
    conn, _ = srv.accept()
    _, fds, _, _ = socket.recv_fds(conn, 4096, 1)
    if not fds:
        print("console.py: no fd received", file=sys.stderr)
        return 1
    master = fds[0]
    deadline = time.monotonic() + 30
    got = b""
    with open(out_path, "wb") as out:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if not r:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last holder of the pty's peer closed it
                return 0
            if not data:
                return 0
            if not got and typed:
                os.write(master, typed)
            got += data
            out.write(data)
            out.flush()
    return 2


if __name__ == "__main__":
    sys.exit(main())
