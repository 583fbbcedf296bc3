package catalog

import (
	"fmt"
	"strings"

	"github.com/distroscope/distroscope/repo"
)

// Overrides are what a command line says about the sources to snapshot.
// Each one given replaces the value the catalogue or the apt source would
// supply; the Allow* opt-outs add to the source's own.
type Overrides struct {
	Suites        []string
	Components    []string
	Architectures []string
	// Mirror is the base URL, the part before dists/ for apt.
	Mirror  string
	Keyring []string
	// Compression is the order of index compressions to try (nil: the
	// format's default).
	Compression   []repo.Compression
	AllowUnsigned bool
	AllowExpired  bool
}

// Select expands NAME[/SUITE] references (see Specs) into what to snapshot,
// with the overrides applied. Suites come from the references, so giving
// them in o too is an error rather than a guess at which one was meant.
func (c *Catalog) Select(refs []string, aptRoot string, o Overrides) ([]repo.Spec, error) {
	if len(o.Suites) > 0 && len(refs) > 0 {
		return nil, fmt.Errorf("catalog: give suites in the reference (%s/SUITE) or as an override, not both", strings.Split(refs[0], "/")[0])
	}
	var out []repo.Spec
	for _, ref := range refs {
		specs, err := c.Specs(ref, MachineArch())
		if err != nil {
			return nil, err
		}
		for _, s := range specs {
			if o.Mirror != "" {
				s.Mirror = o.Mirror
			}
			if len(o.Components) > 0 {
				s.Components = o.Components
			}
			if len(o.Architectures) > 0 {
				s.Architectures = o.Architectures
			}
			if len(o.Keyring) > 0 {
				s.SignedBy = o.Keyring
			}
			s.AllowUnsigned = s.AllowUnsigned || o.AllowUnsigned
			s.AllowExpired = s.AllowExpired || o.AllowExpired
			if o.Compression != nil {
				s.CompressionOrder = o.Compression
			}
			s.AptRoot = aptRoot
			out = append(out, s)
		}
	}
	return out, nil
}

// SnapshotSpec is the one snapshot ref (NAME/SUITE) names, for a
// comparison side that may have to be snapshotted first. ok is false when
// the catalogue does not know ref or it names several snapshots (a suite
// served from two mirrors): the comparison then only uses what is
// committed.
func (c *Catalog) SnapshotSpec(ref, aptRoot string) (spec repo.Spec, ok bool) {
	specs, err := c.Specs(ref, MachineArch())
	if err != nil || len(specs) != 1 {
		return repo.Spec{}, false
	}
	spec = specs[0]
	spec.AptRoot = aptRoot
	return spec, true
}

// Refs lists every NAME/SUITE the catalogue can snapshot, in catalogue
// order: the words shell completion offers.
func (c *Catalog) Refs() []string {
	var out []string
	for _, e := range c.Entries {
		for _, s := range e.Suites {
			out = append(out, e.Name+"/"+s)
		}
	}
	return out
}
