package formats

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/apk"
	"github.com/distroscope/distroscope/repo"
)

// APK is Alpine's APKINDEX format as a repo.Source. Each component is an
// Alpine repository (main, community) of a branch (the suite: v3.20, edge).
type APK struct{}

var _ repo.Source = APK{}

// DefaultAPKTemplate is Alpine's mirror layout.
const DefaultAPKTemplate = "{mirror}/{suite}/{component}/{arch}/APKINDEX.tar.gz"

// Resolve fetches each APKINDEX once to learn its hash, its newest build
// time (the snapshot's date) and its signature. The ingest fetches it
// again and must get the same bytes, so what Resolve verified is what is
// ingested.
//
// With keys (spec.SignedBy: apk public key files, as /etc/apk/keys holds
// them, each named as its signatures name it), an index must carry a
// signature by one of them that verifies, as apk requires; a bad or
// missing one is corrupt metadata. Without keys the signing keys are only
// reported, marked "not verified".
func (APK) Resolve(ctx context.Context, f *repo.Fetcher, spec repo.Spec, now time.Time) (*repo.Resolved, error) {
	keys, err := apkKeys(spec.SignedBy)
	if err != nil {
		return nil, repo.Invalid(err)
	}
	return resolveWholeFiles(ctx, f, spec, "APKINDEX", template(spec, DefaultAPKTemplate), "/APKINDEX.tar.gz", nil, func(open func() io.Reader, u string) (time.Time, []string, error) {
		var newest time.Time
		rd, err := apk.NewReader(open(), u, apk.WithMaxSize(repo.MaxUncompressed(ctx)))
		if err != nil {
			return newest, nil, err
		}
		for {
			p, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return newest, nil, err
			}
			if t := time.Unix(p.BuildTime, 0); p.BuildTime > 0 && t.After(newest) {
				newest = t
			}
		}
		if len(keys) > 0 {
			sig, err := apk.Verify(open(), u, keys)
			if err != nil {
				return newest, nil, err
			}
			return newest, []string{sig.KeyName}, nil
		}
		var signers []string
		for _, s := range rd.Signatures() {
			signers = append(signers, s.KeyName+" (not verified)")
		}
		return newest, signers, nil
	})
}

// apkKeys reads apk public key files, keyed by file name: the name a
// signature member (.SIGN.RSA.<name>) gives its key.
func apkKeys(files []string) (map[string]*rsa.PublicKey, error) {
	if len(files) == 0 {
		return nil, nil
	}
	keys := make(map[string]*rsa.PublicKey, len(files))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("formats: apk key: %w", err)
		}
		key, err := apk.ParsePublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("formats: apk key %s: %w", file, err)
		}
		keys[filepath.Base(file)] = key
	}
	return keys, nil
}

// Parse reads an APKINDEX.tar.gz as served (its gzip members are the
// format's own structure, so the pipeline passes it through undecoded),
// decompressing at most the ingest's limit (repo.MaxUncompressed).
func (APK) Parse(ctx context.Context, r io.Reader, name string, ix repo.Index, emit func(*datasets.PackageRow) error) error {
	rd, err := apk.NewReader(r, name, apk.WithMaxSize(repo.MaxUncompressed(ctx)))
	if err != nil {
		return err
	}
	for {
		p, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		row := apkRow(p)
		if err := emit(&row); err != nil {
			return err
		}
	}
}
