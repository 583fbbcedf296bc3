package formats

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/distroscope/distroscope/apkindex"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
)

// APK is Alpine's APKINDEX format as a repo.Source. Each component is an
// Alpine repository (main, community) of a branch (the suite: v3.20, edge).
type APK struct{}

var _ repo.Source = APK{}

// DefaultAPKTemplate is Alpine's mirror layout.
const DefaultAPKTemplate = "{mirror}/{suite}/{component}/{arch}/APKINDEX.tar.gz"

// Resolve fetches each APKINDEX once to learn its hash, its signing keys
// (recognised and reported, not verified: the key is the distribution's RSA
// key, which a catalogue does not carry yet) and its newest build time, the
// snapshot's date. The ingest fetches it again and must get the same bytes.
func (APK) Resolve(ctx context.Context, f *repo.Fetcher, spec repo.Spec, now time.Time) (*repo.Resolved, error) {
	return resolveWholeFiles(ctx, f, spec, template(spec, DefaultAPKTemplate), "/APKINDEX.tar.gz", nil, func(data []byte, u string) (time.Time, []string, error) {
		var newest time.Time
		rd, err := apkindex.NewReader(bytes.NewReader(data), u)
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
		var signers []string
		for _, s := range rd.Signatures() {
			signers = append(signers, s.KeyName+" (not verified)")
		}
		return newest, signers, nil
	})
}

// Parse reads an APKINDEX.tar.gz as served (its gzip members are the
// format's own structure, so the pipeline passes it through undecoded).
func (APK) Parse(ctx context.Context, r io.Reader, name string, ix repo.Index, emit func(*datasets.PackageRow) error) error {
	rd, err := apkindex.NewReader(r, name)
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
		row := p.Row()
		if err := emit(&row); err != nil {
			return err
		}
	}
}
