package datasets

import (
	"cmp"
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
var ImageTables = []Table{ImagePackages, ImageFiles, ConfigSettings, ImageSummaries}

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

// Sources of a ConfigSettingRow: where its value comes from.
const (
	// SourcePackage: a file a package installed, unchanged from the
	// package's default (dpkg conffile, rpm %config, ucf's record, ...).
	SourcePackage = "package"
	// SourceChanged: a package's file changed in the image (state
	// modified or metadata-changed).
	SourceChanged = "changed"
	// SourceImage: a file no package owns — the image's build wrote it
	// (/etc/hostname, /etc/resolv.conf, a drop-in of its own).
	SourceImage = "image"
	// SourceBuiltin: no file sets the key; the program's own default holds.
	SourceBuiltin = "builtin"
	// SourceProbe: only the probe (a program of the image run in a
	// sandbox, e.g. sshd -T) reported the key.
	SourceProbe = "probe"
)

// ConfigSettingRow is one effective setting of one program in an analysed
// image (see analysis/settings), with where it was set and, when the
// analysis probed the image, what the program itself reported.
type ConfigSettingRow struct {
	Program   string `parquet:"program,dict"`
	Key       string `parquet:"key"`
	Value     string `parquet:"value"`
	Condition string `parquet:"condition,optional"`
	// Topic is the mapping table's name for a setting that distributions
	// keep in different files or programs ("users.default_shell" for
	// useradd's SHELL and login.defs' ...), so that a comparison puts them
	// on one row; "" when the setting is in no mapping.
	Topic string `parquet:"topic,optional,dict"`
	File  string `parquet:"file,optional"`
	// Line is 1-based; 0 for a built-in default or a value a symlink or a
	// directory gives.
	Line int32 `parquet:"line"`
	// Source is package, changed, image, builtin or probe (see the
	// constants); Package is the owner of File when a package owns it.
	Source  string `parquet:"source,dict"`
	Package string `parquet:"package,optional"`
	// Default is the program's compiled-in default for the key, when known.
	Default string `parquet:"default,optional"`
	// Probed is set when a probe ran the program and reported the key;
	// Effective is its value then, and Differs flags Effective != Value.
	Probed    bool   `parquet:"probed"`
	Effective string `parquet:"effective,optional"`
	Differs   bool   `parquet:"differs"`
}

// Kinds of an ImageDiffRow: what differs.
const (
	DiffPackage = "package" // an installed package (Change as package_changes' kinds)
	DiffFile    = "file"    // a path under /etc or owned: state, content or owner differs
	DiffSetting = "setting" // a configuration setting (time zone and locale included)
	DiffInit    = "init"    // the init system
	DiffService = "service" // a service enabled at boot
)

// ImageDiffRow is one difference between two analysed images A and B.
type ImageDiffRow struct {
	Kind string `parquet:"kind,dict"`
	// Change: added (only B), removed (only A), changed; for packages
	// upgraded, downgraded, same-upstream and unmatched as the release
	// comparison spells them.
	Change string `parquet:"change,dict"`
	// Key names the thing: package name (B's, A's when removed), path,
	// "program key" of a setting, unit name of a service; Program and
	// Condition split a setting's; Topic names a mapped setting.
	Key       string `parquet:"key"`
	Program   string `parquet:"program,optional,dict"`
	Condition string `parquet:"condition,optional"`
	Topic     string `parquet:"topic,optional,dict"`
	// APackage is A's name of a package a cross-distro rule paired with B's.
	APackage  string `parquet:"a_package,optional"`
	Ecosystem string `parquet:"ecosystem,optional,dict"`
	// Values on each side: a version, a file's state and digest, a
	// setting's value, a service's target; "" when the side lacks it.
	AValue string `parquet:"a_value,optional"`
	BValue string `parquet:"b_value,optional"`
	// Where each side sets it (settings, files) and the source of its value.
	AFile   string `parquet:"a_file,optional"`
	ALine   int32  `parquet:"a_line"`
	BFile   string `parquet:"b_file,optional"`
	BLine   int32  `parquet:"b_line"`
	ASource string `parquet:"a_source,optional,dict"`
	BSource string `parquet:"b_source,optional,dict"`
	// Rule is the cross-distro mapping rule that paired packages; Detail
	// is a free text (the changes of a file: "digest mode").
	Rule   string `parquet:"rule,optional,dict"`
	Detail string `parquet:"detail,optional"`
}

// ImageCompareSummaryRow is one comparison of two images, committed last.
type ImageCompareSummaryRow struct {
	AKey        string `parquet:"a_key"`
	BKey        string `parquet:"b_key"`
	ARef        string `parquet:"a_ref"`
	BRef        string `parquet:"b_ref"`
	ADistro     string `parquet:"a_distro,dict"`
	ARelease    string `parquet:"a_release,dict"`
	BDistro     string `parquet:"b_distro,dict"`
	BRelease    string `parquet:"b_release,dict"`
	CrossDistro bool   `parquet:"cross_distro"`
	// Counts of diff rows by kind, and of packages by change.
	Packages   int64  `parquet:"packages"`
	Added      int64  `parquet:"added"`
	Removed    int64  `parquet:"removed"`
	Upgraded   int64  `parquet:"upgraded"`
	Downgraded int64  `parquet:"downgraded"`
	Files      int64  `parquet:"files"`
	Settings   int64  `parquet:"settings"`
	Services   int64  `parquet:"services"`
	AInit      string `parquet:"a_init,optional,dict"`
	BInit      string `parquet:"b_init,optional,dict"`
}

var (
	// ConfigSettings is one row per setting of an analysed image,
	// partitioned as ImagePackages.
	ConfigSettings = Table{Name: "config_settings", Version: 1, SortColumn: "program", Schema: parquet.SchemaOf(ConfigSettingRow{})}
	// ImageDiffs is one row per difference of two images. Its partition
	// is ImageComparePartition's.
	ImageDiffs = Table{Name: "image_diffs", Version: 1, SortColumn: "kind", Schema: parquet.SchemaOf(ImageDiffRow{})}
	// ImageCompareSummaries is one row per image comparison, committed
	// last: it marks the comparison committed.
	ImageCompareSummaries = Table{Name: "image_compare_summaries", Version: 1, SortColumn: "a_key", Schema: parquet.SchemaOf(ImageCompareSummaryRow{})}
)

// ImageCompareTables are the tables an image comparison writes, in commit order.
var ImageCompareTables = []Table{ImageDiffs, ImageCompareSummaries}

// ImageComparePartition names the partition of the comparison of image a
// with image b (their analyses' partitions): both keys are in it, so the
// same pair compared again lands on the committed partition. Two full
// keys ("sha256-<64 hex>~a2" each) are longer than a partition value may
// be, so each digest is cut to its first 24 hex digits (96 bits: no two
// images an installation analyses share them); the summary row keeps the
// full keys.
func ImageComparePartition(a, b Partition) Partition {
	a.Snapshot, b.Snapshot = shortImageKey(a.Snapshot), shortImageKey(b.Snapshot)
	return ComparePartition(a, b)
}

// shortImageKey cuts the digest of an ImageKey to 24 hex digits, keeping
// its algorithm and analyzer suffix: "sha256-0123…~a2" → "sha256-<24>~a2".
func shortImageKey(key string) string {
	algo, rest, ok := strings.Cut(key, "-")
	if !ok {
		return key
	}
	hex, suffix, _ := strings.Cut(rest, "~")
	if len(hex) <= 24 {
		return key
	}
	if suffix != "" {
		suffix = "~" + suffix
	}
	return algo + "-" + hex[:24] + suffix
}

// CompareConfigSettingRows orders rows by program, key and condition
// only: the rows of one multi-valued setting keep the order its parser
// gave them (sort them stably), which is the program's order — a PAM
// stack whose @include brings /etc/pam.d/common-auth's lines in the
// middle of /etc/pam.d/login's must not come back sorted by file.
func CompareConfigSettingRows(a, b *ConfigSettingRow) int {
	return cmp.Or(strings.Compare(a.Program, b.Program), strings.Compare(a.Key, b.Key), strings.Compare(a.Condition, b.Condition))
}

// CompareImageDiffRows orders rows by kind, key, program, condition.
func CompareImageDiffRows(a, b *ImageDiffRow) int {
	return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Key, b.Key),
		strings.Compare(a.Program, b.Program), strings.Compare(a.Condition, b.Condition))
}
