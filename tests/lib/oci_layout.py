#!/usr/bin/env python3
"""Write an OCI image layout (for skopeo to push into a test registry).

  oci_layout.py DIR TAG [--rootfs ROOT] [--file PATH=TEXT]... [--compress gzip|zstd|none]
                [--arch A[,A...]] [--cmd WORD]... [--layer DIR]...

Each image has the rootfs (if given) as its first layer, each --layer
directory as a layer of its own after it, and the --file entries (plus
/etc/arch holding its architecture) as its last.  With
several --arch values the tag names an index of one manifest per
architecture.  Tars are reproducible: the same input, the same digests.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def clean(ti):
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.mtime = 1700000000
    return ti


def tar_of(root=None, files=()):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        if root:
            for name in sorted(os.listdir(root)):
                t.add(os.path.join(root, name), arcname=name, filter=clean)
        for path, text in files:
            data = text.encode()
            ti = clean(tarfile.TarInfo(path.lstrip("/")))
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=raw, check=True,
                              stdout=subprocess.PIPE).stdout
    return raw


def put(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def image(layout, arch, args):
    layers, diff_ids = [], []
    parts = []
    if args.rootfs:
        parts.append(tar_of(root=args.rootfs))
    parts += [tar_of(root=d) for d in args.layer]
    files = [tuple(f.split("=", 1)) for f in args.file] + [("etc/arch", arch + "\n")]
    parts.append(tar_of(files=files))
    for raw in parts:
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        d = put(layout, compress(raw, args.compress))
        layers.append(dict(mediaType=LAYER[args.compress], **d))
    config = {
        "architecture": arch,
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": args.cmd or ["sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "oci_layout.py"}
                    for _ in diff_ids],
    }
    c = put(layout, json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": dict(mediaType=OCI_CONFIG, **c), "layers": layers}
    return dict(mediaType=OCI_MANIFEST, **put(layout, json.dumps(manifest).encode()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("tag")
    ap.add_argument("--rootfs")
    ap.add_argument("--file", action="append", default=[])
    ap.add_argument("--compress", default="gzip", choices=sorted(LAYER))
    ap.add_argument("--arch", default="amd64")
    ap.add_argument("--cmd", action="append")
    ap.add_argument("--layer", action="append", default=[])
    args = ap.parse_args()
    os.makedirs(os.path.join(args.dir, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(args.dir, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    archs = args.arch.split(",")
    if len(archs) == 1:
        top = image(args.dir, archs[0], args)
    else:
        entries = []
        for a in archs:
            d = image(args.dir, a, args)
            d["platform"] = {"architecture": a, "os": "linux"}
            if a == "arm64":
                d["platform"]["variant"] = "v8"
            entries.append(d)
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        top = dict(mediaType=OCI_INDEX, **put(args.dir, json.dumps(index).encode()))
    top["annotations"] = {"org.opencontainers.image.ref.name": args.tag}
    path = os.path.join(args.dir, "index.json")
    old = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
    old["manifests"] = [m for m in old["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name")
                        != args.tag] + [top]
    with open(path, "w") as f:
        json.dump(old, f)
    print(top["digest"])


main()
