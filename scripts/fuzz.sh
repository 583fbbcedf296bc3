#!/usr/bin/env bash
# fuzz.sh [FUZZTIME]: run every Fuzz* target in the module for FUZZTIME each.
# Go fuzzes one target of one package per run, so this walks them all.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-8s}
n=0
while IFS= read -r line; do
	file=${line%%:*}
	name=$(sed -E 's/^.*func (Fuzz[A-Za-z0-9_]+).*/\1/' <<<"${line#*:}")
	pkg=./$(dirname "$file")
	echo "fuzz: $pkg $name ($t)"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$pkg"
	n=$((n + 1))
done < <(git grep -n -E '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' -- '*_test.go')
echo "fuzz: $n targets ran for $t each without a failure"
