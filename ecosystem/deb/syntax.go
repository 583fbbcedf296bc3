package deb

import (
	"fmt"

	"github.com/distroscope/distroscope/ecosystem"
)

// checkPackageName accepts a package name as Debian Policy 5.6.1 (Source)
// and 5.6.7 (Package) define it: at least two characters, lowercase
// letters, digits, '+', '-' and '.', starting with a letter or digit. Every
// name of Debian's and Ubuntu's archives is one. A name that is not — most
// of all one that is not UTF-8, which made the whole packages table
// unreadable to DuckDB — cannot be compared, joined or stored, so the
// stanza is refused rather than repaired.
func checkPackageName(v string) error {
	ok := len(v) >= 2 && isLowerAlnum(v[0])
	for i := 1; ok && i < len(v); i++ {
		c := v[i]
		ok = isLowerAlnum(c) || c == '+' || c == '-' || c == '.'
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrInvalidName, ecosystem.Quote(v))
	}
	return nil
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// checkVersion accepts a version as Debian Policy 5.6.12 defines it,
// [epoch:]upstream_version[-debian_revision]: the epoch an unsigned number;
// the upstream version non-empty, of letters, digits and ".+~-:" (a '-'
// only when there is a revision, which the last '-' starts; ':' as dpkg
// allows it); the revision, when there is a '-', non-empty, of letters,
// digits and ".+~". Policy's "should start with a digit" is left to dpkg,
// which only warns about it.
func checkVersion(v string) error {
	fail := func(why string) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidVersion, ecosystem.Quote(v), why)
	}
	rest := v
	for i := 0; i < len(rest); i++ {
		if rest[i] == ':' {
			if i == 0 {
				return fail("empty epoch")
			}
			for j := 0; j < i; j++ {
				if rest[j] < '0' || rest[j] > '9' {
					return fail("the epoch is not a number")
				}
			}
			rest = rest[i+1:]
			break
		}
	}
	upstream, revision, hasRevision := rest, "", false
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] == '-' {
			upstream, revision, hasRevision = rest[:i], rest[i+1:], true
			break
		}
	}
	if upstream == "" {
		return fail("empty upstream version")
	}
	if hasRevision && revision == "" {
		return fail("empty revision after '-'")
	}
	for i := 0; i < len(upstream); i++ {
		if c := upstream[i]; !isAlnum(c) && c != '.' && c != '+' && c != '~' && c != '-' && c != ':' {
			return fail("the upstream version may hold only letters, digits and .+~-:")
		}
	}
	for i := 0; i < len(revision); i++ {
		if c := revision[i]; !isAlnum(c) && c != '.' && c != '+' && c != '~' {
			return fail("the revision may hold only letters, digits and .+~")
		}
	}
	return nil
}
