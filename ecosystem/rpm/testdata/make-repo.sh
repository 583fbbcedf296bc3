#!/bin/bash
# Rebuilds the rpm-md fixture repository under this folder with real tools:
# rpmbuild (Debian package "rpm") builds the packages from specs/*.spec,
# createrepo_c and modifyrepo_c (package "createrepo-c") write the repodata
# variants, gpg signs repomd.xml, and "rpm -qp --queryformat" (the
# independent oracle) writes expected.json. See README.md.
#
#   apt-get install rpm createrepo-c gnupg jq
#   bash rpmmd/testdata/make-repo.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

# Fixed clock: build times, payload file times and rpm file times (which
# createrepo_c records as <time file>) come from here, and createrepo_c
# writes it as the repomd revision and timestamps.
export SOURCE_DATE_EPOCH=1704499200 # 2024-01-06T00:00:00Z
export TZ=UTC LC_ALL=C.UTF-8

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rpmbuild_defs=(
	--define "_topdir $work/top"
	--define "_buildhost build.example.org"
	--define "use_source_date_epoch_as_buildtime 1"
	--define "clamp_mtime_to_source_date_epoch 1"
)
for spec in specs/*.spec; do
	# Binary packages, as x86_64 (BuildArch: noarch in a spec wins).
	rpmbuild -bb --target x86_64 "${rpmbuild_defs[@]}" "$spec" >"$work/$(basename "$spec").log" 2>&1 ||
		{ cat "$work/$(basename "$spec").log"; exit 1; }
done
# The source packages: rpm's reading of each is the oracle for how a binary
# package's sourcerpm splits into name and version. libfoo's also goes into
# the repository, so that it lists an arch="src" entry (which has no
# sourcerpm of its own).
for spec in specs/*.spec; do
	rpmbuild -bs "${rpmbuild_defs[@]}" "$spec" >"$work/srpm.log" 2>&1 || { cat "$work/srpm.log"; exit 1; }
done

rm -rf repo variants
mkdir -p repo/Packages variants
cp "$work"/top/RPMS/*/*.rpm "$work"/top/SRPMS/libfoo-*.src.rpm repo/Packages/
touch -d "@$SOURCE_DATE_EPOCH" repo/Packages/*.rpm

cr() { createrepo_c --quiet --revision "$SOURCE_DATE_EPOCH" --set-timestamp-to-revision "$@"; }

# createrepo_c 0.17.3 (Debian bookworm) by default writes primary, filelists
# and other as .xml.gz plus the three sqlite databases as .sqlite.bz2.
cr repo
for variant in \
	"compress-gz --compress-type=gz" \
	"compress-xz --compress-type=xz" \
	"general-xz --general-compress-type=xz" \
	"no-database --no-database" \
	"sha512 --checksum=sha512"; do
	read -r name opts <<<"$variant"
	mkdir -p "variants/$name"
	# shellcheck disable=SC2086 # opts is one or more options
	cr $opts --outputdir "variants/$name" repo
done
# A repository that offers its primary data only as sqlite: the default
# repodata with the primary record (and file) removed by modifyrepo_c.
mkdir -p variants/sqlite-only
cp -r repo/repodata variants/sqlite-only/
modifyrepo_c --remove primary variants/sqlite-only/repodata >/dev/null

# Detached, armored signature of the default repomd.xml, as dnf's
# repo_gpgcheck expects it in repomd.xml.asc, by a key made for this
# fixture only (its public half is committed; the secret is thrown away).
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key \
	'distroscope rpmmd fixture <rpmmd-fixture@example.org>' ed25519 sign never
gpg --batch --quiet --armor --export rpmmd-fixture@example.org >fixture-signing-key.asc
gpg --batch --quiet --armor --detach-sign --output repo/repodata/repomd.xml.asc repo/repodata/repomd.xml

# The oracle: every field the tests check, as rpm itself reads it from each
# package file, plus the file's size and SHA-256 (what createrepo_c records
# as <size package> and the pkgid).
q() { rpm -qp --queryformat "$1" "$2"; }
deps() { # deps TAG file -> [{name, flags, version}]
	q "[%{${1}NAME}\t%{${1}FLAGS}\t%{${1}VERSION}\n]" "$2" |
		jq -R -s 'split("\n") | map(select(. != "") | split("\t") | {name: .[0], flags: (.[1] | tonumber), version: .[2]})'
}
files() {
	q '[%{FILENAMES}\t%{FILEFLAGS:fflags}\t%{FILEMODES:perms}\n]' "$1" |
		jq -R -s 'split("\n") | map(select(. != "") | split("\t") | {path: .[0], fflags: .[1], perms: .[2]})'
}
{
	for rpm in repo/Packages/*.rpm; do
		jq -n \
			--arg location "${rpm#repo/}" \
			--arg name "$(q '%{NAME}' "$rpm")" \
			--arg epoch "$(q '%{EPOCH}' "$rpm")" \
			--arg version "$(q '%{VERSION}' "$rpm")" \
			--arg release "$(q '%{RELEASE}' "$rpm")" \
			--arg arch "$(q '%{ARCH}' "$rpm")" \
			--arg sourcepackage "$(q '%{SOURCEPACKAGE}' "$rpm")" \
			--arg sourcerpm "$(q '%{SOURCERPM}' "$rpm")" \
			--arg summary "$(q '%{SUMMARY}' "$rpm")" \
			--arg license "$(q '%{LICENSE}' "$rpm")" \
			--arg group "$(q '%{GROUP}' "$rpm")" \
			--arg packager "$(q '%{PACKAGER}' "$rpm")" \
			--arg vendor "$(q '%{VENDOR}' "$rpm")" \
			--arg url "$(q '%{URL}' "$rpm")" \
			--arg buildhost "$(q '%{BUILDHOST}' "$rpm")" \
			--argjson buildtime "$(q '%{BUILDTIME}' "$rpm")" \
			--argjson installedsize "$(q '%{LONGSIZE}' "$rpm")" \
			--argjson archivesize "$(q '%{LONGARCHIVESIZE}' "$rpm")" \
			--argjson filesize "$(stat -c %s "$rpm")" \
			--arg sha256 "$(sha256sum "$rpm" | cut -d' ' -f1)" \
			--argjson requires "$(deps REQUIRE "$rpm")" \
			--argjson provides "$(deps PROVIDE "$rpm")" \
			--argjson conflicts "$(deps CONFLICT "$rpm")" \
			--argjson obsoletes "$(deps OBSOLETE "$rpm")" \
			--argjson recommends "$(deps RECOMMEND "$rpm")" \
			--argjson suggests "$(deps SUGGEST "$rpm")" \
			--argjson supplements "$(deps SUPPLEMENT "$rpm")" \
			--argjson enhances "$(deps ENHANCE "$rpm")" \
			--argjson files "$(files "$rpm")" \
			'$ARGS.named'
	done
} >"$work/packages.json"
for srpm in "$work"/top/SRPMS/*.src.rpm; do
	jq -n --arg file "$(basename "$srpm")" --arg name "$(q '%{NAME}' "$srpm")" \
		--arg version "$(q '%{VERSION}' "$srpm")" --arg release "$(q '%{RELEASE}' "$srpm")" '$ARGS.named'
done >"$work/sources.json"
jq -n --arg rpm "$(rpm --version)" --arg cr "$(createrepo_c --version)" \
	--slurpfile packages "$work/packages.json" --slurpfile sources "$work/sources.json" \
	'{rpm: $rpm, createrepo_c: $cr, packages: $packages, sources: $sources}' >expected.json

du -sh repo variants
