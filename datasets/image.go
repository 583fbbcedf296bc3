package datasets

import (
	"fmt"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// ImagePackageRow is one installed package of one analysed image or root
// filesystem, in its ecosystem's database as the last layer left it. The
// layer columns are the "deep-squashed" view: the layer that first added the
// package (as it is now installed: a package removed and installed again
// counts from its return) and the last layer whose database entry for it
// changed (an upgrade, a reinstall, a changed file list).
type ImagePackageRow struct {
	Ecosystem     string `parquet:"ecosystem,dict"`
	Package       string `parquet:"package"`
	Version       string `parquet:"version"`
	Architecture  string `parquet:"architecture,dict"`
	Source        string `parquet:"source,optional"`
	SourceVersion string `parquet:"source_version,optional"`
	// Layers are 0-based in application order; the digests are the layers'
	// uncompressed digests (diff IDs), empty for dir: and file: inputs.
	FirstLayer       int32  `parquet:"first_layer"`
	FirstLayerDigest string `parquet:"first_layer_digest,optional,dict"`
	LastLayer        int32  `parquet:"last_layer"`
	LastLayerDigest  string `parquet:"last_layer_digest,optional,dict"`
	// Counts of the package's owned paths, and of those whose state is not
	// unchanged.
	Files       int64 `parquet:"files"`
	ConfigFiles int64 `parquet:"config_files"`
	Changed     int64 `parquet:"changed_files"`
}

// File states, modelled on apk audit's change codes: unchanged, modified
// (content, size, type or link target differ: apk's U), deleted (D),
// metadata-changed (mode, owner or mtime only: apk's M), not-owned (a file
// under /etc no package owns: apk's A).
const (
	StateUnchanged       = "unchanged"
	StateModified        = "modified"
	StateDeleted         = "deleted"
	StateMetadataChanged = "metadata-changed"
	StateNotOwned        = "not-owned"
)

// ImageFileRow is one path of an analysed image: every path under /etc and
// every path a package owns, including owned paths the image lacks (Type
// "missing", state deleted).
type ImageFileRow struct {
	Path string `parquet:"path"`
	Type string `parquet:"type,dict"` // file, dir, symlink, char, block, fifo, socket, missing
	// Mode, owner and size are 0 for a missing path (not NULL: parquet-go
	// writes an optional zero as NULL, and root's 0 is the commonest id).
	Mode int32 `parquet:"mode"` // permission bits with setuid/setgid/sticky, as chmod takes them
	UID  int64 `parquet:"uid"`
	GID  int64 `parquet:"gid"`
	Size int64 `parquet:"size"`
	// SHA256 is the content's digest (regular files only).
	SHA256 string `parquet:"sha256,optional"`
	Link   string `parquet:"link,optional"`
	// Layer is the layer that last wrote the path (-1 when missing).
	Layer int32 `parquet:"layer"`
	// Package is the owner whose record the state is computed against;
	// Owners lists every owner when several packages own the path (shared
	// directories, Multi-Arch: same files).
	Package   string   `parquet:"package,optional"`
	Ecosystem string   `parquet:"ecosystem,optional,dict"`
	Owners    []string `parquet:"owners,list"`
	Config    bool     `parquet:"config"`
	// Managed names the tool that holds the default when it is not the
	// package manager ("ucf").
	Managed string `parquet:"managed,optional,dict"`
	State   string `parquet:"state,dict"`
	// Changes says what differs, in rpm -V's terms: type, size, digest,
	// link, mode, owner, group, mtime.
	Changes []string `parquet:"changes,list"`
	// Expected is the recorded default digest ("md5:…", "sha256:…").
	Expected string `parquet:"expected_digest,optional"`
}

// ImageSummaryRow is one analysed image: what it was, what was found.
type ImageSummaryRow struct {
	Identity        string    `parquet:"identity"`
	Ref             string    `parquet:"ref"`
	Scheme          string    `parquet:"scheme,dict"`
	Platform        string    `parquet:"platform,optional,dict"`
	Created         time.Time `parquet:"created,optional,timestamp(millisecond)"`
	AnalyzerVersion int32     `parquet:"analyzer_version"`
	// From os-release.
	OSID       string   `parquet:"os_id,optional,dict"`
	OSVersion  string   `parquet:"os_version,optional"`
	Codename   string   `parquet:"codename,optional,dict"`
	PrettyName string   `parquet:"pretty_name,optional"`
	Ecosystems []string `parquet:"ecosystems,list"`
	Layers     int32    `parquet:"layers"`
	Entries    int64    `parquet:"entries"` // paths in the final tree
	Packages   int64    `parquet:"packages"`
	// Files rows by state.
	Files           int64 `parquet:"files"`
	EtcFiles        int64 `parquet:"etc_files"`
	Unchanged       int64 `parquet:"unchanged"`
	Modified        int64 `parquet:"modified"`
	Deleted         int64 `parquet:"deleted"`
	MetadataChanged int64 `parquet:"metadata_changed"`
	NotOwned        int64 `parquet:"not_owned"`
	ConfigChanged   int64 `parquet:"config_changed"`
}

var (
	// ImagePackages is one row per installed package of an image. Its
	// partition is distro=<os-release ID>, release=<codename or version>,
	// snapshot=<identity key> (see ImagePartition).
	ImagePackages = Table{Name: "image_packages", Version: 1, SortColumn: "package", Schema: parquet.SchemaOf(ImagePackageRow{})}
	// ImageFiles is one row per /etc or owned path of an image, partitioned alike.
	ImageFiles = Table{Name: "image_files", Version: 1, SortColumn: "path", Schema: parquet.SchemaOf(ImageFileRow{})}
	// ImageSummaries is one row per image, committed last: it marks the
	// analysis committed.
	ImageSummaries = Table{Name: "image_summaries", Version: 1, SortColumn: "identity", Schema: parquet.SchemaOf(ImageSummaryRow{})}
)

// ImageTables are the tables an image analysis writes, in commit order.
var ImageTables = []Table{ImagePackages, ImageFiles, ImageSummaries}

// ImageKey is the partition value naming one image identity analysed by
// one analyzer version: "sha256:ab…" and 1 give "sha256-ab…~a1". The
// analyzer's version is in the key, so the same input is analysed once per
// version of the code, and a new version never overwrites an old result.
func ImageKey(identity string, analyzer int) string {
	return strings.Replace(identity, ":", "-", 1) + fmt.Sprintf("~a%d", analyzer)
}

// ImagePartition names the partition of one analysis. Distro and release
// come from the image's os-release ("unknown" when it has none).
func ImagePartition(osID, release, key string) Partition {
	if osID = Normalize(osID); osID == "" {
		osID = "unknown"
	}
	if release = Normalize(release); release == "" {
		release = "unknown"
	}
	return Partition{Distro: osID, Release: release, Snapshot: key}
}

// CompareImagePackageRows orders rows by package, architecture, ecosystem.
func CompareImagePackageRows(a, b *ImagePackageRow) int {
	if c := strings.Compare(a.Package, b.Package); c != 0 {
		return c
	}
	if c := strings.Compare(a.Architecture, b.Architecture); c != 0 {
		return c
	}
	return strings.Compare(a.Ecosystem, b.Ecosystem)
}

// CompareImageFileRows orders rows by path.
func CompareImageFileRows(a, b *ImageFileRow) int { return strings.Compare(a.Path, b.Path) }
