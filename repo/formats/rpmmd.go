package formats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/openpgp"
	"github.com/distroscope/distroscope/ecosystem/rpm"
	"github.com/distroscope/distroscope/ecosystem/rpm/primarydb"
	"github.com/distroscope/distroscope/repo"
)

// RPMMD is the rpm-md repository format (Fedora, RHEL and rebuilds,
// openSUSE) as a repo.Source. Each component × architecture is one
// repository with its own repodata/repomd.xml.
type RPMMD struct{}

var _ repo.Source = RPMMD{}

// DefaultRPMMDTemplate locates a repository when the spec names none.
const DefaultRPMMDTemplate = "{mirror}/{suite}/{component}/{arch}/os"

const maxRepomdBytes = 8 << 20

// Resolve fetches every repomd.xml, verifies its detached signature when the
// spec names a keyring, and picks the primary metadata (XML, else sqlite).
// A repomd.xml the mirror does not have is ErrNoSuchSuite.
func (RPMMD) Resolve(ctx context.Context, f *repo.Fetcher, spec repo.Spec, now time.Time) (*repo.Resolved, error) {
	if err := repo.ValidateSpec(spec); err != nil {
		return nil, err
	}
	tmpl := template(spec, DefaultRPMMDTemplate)
	h := sha256.New()
	var newest time.Time
	res := &repo.Resolved{Source: spec, Origin: spec.Distro, Suite: spec.Suite, Version: spec.Suite}
	for _, comp := range spec.Components {
		for _, arch := range spec.Architectures {
			base := strings.TrimRight(spec.Expand(tmpl, comp, arch), "/")
			mdURL := base + "/repodata/repomd.xml"
			data, err := f.ReadAll(ctx, mdURL, maxRepomdBytes)
			if errors.Is(err, repo.ErrNotFound) {
				return nil, noSuchIndex("rpm-md repository for "+names(spec, comp, arch), err)
			}
			if err != nil {
				return nil, err
			}
			if len(spec.SignedBy) > 0 || spec.SignedByInline != "" {
				signers, err := verifyRepomd(ctx, f, spec, mdURL, data, now)
				if err != nil {
					return nil, err
				}
				res.Signers = append(res.Signers, signers...)
			}
			md, err := rpm.ParseRepomd(bytes.NewReader(data), mdURL)
			if err != nil {
				return nil, repo.Corrupt(err)
			}
			d, ok := md.Primary()
			if !ok {
				return nil, repo.Corrupt(fmt.Errorf("formats: %s lists no primary metadata", mdURL))
			}
			if d.Checksum.Type != "sha256" {
				return nil, repo.Corrupt(fmt.Errorf("formats: %s: primary checksum is %s; only sha256 is verified", mdURL, ecosystem.Quote(d.Checksum.Type)))
			}
			compression := repo.Compression(d.Compression())
			if compression == "zck" {
				return nil, repo.Invalid(fmt.Errorf("formats: %s: the primary is zchunk only", mdURL))
			}
			for _, rec := range md.Data {
				if rec.Timestamp.After(newest) {
					newest = rec.Timestamp
				}
			}
			h.Write([]byte(sum(data)))
			loc := base + "/" + d.Location
			if d.LocationBase != "" {
				loc = strings.TrimRight(d.LocationBase, "/") + "/" + d.Location
			}
			ix := repo.Index{Component: comp, Architecture: arch, Candidates: []repo.Candidate{{
				URL: loc, Path: d.Location, Compression: compression, Size: d.Size, SHA256: d.Checksum.Value,
			}}}
			// What repomd.xml says the decompressed primary is bounds and
			// checks it, as a Release's plain Packages entry does.
			if d.OpenSize > 0 {
				ix.UncompressedSize = d.OpenSize
			}
			if d.OpenChecksum.Type == "sha256" {
				ix.UncompressedSHA256 = d.OpenChecksum.Value
			}
			ix.Extra = map[string]string{}
			if d.IsDatabase() {
				ix.Extra["kind"] = "primary_db"
			}
			if spec.WithFiles && !d.IsDatabase() {
				fl, ok := md.Find("filelists")
				if !ok || fl.Checksum.Type != "sha256" {
					return nil, repo.Corrupt(fmt.Errorf("formats: %s: files were asked for but there is no sha256-checked filelists", mdURL))
				}
				ix.Extra["filelists_url"] = base + "/" + fl.Location
				ix.Extra["filelists_sha256"] = fl.Checksum.Value
				ix.Extra["filelists_size"] = fmt.Sprint(fl.Size)
				ix.Extra["filelists_compression"] = fl.Compression()
				if fl.OpenSize > 0 {
					ix.Extra["filelists_open_size"] = fmt.Sprint(fl.OpenSize)
				}
				if fl.OpenChecksum.Type == "sha256" {
					ix.Extra["filelists_open_sha256"] = fl.OpenChecksum.Value
				}
			}
			res.Indexes = append(res.Indexes, ix)
			if res.ReleaseURL == "" {
				res.ReleaseURL = mdURL
			}
		}
	}
	p, err := partitionFor(spec, newest, h)
	if err != nil {
		return nil, err
	}
	res.Partition, res.Date, res.ReleaseSHA256 = p, newest.UTC(), fmt.Sprintf("%x", h.Sum(nil))
	return res, nil
}

// verifyRepomd checks repomd.xml.asc against the spec's keyring.
func verifyRepomd(ctx context.Context, f *repo.Fetcher, spec repo.Spec, mdURL string, data []byte, now time.Time) ([]string, error) {
	sig, err := f.ReadAll(ctx, mdURL+".asc", 1<<20)
	if errors.Is(err, repo.ErrNotFound) {
		if spec.AllowUnsigned {
			return nil, nil
		}
		return nil, repo.Corrupt(fmt.Errorf("formats: %s is unsigned (no repomd.xml.asc) but a keyring is configured; pass --allow-unsigned to take it anyway", mdURL))
	}
	if err != nil {
		return nil, err
	}
	var inline []byte
	if spec.SignedByInline != "" {
		inline = []byte(spec.SignedByInline)
	}
	kr, err := openpgp.LoadKeyring(spec.SignedBy, inline)
	if err != nil {
		return nil, repo.Invalid(fmt.Errorf("formats: keyring for %s: %w", mdURL, err))
	}
	res, err := rpm.VerifySignature(data, sig, kr, now)
	if err != nil {
		if spec.AllowUnsigned {
			return nil, nil
		}
		return nil, repo.Corrupt(fmt.Errorf("formats: %s: %w", mdURL, err))
	}
	return res.Good, nil
}

// Parse reads primary XML as it streams, or spools a primary sqlite
// database to a temporary file first (sqlite needs random access).
func (RPMMD) Parse(ctx context.Context, r io.Reader, name string, ix repo.Index, emit func(*datasets.PackageRow) error) (retErr error) {
	var pr rpm.PackageReader
	if ix.Extra["kind"] == "primary_db" {
		db, err := primarydb.Spool(ctx, r, name, "", repo.MaxUncompressed(ctx))
		if err != nil {
			return err
		}
		defer db.Close()
		pr = db
	} else {
		pr = rpm.NewPrimaryReader(r, name)
	}
	if u := ix.Extra["filelists_url"]; u != "" {
		fl, check, err := openFilelists(ctx, ix)
		if err != nil {
			return err
		}
		defer fl.Close()
		pr = rpm.JoinFilelists(pr, rpm.NewFilelistsReader(fl, u))
		defer func() {
			if err := check(); err != nil && retErr == nil {
				retErr = err
			}
		}()
	}
	for {
		p, err := pr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		row := rpmRow(p)
		if err := emit(&row); err != nil {
			return err
		}
	}
}

// openFilelists streams the index's filelists next to its primary: the
// two are joined package by package. What it decompresses to is bounded as
// the primary is: by the ingest's limit, lowered by repomd.xml's open-size.
// The returned check verifies, once the join has read everything, that the
// bytes fetched match repomd.xml's size and SHA256, and what they
// decompressed to its open-size and open-checksum; until then rows are only
// staged, so a mismatch still fails the ingest before anything is
// committed.
func openFilelists(ctx context.Context, ix repo.Index) (io.ReadCloser, func() error, error) {
	u := ix.Extra["filelists_url"]
	size, err := strconv.ParseInt(ix.Extra["filelists_size"], 10, 64)
	if err != nil {
		return nil, nil, repo.Invalid(fmt.Errorf("formats: %s: bad size %s", u, ecosystem.Quote(ix.Extra["filelists_size"])))
	}
	limit := repo.MaxUncompressed(ctx)
	var openSize int64
	if v := ix.Extra["filelists_open_size"]; v != "" {
		if openSize, err = strconv.ParseInt(v, 10, 64); err != nil || openSize < 0 {
			return nil, nil, repo.Invalid(fmt.Errorf("formats: %s: bad open size %s", u, ecosystem.Quote(v)))
		}
	}
	if openSize > limit {
		return nil, nil, repo.Corrupt(fmt.Errorf("formats: %s: repomd.xml says it decompresses to %d bytes, more than the limit of %d", u, openSize, limit))
	}
	maxPlain := limit
	if openSize > 0 {
		maxPlain = openSize
	}
	body, _, err := repo.DefaultFetcher().Open(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(io.LimitReader(body, size+1), h)}
	dec, closeDec, err := repo.Decompressor(repo.Compression(ix.Extra["filelists_compression"]), counted)
	if err != nil {
		body.Close()
		return nil, nil, err
	}
	plain := &boundedReader{r: dec, left: maxPlain, h: sha256.New(),
		err: repo.Corrupt(fmt.Errorf("formats: %s: decompresses to more than %d bytes (repomd.xml's open-size, or the limit)", u, maxPlain))}
	check := func() error {
		if _, err := io.Copy(io.Discard, counted); err != nil {
			return fmt.Errorf("formats: %s: %w", u, err)
		}
		if counted.n != size {
			return repo.Corrupt(fmt.Errorf("formats: %s: got %d bytes, repomd.xml says %d", u, counted.n, size))
		}
		if got := fmt.Sprintf("%x", h.Sum(nil)); got != ix.Extra["filelists_sha256"] {
			return repo.Corrupt(fmt.Errorf("formats: %s: SHA256 %s does not match repomd.xml's %s", u, got, ix.Extra["filelists_sha256"]))
		}
		if openSize > 0 && plain.n != openSize {
			return repo.Corrupt(fmt.Errorf("formats: %s: decompresses to %d bytes, repomd.xml says %d", u, plain.n, openSize))
		}
		if want := ix.Extra["filelists_open_sha256"]; want != "" {
			if got := fmt.Sprintf("%x", plain.h.Sum(nil)); got != want {
				return repo.Corrupt(fmt.Errorf("formats: %s: decompresses to bytes whose SHA256 %s does not match repomd.xml's open-checksum %s", u, got, want))
			}
		}
		return nil
	}
	return readCloser{plain, func() error { closeDec(); return body.Close() }}, check, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// boundedReader hashes and counts what it reads, and fails with err once
// more than left bytes have come through.
type boundedReader struct {
	r    io.Reader
	left int64
	n    int64
	h    hash.Hash
	err  error
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.h.Write(p[:n])
	b.n += int64(n)
	b.left -= int64(n)
	if b.left < 0 {
		return n, b.err
	}
	return n, err
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
