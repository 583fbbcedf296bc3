#!/usr/bin/env bash
# apt-install.sh PACKAGE...: install Debian packages the tests need, quietly
# and idempotently; `apt-get update` runs only when a package is unknown.
set -euo pipefail
missing=()
for p in "$@"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/apt-install.log 2>&1; then
	apt-get update -qq >/dev/null 2>&1 || true
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/apt-install.log 2>&1 ||
		{ tail -n 20 /tmp/apt-install.log >&2; echo "apt-install: could not install ${missing[*]}" >&2; exit 1; }
fi
echo "apt-install: installed ${missing[*]}"
