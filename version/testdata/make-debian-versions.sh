#!/usr/bin/env bash
# make-debian-versions.sh — rebuild debian-versions.tsv from the apt indexes
# of a Debian machine (after `apt-get update`):
#
#   version/testdata/make-debian-versions.sh > version/testdata/debian-versions.tsv
#
# Reads every /var/lib/apt/lists/*_Packages.lz4 and keeps, deterministically
# (by the MD5 of the name or version, so the same indexes give the same file):
#   - every version of 700 packages that have more than one (the suites
#     overlap: a package of bookworm is often in bookworm-updates or
#     bookworm-security too, and a binary's Source version differs from its
#     own after a binNMU), for same-package pairs;
#   - every version with an upper-case letter (rare in Debian);
#   - 2400 more distinct versions.
# Output: "name<TAB>version" lines, sorted, no duplicates.
set -euo pipefail
export LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in /var/lib/apt/lists/*_Packages.lz4; do
	lz4 -dc "$f"
done | awk '
	/^Package: / { p = $2 }
	/^Source: .*\(/ { s = $2; v = $3; gsub(/[()]/, "", v); print s "\t" v }
	/^Version: / { print p "\t" $2 }
' | sort -u >"$tmp/all"

# md5 prefixes each line with its MD5, to order lines in a fixed pseudo-random way.
md5() { perl -MDigest::MD5=md5_hex -ne 'chomp; print md5_hex($_), "\t", $_, "\n"'; }

cut -f1 "$tmp/all" | uniq -d | md5 | sort | sed -n 1,700p | cut -f2 >"$tmp/names"
awk -F'\t' 'NR == FNR { keep[$1] = 1; next } keep[$1]' "$tmp/names" "$tmp/all" >"$tmp/same"
grep -P '\t.*[A-Z]' "$tmp/all" >"$tmp/upper" || true
cat "$tmp/same" "$tmp/upper" | cut -f2 | sort -u >"$tmp/taken"
# One line per remaining distinct version, with the first package that has it.
sort -t "$(printf '\t')" -k2,2 -u "$tmp/all" |
	awk -F'\t' 'NR == FNR { taken[$1] = 1; next } !taken[$2]' "$tmp/taken" - |
	cut -f2 | md5 | sort | sed -n 1,2400p | cut -f2 >"$tmp/versions"
awk -F'\t' 'NR == FNR { want[$1] = 1; next } want[$2] && !seen[$2]++' "$tmp/versions" "$tmp/all" >"$tmp/more"
cat "$tmp/same" "$tmp/upper" "$tmp/more" | sort -u
