// Package openpgp verifies OpenPGP-signed repository metadata as apt does —
// the rule every format that signs with OpenPGP is held to (apt's InRelease
// and Release.gpg, rpm-md's repomd.xml.asc). For apt (apt-secure(8), https://manpages.debian.org/stable/apt/apt-secure.8.en.html):
// a clearsigned InRelease file, or a Release file with its detached
// Release.gpg, checked against the keyring a source's Signed-By names (or the
// keys apt trusts by default).
//
// apt's rule, kept here: the metadata is accepted only when at least one
// signature is good — made by a key of the keyring that is neither expired
// nor revoked at the time of the check, with a digest stronger than SHA-1 —
// and no signature by a key of the keyring fails to verify. Signatures by
// unknown keys count neither way, which lets Debian sign with several keys at
// once. The time of the check is a parameter so that expiry is testable.
//
// The clearsigned format is RFC 9580 section 7
// (https://www.rfc-editor.org/rfc/rfc9580#section-7); the file is split as
// strictly as apt splits it, and the text returned is exactly the text whose
// signatures were checked. Cryptography is github.com/ProtonMail/go-crypto.
package openpgp
