package openpgp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// MaxKeyringSize bounds one keyring file or inline key block. Debian's whole
// archive keyring is under 100 KiB.
const MaxKeyringSize = 16 << 20

// Keyring is a set of OpenPGP public keys that signatures are checked
// against, optionally narrowed to some fingerprints as apt's Signed-By allows.
// The zero Keyring holds no key. A Keyring is safe for concurrent use.
type Keyring struct {
	entities openpgp.EntityList
	// allow is nil for "every key"; otherwise it lists uppercase hex
	// fingerprints, a trailing "!" meaning that exact (sub)key only.
	allow []string
}

// LoadKeyring reads the keyring files at paths (binary as .gpg files, or
// ASCII-armored as .asc files; told apart by content) and the armored key
// block(s) in inline, as given by an Entry's SignedBy and SignedByInline.
//
// Like apt, which warns about a keyring it cannot read and goes on without
// its keys, LoadKeyring always returns a Keyring holding every key it could
// read, and an error joining the problems (missing file, corrupt key block,
// file over MaxKeyringSize), each naming its file. A caller that wants
// all-or-nothing treats a non-nil error as fatal; going on is safe, as fewer
// keys can only make fewer signatures count.
func LoadKeyring(paths []string, inline []byte) (*Keyring, error) {
	k := &Keyring{}
	var errs []error
	for _, p := range paths {
		if err := k.addFile(p); err != nil {
			errs = append(errs, err)
		}
	}
	if len(inline) > 0 {
		el, err := readKeys(inline, "inline Signed-By key")
		k.entities = append(k.entities, el...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return k, errors.Join(errs...)
}

// DefaultKeyring returns the keys apt trusts for a source without Signed-By
// on the filesystem rooted at root ("/" on the machine itself): every
// root/etc/apt/trusted.gpg.d/*.gpg and *.asc, and root/etc/apt/trusted.gpg.
// Missing files and folders are not errors; other problems are reported as by
// LoadKeyring, with the keys that could be read.
func DefaultKeyring(root string) (*Keyring, error) {
	etc := filepath.Join(root, "etc", "apt")
	var paths []string
	dir := filepath.Join(etc, "trusted.gpg.d")
	des, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &Keyring{}, fmt.Errorf("aptsig: %w", err)
	}
	for _, de := range des {
		if ext := filepath.Ext(de.Name()); !de.IsDir() && (ext == ".gpg" || ext == ".asc") {
			paths = append(paths, filepath.Join(dir, de.Name()))
		}
	}
	legacy := filepath.Join(etc, "trusted.gpg")
	if _, err := os.Stat(legacy); err == nil {
		paths = append(paths, legacy)
	}
	return LoadKeyring(paths, nil)
}

// AptKeyring returns the keyring apt would check a source's metadata
// against: the Signed-By keyring files and inline keys, or
// DefaultKeyring(root) when there are none, narrowed to the Signed-By
// fingerprints if any. Files are read as named; a caller reading another
// root's sources joins them under it. Whether to check at all is the
// caller's decision. Errors are reported as by LoadKeyring.
func AptKeyring(root string, files []string, inline []byte, fingerprints []string) (*Keyring, error) {
	var (
		k   *Keyring
		err error
	)
	if len(files) == 0 && len(inline) == 0 {
		k, err = DefaultKeyring(root)
	} else {
		k, err = LoadKeyring(files, inline)
	}
	if len(fingerprints) > 0 {
		r, rerr := k.Restrict(fingerprints)
		if rerr != nil {
			return k, errors.Join(err, rerr)
		}
		k = r
	}
	return k, err
}

var fingerprintRE = regexp.MustCompile(`^(?:[0-9A-F]{40}|[0-9A-F]{64})!?$`)

// Restrict returns a keyring whose signatures count only when made by one of
// fingerprints: the fingerprint of the signing key or of its primary key, or,
// with apt's trailing "!", of the signing key only. Blanks inside a
// fingerprint are ignored and case does not matter.
func (k *Keyring) Restrict(fingerprints []string) (*Keyring, error) {
	allow := make([]string, 0, len(fingerprints))
	for _, f := range fingerprints {
		norm := strings.ToUpper(strings.Join(strings.Fields(f), ""))
		if !fingerprintRE.MatchString(norm) {
			return nil, fmt.Errorf("aptsig: %q is not a key fingerprint", f)
		}
		allow = append(allow, norm)
	}
	return &Keyring{entities: k.entities, allow: allow}, nil
}

// Fingerprints returns the fingerprints of the primary keys held, uppercase hex.
func (k *Keyring) Fingerprints() []string {
	out := make([]string, 0, len(k.entities))
	for _, e := range k.entities {
		out = append(out, fingerprintString(e.PrimaryKey.Fingerprint))
	}
	return out
}

// allows says whether a signature by key (a primary key or subkey, of the
// given fingerprints) may count under the Signed-By fingerprints.
func (k *Keyring) allows(keyFpr, primaryFpr string) bool {
	if k.allow == nil {
		return true
	}
	for _, a := range k.allow {
		if exact, ok := strings.CutSuffix(a, "!"); ok {
			if exact == keyFpr {
				return true
			}
		} else if a == keyFpr || a == primaryFpr {
			return true
		}
	}
	return false
}

func (k *Keyring) addFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("aptsig: keyring: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxKeyringSize+1))
	if err != nil {
		return fmt.Errorf("aptsig: keyring %s: %w", path, err)
	}
	el, err := readKeys(data, "keyring "+path)
	k.entities = append(k.entities, el...)
	return err
}

var (
	armorBegin = []byte("-----BEGIN PGP ")
	armorEnd   = []byte("-----END PGP ")
)

// readKeys reads binary or armored public keys; what names the source in errors.
// An empty input holds no key and is not an error, as an empty trusted.gpg is not.
func readKeys(data []byte, what string) (openpgp.EntityList, error) {
	if len(data) > MaxKeyringSize {
		return nil, fmt.Errorf("aptsig: %s: %w (limit %d bytes)", what, ErrTooLarge, MaxKeyringSize)
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), armorBegin) {
		el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("aptsig: %s: %w", what, err)
		}
		return el, nil
	}
	// armor.Decode reads ahead, so cut each armored block out before decoding:
	// an .asc file may hold several.
	var out openpgp.EntityList
	rest := data
	for {
		i := bytes.Index(rest, armorBegin)
		if i < 0 {
			return out, nil
		}
		j := bytes.Index(rest[i:], armorEnd)
		if j < 0 {
			return out, fmt.Errorf("aptsig: %s: armored block is not closed", what)
		}
		end := i + j
		if nl := bytes.IndexByte(rest[end:], '\n'); nl >= 0 {
			end += nl + 1
		} else {
			end = len(rest)
		}
		block, err := armor.Decode(bytes.NewReader(rest[i:end]))
		if err != nil {
			return out, fmt.Errorf("aptsig: %s: %w", what, err)
		}
		if block.Type != openpgp.PublicKeyType {
			return out, fmt.Errorf("aptsig: %s: armored %q, want %q", what, block.Type, openpgp.PublicKeyType)
		}
		el, err := openpgp.ReadKeyRing(block.Body)
		if err != nil {
			return out, fmt.Errorf("aptsig: %s: %w", what, err)
		}
		out = append(out, el...)
		rest = rest[end:]
	}
}

func fingerprintString(b []byte) string {
	return strings.ToUpper(hex.EncodeToString(b))
}
