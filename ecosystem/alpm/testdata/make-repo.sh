#!/usr/bin/env bash
# make-repo.sh rebuilds the pacman fixtures in this folder with the real
# tools of Debian's makepkg, pacman-package-manager and libarchive-tools
# packages:
#
#   apt-get install makepkg pacman-package-manager libarchive-tools zstd fakeroot
#   bash alpm/testdata/make-repo.sh        (as root: makepkg runs as an
#                                            unprivileged user it creates)
#
# It builds the packages of pkgbuilds/ with makepkg, adds them with repo-add
# to a database compressed three ways, derives a database in the older
# desc+depends layout from it, and records what the independent oracles (the
# packages' own .PKGINFO as bsdtar extracts it, their file lists, pacman -Qip)
# say about each package. See README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
builder=${ALPM_FIXTURE_USER:-alpmfixture}
# Fixed so that a rebuild gives the same metadata: 2024-01-05T00:00:00Z.
export SOURCE_DATE_EPOCH=1704412800
export PACKAGER='distroscope fixtures <fixtures@example.org>'

if [[ $(id -u) -ne 0 ]]; then
	echo "make-repo.sh: run as root (makepkg runs as the user $builder)" >&2
	exit 1
fi
id "$builder" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$builder"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp -r "$here/pkgbuilds" "$work/pkgbuilds"
mkdir "$work/pkgs" "$work/pacman-db"
chown -R "$builder" "$work"

for dir in "$work"/pkgbuilds/*/; do
	(cd "$dir" && runuser -u "$builder" -- env \
		SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" PACKAGER="$PACKAGER" \
		PKGDEST="$work/pkgs" SRCDEST="$work/src" BUILDDIR="$work/build" \
		PKGEXT=.pkg.tar.zst \
		makepkg --nodeps --noconfirm --nocolor --clean >/dev/null)
done

rm -rf "$here/pkgs" "$here/repo" "$here/expected"
mkdir -p "$here/pkgs" "$here/repo" "$here/expected"
cp "$work"/pkgs/*.pkg.tar.zst "$here/pkgs/"

cd "$here/pkgs"
pkgs=(*.pkg.tar.zst)
# repo-add picks the compression from the extension; each run also writes
# the matching .files database. The symlinks it makes (fixture.db ->
# fixture.db.tar.gz) are removed: tests open the archives by name.
for ext in gz xz zst; do
	repo-add --quiet --nocolor "$work/fixture.db.tar.$ext" "${pkgs[@]}"
done
cp "$work"/fixture.db.tar.{gz,xz,zst} "$work/fixture.files.tar.gz" "$here/repo/"

# The layout of pacman's sync databases before the relationship fields moved
# into desc: the same entries, with DEPENDS, CONFLICTS, PROVIDES, OPTDEPENDS,
# MAKEDEPENDS and CHECKDEPENDS in a separate "depends" file of each package
# directory (libalpm still reads either file). Derived from the real db above.
mkdir "$work/old"
bsdtar -xf "$here/repo/fixture.db.tar.gz" -C "$work/old"
for d in "$work"/old/*/; do
	awk -v deps="$d/depends" -v desc="$d/desc.new" '
		/^%[A-Z0-9]+%$/ { f = ($0 ~ /^%(DEPENDS|CONFLICTS|PROVIDES|OPTDEPENDS|MAKEDEPENDS|CHECKDEPENDS)%$/) ? deps : desc }
		{ print > f }' "$d/desc"
	mv "$d/desc.new" "$d/desc"
	[[ -s $d/depends ]] || rm -f "$d/depends"
done
(cd "$work/old" && bsdtar -czf "$here/repo/fixture-old.db.tar.gz" --uid 0 --gid 0 --uname root --gname root *)

# The oracles: what makepkg wrote into each package, read back by bsdtar
# and pacman rather than by the code under test.
for p in "${pkgs[@]}"; do
	bsdtar -xOf "$p" .PKGINFO >"$here/expected/$p.PKGINFO"
	bsdtar --exclude='^.*' -tf "$p" | LC_ALL=C sort -u >"$here/expected/$p.files"
	LC_ALL=C pacman --config /dev/null --dbpath "$work/pacman-db" -Qip "$p" >"$here/expected/$p.pacman-Qip"
done
# An epoch puts a colon in file names, which Go module zips refuse: the
# copies kept here spell it %3A, as a URL would. The databases keep the
# real names in %FILENAME%.
for f in "$here"/pkgs/*:* "$here"/expected/*:*; do
	mv "$f" "${f//:/%3A}"
done
ls -l "$here/pkgs" "$here/repo"
