#!/usr/bin/env bash
# install.sh [DIR]: install DuckDB from the npm registry (@duckdb/node-api,
# pinned below) into DIR (default .tools/duckdb) with query.mjs beside it, then
# print how to run a query on the store. The tests read the datasets with the
# same DuckDB, so a query that works for them works for the reader.
#
# Why not in the distroscope binary: DuckDB is a 130 MB C++ static library.
# Linked in through cgo (github.com/duckdb/duckdb-go/v2, measured on the 2-core
# development machine) it made the CLI 168 MB instead of 78 MB, every rebuild
# of it 14 s instead of 5.5 s, and a CLI built with CGO_ENABLED=0 or for
# another platform could not have it; the npm package is a prebuilt shared
# library that installs in seconds and starts a query in 0.3 s.
#
# Needs node and npm (apt-get install nodejs npm). Idempotent: a second run
# with the pinned version in place installs nothing.
set -euo pipefail

version=1.5.6-r.1 # @duckdb/node-api; DuckDB 1.5.6
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-$root/.tools/duckdb}

die() { echo "duckdb: $*" >&2; exit 1; }
command -v node >/dev/null || die "node is not installed (apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not installed (apt-get install npm)"

installed() {
	node -e 'console.log(require(process.argv[1]).version)' "$dir/node_modules/@duckdb/node-api/package.json" 2>/dev/null || true
}
if [ "$(installed)" != "$version" ]; then
	mkdir -p "$dir"
	echo "duckdb: installing @duckdb/node-api@$version into $dir" >&2
	npm install --silent --no-audit --no-fund --prefix "$dir" "@duckdb/node-api@$version" >/dev/null ||
		die "npm install @duckdb/node-api@$version failed"
	[ "$(installed)" = "$version" ] || die "npm installed @duckdb/node-api $(installed), not $version"
fi
cp "$here/query.mjs" "$dir/query.mjs"

# A runnable example when the local store has packages: its path as the
# CLI resolves it (DISTROSCOPE_STORE, else the default folder), and the
# newest schema version found there rather than one written here.
store=${DISTROSCOPE_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/distroscope}
store=${store#file://}
store=${store#localhost}
rel=${dir#"$PWD"/}
echo "DuckDB $(node "$dir/query.mjs" "SELECT version() AS v" | sed -n 's/.*"v":"\([^"]*\)".*/\1/p') (npm @duckdb/node-api $version) is in $rel. Run a query:"
packages=$(ls -d "$store"/packages/v[0-9]* 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$packages" ]; then
	echo "  node $rel/query.mjs --table \"SELECT distro, release, snapshot, count(*) AS packages FROM read_parquet('$packages/*/*/*/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL\""
else
	echo "  node $rel/query.mjs --table \"SQL\""
fi
echo "  (bin/distroscope datasets show DISTRO/RELEASE prints queries for a snapshot; without --table, rows print as JSON)"
