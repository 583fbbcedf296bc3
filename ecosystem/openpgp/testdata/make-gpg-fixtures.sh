#!/bin/sh
# Regenerates the fixtures under gpg/ with test keys made in a throw-away
# GNUPGHOME. Needs GnuPG (apt-get install gnupg). The output differs on each
# run (fresh keys, signature times): commit the whole gpg/ folder together.
set -eu
cd "$(dirname "$0")/gpg"
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'gpgconf --kill all; rm -rf "$GNUPGHOME"' EXIT
gpg="gpg --batch --yes --quiet --pinentry-mode loopback --passphrase="
fpr() { gpg --batch --with-colons --list-keys "$1" | awk -F: '$1 == "fpr" { print $10; exit }'; }

# archive: the repository's RSA key, like Debian's; second: another trusted
# key, so that good files carry two signatures as Debian's do.
$gpg --quick-gen-key 'Test Archive <archive@example.org>' rsa3072 sign never
$gpg --quick-gen-key 'Test Second <second@example.org>' ed25519 sign never
# stranger: a key no keyring here holds.
$gpg --quick-gen-key 'Test Stranger <stranger@example.org>' ed25519 sign never
# expired: made and used on 2020-01-01, valid for one day.
$gpg --faked-system-time 20200101T000000! --quick-gen-key 'Test Expired <expired@example.org>' ed25519 sign 1d
# revoked: revoked after it signed.
$gpg --quick-gen-key 'Test Revoked <revoked@example.org>' ed25519 sign never

cat > Release <<'REL'
Origin: Test
Label: Test
Suite: stable
Codename: testing-fixture
Date: Sat, 21 Nov 2026 00:00:00 UTC
Architectures: amd64
Components: main
Description: Fixture archive for distroscope's aptsig tests
SHA256:
 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 main/binary-amd64/Packages
 7a1d2c4d4bd4b1f19bd1f3e0e0b5b6b0c8f6f8e9e1f7d8d2c1b0a9f8e7d6c5b4       28 main/binary-amd64/Packages.gz
REL
sed 's/^Suite: stable$/Suite: unstable/' Release > Release.other

$gpg --clearsign -u archive@example.org -u second@example.org -o two-signers_InRelease Release
$gpg --clearsign -u second@example.org -o second-other_InRelease Release.other
$gpg --armor --detach-sign -u archive@example.org -u second@example.org -o Release.gpg Release
$gpg --detach-sign -u second@example.org -o Release.sig Release
$gpg --clearsign -u stranger@example.org -o stranger_InRelease Release
$gpg --faked-system-time 20200101T120000! --clearsign -u expired@example.org -o expired_InRelease Release
$gpg --clearsign -u revoked@example.org -o revoked_InRelease Release
$gpg --clearsign --digest-algo SHA1 -u archive@example.org -o sha1_InRelease Release

# A text that needs dash-escaping and has trailing blanks and CRLF endings,
# which the signature does not cover.
printf -- '-----BEGIN PGP SIGNATURE-----\r\nline with trailing blanks  \t\r\n- a list item\r\n\r\nlast line' > dashes.txt
$gpg --clearsign -u archive@example.org -o dashes_InRelease dashes.txt

# gpg keeps a revocation certificate for each new key, its armor line
# escaped with ':' against accidental import.
sed 's/^:-----/-----/' "$GNUPGHOME/openpgp-revocs.d/$(fpr revoked@example.org).rev" | $gpg --import

$gpg --export archive@example.org second@example.org expired@example.org revoked@example.org > trusted.gpg
$gpg --export --armor archive@example.org > archive.asc
$gpg --export --armor second@example.org > second.asc
$gpg --export --armor stranger@example.org > stranger.asc
for who in archive second stranger expired revoked; do
	echo "$who $(fpr $who@example.org)"
done > fingerprints.txt
# The tests check "now" an hour after this, when every signature above exists.
date -u +%Y-%m-%dT%H:%M:%SZ > signed-at.txt
