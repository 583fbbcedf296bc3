package repo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
)

// Format names a repository format.
type Format string

const (
	FormatApt   Format = "apt"    // Debian/Ubuntu: dists/<suite>/InRelease + Packages
	FormatRPMMD Format = "rpm-md" // Fedora, RHEL, openSUSE: repodata/repomd.xml + primary
	FormatAPK   Format = "apk"    // Alpine: APKINDEX.tar.gz
	FormatALPM  Format = "alpm"   // Arch and derivatives: <repo>.db
)

// Spec is one thing to snapshot: a suite (or release, or branch) of one
// mirror in one format, for some components (repositories) and
// architectures. Only what a format uses is read.
type Spec struct {
	// Format is "" or "apt" for apt repositories.
	Format Format `json:"format,omitempty"`
	// Distro and Release name the partition for formats whose metadata
	// does not (rpm-md, apk, alpm); apt takes them from the Release file.
	Distro  string `json:"distro,omitempty"`
	Release string `json:"release,omitempty"`
	Mirror  string `json:"mirror"` // base URL
	Suite   string `json:"suite"`  // apt suite; rpm-md release path; apk branch; alpm "rolling"
	// Components are apt components, rpm-md repositories (Everything,
	// updates), apk repositories (main, community), pacman repositories
	// (core, extra).
	Components    []string `json:"components"`
	Architectures []string `json:"architectures"`
	// URLTemplate overrides the format's default location of an index or of
	// repodata, with {mirror} {suite} {component} {arch} placeholders.
	URLTemplate string `json:"url_template,omitempty"`
	// SignedBy are keyring files (binary or armored) trusted for this
	// source, as apt's Signed-By. Empty means apt's own trusted keyrings
	// under AptRoot (apt), or no signature check (rpm-md, whose repomd.xml is
	// rarely signed; packages are).
	SignedBy []string `json:"signed_by,omitempty"`
	// SignedByInline is an armored key block given inline (deb822 Signed-By).
	SignedByInline string `json:"signed_by_inline,omitempty"`
	// SignedByFingerprints narrows the keyring to these keys, as apt's
	// Signed-By fingerprints do.
	SignedByFingerprints []string `json:"signed_by_fingerprints,omitempty"`
	// AptRoot is the root whose etc/apt/trusted.gpg* apt would trust ("/").
	AptRoot       string `json:"apt_root,omitempty"`
	AllowUnsigned bool   `json:"allow_unsigned,omitempty"`
	AllowExpired  bool   `json:"allow_expired,omitempty"`
	// CompressionOrder overrides DefaultCompressionOrder.
	CompressionOrder []Compression `json:"compression_order,omitempty"`
	// MinPackages is the sanity guard borrowed from Repology: a snapshot
	// with fewer rows is treated as truncated input and not committed.
	MinPackages int64 `json:"min_packages,omitempty"`
	// WithFiles asks formats that can (rpm-md filelists, pacman .files) to
	// fill the files column.
	WithFiles bool `json:"with_files,omitempty"`
	// Archive is the URL of the source's dated archive, with {date}
	// (ArchiveDateLayout, UTC) where a snapshot archive puts its timestamp:
	// the mirror as it was at that time. Only backfills read it (AtDate).
	Archive string `json:"archive,omitempty"`
	// VerifyAsOf, when set, is the time signatures, keys and Valid-Until
	// are checked at instead of now: a backfill verifies an archived
	// Release as of the date the archive served it, when its key and
	// Valid-Until were current, not as of today (VerificationTime).
	VerifyAsOf time.Time `json:"verify_as_of,omitzero"`
}

// FormatOrApt is the spec's format, apt when unset.
func (s Spec) FormatOrApt() Format {
	if s.Format == "" {
		return FormatApt
	}
	return s.Format
}

// Expand fills a URL template.
func (s Spec) Expand(tmpl, component, arch string) string {
	r := strings.NewReplacer("{mirror}", strings.TrimRight(s.Mirror, "/"), "{suite}", s.Suite,
		"{component}", component, "{arch}", arch)
	return r.Replace(tmpl)
}

// Candidate is one way to fetch an index: a URL and what it must match.
// SHA256 is empty for formats whose metadata lists no hash (apk, alpm): the
// size then still bounds the read. A URL whose last element holds SHA256
// (apt's by-hash, rpm-md's hashed locations) is content-addressed: Ingest
// streams it and takes a mismatch as final, while any other name may be
// mid-sync and is fetched again first.
type Candidate struct {
	URL         string      `json:"url"`
	Path        string      `json:"path"` // as named in the metadata
	Compression Compression `json:"compression"`
	Size        int64       `json:"size"`
	SHA256      string      `json:"sha256"`
}

// Index is one index of the snapshot (component × architecture), with the
// fetch candidates in order of preference and the uncompressed size the
// metadata gives (zero when it gives none).
type Index struct {
	Component          string      `json:"component"`
	Architecture       string      `json:"architecture"`
	Candidates         []Candidate `json:"candidates"`
	UncompressedSize   int64       `json:"uncompressed_size,omitempty"`
	UncompressedSHA256 string      `json:"uncompressed_sha256,omitempty"`
	// Extra carries format-specific references an index needs at parse
	// time (rpm-md: the filelists candidate), small and serialisable.
	Extra map[string]string `json:"extra,omitempty"`
}

// Name is "component/architecture", for logs and staged part names.
func (ix Index) Name() string { return ix.Component + "/" + ix.Architecture }

// Resolved is verified metadata and the indexes to fetch: everything a
// snapshot needs, small enough to pass between workflow steps.
type Resolved struct {
	Source        Spec               `json:"source"`
	Partition     datasets.Partition `json:"partition"`
	Origin        string             `json:"origin"`
	Label         string             `json:"label,omitempty"`
	Suite         string             `json:"suite,omitempty"`
	Codename      string             `json:"codename,omitempty"`
	Version       string             `json:"version,omitempty"`
	Date          time.Time          `json:"date"`
	ValidUntil    time.Time          `json:"valid_until,omitzero"`
	ReleaseSHA256 string             `json:"release_sha256"`
	ReleaseURL    string             `json:"release_url"`
	Signers       []string           `json:"signers,omitempty"`
	Indexes       []Index            `json:"indexes"`
	// VerifiedAsOf is the time the Release's signatures and Valid-Until
	// were checked at: the resolve's clock, or the spec's VerifyAsOf.
	VerifiedAsOf time.Time `json:"verified_as_of,omitzero"`
}

// ParseFunc reads one decompressed, verified index and emits its rows; name
// is the file's URL, for error messages. The row passed to emit is copied;
// the parser may reuse it. Component and IndexArchitecture are filled in by
// the caller.
type ParseFunc func(ctx context.Context, r io.Reader, name string, ix Index, emit func(*datasets.PackageRow) error) error

// Source is one repository format.
type Source interface {
	// Resolve fetches and verifies the spec's metadata and lists its
	// indexes. Bad metadata fails with ErrCorrupt, a spec that cannot work
	// with ErrInvalidSource.
	Resolve(ctx context.Context, f *Fetcher, spec Spec, now time.Time) (*Resolved, error)
	// Parse turns one index into rows (see ParseFunc).
	Parse(ctx context.Context, r io.Reader, name string, ix Index, emit func(*datasets.PackageRow) error) error
}

// ValidateSpec checks what every format needs.
func ValidateSpec(s Spec) error {
	if s.Mirror == "" {
		return Invalid(fmt.Errorf("repo: a source needs a mirror"))
	}
	if len(s.Components) == 0 || len(s.Architectures) == 0 {
		return Invalid(fmt.Errorf("repo: %s %s: name at least one component and one architecture", s.FormatOrApt(), s.Suite))
	}
	return nil
}
