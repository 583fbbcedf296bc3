#!/usr/bin/python3
"""Copy chosen stanzas, byte for byte, from this machine's Debian bookworm
main/binary-amd64 Packages index into stanzas/, the input of make-repo.sh.

The index is the one apt keeps under /var/lib/apt/lists (lz4-compressed); run
`apt-get update` first if it is missing. Stanzas keep the index's order.
Only an amd64 main index is on the machine, so the arm64 indexes hold the
Architecture: all stanzas (which Debian publishes identically in every
architecture's index) and contrib holds main stanzas: see README.md.

Usage: /usr/bin/python3 repo/formats/testdata/apt/pick-stanzas.py
"""
import glob
import os
import subprocess
import sys

# Each name is there for what it exercises (see README.md).
MAIN_AMD64 = [
    "base-files", "base-passwd", "bash", "coreutils", "dash", "debianutils",
    "diffutils", "dpkg", "tar", "zlib1g", "libcrypt1", "libgcc-s1", "libc6",
    "gcc", "make", "build-essential", "dpkg-dev", "apt", "libapt-pkg6.0",
    "python3-minimal", "python3-six", "2ping", "perl-base", "tzdata", "debconf",
    "ca-certificates", "sensible-utils", "abiword", "abiword-common", "abx",
    "acme", "abook", "gojq", "grub-efi-amd64-signed", "init", "ruby-csv",
    "libghc-lukko-dev", "csh", "lua-bit32", "golang-github-svent-go-flags-dev",
    "xml-rs", "gstreamer1.0-pocketsphinx",
]
CONTRIB_AMD64 = ["fwbuilder", "fwbuilder-common", "fwbuilder-doc", "lua-fifo"]


def stanzas(text):
    for para in text.split("\n\n"):
        para = para.strip("\n")
        if para:
            yield para


def field(para, name):
    for line in para.split("\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return None


def main():
    paths = glob.glob("/var/lib/apt/lists/*_bookworm_main_binary-amd64_Packages.lz4")
    if len(paths) != 1:
        sys.exit("pick-stanzas: want exactly one bookworm main amd64 index in /var/lib/apt/lists, found %d" % len(paths))
    text = subprocess.run(["lz4", "-dc", paths[0]], check=True, capture_output=True).stdout.decode("utf-8")
    by_name = {}
    order = []
    for para in stanzas(text):
        name = field(para, "Package")
        if name in by_name:
            continue  # the first one, as apt would list it
        by_name[name] = para
        order.append(name)
    rank = {n: i for i, n in enumerate(order)}

    def pick(names, only_all=False):
        missing = [n for n in names if n not in by_name]
        if missing:
            sys.exit("pick-stanzas: not in the index: " + " ".join(missing))
        chosen = sorted(names, key=rank.__getitem__)
        if only_all:
            chosen = [n for n in chosen if field(by_name[n], "Architecture") == "all"]
        return "".join(by_name[n] + "\n\n" for n in chosen)

    out = {
        "main-amd64": pick(MAIN_AMD64),
        "main-arm64": pick(MAIN_AMD64, only_all=True),
        "contrib-amd64": pick(CONTRIB_AMD64),
        "contrib-arm64": pick(CONTRIB_AMD64, only_all=True),
    }
    outdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stanzas")
    os.makedirs(outdir, exist_ok=True)
    for name, body in out.items():
        with open(os.path.join(outdir, name), "w", encoding="utf-8") as f:
            f.write(body)
        print("%s: %d stanzas" % (name, body.count("\nPackage: ") + body.startswith("Package: ")))


if __name__ == "__main__":
    main()
