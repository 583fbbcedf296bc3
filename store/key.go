package store

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen is the longest key accepted, in bytes: the S3 limit on object
// names, so a key valid on one store is valid on every store.
const MaxKeyLen = 1024

// ValidateKey reports whether key is an acceptable object key: non-empty,
// at most MaxKeyLen bytes of valid UTF-8, made of "/"-separated segments none
// of which is empty, "." or "..", and free of backslashes and control
// characters. A valid key read as a relative Unix path never climbs out of
// the directory it is resolved in; the local folder store relies on that
// (and on os.Root for symbolic links) to keep hostile keys inside its root.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("store: invalid key %q: empty", key)
	}
	if err := validateChars(key); err != nil {
		return err
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := validateSegment(key, seg); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePrefix reports whether prefix is an acceptable List prefix: empty
// (everything), or a string every complete segment of which (those followed
// by "/") is valid as in ValidateKey. The last, partial segment may be
// anything a key segment could start with, so "a/b" matches "a/bc" and "a/."
// matches "a/.hidden".
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := validateChars(prefix); err != nil {
		return err
	}
	segs := strings.Split(prefix, "/")
	for _, seg := range segs[:len(segs)-1] {
		if err := validateSegment(prefix, seg); err != nil {
			return err
		}
	}
	return nil
}

func validateChars(key string) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("store: invalid key %.64q...: longer than %d bytes", key, MaxKeyLen)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("store: invalid key %q: not UTF-8", key)
	}
	for _, r := range key {
		switch {
		case r == '\\':
			return fmt.Errorf("store: invalid key %q: backslash", key)
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("store: invalid key %q: control character %U", key, r)
		}
	}
	return nil
}

func validateSegment(key, seg string) error {
	switch seg {
	case "":
		return fmt.Errorf("store: invalid key %q: empty segment (leading, trailing or double slash)", key)
	case ".", "..":
		return fmt.Errorf("store: invalid key %q: %q segment", key, seg)
	}
	return nil
}
