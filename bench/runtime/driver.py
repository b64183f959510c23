#!/usr/bin/python3
"""The measuring loop of bench/runtime/run (which prepares the bundles, the
mount namespace and the cleanup, and starts this).

Every runtime invocation is timed by the static C helper `spawn` (fork,
exec, wait4, CLOCK_MONOTONIC around them), so that what is timed is the
runtime process from fork to reaped, and this Python process's own cost
stays outside.  Runtimes alternate inside every round, in a rotating order.
This process is a child subreaper, so that the init of a container made by
`create` comes back to it when the runtime exits, and is reaped here.
"""
import argparse
import ctypes
import json
import os
import select
import statistics
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_strays():
    """Reap zombies reparented to us (never blocks)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_exit(pid, timeout=10.0):
    """Wait for a process that may or may not be our child to be gone."""
    try:
        os.waitpid(pid, 0)
        return
    except ChildProcessError:
        pass
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        select.select([fd], [], [], timeout)
    finally:
        os.close(fd)


class Failure(Exception):
    pass


class Bench:
    def __init__(self, a):
        self.a = a
        self.spawn_bin = a.spawn
        self.log = os.path.join(a.scratch, "runtime.log")
        self.runtimes = []  # (name, path, root)
        for spec in a.runtime:
            name, path = spec.split("=", 1)
            root = os.path.join(a.state, "root-" + name)
            os.makedirs(root, exist_ok=True)
            self.runtimes.append((name, path, root))
        self.names = [r[0] for r in self.runtimes]
        self.seq = 0
        self.results = {}  # (metric, runtime) -> list of values
        self.failed = {}  # (metric, runtime) -> message

    def new_id(self, name):
        self.seq += 1
        return f"{self.a.prefix}-{name}-{self.seq}"

    def order(self, r):
        k = r % len(self.runtimes)
        return self.runtimes[k:] + self.runtimes[:k]

    def spawn(self, argv, n=1, hwm=False):
        """Run argv n times through the helper; a list of dicts per run and
        the total ns."""
        cmd = [self.spawn_bin, "-n", str(n), "-o", self.log]
        if hwm:
            cmd.append("-H")
        cmd += ["--"] + argv
        with open(self.log, "a") as f:
            f.write("$ " + " ".join(argv) + "\n")
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        runs, total = [], None
        for line in p.stdout.splitlines():
            if line.startswith("total="):
                total = int(line[6:])
            elif line.startswith("ns="):
                runs.append({k: int(v) for k, v in (f.split("=") for f in line.split())})
        bad = [r for r in runs if r["rc"] != 0]
        if p.returncode not in (0, 1) or not runs or bad:
            raise Failure(f"`{' '.join(argv)}` failed (rc {bad[0]['rc'] if bad else p.returncode})"
                          f": {self.log_tail()}")
        return runs, total

    def log_tail(self):
        try:
            with open(self.log) as f:
                lines = [l.rstrip() for l in f if not l.startswith("$ ")]
            return " | ".join(lines[-3:])
        except OSError:
            return ""

    def add(self, metric, name, value):
        self.results.setdefault((metric, name), []).append(value)

    def guarded(self, metric, name, fn):
        if (metric, name) in self.failed:
            return
        try:
            fn()
        except Failure as e:
            self.failed[(metric, name)] = str(e)
            self.cleanup_runtime(name)

    def cleanup_runtime(self, name):
        for n, path, root in self.runtimes:
            if n != name:
                continue
            for cid in os.listdir(root):
                subprocess.run([path, "--root", root, "delete", "-f", cid],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reap_strays()

    # ---- measurements --------------------------------------------------------

    def run_once(self, metric, rt, bundle):
        name, path, root = rt
        cid = self.new_id(name)
        runs, _ = self.spawn([path, "--root", root, "run", "-b", bundle, cid])
        self.add(metric, name, runs[0]["ns"] / 1e6)
        reap_strays()

    def cycle_once(self, rt):
        """create, start, (reap the init), delete: each timed alone."""
        name, path, root = rt
        cid = self.new_id(name)
        pidfile = os.path.join(self.a.scratch, cid + ".pid")
        runs, _ = self.spawn([path, "--root", root, "create", "-b", self.a.bundle["plain"],
                              "--pid-file", pidfile, cid])
        self.add("create", name, runs[0]["ns"] / 1e6)
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.unlink(pidfile)
        runs, _ = self.spawn([path, "--root", root, "start", cid])
        self.add("start", name, runs[0]["ns"] / 1e6)
        wait_exit(pid)
        runs, _ = self.spawn([path, "--root", root, "delete", cid])
        self.add("delete", name, runs[0]["ns"] / 1e6)
        reap_strays()

    def seq_once(self, rt):
        name, path, root = rt
        cid = self.new_id(name)
        n = self.a.seq_count
        _, total = self.spawn([path, "--root", root, "run", "-b", self.a.bundle["plain"], cid], n=n)
        self.add(f"seq{n}", name, total / 1e6)
        reap_strays()

    def rss_once(self, rt):
        name, path, root = rt
        cid = self.new_id(name)
        runs, _ = self.spawn([path, "--root", root, "run", "-b", self.a.bundle["plain"], cid],
                             hwm=True)
        self.add("hwm", name, runs[0]["hwm"] / 1024)
        self.add("maxrss", name, runs[0]["maxrss"] / 1024)
        reap_strays()

    def main(self):
        a = self.a
        t_start = time.monotonic()
        say = lambda s: print(s, file=sys.stderr, flush=True)
        variants = ["plain", "cgroup", "resources", "seccomp", "all"]
        say(f"warm-up ({a.warmup} runs of each runtime and bundle)")
        for r in range(a.warmup):
            for v in variants:
                for rt in self.order(r):
                    self.guarded("warmup-" + v, rt[0],
                                 lambda rt=rt, v=v: self.run_once("warmup-" + v, rt, a.bundle[v]))
        say(f"run of true: {a.iters} rounds x {len(variants)} bundles x {len(self.runtimes)} runtimes")
        for r in range(a.iters):
            for v in variants:
                for rt in self.order(r):
                    self.guarded("run-" + v, rt[0],
                                 lambda rt=rt, v=v: self.run_once("run-" + v, rt, a.bundle[v]))
        say(f"create / start / delete: {a.iters} rounds")
        for r in range(a.iters):
            for rt in self.order(r):
                self.guarded("cycle", rt[0], lambda rt=rt: self.cycle_once(rt))
        say(f"{a.seq_count} sequential runs: {a.seq_reps} rounds")
        for r in range(a.seq_reps):
            for rt in self.order(r):
                self.guarded(f"seq{a.seq_count}", rt[0], lambda rt=rt: self.seq_once(rt))
        say(f"peak RSS: {a.rss_iters} rounds")
        for r in range(a.rss_iters):
            for rt in self.order(r):
                self.guarded("rss", rt[0], lambda rt=rt: self.rss_once(rt))
        self.elapsed = time.monotonic() - t_start
        self.report()
        if a.json:
            with open(a.json, "w") as f:
                json.dump({f"{m}/{n}": v for (m, n), v in self.results.items()}, f, indent=1)
        return 1 if self.failed else 0

    # ---- report --------------------------------------------------------------

    GROUP = {"create": "cycle", "start": "cycle", "delete": "cycle", "hwm": "rss",
             "maxrss": "rss"}

    def is_failed(self, metric, name):
        return (metric, name) in self.failed or (self.GROUP.get(metric), name) in self.failed

    def med(self, metric, name):
        if self.is_failed(metric, name):
            return None
        v = self.results.get((metric, name))
        return statistics.median(v) if v else None

    def spread(self, metric, name, unit="ms"):
        v = sorted(self.results.get((metric, name)) or [])
        if len(v) < 3 or self.is_failed(metric, name):
            return ""
        q = statistics.quantiles(v, n=4)
        if unit == "s":
            return f"{q[0] / 1000:.2f}-{q[2] / 1000:.2f} s"
        return f"{q[0]:.1f}-{q[2]:.1f}"

    def report(self):
        a = self.a
        n = a.seq_count
        rows = [
            ("run (plain bundle)", "run-plain", "ms"),
            ("create", "create", "ms"),
            ("start", "start", "ms"),
            ("delete", "delete", "ms"),
            (f"{n} x run, total", f"seq{n}", "s"),
            ("peak RSS, runtime itself (VmHWM)", "hwm", "MiB"),
            ("peak RSS, ru_maxrss (with reaped children)", "maxrss", "MiB"),
            ("run +cgroupsPath", "run-cgroup", "ms"),
            ("run +resources", "run-resources", "ms"),
            ("run +seccomp (Docker default)", "run-seccomp", "ms"),
            ("run +all three", "run-all", "ms"),
        ]
        names = self.names
        pier = names[0]
        others = names[1:]
        w0 = 44
        hdr = f"{'median':<{w0}}" + "".join(f"{x:>11}" for x in names) + "".join(
            f"{pier + '/' + o:>12}" for o in others)
        print()
        print(hdr)
        print("-" * len(hdr))

        def fmt(v, unit):
            if v is None:
                return f"{'FAIL':>11}"
            if unit == "s":
                return f"{v / 1000:>9.3f} s"
            return f"{v:>8.2f} ms" if unit == "ms" else f"{v:>7.2f} {unit}"

        for label, metric, unit in rows:
            line = f"{label:<{w0}}" + "".join(fmt(self.med(metric, x), unit) for x in names)
            p = self.med(metric, pier)
            for o in others:
                q = self.med(metric, o)
                line += f"{p / q:>11.2f}x" if p is not None and q else f"{'-':>12}"
            print(line)
        print()
        print(f"{'cost vs plain bundle (median delta)':<{w0}}" + "".join(f"{x:>11}" for x in names))
        base = {x: self.med("run-plain", x) for x in names}
        for label, metric in [("+cgroupsPath", "run-cgroup"), ("+resources", "run-resources"),
                              ("+seccomp", "run-seccomp"), ("+all three", "run-all")]:
            line = f"{label:<{w0}}"
            for x in names:
                v = self.med(metric, x)
                line += f"{v - base[x]:>+8.2f} ms" if v is not None and base[x] is not None \
                    else f"{'FAIL':>11}"
            print(line)
        print()
        print(f"{'spread (25th-75th percentile)':<{w0}}" + "".join(f"{x:>14}" for x in names))
        for label, metric, unit in rows:
            print(f"{label:<{w0}}" + "".join(f"{self.spread(metric, x, unit):>14}" for x in names))
        counts = {m: len(v) for (m, x), v in self.results.items() if x == pier}
        print()
        print(f"samples per cell: run/create/start/delete {counts.get('run-plain', 0)}, "
              f"{n} x run {counts.get(f'seq{n}', 0)}, RSS {counts.get('hwm', 0)}; "
              f"measuring took {self.elapsed:.0f} s")
        for (m, x), msg in sorted(self.failed.items()):
            print(f"FAILED {x} {m}: {msg}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spawn", required=True)
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--state", required=True, help="where the --root dirs go")
    ap.add_argument("--prefix", required=True, help="container id prefix")
    ap.add_argument("--runtime", action="append", required=True, help="NAME=PATH, pier first")
    ap.add_argument("--bundle", action="append", required=True, help="VARIANT=DIR")
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seq-count", type=int, default=100)
    ap.add_argument("--seq-reps", type=int, default=3)
    ap.add_argument("--rss-iters", type=int, default=10)
    ap.add_argument("--json", help="write all samples here")
    a = ap.parse_args()
    a.bundle = dict(b.split("=", 1) for b in a.bundle)
    set_subreaper()
    sys.exit(Bench(a).main())


if __name__ == "__main__":
    main()
