package datasets

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
)

// Partition identifies one committed snapshot of one release: the Hive
// partition every table writes it under.
type Partition struct {
	Distro   string // lowercased Origin of the Release, e.g. "debian"
	Release  string // codename (or suite when the Release has no codename)
	Snapshot string // SnapshotID of the Release file
}

// partValue is what a Hive partition value may hold here: it has to be a
// single safe path segment on every store and unambiguous to Hive parsers
// (no "=", "/", spaces or percent-escapes).
var partValue = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$`)

// Validate reports whether every field is a safe partition value.
func (p Partition) Validate() error {
	for _, f := range []struct{ name, v string }{{"distro", p.Distro}, {"release", p.Release}, {"snapshot", p.Snapshot}} {
		if !partValue.MatchString(f.v) {
			return fmt.Errorf("datasets: partition %s=%q: must match %s", f.name, f.v, partValue)
		}
	}
	return nil
}

// Normalize turns a distribution name or codename as found in metadata
// ("Debian", "Ubuntu Ports") into a partition value ("debian", "ubuntu-ports").
func Normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '+', r == '~', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-.")
}

// SnapshotID names a snapshot by the Release's own Date and a prefix of the
// hash of the Release file: an unchanged Release always yields the same ID
// (so a second run finds the committed snapshot), a changed one a new ID even
// when its Date did not move.
func SnapshotID(date time.Time, releaseSHA256 string) string {
	h := releaseSHA256
	if len(h) > 12 {
		h = h[:12]
	}
	return date.UTC().Format("20060102T150405Z") + "-" + strings.ToLower(h)
}

// Prefix is the table's root: "<table>/v<version>/".
func (t Table) Prefix() string { return fmt.Sprintf("%s/v%d/", t.Name, t.Version) }

// PartitionPrefix is the folder of one partition, ending in "/".
func (t Table) PartitionPrefix(p Partition) string {
	return t.Prefix() + "distro=" + p.Distro + "/release=" + p.Release + "/snapshot=" + p.Snapshot + "/"
}

// DataKey is the one data object of a partition. Its name is fixed, so a
// publish that is retried rewrites the same object instead of adding another.
func (t Table) DataKey(p Partition) string { return t.PartitionPrefix(p) + "part-00000.parquet" }

// ManifestKey is the partition's manifest, written after its data.
func (t Table) ManifestKey(p Partition) string { return t.PartitionPrefix(p) + "_manifest.json" }

// StagingPrefix holds the staged parts of one snapshot of one table.
// It sits outside every table's tree so no reader's glob ever matches it.
func StagingPrefix(t Table, p Partition) string {
	return path.Join("_staging", p.Distro, p.Release, p.Snapshot, t.Name) + "/"
}

// StagingKey is the deterministic key of one staged part (e.g. one index).
func StagingKey(t Table, p Partition, part string) string {
	return StagingPrefix(t, p) + part + ".parquet"
}

// ParsePartitionPrefix recovers a Partition from a key inside a table's tree.
func ParsePartitionPrefix(t Table, key string) (Partition, bool) {
	rest, ok := strings.CutPrefix(key, t.Prefix())
	if !ok {
		return Partition{}, false
	}
	segs := strings.Split(rest, "/")
	if len(segs) < 3 {
		return Partition{}, false
	}
	var p Partition
	for i, want := range []string{"distro=", "release=", "snapshot="} {
		v, ok := strings.CutPrefix(segs[i], want)
		if !ok {
			return Partition{}, false
		}
		switch i {
		case 0:
			p.Distro = v
		case 1:
			p.Release = v
		case 2:
			p.Snapshot = v
		}
	}
	return p, p.Validate() == nil
}
