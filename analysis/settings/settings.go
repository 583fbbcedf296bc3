// Package settings reads configuration settings out of a root filesystem
// into normalised key/value rows: one parser per format (sshd, sysctl,
// login.defs, PAM, sudoers, nsswitch, limits, resolver, network
// configuration, /etc/default and /etc/sysconfig, ...), each following its
// format's includes and drop-in directories and its first-wins or
// last-wins rule, so that a row holds the value the program really uses
// and says where it was set.
//
// The parsers are pure: they read an fs.FS rooted at the image's root
// (paths without a leading slash, "etc/ssh/sshd_config"; internal/imagefs
// trees and os.DirFS both serve one) and return rows. Where a file comes
// from (a package's default, changed in the image) is the image
// analysis's business, not theirs.
package settings

import (
	"fmt"
	"slices"
	"strings"
)

// The bounds every parser holds an image's untrusted files to: a file
// larger than any real configuration, an include chain deeper than any
// real one, or more rows than a real image holds is hostile or broken,
// and an error naming the file says so.
const (
	maxFileBytes    = 4 << 20
	maxIncludeDepth = 16
	maxRows         = 100_000
)

// enterInclude refuses to read name once more when the include chain that
// leads to it (stack) is too deep or already holds it: program's error
// names the file and the chain.
func enterInclude(program, name string, stack []string) error {
	if len(stack) > maxIncludeDepth {
		return fmt.Errorf("settings: %s: %s: includes deeper than %d", program, authAbs(name), maxIncludeDepth)
	}
	if slices.Contains(stack, name) {
		return fmt.Errorf("settings: %s: %s includes itself (through %s)", program, authAbs(name), strings.Join(stack, " → "))
	}
	return nil
}

// Setting is one effective setting of one program.
type Setting struct {
	// Program names the format or program: "sshd", "sysctl", "login.defs",
	// "pam", "sudoers", "nsswitch", "limits", "resolver", "hostname",
	// "network", "default", "sysconfig", "useradd", "selinux",
	// "apparmor", "crypto-policy", "timezone", "locale".
	Program string
	// Key is the setting's name as the program spells it, normalised
	// where the program is case-insensitive (sshd keys lowercased, as
	// sshd -T prints them). Hierarchical keys join with "." ("eth0.address",
	// "pam.sshd.auth") — each parser documents its keys.
	Key string
	// Value as the program takes it (quotes removed, continuation lines
	// joined). Multi-valued settings hold one row per value in order, or
	// one row with the values space-joined, as the parser documents.
	Value string
	// Condition is the context the value applies in: an sshd Match block
	// ("Match User sftp"), a netplan interface, a PAM service; "" when
	// unconditional.
	Condition string
	// File and Line say where the effective value was set: absolute path
	// ("/etc/ssh/sshd_config.d/50-cloud.conf") and 1-based line. Empty
	// File and zero Line for a built-in default (Builtin true); File and
	// zero Line for a value a symlink or a directory gives (the time zone
	// of /etc/localtime, a count of profiles).
	File string
	Line int
	// Builtin marks a row the program's own default fills in because no
	// file sets the key (only for keys a parser knows defaults of).
	Builtin bool
	// Default is the program's own built-in default for the key, where
	// the parser knows it (e.g. sshd's compiled-in defaults), even when a
	// file sets the key; "" when unknown.
	Default string
}
