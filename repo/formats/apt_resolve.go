package formats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/deb"
	"github.com/distroscope/distroscope/repo"
)

// maxReleaseBytes bounds InRelease/Release: Debian's largest are ~200 KB.
const maxReleaseBytes = 32 << 20

// Resolve implements repo.Source: it fetches and verifies the suite's Release and picks its indexes.
// It fails with ErrCorrupt for unsigned or badly signed metadata (unless
// AllowUnsigned), an expired Valid-Until (unless AllowExpired), a Release
// that does not parse, or components and architectures it does not offer;
// with ErrNoSuchSuite (an ErrInvalidSource) when the mirror has neither
// InRelease nor Release for the suite. Signatures, keys and Valid-Until
// are checked at now, or as of the spec's VerifyAsOf when it has one (a
// dated archive's Release, signed by a key that has expired since).
func (Apt) Resolve(ctx context.Context, f *repo.Fetcher, src repo.Spec, now time.Time) (*repo.Resolved, error) {
	now = src.VerificationTime(now)
	if src.Mirror == "" || src.Suite == "" {
		return nil, repo.Invalid(fmt.Errorf("apt: a source needs a mirror and a suite"))
	}
	if len(src.Components) == 0 || len(src.Architectures) == 0 {
		return nil, repo.Invalid(fmt.Errorf("apt: %s: name at least one component and one architecture", src.Suite))
	}
	body, releaseURL, signers, err := fetchRelease(ctx, f, src, now)
	if err != nil {
		return nil, err
	}
	rel, err := deb.ParseRelease(bytes.NewReader(body))
	if err != nil {
		return nil, repo.Corrupt(fmt.Errorf("apt: %s: %w", releaseURL, err))
	}
	if !rel.ValidUntil.IsZero() && now.After(rel.ValidUntil) && !src.AllowExpired {
		return nil, repo.Corrupt(fmt.Errorf("apt: %s expired at %s (Valid-Until%s); pass --allow-expired to snapshot it anyway",
			releaseURL, rel.ValidUntil.UTC().Format(time.RFC3339), asOf(src)))
	}
	if rel.Date.IsZero() {
		return nil, repo.Corrupt(fmt.Errorf("apt: %s has no Date field", releaseURL))
	}
	sum := sha256.Sum256(body)
	releaseHash := hex.EncodeToString(sum[:])
	distro := datasets.Normalize(rel.Origin)
	if distro == "" {
		distro = datasets.Normalize(rel.Label)
	}
	release := datasets.Normalize(rel.Codename)
	if release == "" {
		release = datasets.Normalize(rel.Suite)
	}
	if release == "" {
		release = datasets.Normalize(src.Suite)
	}
	part := datasets.Partition{Distro: distro, Release: release, Snapshot: datasets.SnapshotID(rel.Date, releaseHash)}
	if part.Validate() != nil {
		// Validate's message repeats the hostile value whole (a 5,000-byte
		// Origin was printed twice); the rule it applies is said here.
		return nil, repo.Corrupt(fmt.Errorf("apt: %s: Origin %s and Codename %s do not name a snapshot (distro %s, release %s: letters, digits and ._+~-, at most 128)",
			releaseURL, ecosystem.Quote(rel.Origin), ecosystem.Quote(rel.Codename), ecosystem.Quote(part.Distro), ecosystem.Quote(part.Release)))
	}
	order := src.CompressionOrder
	if len(order) == 0 {
		order = repo.DefaultCompressionOrder
	}
	res := &repo.Resolved{
		Source: src, Partition: part,
		Origin: rel.Origin, Label: rel.Label, Suite: rel.Suite, Codename: rel.Codename, Version: rel.Version,
		Date: rel.Date.UTC(), ValidUntil: rel.ValidUntil.UTC(), ReleaseSHA256: releaseHash, ReleaseURL: releaseURL,
		Signers: signers, VerifiedAsOf: now.UTC(),
	}
	if rel.ValidUntil.IsZero() {
		res.ValidUntil = time.Time{}
	}
	for _, comp := range src.Components {
		if len(rel.Components) > 0 && !slices.Contains(rel.Components, comp) && !slices.ContainsFunc(rel.Components, func(c string) bool { return strings.HasSuffix(c, "/"+comp) }) {
			return nil, repo.Corrupt(fmt.Errorf("apt: %s offers components %s, not %q", releaseURL, ecosystem.Quote(strings.Join(rel.Components, " ")), comp))
		}
		for _, arch := range src.Architectures {
			if len(rel.Architectures) > 0 && !slices.Contains(rel.Architectures, arch) {
				return nil, repo.Corrupt(fmt.Errorf("apt: %s offers architectures %s, not %q", releaseURL, ecosystem.Quote(strings.Join(rel.Architectures, " ")), arch))
			}
			ix, err := pickIndex(rel, src, comp, arch, order)
			if err != nil {
				return nil, repo.Corrupt(fmt.Errorf("apt: %s: %w", releaseURL, err))
			}
			res.Indexes = append(res.Indexes, ix)
		}
	}
	return res, nil
}

// asOf says, in an expiry message, the time a backfill checked at.
func asOf(src repo.Spec) string {
	if src.VerifyAsOf.IsZero() {
		return ""
	}
	return ", checked as of " + src.VerifyAsOf.UTC().Format(time.RFC3339)
}

func pickIndex(rel *deb.Release, src repo.Spec, comp, arch string, order []repo.Compression) (repo.Index, error) {
	base := comp + "/binary-" + arch + "/Packages"
	ix := repo.Index{Component: comp, Architecture: arch}
	if plain, ok := rel.File(base); ok && plain.SHA256 != "" {
		ix.UncompressedSize, ix.UncompressedSHA256 = plain.Size, plain.SHA256
	}
	for _, c := range order {
		rf, ok := rel.File(base + c.Suffix())
		if !ok || rf.SHA256 == "" {
			continue
		}
		cand := repo.Candidate{Path: rf.Path, Compression: c, Size: rf.Size, SHA256: rf.SHA256}
		if rel.AcquireByHash {
			// by-hash names cannot change under us while the mirror
			// updates, so they come first; but partial mirrors and some
			// mirroring tools do not copy by-hash/, and apt then falls back
			// to the canonical name, verified against the same size and
			// hash — so does Ingest, with the next candidate.
			cand.URL = repo.JoinURL(src.Mirror, "dists", src.Suite, comp, "binary-"+arch, "by-hash", "SHA256", rf.SHA256)
			ix.Candidates = append(ix.Candidates, cand)
		}
		cand.URL = repo.JoinURL(src.Mirror, "dists", src.Suite, rf.Path)
		ix.Candidates = append(ix.Candidates, cand)
	}
	if len(ix.Candidates) == 0 {
		return ix, fmt.Errorf("the Release lists no Packages index with a SHA256 for %s/binary-%s", comp, arch)
	}
	return ix, nil
}

func fetchRelease(ctx context.Context, f *repo.Fetcher, src repo.Spec, now time.Time) (body []byte, from string, signers []string, err error) {
	kr, krErr := loadKeyring(src)
	if krErr != nil && !src.AllowUnsigned {
		return nil, "", nil, repo.Invalid(fmt.Errorf("apt: keyring for %s: %w", src.Suite, krErr))
	}
	inURL := repo.JoinURL(src.Mirror, "dists", src.Suite, "InRelease")
	data, err := f.ReadAll(ctx, inURL, maxReleaseBytes)
	switch {
	case err == nil:
		if src.AllowUnsigned {
			body, signers, verr := verifyInRelease(data, kr, krErr, now)
			if verr == nil {
				return body, inURL, signers, nil
			}
			body, err := extractCleartext(data)
			if err != nil {
				return nil, "", nil, repo.Corrupt(fmt.Errorf("apt: %s: %w", inURL, err))
			}
			return body, inURL, nil, nil
		}
		body, signers, err := verifyInRelease(data, kr, krErr, now)
		if err != nil {
			return nil, "", nil, repo.Corrupt(fmt.Errorf("apt: %s: %w", inURL, err))
		}
		return body, inURL, signers, nil
	case !errors.Is(err, repo.ErrNotFound):
		return nil, "", nil, err
	}
	inErr := err
	relURL := repo.JoinURL(src.Mirror, "dists", src.Suite, "Release")
	body, err = f.ReadAll(ctx, relURL, maxReleaseBytes)
	if errors.Is(err, repo.ErrNotFound) {
		return nil, "", nil, noSuchSuite(src, inErr, err)
	}
	if err != nil {
		return nil, "", nil, err
	}
	sig, err := f.ReadAll(ctx, relURL+".gpg", 1<<20)
	if errors.Is(err, repo.ErrNotFound) {
		if src.AllowUnsigned {
			return body, relURL, nil, nil
		}
		return nil, "", nil, repo.Corrupt(fmt.Errorf("apt: %s is unsigned (no InRelease, no Release.gpg); pass --allow-unsigned to snapshot it anyway", relURL))
	}
	if err != nil {
		return nil, "", nil, err
	}
	signers, err = verifyDetached(body, sig, kr, krErr, now)
	if err != nil {
		if src.AllowUnsigned {
			return body, relURL, nil, nil
		}
		return nil, "", nil, repo.Corrupt(fmt.Errorf("apt: %s: %w", relURL, err))
	}
	return body, relURL, signers, nil
}

// noSuchSuite is the answer of a mirror that has neither InRelease nor
// Release for the suite: a misspelt suite or a mirror URL that points at the
// wrong folder, which no retry will fix.
func noSuchSuite(src repo.Spec, inReleaseErr, releaseErr error) error {
	status := func(err error) string {
		var fe *repo.FetchError
		if errors.As(err, &fe) && fe.StatusCode != 0 {
			return strconv.Itoa(fe.StatusCode)
		}
		return "not found"
	}
	answer := "InRelease and Release: " + status(releaseErr)
	if in := status(inReleaseErr); in != status(releaseErr) {
		answer = "InRelease: " + in + ", Release: " + status(releaseErr)
	}
	return repo.NoSuchSuite(fmt.Errorf("apt: no suite %q on %s (dists/%s/%s)",
		src.Suite, strings.TrimRight(src.Mirror, "/"), src.Suite, answer))
}
