package aptrepo

import (
	"fmt"
	"time"

	"github.com/distroscope/distroscope/deb/aptsig"
)

// loadKeyring picks the keyring apt would use for src: its Signed-By files
// or inline keys, else apt's own trusted keyrings under AptRoot. A keyring
// that fails to load only matters if a signature must be checked, so the
// error is returned for the caller to report at that point.
func loadKeyring(src Source) (*aptsig.Keyring, error) {
	var (
		kr  *aptsig.Keyring
		err error
	)
	if len(src.SignedBy) > 0 || src.SignedByInline != "" {
		var inline []byte
		if src.SignedByInline != "" {
			inline = []byte(src.SignedByInline)
		}
		kr, err = aptsig.LoadKeyring(src.SignedBy, inline)
	} else {
		root := src.AptRoot
		if root == "" {
			root = "/"
		}
		kr, err = aptsig.DefaultKeyring(root)
	}
	if err != nil {
		return nil, err
	}
	if len(src.SignedByFingerprints) > 0 {
		return kr.Restrict(src.SignedByFingerprints)
	}
	return kr, nil
}

func verifyInRelease(data []byte, kr *aptsig.Keyring, krErr error, now time.Time) ([]byte, []string, error) {
	if krErr != nil {
		return nil, nil, fmt.Errorf("keyring: %w", krErr)
	}
	body, res, err := aptsig.VerifyInRelease(data, kr, now)
	if err != nil {
		return nil, nil, err
	}
	return body, res.Good, nil
}

func verifyDetached(release, sig []byte, kr *aptsig.Keyring, krErr error, now time.Time) ([]string, error) {
	if krErr != nil {
		return nil, fmt.Errorf("keyring: %w", krErr)
	}
	res, err := aptsig.VerifyDetached(release, sig, kr, now)
	if err != nil {
		return nil, err
	}
	return res.Good, nil
}

func extractCleartext(data []byte) ([]byte, error) { return aptsig.ExtractCleartext(data) }
