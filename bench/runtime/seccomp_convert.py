#!/usr/bin/python3
"""Docker's seccomp profile format -> OCI linux.seccomp, as Docker does it.

Docker (moby profiles/seccomp/seccomp_linux.go, setupSeccomp) turns its
profile into the runtime spec for one container:

  - architectures: the archMap entry of the native architecture, followed by
    its subArchitectures (x86_64: SCMP_ARCH_X86_64, SCMP_ARCH_X86,
    SCMP_ARCH_X32);
  - defaultAction, defaultErrnoRet, listenerPath, listenerMetadata, flags:
    copied;
  - each syscalls entry is kept unless
      excludes.arches holds the Go architecture (amd64),
      excludes.caps has any capability of the container's bounding set,
      excludes.minKernel <= the host kernel,
      includes.arches is set and lacks the Go architecture,
      includes.caps is set and is not all in the bounding set,
      includes.minKernel > the host kernel;
    a kept entry becomes {names, action, errnoRet, args} ("name" becomes
    "names", "comment", "includes" and "excludes" go).

The capability set is Docker's default one (oci/caps/defaults.go), as for
`docker run` without --cap-add/--cap-drop/--privileged.

usage: seccomp_convert.py [-i DOCKER_PROFILE] [-o OCI_JSON] [--arch amd64]
                          [--kernel 6.1.0] [--caps CAP_A,CAP_B,...]
"""
import argparse
import json
import os
import re
import sys

DOCKER_DEFAULT_CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
]

# Go's GOARCH -> libseccomp's native architecture (moby's goToNative).
GO_TO_NATIVE = {
    "386": "SCMP_ARCH_X86",
    "amd64": "SCMP_ARCH_X86_64",
    "arm": "SCMP_ARCH_ARM",
    "arm64": "SCMP_ARCH_AARCH64",
    "mips64": "SCMP_ARCH_MIPS64",
    "mips64n32": "SCMP_ARCH_MIPS64N32",
    "mipsel64": "SCMP_ARCH_MIPSEL64",
    "mipsel64n32": "SCMP_ARCH_MIPSEL64N32",
    "mipsle": "SCMP_ARCH_MIPSEL",
    "mips64le": "SCMP_ARCH_MIPSEL64",
    "ppc": "SCMP_ARCH_PPC",
    "ppc64": "SCMP_ARCH_PPC64",
    "ppc64le": "SCMP_ARCH_PPC64LE",
    "riscv64": "SCMP_ARCH_RISCV64",
    "s390": "SCMP_ARCH_S390",
    "s390x": "SCMP_ARCH_S390X",
}

UNAME_TO_GO = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "ppc64le": "ppc64le",
               "s390x": "s390x", "riscv64": "riscv64"}


def kernel_tuple(s):
    """"6.18.44-foo" -> (6, 18, 44), "4.8" -> (4, 8, 0): moby's
    kernel.ParseRelease and CompareKernelVersion (kernel, major, minor)."""
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", s)
    if not m:
        raise ValueError(f"cannot parse kernel version `{s}`")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def convert(profile, arch, caps, kernel):
    if profile.get("architectures") and profile.get("archMap"):
        raise ValueError("profile has both architectures and archMap")
    out = {"defaultAction": profile["defaultAction"]}
    if "defaultErrnoRet" in profile:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    native = GO_TO_NATIVE[arch]
    arches = list(profile.get("architectures") or [])
    for a in profile.get("archMap") or []:
        if a["architecture"] == native:
            arches.append(a["architecture"])
            arches.extend(a.get("subArchitectures") or [])
    out["architectures"] = arches
    for k in ("listenerPath", "listenerMetadata", "flags"):
        if profile.get(k):
            out[k] = profile[k]
    kern = kernel_tuple(kernel)
    calls = []
    for call in profile.get("syscalls", []):
        names = call.get("names") or []
        if call.get("name"):
            if names:
                raise ValueError("syscall entry has both name and names")
            names = [call["name"]]
        exc = call.get("excludes") or {}
        inc = call.get("includes") or {}
        if exc.get("arches") and arch in exc["arches"]:
            continue
        if exc.get("caps") and any(c in caps for c in exc["caps"]):
            continue
        if exc.get("minKernel") and kern >= kernel_tuple(exc["minKernel"]):
            continue
        if inc.get("arches") and arch not in inc["arches"]:
            continue
        if inc.get("caps") and not all(c in caps for c in inc["caps"]):
            continue
        if inc.get("minKernel") and kern < kernel_tuple(inc["minKernel"]):
            continue
        new = {"names": names, "action": call["action"]}
        if call.get("errnoRet") is not None:
            new["errnoRet"] = call["errnoRet"]
        if call.get("args"):
            new["args"] = [
                {k: a[k] for k in ("index", "value", "valueTwo", "op") if a.get(k) is not None}
                for a in call["args"]
            ]
        calls.append(new)
    out["syscalls"] = calls
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-i", "--input", default="/work/shared/reference/docker-default-seccomp.json")
    ap.add_argument("-o", "--output", default=os.path.join(here, "docker-default-seccomp-oci.json"))
    ap.add_argument("--arch", default=UNAME_TO_GO.get(os.uname().machine, os.uname().machine),
                    help="Go architecture name (default: this machine's)")
    ap.add_argument("--kernel", default=os.uname().release,
                    help="kernel version for minKernel (default: this machine's)")
    ap.add_argument("--caps", default=",".join(DOCKER_DEFAULT_CAPS),
                    help="bounding capabilities (default: Docker's default set)")
    a = ap.parse_args()
    with open(a.input) as f:
        profile = json.load(f)
    oci = convert(profile, a.arch, set(a.caps.split(",")), a.kernel)
    text = json.dumps(oci, indent=1) + "\n"
    if a.output == "-":
        sys.stdout.write(text)
    else:
        with open(a.output, "w") as f:
            f.write(text)
        n = sum(len(c["names"]) for c in oci["syscalls"])
        print(f"{a.output}: {len(oci['syscalls'])} rules, {n} syscall names, "
              f"architectures {oci['architectures']}", file=sys.stderr)


if __name__ == "__main__":
    main()
