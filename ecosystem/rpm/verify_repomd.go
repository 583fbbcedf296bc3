package rpm

import (
	"fmt"
	"time"

	"github.com/distroscope/distroscope/ecosystem/openpgp"
)

// SignatureName is the detached, armored OpenPGP signature of repomd.xml
// that repositories with dnf's repo_gpgcheck publish beside it
// (repodata/repomd.xml.asc).
const SignatureName = "repomd.xml.asc"

// VerifySignature checks repomd.xml against its detached signature
// repomd.xml.asc with the keys of kr at time now, under apt's rules (see
// openpgp.VerifyDetached: at least one good signature by a key of kr, none
// bad). The error wraps aptsig's ErrUnsigned, ErrMalformed, ErrTooLarge,
// ErrBadSignature or ErrNoTrustedSignature.
//
// Nothing below repomd.xml is signed: its checksums are what vouch for
// every other file, so a caller that checks the signature must also check
// each file it fetches against them.
func VerifySignature(repomd, sig []byte, kr *openpgp.Keyring, now time.Time) (openpgp.Result, error) {
	res, err := openpgp.VerifyDetached(repomd, sig, kr, now)
	if err != nil {
		return res, fmt.Errorf("rpmmd: %s: %w", SignatureName, err)
	}
	return res, nil
}
