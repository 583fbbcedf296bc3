package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// CryptoPolicy returns the system-wide cryptographic policy of Fedora and
// RHEL, Program "crypto-policy", Key "policy": the policy and its
// subpolicies as /etc/crypto-policies/config names them ("DEFAULT",
// "DEFAULT:SHA1"), the first line that is not empty or a "#" comment
// (update-crypto-policies(8), crypto-policies(7)). The tool falls back to
// "DEFAULT" when the file names none, which is the row's Default.
func CryptoPolicy(fsys fs.FS) ([]Setting, error) {
	data, file, err := imageRoot{fsys}.readFile("etc/crypto-policies/config")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("settings: crypto-policy: %s: %w", file, err)
	}
	row := Setting{Program: "crypto-policy", Key: "policy", Value: "DEFAULT", Builtin: true, Default: "DEFAULT"}
	found := false
	imageRootLines(data, func(line string, n int) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if found || line == "" {
			return
		}
		found = true
		row = Setting{Program: "crypto-policy", Key: "policy", Value: line, File: file, Line: n, Default: "DEFAULT"}
	})
	return []Setting{row}, nil
}
