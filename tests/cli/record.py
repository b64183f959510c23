#!/usr/bin/python3
"""record.py NAME ARGS...: run `docker ARGS` through a logging proxy to a
dockerd and write tests/unit/data/cli/NAME.{exchanges,cmd,out}: every request
with the daemon's response, and docker's stdout, stderr and exit status, for
the replay tests in tests/unit/test_cli_replay.c.

    DOCKERD_SOCK=/path/to/docker.sock tests/cli/record.py ps ps -a

(start a dockerd by hand, as in tests/cli/compare.sh)."""
import os, subprocess, sys, time, shutil, tempfile

name, args = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix='pier-record-')
cap = os.path.join(work, 'cap')
sock = os.path.join(work, 'proxy.sock')
proxy = subprocess.Popen([sys.executable, os.path.join(here, 'proxy.py'), sock,
                          os.environ['DOCKERD_SOCK'], cap], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.3)
env = dict(os.environ, DOCKER_HOST='unix://' + sock)
r = subprocess.run(['docker'] + args, env=env, capture_output=True, stdin=subprocess.DEVNULL)
time.sleep(0.5)
proxy.kill()
proxy.wait()

def parse_head(data):
    end = data.index(b'\r\n\r\n') + 4
    lines = data[:end].split(b'\r\n')
    hdr = {}
    for l in lines[1:]:
        if b':' in l:
            k, v = l.split(b':', 1)
            hdr[k.strip().lower()] = v.strip()
    return lines[0], hdr, end

def body_len(data, start, hdr, status, head_req):
    if head_req or status in (204, 304) or status < 200:
        return 0 if status != 101 else len(data) - start
    if hdr.get(b'transfer-encoding', b'').lower() == b'chunked':
        i = start
        while True:
            j = data.index(b'\r\n', i)
            n = int(data[i:j].split(b';')[0], 16)
            i = j + 2 + n + 2
            if n == 0:
                # trailers end with an empty line; only the plain case here
                return i - start
    if b'content-length' in hdr:
        return int(hdr[b'content-length'])
    return len(data) - start

out = []
for f in sorted(os.listdir(cap)):
    if not f.endswith('.req'):
        continue
    req = open(os.path.join(cap, f), 'rb').read()
    resp = open(os.path.join(cap, f[:-4] + '.resp'), 'rb').read()
    while req:
        line, hdr, end = parse_head(req)
        n = int(hdr.get(b'content-length', b'0'))
        body = req[end:end + n]
        upgrade = b'upgrade' in hdr
        req = req[end + n:] if not upgrade else b''
        rline, rhdr, rend = parse_head(resp)
        status = int(rline.split()[1])
        bl = body_len(resp, rend, rhdr, status, line.startswith(b'HEAD'))
        one = resp[:rend + bl]
        resp = resp[rend + bl:]
        method, target, _ = line.split(b' ', 2)
        out.append((method + b' ' + target, body, one))
d = os.path.join(here, '..', 'unit', 'data', 'cli')
with open(os.path.join(d, name + '.exchanges'), 'wb') as w:
    for rl, body, one in out:
        w.write(b'@@ %s\n@@ %d\n' % (rl, len(body)) + body + b'\n@@ %d\n' % len(one) + one + b'\n')
with open(os.path.join(d, name + '.cmd'), 'w') as w:
    w.write('\n'.join(args) + '\n')
with open(os.path.join(d, name + '.out'), 'wb') as w:
    w.write(b'@@ %d %d %d\n' % (r.returncode, len(r.stdout), len(r.stderr)) + r.stdout + r.stderr)
print(name, 'rc', r.returncode, len(out), 'exchanges')
sys.stdout.write(r.stdout.decode(errors='replace'))
sys.stdout.write(r.stderr.decode(errors='replace'))
shutil.rmtree(work, ignore_errors=True)
