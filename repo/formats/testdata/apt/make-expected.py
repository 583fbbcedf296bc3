#!/usr/bin/python3
"""Write expected.json, the golden rows of the fixture repository, with an
oracle independent of distroscope's own parser: python3-apt's apt_pkg.TagFile
(apt's C++ deb822 reader) over every Packages index, and over the Release.

Usage: /usr/bin/python3 make-expected.py REPO_DIR SUITE > expected.json
(make-repo.sh runs it; use Debian's /usr/bin/python3, which has apt_pkg.)

Relationship fields are kept as written: split on "," and whitespace
normalised. As a second check each one must render the same from
apt_pkg.parse_depends, so an unusual spelling cannot slip into the goldens.
"""
import hashlib
import json
import lzma
import os
import re
import sys
import tempfile

import apt_pkg

# Fields with a column of their own in datasets.PackageRow; every other field
# is an "extra".
RELATIONS = {
    "Depends": "depends", "Pre-Depends": "pre_depends", "Recommends": "recommends",
    "Suggests": "suggests", "Enhances": "enhances", "Conflicts": "conflicts",
    "Breaks": "breaks", "Provides": "provides", "Replaces": "replaces",
    "Built-Using": "built_using", "Static-Built-Using": "static_built_using",
}
TEXT = {
    "Section": "section", "Priority": "priority", "Multi-Arch": "multi_arch",
    "Maintainer": "maintainer", "Original-Maintainer": "original_maintainer",
    "Filename": "filename", "MD5sum": "md5sum", "SHA256": "sha256",
    "Homepage": "homepage", "Description-md5": "description_md5",
}
FLAGS = {"Essential": "essential", "Protected": "protected", "Build-Essential": "build_essential"}
SIZES = {"Installed-Size": "installed_size", "Size": "size"}
OTHER = {"Package", "Version", "Architecture", "Source", "Description", "Tag"}
KNOWN = set(RELATIONS) | set(TEXT) | set(FLAGS) | set(SIZES) | OTHER

OPS = {"<": "<<", ">": ">>", "<=": "<=", ">=": ">=", "=": "="}


def squash(s):
    return " ".join(s.split())


def relations(value):
    written = [squash(c) for c in value.split(",") if c.strip()]
    rendered = [
        " | ".join(n + (" (%s %s)" % (OPS[op], v) if v else "") for n, v, op in group)
        for group in apt_pkg.parse_depends(value, False)
    ]
    if written != rendered:
        sys.exit("make-expected: %r reads as %r but apt renders %r" % (value, written, rendered))
    return written


def extra_value(raw):
    # deb822 multi-line value: first line trimmed, each continuation line
    # without its leading space, "." standing for an empty line.
    lines = raw.split("\n")
    out = [lines[0].strip()] if lines[0].strip() else []
    for line in lines[1:]:
        line = line[1:].rstrip() if line else ""
        out.append("" if line == "." else line)
    return "\n".join(out)


def row(s):
    r = {
        "package": s["Package"], "version": s["Version"], "architecture": s["Architecture"],
        "description": s.get("Description", "").split("\n")[0].strip(),
        "tag": squash(s.get("Tag", "")),
    }
    src = s.get("Source")
    if src is None:
        r["source"], r["source_version"] = s["Package"], s["Version"]
    else:
        m = re.fullmatch(r"(\S+?)\s*(?:\(\s*(\S+)\s*\))?", src.strip())
        if not m:
            sys.exit("make-expected: %s: bad Source %r" % (s["Package"], src))
        r["source"], r["source_version"] = m.group(1), m.group(2) or s["Version"]
    for field, key in TEXT.items():
        r[key] = s.get(field, "").strip()
    for field, key in FLAGS.items():
        r[key] = s.get(field, "no").strip().lower() == "yes"
    for field, key in SIZES.items():
        r[key] = int(s.get(field, "0"))
    for field, key in RELATIONS.items():
        r[key] = relations(s[field]) if field in s else []
    r["extra"] = {k: extra_value(s[k]) for k in s.keys() if k not in KNOWN}
    return r


def read_index(path):
    """Rows of one Packages index, from the plain file or else the .xz."""
    if os.path.exists(path):
        with open(path, "rb") as f:
            data = f.read()
    else:
        with lzma.open(path + ".xz") as f:
            data = f.read()
    with tempfile.TemporaryFile() as tmp:
        tmp.write(data)
        tmp.seek(0)
        return [row(s) for s in apt_pkg.TagFile(tmp)]


def main():
    repo, suite = sys.argv[1], sys.argv[2]
    apt_pkg.init()
    dist = os.path.join(repo, "dists", suite)
    release_path = os.path.join(dist, "Release")
    with open(release_path, "rb") as f:
        release_bytes = f.read()
    with open(release_path) as f:
        rel = next(iter(apt_pkg.TagFile(f)))
    files = {}
    for line in rel["SHA256"].strip().split("\n"):
        sha, size, path = line.split()
        files[path] = {"size": int(size), "sha256": sha}
    out = {
        "release": {
            "origin": rel["Origin"], "label": rel["Label"], "suite": rel["Suite"],
            "codename": rel["Codename"], "date": rel["Date"], "valid_until": rel["Valid-Until"],
            "architectures": rel["Architectures"].split(), "components": rel["Components"].split(),
            "acquire_by_hash": rel.get("Acquire-By-Hash", "no") == "yes",
            "sha256": hashlib.sha256(release_bytes).hexdigest(),
            "files": files,
        },
        "indexes": {},
    }
    for comp in rel["Components"].split():
        for arch in rel["Architectures"].split():
            base = os.path.join(dist, comp, "binary-" + arch, "Packages")
            out["indexes"][comp + "/" + arch] = read_index(base)
    json.dump(out, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
