package compare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
)

// Locate finds a committed snapshot by its names: distro and release, and
// the snapshot id, or the newest one when snapshot is empty. A snapshot is
// committed when its snapshots partition has a manifest: the snapshot
// commit publishes that table last. It takes any snapshot, verified or not;
// Find is Locate under a Trust.
func (s Storage) Locate(ctx context.Context, distro, release, snapshot string) (datasets.Partition, bool, error) {
	found, err := s.committed(ctx, distro, release, snapshot)
	if err != nil || len(found) == 0 {
		return datasets.Partition{}, false, err
	}
	return found[0], true, nil
}

// committed lists the committed snapshots of a name, newest first:
// snapshot ids start with the Release's date.
func (s Storage) committed(ctx context.Context, distro, release, snapshot string) ([]datasets.Partition, error) {
	ms, err := datasets.ListManifests(ctx, s.Store, datasets.Snapshots)
	if err != nil {
		return nil, err
	}
	var found []datasets.Partition
	for _, m := range ms {
		p := m.Partition
		if p.Distro == distro && p.Release == release && (snapshot == "" || p.Snapshot == snapshot) {
			found = append(found, p)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Snapshot > found[j].Snapshot })
	return found, nil
}

// Trust says which committed snapshots a name may resolve to. Partition
// names come from what a mirror's metadata says of itself, folded to
// lowercase: a mirror publishing an unsigned Release with "Origin: DEBIAN"
// lands beside Debian's own snapshots, and may well be newer. So a
// comparison takes a distribution's snapshot only when it was verified by
// one of the keys the catalogue names for that distribution, unless the
// user accepts unverified ones.
type Trust struct {
	// Keys are the trusted keys as the snapshots table's signed_by names
	// them: OpenPGP primary-key fingerprints (apt, rpm-md), apk key names.
	Keys []string `json:"keys,omitempty"`
	// AllowUnverified accepts any snapshot (compare --allow-unverified, or a
	// catalogue source that is taken unverified); the newest still wins.
	AllowUnverified bool `json:"allow_unverified,omitempty"`
	// By names where Keys come from, for messages ("the keyring of
	// catalogue source debian").
	By string `json:"by,omitempty"`
}

// Verifies reports whether one of signedBy is a trusted key.
func (t Trust) Verifies(signedBy []string) bool {
	for _, s := range signedBy {
		if slices.Contains(t.Keys, s) {
			return true
		}
	}
	return false
}

// Accepts reports whether a snapshot verified by signedBy may be used.
func (t Trust) Accepts(signedBy []string) bool { return t.AllowUnverified || t.Verifies(signedBy) }

// Candidate is one committed snapshot and who verified it.
type Candidate struct {
	Partition datasets.Partition `json:"partition"`
	// SignedBy is the snapshots table's signed_by: the keys whose
	// signatures were verified when it was taken (empty: none was).
	SignedBy []string `json:"signed_by,omitempty"`
	// Unreadable says why SignedBy could not be read; such a snapshot
	// counts as unverified.
	Unreadable string `json:"unreadable,omitempty"`
}

// notVerified marks a signer a format reported without checking its
// signature (apk without keys).
const notVerified = " (not verified)"

// Verified are the keys that verified the snapshot.
func (c Candidate) Verified() []string {
	var out []string
	for _, s := range c.SignedBy {
		if !strings.HasSuffix(s, notVerified) {
			out = append(out, s)
		}
	}
	return out
}

// Verification says in words how the snapshot was verified: "signed by
// <key>[, <key>]" or "unverified".
func (c Candidate) Verification() string {
	switch v := c.Verified(); {
	case c.Unreadable != "":
		return "unverified (its snapshots file cannot be read: " + c.Unreadable + ")"
	case len(v) == 0:
		return "unverified"
	default:
		return "signed by " + strings.Join(v, ", ")
	}
}

func (c Candidate) String() string {
	return c.Partition.Distro + "/" + c.Partition.Release + "/" + c.Partition.Snapshot
}

// Located is the snapshot a name resolved to, how it was verified, and the
// newer snapshots of the name that the trust refused.
type Located struct {
	Candidate
	// Trust is what it was located under; nil took any snapshot (runs
	// started before comparisons checked verification).
	Trust *Trust `json:"trust,omitempty"`
	// Trusted is true when one of the Trust's keys verified it.
	Trusted bool `json:"trusted"`
	// PassedOver are the snapshots of the name the trust refused, newest
	// first; at most maxPassedOver of them.
	PassedOver []Candidate `json:"passed_over,omitempty"`
	// Snapshotted is true when the comparison took the snapshot itself,
	// having found none committed that it could use.
	Snapshotted bool `json:"snapshotted,omitempty"`
}

// Describe says which snapshot a comparison side used and why it may be
// used: "verified by …", or unverified and taken because it was allowed.
func (l Located) Describe() string {
	out := l.String() + ": "
	switch {
	case l.Trusted && l.Trust != nil:
		out += "verified, " + l.Verification() + ", " + l.Trust.By
	case l.Trust == nil:
		out += l.Verification()
	case len(l.Verified()) > 0 && l.Trust.By != "":
		out += l.Verification() + ", NOT " + l.Trust.By + "; taken because unverified snapshots are allowed"
	case len(l.Verified()) > 0:
		out += l.Verification() + "; taken because unverified snapshots are allowed"
	default:
		out += "UNVERIFIED; taken because unverified snapshots are allowed"
	}
	if l.Snapshotted {
		out += " (snapshotted for this comparison)"
	}
	return out
}

// Refusal is the error of a side that found only snapshots the trust
// refuses, and nothing to snapshot instead.
func (t Trust) Refusal(name string, passed []Candidate) error {
	var ids []string
	for _, c := range passed {
		ids = append(ids, c.Partition.Snapshot+" ("+c.Verification()+")")
	}
	return fmt.Errorf("compare: no snapshot of %s verified by %s: passed over %s; compare --allow-unverified uses them",
		name, t.By, strings.Join(ids, ", "))
}

// maxPassedOver bounds the snapshots a Located lists as passed over: a
// mirror that publishes a new impostor every hour should not make every
// result grow.
const maxPassedOver = 10

// Find locates a committed snapshot by its names, as Locate does, under a
// trust: the newest one trust accepts (any, when trust is nil), with what
// verified it and the newer ones it passed over. found is false when there
// is none; PassedOver then lists those refused.
func (s Storage) Find(ctx context.Context, distro, release, snapshot string, trust *Trust) (l Located, found bool, err error) {
	all, err := s.committed(ctx, distro, release, snapshot)
	if err != nil {
		return Located{}, false, err
	}
	l.Trust = trust
	for _, p := range all {
		c, err := s.candidate(ctx, p)
		if err != nil {
			return Located{}, false, err
		}
		if trust == nil || trust.Accepts(c.Verified()) {
			l.Candidate = c
			l.Trusted = trust != nil && trust.Verifies(c.Verified())
			return l, true, nil
		}
		if len(l.PassedOver) < maxPassedOver {
			l.PassedOver = append(l.PassedOver, c)
		}
	}
	return l, false, nil
}

// maxSnapshotsObject bounds the snapshots data object read to learn who
// verified a snapshot: it holds one small row per index.
const maxSnapshotsObject = 16 << 20

// candidate reads who verified snapshot p from its snapshots table. A file
// that cannot be read makes the snapshot unverified rather than failing the
// search: one broken snapshot must not hide the others.
func (s Storage) candidate(ctx context.Context, p datasets.Partition) (Candidate, error) {
	c := Candidate{Partition: p}
	signers, err := s.SignedBy(ctx, p)
	if err != nil {
		if ctx.Err() != nil {
			return c, ctx.Err()
		}
		c.Unreadable = err.Error()
		return c, nil
	}
	c.SignedBy = signers
	return c, nil
}

// SignedBy reads the snapshots table's signed_by of committed snapshot p:
// the keys whose signatures were verified when it was taken, in the order
// first seen (every row repeats the Release's signers).
func (s Storage) SignedBy(ctx context.Context, p datasets.Partition) ([]string, error) {
	// Through the manifest, checked: signed_by decides what a comparison
	// may use, so a flipped bit must not turn into another key.
	key := datasets.Snapshots.ManifestKey(p)
	m, ok, err := datasets.Committed(ctx, s.Store, datasets.Snapshots, p)
	if err != nil {
		return nil, loadError(err)
	}
	if !ok {
		return nil, fmt.Errorf("compare: %s: %w", key, store.ErrNotFound)
	}
	if len(m.Files) != 1 {
		return nil, fmt.Errorf("compare: %s: %w: lists %d files, want 1", key, ErrCorrupt, len(m.Files))
	}
	key = m.Files[0].Key
	data, err := datasets.ReadFile(ctx, s.Store, m.Files[0], maxSnapshotsObject)
	if err != nil {
		return nil, loadError(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("compare: %s: %w: %v", key, ErrCorrupt, err)
	}
	r := parquet.NewGenericReader[datasets.SnapshotRow](f)
	defer r.Close()
	var signers []string
	rows := make([]datasets.SnapshotRow, 64)
	for {
		n, err := r.Read(rows)
		for _, row := range rows[:n] {
			for _, sb := range row.SignedBy {
				if !slices.Contains(signers, sb) {
					signers = append(signers, sb)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return signers, nil
		}
		if err != nil {
			return nil, fmt.Errorf("compare: %s: %w: %v", key, ErrCorrupt, err)
		}
	}
}
