package datasets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/distroscope/distroscope/store"
)

// Retention removes the snapshots a plan no longer keeps, as the reverse of
// their commit (see Remove): the snapshots manifest first, which un-commits
// the snapshot for every reader at once, then the packages manifest, then
// the data objects. What was computed from a removed snapshot stays: a
// comparison's tables and report, and a trends state's package_trends and
// package_lag rows, hold their own copies of what they say (names,
// versions, counts), never a reference into the packages table.
//
// Each removal is announced first by an intent under RetentionPrefix and
// the intent deleted last, so that a retention interrupted at any step is
// finished by the next one — and only that: a packages partition without a
// snapshots manifest is also what a snapshot commit in flight looks like
// (packages are published before the snapshots manifest), and must not be
// mistaken for a leftover. A partition without a snapshots manifest and
// without an intent is removed only when both its Release date and its
// objects' last write are older than the retention: a commit abandoned
// that long ago is not coming back (Temporal retries within minutes).

// RetentionPrefix holds the intents of removals in progress, one object
// per partition and removal:
// _retention/<distro>/<release>/<snapshot>/<first table>.json. It is
// outside every table's tree, so no reader's glob sees it.
const RetentionPrefix = "_retention/"

// ReleaseName is one release of one distribution, as partitions name it
// (distro=<Distro>/release=<Release>).
type ReleaseName struct {
	Distro  string `json:"distro"`
	Release string `json:"release"`
}

func (r ReleaseName) String() string { return r.Distro + "/" + r.Release }

// RetentionPolicy says what Retain keeps.
type RetentionPolicy struct {
	Releases []ReleaseName
	// MaxAge is how long a snapshot is kept, counted from its Release's
	// own Date (the snapshot id's first 16 characters), not from when it
	// was taken: a backfilled year-old snapshot is a year old.
	MaxAge time.Duration
	Now    time.Time
	// DryRun reports what would be removed and removes nothing.
	DryRun bool
}

// RetentionItem is one partition of one table that Retain removed or
// kept, and why.
type RetentionItem struct {
	Table     string    `json:"table"`
	Partition Partition `json:"partition"`
	Why       string    `json:"why"`
}

// RetentionReport says what a Retain pass did. Kept lists only what the
// retention would otherwise have removed; snapshots younger than the
// retention are counted in Young.
type RetentionReport struct {
	Removed []RetentionItem `json:"removed"`
	Kept    []RetentionItem `json:"kept"`
	Young   int             `json:"young"`
}

// Why a partition was removed or kept.
const (
	WhyExpired     = "older than the retention"
	WhyInterrupted = "finishing a removal that was interrupted"
	WhyAbandoned   = "a commit abandoned before its snapshots manifest, older than the retention"
	WhyNewest      = "the release's newest snapshot, kept whatever its age"
	WhyNewestState = "the newest trends state, which the next trends update reads"
	WhyUndated     = "its snapshot id carries no date"
)

// snapshotTables are removed in this order: the snapshots manifest marks
// the snapshot committed, so it goes first.
var snapshotTables = []Table{Snapshots, Packages}

// historyTables are the part of a trends state that retention removes:
// package_history is the state the next update starts from, needed only
// for the newest state, while package_trends and package_lag are the
// series themselves and are kept whole. A state stays committed (its
// package_trends manifest is there) without its history; the trends
// update reads the newest state's package_history only, so removing an
// older one changes nothing it computes.
var historyTables = []Table{PackageHistory}

// Retain applies p to the store: for each release, every committed
// snapshot whose Release date is older than p.Now−p.MaxAge is removed
// (snapshots, then packages), except the release's newest, which is always
// kept — a stable release whose Release has not changed for longer than
// the retention keeps its one snapshot. The package_history of each
// trends state older than the retention goes too, except the newest
// state's; package_trends, package_lag and every comparison are never
// touched. Removals left half-done by an interrupted Retain are finished
// first.
//
// Retain is idempotent: run again, it removes nothing more. progress, when
// not nil, is called after each table's partition is removed.
func Retain(ctx context.Context, st store.Store, p RetentionPolicy, progress func(removed Partition, table string)) (RetentionReport, error) {
	var rep RetentionReport
	if p.MaxAge <= 0 {
		return rep, errors.New("datasets: retention: a retention of 0 keeps everything; nothing to apply")
	}
	r := &retainer{st: st, p: p, cutoff: p.Now.Add(-p.MaxAge), progress: progress, rep: &rep}
	for _, rel := range p.Releases {
		if err := (Partition{Distro: rel.Distro, Release: rel.Release, Snapshot: "x"}).Validate(); err != nil {
			return rep, fmt.Errorf("datasets: retention of %s: %w", rel, err)
		}
		if err := r.release(ctx, rel); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

type retainer struct {
	st       store.Store
	p        RetentionPolicy
	cutoff   time.Time
	progress func(Partition, string)
	rep      *RetentionReport
}

// releaseObjects is what one table holds of one release, by snapshot id.
type releaseObjects struct {
	committed map[string]bool      // has a manifest
	lastWrite map[string]time.Time // the latest Modified of any object
}

func (r *retainer) list(ctx context.Context, t Table, rel ReleaseName) (releaseObjects, error) {
	prefix := t.Prefix() + "distro=" + rel.Distro + "/release=" + rel.Release + "/"
	objs, err := r.st.List(ctx, prefix)
	if err != nil {
		return releaseObjects{}, fmt.Errorf("datasets: retention: list %s: %w", prefix, err)
	}
	ro := releaseObjects{committed: map[string]bool{}, lastWrite: map[string]time.Time{}}
	for _, o := range objs {
		part, ok := ParsePartitionPrefix(t, o.Key)
		if !ok {
			continue
		}
		if strings.HasSuffix(o.Key, "/_manifest.json") {
			ro.committed[part.Snapshot] = true
		}
		if o.Modified.After(ro.lastWrite[part.Snapshot]) {
			ro.lastWrite[part.Snapshot] = o.Modified
		}
	}
	return ro, nil
}

// releaseDate is the Release date a snapshot id starts with.
func releaseDate(snapshot string) (time.Time, bool) {
	if len(snapshot) < 16 {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405Z", snapshot[:16])
	return t, err == nil
}

// newest is the committed id with the latest Release date (the greater id
// on a tie); ids without a date are never it.
func newest(committed map[string]bool) string {
	var best string
	var bestDate time.Time
	for id := range committed {
		d, ok := releaseDate(id)
		if !ok {
			continue
		}
		if best == "" || d.After(bestDate) || d.Equal(bestDate) && id > best {
			best, bestDate = id, d
		}
	}
	return best
}

func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (r *retainer) release(ctx context.Context, rel ReleaseName) error {
	pending, err := r.intents(ctx, rel)
	if err != nil {
		return err
	}
	snaps, err := r.list(ctx, Snapshots, rel)
	if err != nil {
		return err
	}
	pkgs, err := r.list(ctx, Packages, rel)
	if err != nil {
		return err
	}
	part := func(id string) Partition { return Partition{Distro: rel.Distro, Release: rel.Release, Snapshot: id} }

	// Removals an interrupted pass began. One whose marker table is
	// committed again was either stopped before its first deletion or
	// committed anew since; either way it is judged below like any other.
	for _, in := range pending {
		marker := in.Tables[0]
		committed := snaps.committed[in.Partition.Snapshot]
		if marker == PackageHistory.Name {
			if _, committed, err = Committed(ctx, r.st, PackageHistory, in.Partition); err != nil {
				return err
			}
		}
		if committed {
			if err := r.dropIntent(ctx, in.Partition, marker); err != nil {
				return err
			}
			continue
		}
		tables, err := tablesNamed(in.Tables)
		if err != nil {
			return err
		}
		if err := r.remove(ctx, in.Partition, tables, WhyInterrupted); err != nil {
			return err
		}
		if marker == Snapshots.Name {
			delete(snaps.lastWrite, in.Partition.Snapshot)
			delete(pkgs.lastWrite, in.Partition.Snapshot)
		}
	}

	keep := newest(snaps.committed)
	for _, id := range sortedIDs(snaps.committed) {
		date, dated := releaseDate(id)
		switch {
		case !dated:
			r.rep.Kept = append(r.rep.Kept, RetentionItem{Table: Snapshots.Name, Partition: part(id), Why: WhyUndated})
		case !date.Before(r.cutoff):
			r.rep.Young++
		case id == keep:
			r.rep.Kept = append(r.rep.Kept, RetentionItem{Table: Snapshots.Name, Partition: part(id), Why: WhyNewest})
		default:
			if err := r.remove(ctx, part(id), snapshotTables, WhyExpired); err != nil {
				return err
			}
		}
	}

	// Partitions without a snapshots manifest or an intent: a commit in
	// flight, or one abandoned long ago. Only the latter is removed.
	lastWrite := map[string]time.Time{}
	for _, ro := range []releaseObjects{snaps, pkgs} {
		for id, w := range ro.lastWrite {
			if !snaps.committed[id] && w.After(lastWrite[id]) {
				lastWrite[id] = w
			}
		}
	}
	for _, id := range sortedIDs(lastWrite) {
		date, dated := releaseDate(id)
		if !dated || !date.Before(r.cutoff) || !lastWrite[id].Before(r.cutoff) {
			continue
		}
		if err := r.remove(ctx, part(id), snapshotTables, WhyAbandoned); err != nil {
			return err
		}
	}
	return r.histories(ctx, rel)
}

// histories removes the package_history of each trends state older than
// the retention but the newest (see historyTables).
func (r *retainer) histories(ctx context.Context, rel ReleaseName) error {
	states, err := r.list(ctx, PackageTrends, rel)
	if err != nil {
		return err
	}
	hist, err := r.list(ctx, PackageHistory, rel)
	if err != nil {
		return err
	}
	keep := newest(states.committed)
	for _, id := range sortedIDs(states.committed) {
		p := Partition{Distro: rel.Distro, Release: rel.Release, Snapshot: id}
		date, dated := releaseDate(id)
		switch {
		case !hist.committed[id], !dated, !date.Before(r.cutoff):
		case id == keep:
			r.rep.Kept = append(r.rep.Kept, RetentionItem{Table: PackageHistory.Name, Partition: p, Why: WhyNewestState})
		default:
			if err := r.remove(ctx, p, historyTables, WhyExpired); err != nil {
				return err
			}
		}
	}
	return nil
}

// remove removes partition p of tables: an intent first, then Remove (the
// manifests, then the data), then the intent. A dry run only reports.
//
// The report lists a removal once it is done, so that a pass that failed
// reports exactly what it removed.
func (r *retainer) remove(ctx context.Context, p Partition, tables []Table, why string) error {
	if !r.p.DryRun {
		if err := r.putIntent(ctx, p, tables); err != nil {
			return err
		}
		if err := Remove(ctx, r.st, p, tables...); err != nil {
			return fmt.Errorf("datasets: retention: %w", err)
		}
	}
	for _, t := range tables {
		r.rep.Removed = append(r.rep.Removed, RetentionItem{Table: t.Name, Partition: p, Why: why})
		if r.progress != nil && !r.p.DryRun {
			r.progress(p, t.Name)
		}
	}
	if r.p.DryRun {
		return nil
	}
	return r.dropIntent(ctx, p, tables[0].Name)
}

// intent is the record of a removal in progress.
type intent struct {
	Partition Partition `json:"partition"`
	Tables    []string  `json:"tables"`
}

func intentKey(p Partition, marker string) string {
	return path.Join(RetentionPrefix, p.Distro, p.Release, p.Snapshot, marker) + ".json"
}

func (r *retainer) putIntent(ctx context.Context, p Partition, tables []Table) error {
	in := intent{Partition: p}
	for _, t := range tables {
		in.Tables = append(in.Tables, t.Name)
	}
	data, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("datasets: retention: %w", err)
	}
	key := intentKey(p, tables[0].Name)
	if err := r.st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("datasets: retention: record intent %s: %w", key, err)
	}
	return nil
}

func (r *retainer) dropIntent(ctx context.Context, p Partition, marker string) error {
	if r.p.DryRun {
		return nil
	}
	key := intentKey(p, marker)
	if err := r.st.Delete(ctx, key); err != nil {
		return fmt.Errorf("datasets: retention: delete intent %s: %w", key, err)
	}
	return nil
}

// intents reads the removals of rel that a pass began and did not finish.
func (r *retainer) intents(ctx context.Context, rel ReleaseName) ([]intent, error) {
	prefix := RetentionPrefix + rel.Distro + "/" + rel.Release + "/"
	objs, err := r.st.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("datasets: retention: list %s: %w", prefix, err)
	}
	var out []intent
	for _, o := range objs {
		rc, err := r.st.Get(ctx, o.Key)
		if errors.Is(err, store.ErrNotFound) {
			continue // finished by a pass running beside this one
		}
		if err != nil {
			return nil, fmt.Errorf("datasets: retention: read intent %s: %w", o.Key, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, 64<<10))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("datasets: retention: read intent %s: %w", o.Key, err)
		}
		var in intent
		if err := json.Unmarshal(data, &in); err != nil || len(in.Tables) == 0 ||
			in.Partition.Distro != rel.Distro || in.Partition.Release != rel.Release || in.Partition.Validate() != nil ||
			o.Key != intentKey(in.Partition, in.Tables[0]) {
			return nil, corrupt(o.Key, "retention intent does not describe its own key")
		}
		out = append(out, in)
	}
	return out, nil
}

// tablesNamed are the tables an intent names, which must be one of the
// two removals retention makes.
func tablesNamed(names []string) ([]Table, error) {
	for _, want := range [][]Table{snapshotTables, historyTables} {
		if len(want) != len(names) {
			continue
		}
		match := true
		for i, t := range want {
			match = match && t.Name == names[i]
		}
		if match {
			return want, nil
		}
	}
	return nil, fmt.Errorf("datasets: retention: an intent names tables %v, not a removal retention makes", names)
}
