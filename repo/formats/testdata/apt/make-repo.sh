#!/bin/sh
# Build the fixture apt repository repo/ from stanzas/ with Debian's own
# tools, sign it with a throwaway key, and write the goldens (expected.json)
# with python3-apt as an independent oracle. Re-runnable: every run makes a
# new key, so repo/, keyring.* and other-keyring.gpg all change together.
#
# Needs (Debian packages): apt-utils gnupg gzip xz-utils python3-apt
# Run from anywhere: sh repo/formats/testdata/apt/make-repo.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
suite=fixture
components="main contrib"
architectures="amd64 arm64"
# The one index published only as .xz (no plain file, no .gz), so that
# resolving falls back past the preferred compressions.
xz_only=contrib/arm64

for tool in apt-ftparchive gpg gzip xz /usr/bin/python3; do
	command -v "$tool" >/dev/null || { echo "make-repo: $tool missing (apt-get install apt-utils gnupg gzip xz-utils python3-apt)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import apt_pkg' || { echo "make-repo: python3-apt missing" >&2; exit 1; }

work=$(mktemp -d)
export GNUPGHOME="$work/gnupg"
cleanup() {
	gpgconf --kill all >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 700 "$GNUPGHOME"

stage="$work/repo"
dist="$stage/dists/$suite"

# 1. The indexes: plain, gzip and xz (no timestamps, so re-runs give the same
#    bytes), except the xz-only one.
for comp in $components; do
	for arch in $architectures; do
		dir="$dist/$comp/binary-$arch"
		mkdir -p "$dir"
		cp "$here/stanzas/$comp-$arch" "$dir/Packages"
		xz -9 --keep "$dir/Packages"
		if [ "$comp/$arch" = "$xz_only" ]; then
			rm "$dir/Packages"
		else
			gzip -9 --no-name --keep "$dir/Packages"
		fi
	done
done

# 2. Release, by apt-ftparchive, which also writes the by-hash copies
#    (<dir>/by-hash/SHA256/<sha256>, and SHA512). apt-ftparchive only takes
#    Valid-Until as seconds from now (an int), so aim at 1 Jan 2090.
now=$(date -u +%s)
valid_for=$(( $(date -u -d 2090-01-01 +%s) - now ))
(
	cd "$dist"
	apt-ftparchive \
		-o APT::FTPArchive::DoByHash=true \
		-o APT::FTPArchive::Release::Origin="Distroscope Fixture" \
		-o APT::FTPArchive::Release::Label="Distroscope Fixture" \
		-o APT::FTPArchive::Release::Suite=testing \
		-o APT::FTPArchive::Release::Codename="$suite" \
		-o APT::FTPArchive::Release::Description="Test fixture of distroscope, made by repo/formats/testdata/apt/make-repo.sh; not a real archive" \
		-o APT::FTPArchive::Release::Architectures="$architectures" \
		-o APT::FTPArchive::Release::Components="$components" \
		-o APT::FTPArchive::Release::Acquire-By-Hash=yes \
		-o APT::FTPArchive::Release::NumericTimezone=false \
		-o APT::FTPArchive::Release::ValidTime="$valid_for" \
		release . >"$work/Release"
)
mv "$work/Release" "$dist/Release"
grep -q '^Valid-Until: .* 2090 ' "$dist/Release" || { echo "make-repo: Valid-Until is not in 2090" >&2; exit 1; }

# 3. Sign: InRelease (clearsigned) and Release.gpg (detached, armored), with a
#    key made here, no passphrase, no expiry. Only its public half is kept.
gpg --batch --quiet --passphrase '' --quick-gen-key \
	"Distroscope Fixture Archive Key <fixture@example.org>" ed25519 sign never
gpg --batch --quiet --passphrase '' --quick-gen-key \
	"Unrelated Key <unrelated@example.org>" ed25519 sign never
signer=$(gpg --batch --with-colons --list-keys fixture@example.org | awk -F: '/^fpr:/ {print $10; exit}')
other=$(gpg --batch --with-colons --list-keys unrelated@example.org | awk -F: '/^fpr:/ {print $10; exit}')
gpg --batch --yes --local-user "$signer" --digest-algo SHA512 --clearsign --output "$dist/InRelease" "$dist/Release"
gpg --batch --yes --local-user "$signer" --digest-algo SHA512 --armor --detach-sign --output "$dist/Release.gpg" "$dist/Release"
gpg --batch --verify "$dist/InRelease" 2>/dev/null
gpg --batch --verify "$dist/Release.gpg" "$dist/Release" 2>/dev/null

# 4. Goldens from the oracle, then swap the new files in.
/usr/bin/python3 "$here/make-expected.py" "$stage" "$suite" >"$work/expected.json"
gpg --batch --export "$signer" >"$work/keyring.gpg"
gpg --batch --armor --export "$signer" >"$work/keyring.asc"
gpg --batch --export "$other" >"$work/other-keyring.gpg"
echo "$signer" >"$work/fingerprint.txt"

rm -rf "$here/repo"
mv "$stage" "$here/repo"
for f in expected.json keyring.gpg keyring.asc other-keyring.gpg fingerprint.txt; do
	mv "$work/$f" "$here/$f"
done
echo "make-repo: repo/ signed by $signer"
