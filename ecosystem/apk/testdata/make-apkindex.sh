#!/usr/bin/env bash
# make-apkindex.sh builds the APKINDEX.tar.gz fixtures from the APKINDEX
# texts in this folder, the way apk index and abuild-sign lay them out
# (see README.md): needs tar (GNU), gzip and openssl.
#
#   bash apkindex/testdata/make-apkindex.sh
set -euo pipefail
cd "$(dirname "$0")"

key=keys/distroscope-fixtures.rsa
keyname=distroscope-fixtures.rsa.pub
if [[ ! -f $key ]]; then
	mkdir -p keys
	openssl genrsa -out "$key" 2048
	openssl rsa -in "$key" -pubout -out "keys/$keyname"
fi

# Fixed so that a rebuild is byte-identical: 2024-01-05T00:00:00Z.
mtime=@1704412800
tarflags=(--format=ustar --owner=0 --group=0 --numeric-owner --mtime="$mtime" --blocking-factor=1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# index <text> <description> <out>: the index stream, a tar of DESCRIPTION
# and APKINDEX (apk index writes them in that order) in one gzip stream.
index() {
	mkdir -p "$work/idx"
	cp "$1" "$work/idx/APKINDEX"
	printf '%s\n' "$2" >"$work/idx/DESCRIPTION"
	tar -C "$work/idx" -c "${tarflags[@]}" DESCRIPTION APKINDEX | gzip -n -9 >"$3"
	rm -rf "$work/idx"
}

# sign <type> <file>: what abuild-sign does. The signature is openssl dgst
# over the whole unsigned file (SHA-1 for RSA, SHA-256 for RSA256); it goes
# into a tar member .SIGN.<type>.<key name> whose end-of-archive blocks are
# cut (abuild-tar --cut), gzipped on its own, and put in front of the file.
sign() {
	local type=$1 file=$2 dgst
	case $type in RSA) dgst=-sha1 ;; RSA256) dgst=-sha256 ;; esac
	mkdir -p "$work/sig"
	openssl dgst "$dgst" -sign "$key" -out "$work/sig/.SIGN.$type.$keyname" "$file"
	openssl dgst "$dgst" -verify "keys/$keyname" -signature "$work/sig/.SIGN.$type.$keyname" "$file" >/dev/null
	tar -C "$work/sig" -c "${tarflags[@]}" ".SIGN.$type.$keyname" | head -c -1024 | gzip -n -9 >"$work/sig.gz"
	cat "$work/sig.gz" "$file" >"$work/signed"
	mv "$work/signed" "$file"
	rm -rf "$work/sig" "$work/sig.gz"
}

index alpine-3.18-aarch64.APKINDEX "alpine 3.18 aarch64 test index" alpine-3.18-aarch64.APKINDEX.tar.gz
sign RSA alpine-3.18-aarch64.APKINDEX.tar.gz

index postmarketos-aarch64.APKINDEX "postmarketOS aarch64 test index" postmarketos-aarch64.APKINDEX.tar.gz
sign RSA256 postmarketos-aarch64.APKINDEX.tar.gz

index apk-tools-test.APKINDEX "apk-tools test repositories" apk-tools-test.APKINDEX.tar.gz

ls -l ./*.tar.gz keys
