#!/usr/bin/python3
"""The measuring loop of bench/engine/run (which makes the namespace, the
image tarball, the daemons' config files and the cleanup, and starts this).

This starts the daemons (pierd; containerd then dockerd), times them to
their socket, imports the image, and times CLI commands against them: each
command is run by the static helper `spawn` of bench/runtime (fork, exec,
wait4, CLOCK_MONOTONIC around them), so that what is timed is the client
process from fork to reaped, as a user at a shell sees it.  In every round
the clients run back to back in a rotating order.  The daemons' pids go to
SCRATCH/pids/NAME as soon as they are started, for the cleanup of `run`.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

IMAGE = "pbench-busybox:latest"

# The four clients, as table columns.  pier(d): the stock docker CLI against pierd.
COLS = ["pier", "pier(d)", "docker", "podman"]
RATIOS = [("pier", "docker"), ("pier(d)", "docker"), ("pier", "podman")]


class Failure(Exception):
    pass


def now():
    return time.monotonic()


T0 = time.monotonic()


def say(s):
    print(f"[{time.monotonic() - T0:5.0f} s] {s}", file=sys.stderr, flush=True)


def tail(path, n=5):
    try:
        with open(path, errors="replace") as f:
            lines = [l.rstrip() for l in f if l.strip()]
        return " | ".join(lines[-n:])
    except OSError:
        return ""


def http_unix(path, method, url, body=None, timeout=60):
    """One request on a new connection; (status, body bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        data = json.dumps(body).encode() if body is not None else b""
        req = f"{method} {url} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
        if body is not None:
            req += "Content-Type: application/json\r\n"
        req += f"Content-Length: {len(data)}\r\n\r\n"
        s.sendall(req.encode() + data)
        out = bytearray()
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    finally:
        s.close()
    head, _, rest = bytes(out).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body_out = b""
        while rest:
            n, _, rest = rest.partition(b"\r\n")
            n = int(n.split(b";")[0], 16)
            if n == 0:
                break
            body_out += rest[:n]
            rest = rest[n + 2:]
        rest = body_out
    return status, rest


def ping(path):
    try:
        status, body = http_unix(path, "GET", "/_ping", timeout=5)
        return status == 200
    except (OSError, ValueError, IndexError):
        return False


def can_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def mem_kib(pid):
    """(RSS, PSS) in KiB, from status and smaps_rollup."""
    rss = pss = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def unmount_under(root):
    """Unmount whatever is mounted under root, deepest first."""
    for _ in range(3):
        with open("/proc/self/mountinfo") as f:
            mps = [l.split()[4] for l in f]
        mps = sorted((m for m in mps if m.startswith(root + "/")), reverse=True)
        if not mps:
            return
        for m in mps:
            subprocess.run(["umount", m], stderr=subprocess.DEVNULL)


class Daemon:
    def __init__(self, bench, name, argv, ready, log):
        self.bench, self.name, self.argv, self.ready, self.logpath = bench, name, argv, ready, log
        self.proc = None

    def start(self):
        with open(self.logpath, "ab") as log:
            t0 = now()
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        with open(os.path.join(self.bench.a.scratch, "pids", self.name), "w") as f:
            f.write(f"{self.proc.pid}\n")
        while True:
            if self.ready():
                return (now() - t0) * 1000
            rc = self.proc.poll()
            if rc is not None:
                raise Failure(f"{self.name} exited with status {rc}: {tail(self.logpath)}")
            if now() - t0 > 120:
                raise Failure(f"{self.name} not ready after 120 s: {tail(self.logpath)}")
            time.sleep(0.002)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Client:
    def __init__(self, col, engine, argv, flags):
        self.col, self.engine, self.argv, self.flags = col, engine, argv, flags


class Bench:
    def __init__(self, a):
        self.a = a
        self.out = os.path.join(a.scratch, "out.txt")
        self.logdir = os.path.join(a.scratch, "logs")
        os.makedirs(self.logdir, exist_ok=True)
        self.results = {}  # (metric, col) -> [values]
        self.failed = {}  # (phase, col or engine) -> message
        self.daemons = {}
        self.engines = ["pier"] + (["docker"] if a.docker else []) + (["podman"] if a.podman else [])
        self.clients = []
        self.names = {e: [] for e in self.engines}
        self.mem = {}  # (metric, col) -> value
        self.notes = []
        self.sigcheck = {}

    # ---- helpers -----------------------------------------------------------

    def add(self, metric, col, v):
        self.results.setdefault((metric, col), []).append(v)

    def timed(self, argv, out=None):
        """ms of one run of argv, fork to reaped; its output goes to `out`
        (default: a file kept for the error message)."""
        log = out or self.out
        if out is None:
            open(self.out, "w").close()
        p = subprocess.Popen([self.a.spawn, "-o", log, "--"] + argv, stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            stdout, _ = p.communicate(timeout=self.a.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise Failure(f"`{self.short(argv)}` still running after {self.a.timeout} s: killed")
        except BaseException:
            os.killpg(p.pid, signal.SIGKILL)
            raise
        ns = rc = None
        for line in stdout.splitlines():
            if line.startswith("ns="):
                f = dict(x.split("=") for x in line.split())
                ns, rc = int(f["ns"]), int(f["rc"])
        if ns is None:
            raise Failure(f"spawn failed (status {p.returncode}) for `{' '.join(argv)}`")
        if rc != 0:
            raise Failure(f"`{self.short(argv)}` exited {rc}: {tail(self.out) if out is None else ''}")
        return ns / 1e6

    def short(self, argv):
        s = " ".join(os.path.basename(argv[0]) if i == 0 else x for i, x in enumerate(argv))
        return s.replace(self.a.scratch, "$S")

    def run(self, argv, check=True, timeout=None):
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=timeout or self.a.timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"`{self.short(argv)}` still running after {timeout or self.a.timeout} s: killed")
        if check and p.returncode != 0:
            raise Failure(f"`{self.short(argv)}` exited {p.returncode}: {p.stderr.strip()[-400:]}")
        return p.stdout

    def guarded(self, key, fn):
        """Run fn unless key already failed; a Failure marks key failed."""
        if key in self.failed:
            return False
        try:
            fn()
            return True
        except Failure as e:
            self.failed[key] = str(e)
            say(f"FAILED {key[1]} {key[0]}: {e}")
            return False

    @staticmethod
    def rotate(xs, r):
        k = r % len(xs) if xs else 0
        return xs[k:] + xs[:k]

    def engine_ok(self, e):
        return ("start", e) not in self.failed

    def clients_of(self, e):
        return [c for c in self.clients if c.engine == e]

    def client_for(self, e, i):
        cs = self.clients_of(e)
        return cs[i % len(cs)]

    # ---- daemons -----------------------------------------------------------

    def pier_daemon(self, root):
        os.makedirs(root, exist_ok=True)
        b = self.a.pier_build
        sock = os.path.join(root, "pier.sock")
        argv = [os.path.join(b, "pierd"), "--data-root", os.path.join(root, "data"),
                "--exec-root", os.path.join(root, "exec"), "-H", "unix://" + sock,
                "--cgroup-parent", f"/{self.a.prefix}-pier", "--shim", os.path.join(b, "pier-shim")] + \
            self.a.pierd_flags.split()
        return Daemon(self, "pierd", argv, lambda: ping(sock), os.path.join(self.logdir, "pierd.log")), sock

    def docker_daemons(self, root):
        os.makedirs(root, exist_ok=True)
        tmpl = os.path.join(self.a.scratch, "docker-tmpl")
        for f in ("containerd.toml", "daemon.json"):
            with open(os.path.join(tmpl, f)) as src, open(os.path.join(root, f), "w") as dst:
                dst.write(src.read().replace("ROOT", root))
        csock = os.path.join(root, "containerd.sock")
        dsock = os.path.join(root, "docker.sock")
        ctd = Daemon(self, "containerd", ["containerd", "--config", os.path.join(root, "containerd.toml")],
                     lambda: can_connect(csock), os.path.join(self.logdir, "containerd.log"))
        argv = ["dockerd", "--config-file", os.path.join(root, "daemon.json"),
                "--data-root", os.path.join(root, "data"), "--exec-root", os.path.join(root, "exec"),
                "-H", "unix://" + dsock, "--pidfile", os.path.join(root, "dockerd.pid"),
                # its default bridge (docker0, in the bench's namespace) and userland
                # proxy, for the bridge and published-port rows; no iptables rules
                "--containerd", csock, "--iptables=false", "--ip-forward=false", "--ip-masq=false",
                "--storage-driver", "overlay2",
                "--cgroup-parent", f"/{self.a.prefix}-docker"] + self.a.dockerd_flags.split()
        dd = Daemon(self, "dockerd", argv, lambda: ping(dsock), os.path.join(self.logdir, "dockerd.log"))
        return ctd, dd, dsock

    def startup(self):
        a = self.a
        daemons = ["pier"] + (["docker"] if a.docker else [])
        say(f"daemon start-up: {a.startup_reps} x {', '.join(daemons)} on fresh roots")
        for r in range(a.startup_reps):
            last = r == a.startup_reps - 1
            for e in self.rotate(daemons, r):
                if ("start", e) in self.failed:
                    continue
                base = os.path.join(a.scratch, e) if last else os.path.join(a.scratch, f"startup-{r}", e)
                if e == "pier":
                    def go(base=base, last=last):
                        d, sock = self.pier_daemon(base)
                        try:
                            self.add("startup", "pier", d.start())
                        except BaseException:
                            d.stop()
                            raise
                        if not last:
                            d.stop()
                        if last:
                            self.daemons["pierd"] = d
                            self.pier_sock = sock
                    self.guarded(("start", "pier"), go)
                else:
                    def go(base=base, last=last):
                        ctd, dd, dsock = self.docker_daemons(base)
                        try:
                            tc = ctd.start()
                            td = dd.start()
                        except BaseException:
                            dd.stop()
                            ctd.stop()
                            raise
                        self.add("startup-containerd", "docker", tc)
                        self.add("startup-dockerd", "docker", td)
                        self.add("startup", "docker", tc + td)
                        if not last:
                            dd.stop()
                            ctd.stop()
                        if last:
                            self.daemons["dockerd"], self.daemons["containerd"] = dd, ctd
                            self.docker_sock = dsock
                    if not self.guarded(("start", "docker"), go):
                        self.failed[("start", "docker")] += \
                            " -- the bench goes on without docker (SKIP_DOCKER=1 leaves it out)"
                if not last:
                    unmount_under(base)
                    shutil.rmtree(base, ignore_errors=True)
        for r in range(a.startup_reps - 1):
            shutil.rmtree(os.path.join(a.scratch, f"startup-{r}"), ignore_errors=True)

    def make_clients(self):
        a = self.a
        net = ["--network", "none"]
        if self.engine_ok("pier"):
            self.clients.append(Client("pier", "pier", [os.path.join(a.pier_build, "pier"), "-H",
                                                        "unix://" + self.pier_sock], net))
            self.clients.append(Client("pier(d)", "pier", [a.docker_cli, "-H", "unix://" + self.pier_sock], net))
        if a.docker and self.engine_ok("docker"):
            self.clients.append(Client("docker", "docker", [a.docker_cli, "-H", "unix://" + self.docker_sock], net))
        if a.podman:
            pm = os.path.join(a.scratch, "podman")
            os.environ["CONTAINERS_CONF"] = os.path.join(pm, "containers.conf")
            argv = ["podman", "--root", os.path.join(pm, "storage"), "--runroot", os.path.join(pm, "run"),
                    "--tmpdir", os.path.join(pm, "tmp"), "--storage-driver", "overlay",
                    "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
            flags = net + ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                           "--cgroup-parent", f"/{a.prefix}-podman"]
            self.clients.append(Client("podman", "podman", argv, flags))
        self.engines = [e for e in self.engines if self.clients_of(e)]

    def signal_check(self):
        """What each engine's container starts with: blocked and ignored signals of pid 1."""
        for e in self.engines:
            c = self.clients_of(e)[0]
            try:
                out = self.run(c.argv + ["run", "--rm"] + c.flags + [IMAGE, "grep", "-E", "^Sig(Blk|Ign)",
                                                                     "/proc/self/status"])
            except Failure as ex:
                self.sigcheck[e] = f"failed: {ex}"
                continue
            parts = []
            for l in out.splitlines():
                k, v = l.split(":")
                mask = int(v.strip(), 16)
                names = []
                for bit in range(64):
                    if mask >> bit & 1:
                        try:
                            names.append(signal.Signals(bit + 1).name)
                        except ValueError:
                            names.append(str(bit + 1))
                parts.append(f"{k} {','.join(names) or '-'}")
            self.sigcheck[e] = "; ".join(parts)

    def podman_check(self):
        """podman has no daemon: `podman info` stands for its start-up check."""
        for c in self.clients_of("podman"):
            try:
                self.run(c.argv + ["info", "--format", "{{.Host.OCIRuntime.Name}}"])
            except Failure as e:
                self.failed[("start", "podman")] = \
                    f"{e} -- the bench goes on without podman (SKIP_PODMAN=1 leaves it out)"
                say(f"FAILED podman start: {e}")

    def import_images(self):
        """`import` of the tarball, IMPORT_REPS times per client (the first as
        the image every container uses; the others as more tags of the same
        layer), alternating."""
        say(f"image import: {self.a.import_reps} x per client")
        for r in range(self.a.import_reps):
            for c in self.rotate(self.clients, r):
                if not self.engine_ok(c.engine):
                    continue
                tag = f"pbench-import:{c.col.replace('(', '-').replace(')', '')}-{r}"
                key = ("import", c.col)
                if r == 0 and c.col in ("pier(d)", "docker", "podman"):
                    tag, key = IMAGE, ("start", c.engine)
                self.guarded(key, lambda c=c, tag=tag: self.add(
                    "import", c.col, self.timed(c.argv + ["import", self.a.image_tar, tag])))

    # ---- memory ------------------------------------------------------------

    def daemon_pids(self):
        return {n: d.proc.pid for n, d in self.daemons.items() if d.proc and d.proc.poll() is None}

    def shim_pids(self):
        want = {"pier": "pier-shim", "docker": "containerd-shim-runc-v2", "podman": "conmon"}
        found = {e: [] for e in want}
        needle = self.a.scratch.encode() + b"/"
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            cl = cmdline(d)
            if not cl or not any(needle in x for x in cl):
                continue
            prog = os.path.basename(cl[0].decode(errors="replace"))
            for e, p in want.items():
                if prog == p:
                    found[e].append(int(d))
        return found

    def memory(self, tag):
        """Engine processes (and shims) now: RSS and PSS in KiB."""
        snap = {}
        for n, pid in self.daemon_pids().items():
            snap[n] = mem_kib(pid)
        if tag != "idle":
            for e, pids in self.shim_pids().items():
                snap["shims-" + e] = [mem_kib(p) for p in pids]
        self.mem[tag] = snap

    def memory_rows(self):
        """(label, {col: value}, unit) from the snapshots: idle (after the
        imports) and with MEM_AT containers running, each read 2 s and
        SETTLE s after the last request (pierd trims its pages after 10-20 s
        without requests)."""
        n, t = self.a.mem_at, self.a.settle
        idle2, idle, at = self.mem.get("idle2", {}), self.mem.get("idle", {}), self.mem.get("at", {})
        rows = []

        def daemons(snap, e, k):
            names = {"pier": ["pierd"], "docker": ["dockerd", "containerd"], "podman": []}[e]
            vals = [snap.get(x, (None, None))[k] for x in names]
            if not names:
                return 0
            return None if any(v is None for v in vals) else sum(vals)

        for k, what in ((0, "RSS"), (1, "PSS")):
            for snap, when in ((idle2, "2 s"), (idle, f"{t} s")):
                rows.append((f"idle daemon {what}, {when} after last request",
                             {e: daemons(snap, e, k) for e in self.engines if e != "podman"}, "MiB"))
        if "docker" in self.engines:
            for x in ("dockerd", "containerd"):
                rows.append((f"  of which {x} RSS, {t} s", {"docker": idle.get(x, (None,))[0]}, "MiB"))
        shim_label = "pier-shim | containerd-shim-runc-v2 | conmon"
        for k, what in ((0, "RSS"), (1, "PSS")):
            vals = {}
            for e in self.engines:
                xs = [m[k] for m in at.get("shims-" + e, []) if m[k] is not None]
                vals[e] = statistics.median(xs) if xs else None
            rows.append((f"monitor {what} per container, median of {n}", vals, "MiB"))
        counts = {e: len(at.get("shims-" + e, [])) for e in self.engines}
        self.notes.append(f"monitors found with {n} containers running: "
                          + ", ".join(f"{e} {counts[e]}" for e in self.engines) + f" ({shim_label})")
        for k, what in ((0, "RSS"), (1, "PSS")):
            vals = {}
            for e in self.engines:
                a0, a1 = daemons(idle, e, k), daemons(at, e, k)
                vals[e] = None if a0 is None or a1 is None else a1 - a0
            rows.append((f"daemon {what} growth, idle -> {n} running", vals, "MiB"))
        for k, what in ((0, "RSS"), (1, "PSS")):
            vals = {}
            for e in self.engines:
                a0, a1 = daemons(idle, e, k), daemons(at, e, k)
                xs = [m[k] for m in at.get("shims-" + e, []) if m[k] is not None]
                if a0 is None or a1 is None or not xs:
                    vals[e] = None
                else:
                    vals[e] = (sum(xs) + a1 - a0) / n
            rows.append((f"per container, monitor + daemon growth/{n} {what}", vals, "MiB"))
        return rows

    # ---- phases ------------------------------------------------------------

    def run_rm(self, metric="run", bridge=False):
        """run --rm true, with no network or (bridge) on each engine's default
        bridge network: a veth, an address, NAT."""
        a = self.a
        say(f"run --rm true{', default bridge' if bridge else ''}: {a.warmup} warm-up + {a.runs} rounds x "
            f"{len(self.clients)} clients")
        for r in range(a.warmup + a.runs):
            for c in self.rotate(self.clients, r):
                def go(c=c, r=r):
                    flags = self.bridged(c) if bridge else c.flags
                    ms = self.timed(c.argv + ["run", "--rm"] + flags + [IMAGE, "true"])
                    if r >= a.warmup:
                        self.add(metric, c.col, ms)
                self.guarded((metric, c.col), go)

    @staticmethod
    def bridged(c):
        """The client's run flags with the engine's default network in place of none."""
        f = list(c.flags)
        if f[:2] == ["--network", "none"]:
            del f[:2]
        return f

    def port_throughput(self):
        """MB/s from the host to a container through a port published on 127.0.0.1:
        pier's DNAT against docker's userland proxy.  (podman's is CNI's portmap
        plugin, iptables rules this bench does not make.)"""
        a = self.a
        mb = a.port_mb
        say(f"published port: {mb} MB to a container through 127.0.0.1, 3 rounds per engine")
        for e in [e for e in self.engines if e in ("pier", "docker")]:
            c = self.clients_of(e)[0]
            name = f"{a.prefix}-port-{e}"

            def go(c=c, e=e, name=name):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
                s.close()
                self.run(c.argv + ["run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:9000"] +
                         self.bridged(c) + [IMAGE, "sh", "-c", "while true; do nc -l -p 9000 >/dev/null; done"])
                try:
                    for r in range(3):
                        self.add("portmbps", c.col, mb / self.send_to(port, mb))
                except OSError as x:
                    raise Failure(f"127.0.0.1:{port}: {x}")
                finally:
                    self.run(c.argv + ["rm", "-f", name], check=False)
            self.guarded(("portmbps", c.col), go)

    @staticmethod
    def send_to(port, mb):
        """Seconds to send mb MiB to 127.0.0.1:port and see the receiver close."""
        buf = b"x" * (1 << 20)
        deadline = now() + 10
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=60)
                # a proxy accepts before the container listens: wait for a byte to get through
                s.sendall(buf[:1])
                break
            except OSError:
                if now() > deadline:
                    raise
                time.sleep(0.05)
        t0 = now()
        for _ in range(mb):
            s.sendall(buf)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
        t = now() - t0
        s.close()
        return t

    def client_alone(self):
        """Each client's own cost: `--version`, which asks no daemon."""
        n = max(5, self.a.runs // 3)
        say(f"client alone (--version): {n} rounds x {len(self.clients)} clients")
        for r in range(n):
            for c in self.rotate(self.clients, r):
                self.guarded(("version", c.col), lambda c=c: self.add(
                    "version", c.col, self.timed(c.argv[:1] + ["--version"])))

    def fill(self):
        """MEM_AT containers made one at a time, create and start timed; the
        memory read; then the rest up to RUNNING, untimed, 4 at a time."""
        a = self.a
        say(f"create + start: {a.mem_at} detached sleep containers per engine, timed; memory "
            f"({a.settle} s later); then up to {a.running}, untimed")
        for i in range(a.mem_at):
            for e in self.rotate(self.engines, i):
                c = self.client_for(e, i)
                name = f"{a.prefix}-{e}-{i}"

                def go(c=c, name=name, e=e):
                    self.add("create", c.col, self.timed(c.argv + ["create", "--name", name] + c.flags +
                                                         [IMAGE, "sleep", "100000"]))
                    self.names[e].append(name)
                    self.add("start", c.col, self.timed(c.argv + ["start", name]))
                self.guarded(("fill", e), go)
        time.sleep(self.a.settle)
        self.memory("at")
        for e in self.engines:
            if ("fill", e) in self.failed:
                continue
            c = self.clients_of(e)[0]
            names = [f"{a.prefix}-{e}-{i}" for i in range(a.mem_at, a.running)]
            for k in range(0, len(names), 4):
                batch = names[k:k + 4]
                ps = [subprocess.Popen(c.argv + ["run", "-d", "--name", n] + c.flags + [IMAGE, "sleep", "100000"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for n in batch]
                for n, p in zip(batch, ps):
                    _, err = p.communicate()
                    if p.returncode == 0:
                        self.names[e].append(n)
                    else:
                        self.failed[("fill", e)] = f"run -d {n}: {err.decode(errors='replace').strip()[-300:]}"

    def ops(self):
        a = self.a
        for e in self.engines:
            c = self.clients_of(e)[0]
            n = len(self.run(c.argv + ["ps", "-q"]).split())
            if n != len(self.names[e]):
                self.notes.append(f"{e}: `ps -q` listed {n} containers, {len(self.names[e])} expected")
        say(f"exec / inspect / ps with {a.running} running: {a.ops} rounds x {len(self.clients)} clients")
        for r in range(a.ops):
            for c in self.rotate(self.clients, r):
                names = self.names[c.engine]
                if not names:
                    continue
                target = names[(r * 7 + len(c.col)) % len(names)]
                self.guarded(("exec", c.col), lambda c=c, t=target: self.add(
                    "exec", c.col, self.timed(c.argv + ["exec", t, "true"])))
                self.guarded(("inspect", c.col), lambda c=c, t=target: self.add(
                    "inspect", c.col, self.timed(c.argv + ["inspect", t])))
                self.guarded(("ps", c.col), lambda c=c: self.add("ps", c.col, self.timed(c.argv + ["ps"])))

    def teardown(self):
        """TEARDOWN containers removed one at a time (timed): half by stop -t 0
        and rm, half by rm -f; the rest in one untimed rm -f."""
        a = self.a
        n = min(a.teardown, a.running)
        say(f"stop -t 0 + rm, and rm -f: {n} containers per engine, timed; then the rest, untimed")
        for i in range(n):
            for e in self.rotate(self.engines, i):
                if i >= len(self.names[e]):
                    continue
                c = self.client_for(e, i // 2)
                name = self.names[e][i]
                if i % 2 == 0:
                    def go(c=c, name=name):
                        self.add("stop", c.col, self.timed(c.argv + ["stop", "-t", "0", name]))
                        self.add("rm", c.col, self.timed(c.argv + ["rm", name]))
                    self.guarded(("stop+rm", e), go)
                else:
                    # podman's rm -f stops with the container's stop timeout (10 s:
                    # SIGTERM, which sleep as pid 1 ignores); docker's kills at once
                    t0 = ["-t", "0"] if e == "podman" else []
                    self.guarded(("rm -f", e), lambda c=c, name=name, t0=t0: self.add(
                        "rmf", c.col, self.timed(c.argv + ["rm", "-f"] + t0 + [name])))
        self.remove_all()

    def remove_all(self):
        """Remove what a failed step may have left."""
        for e in self.engines:
            c = self.clients_of(e)[0]
            left = self.run(c.argv + ["ps", "-aq"], check=False).split()
            if left:
                self.run(c.argv + ["rm", "-f"] + (["-t", "0"] if e == "podman" else []) + left, check=False)

    def logs(self):
        a = self.a
        # base64 of zeros: 76 characters and a newline a line, and an end of
        # its own (`yes | head -c` needs SIGPIPE, which pier's containers
        # ignore: see the signal check)
        lines = a.log_mb * 1000 * 1000 // 77
        size = lines * 77
        gen = f"head -c {lines * 57} /dev/zero | base64"
        say(f"logs: {size / 1e6:.0f} MB of 77-byte lines to stdout, {a.log_reps} x per engine; "
            f"read back once")
        for r in range(a.log_reps):
            last = r == a.log_reps - 1
            for e in self.rotate(self.engines, r + 1):
                c = self.clients_of(e)[0]
                name = f"{a.prefix}-{e}-log{r}"

                def go(c=c, e=e, name=name, last=last):
                    extra = ["--log-driver", "k8s-file"] if e == "podman" else []
                    # untimed: the last engine's log (~360 MB) is written
                    # out now, not by the kernel during this engine's run
                    os.sync()
                    t0 = now()
                    self.run(c.argv + ["run", "-d", "--name", name] + c.flags + extra +
                             [IMAGE, "sh", "-c", gen])
                    rc = self.run(c.argv + ["wait", name]).strip()
                    self.add("logwrite", c.col, (now() - t0) * 1000)
                    if rc != "0":
                        raise Failure(f"log container exited {rc}")
                    if last:
                        self.read_logs(e, c, name, size)
                    self.run(c.argv + ["rm", "-f", name])
                self.guarded(("logs", e), go)

    def read_logs(self, e, c, name, size):
        for cc in self.rotate(self.clients_of(e), 1):
            self.add("logread", cc.col, self.timed(cc.argv + ["logs", name], out="/dev/null"))
        # untimed: pier's `logs` gave all of it back (the peers' too with
        # --verify-logs: ~1 min more); the log's size on disk
        if e == "pier" or self.a.verify_logs:
            p = subprocess.Popen(c.argv + ["logs", name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            got = 0
            while True:
                d = p.stdout.read(1 << 20)
                if not d:
                    break
                got += len(d)
            p.wait()
            if got != size:
                self.notes.append(f"{e}: `logs` gave {got} bytes, the container wrote {size}")
            else:
                self.notes.append(f"{e}: `logs` gave all {got} bytes back")
        fmt = "{{.HostConfig.LogConfig.Path}}" if e == "podman" else "{{.LogPath}}"
        path = self.run(c.argv + ["inspect", "-f", fmt, name]).strip()
        try:
            self.mem[("logfile", e)] = os.path.getsize(path) / 1024
        except OSError:
            self.notes.append(f"{e}: log file {path!r} not found")

    def ps_created(self):
        a = self.a
        engines = ["pier"] + (["docker"] if a.ps_docker and "docker" in self.engines else [])
        engines = [e for e in engines if e in self.engines]
        say(f"ps -a with {a.ps_created} created containers: {', '.join(engines)}")
        for e in engines:
            sock = self.pier_sock if e == "pier" else self.docker_sock
            ids = []

            def go(e=e, sock=sock, ids=ids):
                t0 = now()
                for i in range(a.ps_created):
                    st, body = http_unix(sock, "POST", f"/v1.41/containers/create?name={a.prefix}-{e}-c{i}",
                                         {"Image": IMAGE, "Cmd": ["true"],
                                          "HostConfig": {"NetworkMode": "none"}})
                    if st != 201:
                        raise Failure(f"API create: {st} {body[:200]!r}")
                    ids.append(json.loads(body)["Id"])
                self.add("apicreate", e, (now() - t0) * 1000 / a.ps_created)
                cs = self.clients_of(e)
                n = len(self.run(cs[0].argv + ["ps", "-aq"]).split())
                if n != a.ps_created:
                    self.notes.append(f"{e}: `ps -aq` listed {n} of {a.ps_created} created containers")
                for r in range(a.ps_reps):
                    for c in self.rotate(cs, r):
                        self.add("psa", c.col, self.timed(c.argv + ["ps", "-a"]))
            self.guarded(("ps -a", e), go)
            for cid in ids:
                try:
                    http_unix(sock, "DELETE", f"/v1.41/containers/{cid}?force=1")
                except OSError as ex:
                    self.notes.append(f"{e}: delete {cid[:12]}: {ex}")

    def idle_many(self):
        """IDLE_MANY sleep containers running at once on pier (the issue asks
        for 1000 on this machine): started 4 at a time with the pier CLI, then
        ps and exec among them, pierd and its shims' memory, and what the
        machine's available memory lost per container."""
        a = self.a
        if a.idle_many <= 0 or "pier" not in self.engines:
            return
        say(f"{a.idle_many} idle containers running at once on pier")
        c = self.clients_of("pier")[0]
        names = []

        def avail_kib():
            with open("/proc/meminfo") as f:
                for line in f:
                    if line.startswith("MemAvailable:"):
                        return int(line.split()[1])
            return 0

        def go():
            before = avail_kib()
            t0 = now()
            for k in range(0, a.idle_many, 4):
                batch = [f"{a.prefix}-idle-{i}" for i in range(k, min(k + 4, a.idle_many))]
                ps = [subprocess.Popen(c.argv + ["run", "-d", "--name", n] + c.flags + [IMAGE, "sleep", "100000"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for n in batch]
                for n, p in zip(batch, ps):
                    _, err = p.communicate()
                    if p.returncode != 0:
                        raise Failure(f"run -d {n}: {err.decode(errors='replace').strip()[-300:]}")
                    names.append(n)
            self.add("manystart", "pier", (now() - t0) * 1000 / a.idle_many)
            time.sleep(a.settle)
            n = len(self.run(c.argv + ["ps", "-q"]).split())
            if n < a.idle_many:
                raise Failure(f"`ps -q` lists {n} running of {a.idle_many}")
            self.notes.append(f"pier: {n} containers running at once")
            self.add("manymem", "pier", (before - avail_kib()) / a.idle_many)
            self.memory("many")
            for r in range(a.ps_reps):
                for cc in self.rotate(self.clients_of("pier"), r):
                    self.add("manyps", cc.col, self.timed(cc.argv + ["ps"]))
                    self.add("manyexec", cc.col, self.timed(cc.argv + ["exec", names[r * 7 % len(names)], "true"]))
        self.guarded(("idle many", "pier"), go)
        for i in range(0, len(names), 50):
            subprocess.run(c.argv + ["rm", "-f"] + names[i:i + 50], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=a.timeout)

    # ---- main and report ---------------------------------------------------

    def main(self):
        a = self.a
        t_start = now()
        try:
            self.startup()
            if not self.engine_ok("pier"):
                raise Failure("pierd did not start: " + self.failed[("start", "pier")])
            self.make_clients()
            self.podman_check()
            self.import_images()
            self.clients = [c for c in self.clients if self.engine_ok(c.engine)]
            self.engines = [e for e in self.engines if self.engine_ok(e)]
            time.sleep(2)
            self.memory("idle2")
            say(f"memory: idle daemons, {self.a.settle} s after their last request")
            time.sleep(self.a.settle - 2)
            self.memory("idle")
            self.signal_check()
            self.run_rm()
            self.run_rm("runbridge", bridge=True)
            self.port_throughput()
            self.client_alone()
            self.fill()
            self.ops()
            self.teardown()
            self.logs()
            self.remove_all()
            self.ps_created()
            self.idle_many()
        except Failure as e:
            say(f"bench/engine: {e}")
            self.failed[("bench", "all")] = str(e)
        except KeyboardInterrupt:
            say("bench/engine: interrupted")
            self.interrupted = True
        except Exception as e:  # report what was measured, and why it stopped
            import traceback
            say("bench/engine: " + "".join(traceback.format_exception(e)).rstrip())
            self.failed[("bench", "all")] = f"{type(e).__name__}: {e}"
        finally:
            self.elapsed = now() - t_start
            for n in ("dockerd", "containerd", "pierd"):
                if n in self.daemons:
                    self.daemons[n].stop()
        if getattr(self, "interrupted", False):
            return 130
        self.report()
        if a.json:
            with open(a.json, "w") as f:
                json.dump({f"{m}/{c}": v for (m, c), v in self.results.items()}, f, indent=1)
        return 1 if self.failed else 0

    def med(self, metric, col):
        v = self.results.get((metric, col))
        return statistics.median(v) if v else None

    def mean(self, metric, col):
        v = self.results.get((metric, col))
        return statistics.fmean(v) if v else None

    def report(self):
        a = self.a
        w0, wv, wr = 46, 11, 16
        cols = [c for c in COLS if any(k[1] == c for k in self.results) or
                c in ("pier", "pier(d)") or (c == "docker" and a.docker) or (c == "podman" and a.podman)]
        ratios = [(p, q) for p, q in RATIOS if p in cols and q in cols]

        def fmt(v, unit):
            if v is None:
                return f"{'-':>{wv}}"
            if unit == "ms":
                return f"{v:>{wv - 3}.2f} ms" if v < 1000 else f"{v / 1000:>{wv - 2}.3f} s"
            if unit == "MiB":
                return f"{v / 1024:>{wv - 4}.2f} MiB"
            return f"{v:>{wv - len(unit) - 1}.2f} {unit}"

        def line(label, vals, unit):
            s = f"{label:<{w0}}" + "".join(fmt(vals.get(c), unit) for c in cols)
            for p, q in ratios:
                x, y = vals.get(p), vals.get(q)
                s += f"{x / y:>{wr - 1}.2f}x" if x is not None and y else f"{'':>{wr}}"
            print(s)

        hdr = f"{'median (pier(d) = docker CLI -> pierd)':<{w0}}" + "".join(f"{c:>{wv}}" for c in cols) + \
            "".join(f"{p + '/' + q:>{wr}}" for p, q in ratios)
        print("container pid 1, from /proc/self/status (default for all: nothing blocked, nothing ignored):")
        for e in self.engines:
            print(f"  {e:<8} {self.sigcheck.get(e, '-')}")
        print()
        print(hdr)
        print("-" * len(hdr))

        def eng(metric, f=self.med):
            # an engine-level figure, shown under the engine's column
            return {("pier" if e == "pier" else e): f(metric, e) for e in ("pier", "docker", "podman")}

        line("daemon start to first /_ping (fresh roots)", eng("startup"), "ms")
        if a.docker:
            line("  of which containerd, to its socket", {"docker": self.med("startup-containerd", "docker")}, "ms")
            line("  of which dockerd, containerd up", {"docker": self.med("startup-dockerd", "docker")}, "ms")
        line("import of the image (2 MB tar)", {c: self.med("import", c) for c in cols}, "ms")
        rows = [
            ("client alone: CLI --version (no daemon)", "version"),
            ("run --rm IMAGE true", "run"),
            ("create (detached sleep)", "create"),
            ("start", "start"),
            (f"exec CID true ({a.running} running)", "exec"),
            (f"inspect CID ({a.running} running)", "inspect"),
            (f"ps ({a.running} running)", "ps"),
            ("stop -t 0 (running)", "stop"),
            ("rm (stopped)", "rm"),
            ("rm -f (running)", "rmf"),
        ]
        for label, m in rows:
            line(label, {c: self.med(m, c) for c in cols}, "ms")
            if m == "run":
                line("run --rm IMAGE true, mean", {c: self.mean(m, c) for c in cols}, "ms")
                line("run --rm IMAGE true, default bridge", {c: self.med("runbridge", c) for c in cols}, "ms")
                line(f"published port, {a.port_mb} MB in (more is better)",
                     {c: self.med("portmbps", c) for c in cols}, "MB/s")
        line(f"logs: run -d until exit, {a.log_mb} MB stdout", {c: self.med("logwrite", c) for c in cols}, "ms")
        line(f"logs: read back to /dev/null", {c: self.med("logread", c) for c in cols}, "ms")
        line("logs: log file size on disk", {e: self.mem.get(("logfile", e)) for e in self.engines}, "MiB")
        line(f"ps -a with {a.ps_created} created (not started)", {c: self.med("psa", c) for c in cols}, "ms")
        line(f"  API create, per container (of {a.ps_created})", eng("apicreate"), "ms")
        if a.idle_many > 0:
            line(f"{a.idle_many} running: run -d, per container", {c: self.med("manystart", c) for c in cols}, "ms")
            line(f"{a.idle_many} running: ps", {c: self.med("manyps", c) for c in cols}, "ms")
            line(f"{a.idle_many} running: exec CID true", {c: self.med("manyexec", c) for c in cols}, "ms")
            many = self.mem.get("many", {})
            shims = sorted(v[0] for v in many.get("shims-pier", []) if v[0] is not None)
            pshims = sorted(v[1] for v in many.get("shims-pier", []) if v[1] is not None)
            pierd = many.get("pierd", (None, None))
            # (KiB: fmt shows MiB)
            line(f"{a.idle_many} running: pierd RSS", {"pier": pierd[0]}, "MiB")
            line(f"{a.idle_many} running: pier-shim RSS, median",
                 {"pier": statistics.median(shims) if shims else None}, "MiB")
            line(f"{a.idle_many} running: pier-shim PSS, median",
                 {"pier": statistics.median(pshims) if pshims else None}, "MiB")
            line(f"{a.idle_many} running: MemAvailable lost, per container",
                 {"pier": self.med("manymem", "pier")}, "MiB")
        print()
        print(f"{'memory: VmRSS, Pss of smaps_rollup':<{w0}}" + "".join(f"{c:>{wv}}" for c in cols))
        for label, vals, unit in self.memory_rows():
            line(label, vals, unit)
        print()
        print(f"{'spread (25th-75th percentile, ms)':<{w0}}" + "".join(f"{c:>{wv + 4}}" for c in cols))
        for label, m in [("client --version", "version"), ("run --rm", "run")] + rows[2:] + \
                [("ps -a, created", "psa")]:
            s = f"{label:<{w0}}"
            for c in cols:
                v = sorted(self.results.get((m, c)) or [])
                s += f"{'':>{wv + 4}}" if len(v) < 4 else \
                    f"{'%.1f-%.1f' % tuple(statistics.quantiles(v, n=4)[0::2]):>{wv + 4}}"
            print(s)
        print()
        cnt = lambda m: "/".join(str(len(self.results.get((m, c)) or [])) for c in cols)
        print(f"samples ({'/'.join(cols)}): run {cnt('run')}, create+start {cnt('create')}, "
              f"exec/inspect/ps {cnt('exec')}, stop+rm {cnt('stop')}, rm -f {cnt('rmf')},")
        print(f"  log write {cnt('logwrite')}, log read {cnt('logread')}, ps -a {cnt('psa')}; "
              f"import {cnt('import')}, start-up {a.startup_reps}; measuring took {self.elapsed:.0f} s")
        for n in self.notes:
            print("note: " + n)
        for (m, x), msg in sorted(self.failed.items()):
            print(f"FAILED {x} {m}: {msg}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--spawn", required=True)
    ap.add_argument("--image-tar", required=True)
    ap.add_argument("--pier-build", required=True)
    ap.add_argument("--docker-cli", required=True)
    ap.add_argument("--docker", action="store_true")
    ap.add_argument("--podman", action="store_true")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--running", type=int, default=100)
    ap.add_argument("--mem-at", type=int, default=50)
    ap.add_argument("--ops", type=int, default=30)
    ap.add_argument("--teardown", type=int, default=40)
    ap.add_argument("--log-reps", type=int, default=2)
    ap.add_argument("--verify-logs", action="store_true")
    ap.add_argument("--log-mb", type=int, default=200)
    ap.add_argument("--ps-created", type=int, default=1000)
    ap.add_argument("--ps-reps", type=int, default=10)
    ap.add_argument("--ps-docker", action="store_true")
    ap.add_argument("--idle-many", type=int, default=1000)
    ap.add_argument("--startup-reps", type=int, default=3)
    ap.add_argument("--import-reps", type=int, default=5)
    ap.add_argument("--port-mb", type=int, default=1024)
    ap.add_argument("--settle", type=int, default=22, help="seconds before memory is read")
    ap.add_argument("--timeout", type=int, default=300, help="seconds for any one command")
    ap.add_argument("--pierd-flags", default="")
    ap.add_argument("--dockerd-flags", default="")
    ap.add_argument("--json")
    a = ap.parse_args()
    a.mem_at = min(a.mem_at, a.running)
    # Started in the background by a script, this process ignores SIGINT, and
    # so would every daemon and container it starts: back to the default.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(Bench(a).main())


if __name__ == "__main__":
    main()
