package formats

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
)

// partitionFor names a snapshot of a format whose metadata carries no
// Origin or codename (rpm-md, apk, alpm): the catalogue's distro and release,
// the newest date the metadata states, and a hash over every metadata file,
// so an unchanged repository is the same snapshot and a changed one is new.
func partitionFor(spec repo.Spec, newest time.Time, h hash.Hash) (datasets.Partition, error) {
	if spec.Distro == "" {
		return datasets.Partition{}, repo.Invalid(fmt.Errorf("formats: a %s source needs a distro name (the catalogue entry's name)", spec.Format))
	}
	release := spec.Release
	if release == "" {
		release = datasets.Normalize(spec.Suite)
	}
	p := datasets.Partition{Distro: datasets.Normalize(spec.Distro), Release: release,
		Snapshot: datasets.SnapshotID(newest, hex.EncodeToString(h.Sum(nil)))}
	if err := p.Validate(); err != nil {
		return p, repo.Invalid(err)
	}
	return p, nil
}

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func template(spec repo.Spec, def string) string {
	if spec.URLTemplate != "" {
		return spec.URLTemplate
	}
	return def
}

// noSuchIndex words a 404 for a source's top-level metadata — what names
// it, "rpm-md repository for suite …" — as ErrNoSuchSuite: a wrong suite,
// component, architecture or mirror path, which no retry will fix.
func noSuchIndex(what string, err error) error {
	var fe *repo.FetchError
	if !errors.As(err, &fe) {
		return repo.NoSuchSuite(fmt.Errorf("formats: no %s: %w", what, err))
	}
	return repo.NoSuchSuite(fmt.Errorf("formats: no %s: %s: %s", what, fe.URL, fe.Reason))
}

// names is how an error names one component × architecture of a spec.
func names(spec repo.Spec, comp, arch string) string {
	return fmt.Sprintf("suite %q, component %q, architecture %q", spec.Suite, comp, arch)
}
