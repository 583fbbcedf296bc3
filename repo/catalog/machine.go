package catalog

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/distroscope/distroscope/ecosystem/deb/aptsources"
	"github.com/distroscope/distroscope/repo"
)

// MachineArch is this machine's architecture as Debian names it: the
// default when neither the command line nor a source names one.
func MachineArch() string { return debianArch(runtime.GOARCH) }

// debianArch maps a GOARCH to the Debian architecture of the same machine.
func debianArch(goarch string) string {
	switch goarch {
	case "386":
		return "i386"
	case "arm":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	case "mips64le":
		return "mips64el"
	}
	return goarch
}

// FromMachine is what `distroscope snapshot` takes with no source named:
// the suites in o, else those of the first deb entry of the apt sources
// under aptRoot, each with the mirror, components, architectures and
// Signed-By of the entry that lists it. A suite no entry lists (trixie on
// a bookworm host) comes from the mirror, and is trusted with the keyring,
// of the first deb entry: one archive serves every suite of a
// distribution. notes say where such a suite was taken from.
func FromMachine(aptRoot string, o Overrides) (specs []repo.Spec, notes []string, err error) {
	entries, aptErr := aptsources.Load(aptRoot)
	suites := o.Suites
	if len(suites) == 0 {
		if aptErr != nil {
			return nil, nil, fmt.Errorf("catalog: no suite given and the apt sources cannot be read: %w", aptErr)
		}
		if e, _, ok := firstDebEntry(entries); ok {
			suites = e.Suites
		}
		if len(suites) == 0 {
			return nil, nil, fmt.Errorf("catalog: no suite given and no deb entry in the apt sources under %s", aptRoot)
		}
	}
	for _, suite := range suites {
		src := repo.Spec{Suite: suite, Mirror: o.Mirror, AptRoot: aptRoot,
			AllowUnsigned: o.AllowUnsigned, AllowExpired: o.AllowExpired, CompressionOrder: o.Compression,
			Components: o.Components, Architectures: o.Architectures, SignedBy: o.Keyring}
		e, uri, found := aptsources.Find(entries, suite)
		if !found && src.Mirror == "" {
			e, uri, found = firstDebEntry(entries)
			if !found {
				if aptErr != nil {
					return nil, nil, fmt.Errorf("catalog: suite %s: no mirror given and the apt sources cannot be read: %w", suite, aptErr)
				}
				return nil, nil, fmt.Errorf("catalog: suite %s: no deb entry in the apt sources; give a mirror", suite)
			}
			notes = append(notes, fmt.Sprintf("%s: not in the apt sources; using the mirror and keyring of %s:%d", suite, e.File, e.Line))
			if len(o.Components) == 0 {
				e.Components = nil // the entry's components belong to its own suites
			}
		}
		if src.Mirror == "" {
			src.Mirror = uri
		}
		// The entry's details describe its own mirror only: with another
		// mirror given, nothing of the entry applies.
		if found && strings.TrimRight(uri, "/") == strings.TrimRight(src.Mirror, "/") {
			if len(src.Components) == 0 {
				src.Components = e.Components
			}
			if len(src.Architectures) == 0 {
				src.Architectures = e.Architectures
			}
			if len(src.SignedBy) == 0 {
				for _, p := range e.SignedBy {
					src.SignedBy = append(src.SignedBy, filepath.Join(aptRoot, p))
				}
				src.SignedByInline = string(e.SignedByInline)
				src.SignedByFingerprints = e.SignedByFingerprints
			}
			src.AllowUnsigned = src.AllowUnsigned || e.Trusted
		}
		if len(src.Components) == 0 {
			src.Components = []string{"main"}
		}
		if len(src.Architectures) == 0 {
			src.Architectures = []string{MachineArch()}
		}
		specs = append(specs, src)
	}
	return specs, notes, nil
}

func firstDebEntry(entries []aptsources.Entry) (aptsources.Entry, string, bool) {
	for _, e := range entries {
		if len(e.URIs) > 0 && slices.Contains(e.Types, "deb") {
			return e, e.URIs[0], true
		}
	}
	return aptsources.Entry{}, "", false
}
