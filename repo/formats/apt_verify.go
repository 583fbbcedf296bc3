package formats

import (
	"fmt"
	"time"

	"github.com/distroscope/distroscope/ecosystem/openpgp"
	"github.com/distroscope/distroscope/repo"
)

// loadKeyring picks the keyring apt would use for src: its Signed-By files
// or inline keys, else apt's own trusted keyrings under AptRoot. A keyring
// that fails to load only matters if a signature must be checked, so the
// error is returned for the caller to report at that point.
func loadKeyring(src repo.Spec) (*openpgp.Keyring, error) {
	root := src.AptRoot
	if root == "" {
		root = "/"
	}
	var inline []byte
	if src.SignedByInline != "" {
		inline = []byte(src.SignedByInline)
	}
	return openpgp.AptKeyring(root, src.SignedBy, inline, src.SignedByFingerprints)
}

func verifyInRelease(data []byte, kr *openpgp.Keyring, krErr error, now time.Time) ([]byte, []string, error) {
	if krErr != nil {
		return nil, nil, fmt.Errorf("keyring: %w", krErr)
	}
	body, res, err := openpgp.VerifyInRelease(data, kr, now)
	if err != nil {
		return nil, nil, err
	}
	return body, res.Good, nil
}

func verifyDetached(release, sig []byte, kr *openpgp.Keyring, krErr error, now time.Time) ([]string, error) {
	if krErr != nil {
		return nil, fmt.Errorf("keyring: %w", krErr)
	}
	res, err := openpgp.VerifyDetached(release, sig, kr, now)
	if err != nil {
		return nil, err
	}
	return res.Good, nil
}

func extractCleartext(data []byte) ([]byte, error) { return openpgp.ExtractCleartext(data) }
