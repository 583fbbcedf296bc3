package datasets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/distroscope/distroscope/store"
)

// JanitorReport says what a janitor pass removed.
type JanitorReport struct {
	StagedDeleted    []string // staged parts of committed or abandoned runs
	UncommittedFiles []string // data objects of partitions that never got a manifest
	// Referenced are leftovers by every other sign that a committed
	// manifest lists all the same: kept, and worth a look.
	Referenced []string
}

// Janitor removes what crashed or abandoned runs left behind:
//
//   - staged parts whose partition is committed in their table (the run
//     committed but died before cleaning up), whatever their age;
//   - staged parts older than maxAge whose partition is not committed (no run
//     is coming back for them: Temporal retries long before that);
//   - data objects older than maxAge in a partition without a manifest (a
//     publish that died between data and manifest and was never retried,
//     or a removal — Remove, Retain — interrupted after its partition's
//     manifest was deleted).
//
// Whatever the signs say, an object that a committed manifest lists is
// never deleted: before the first deletion the janitor reads every
// manifest in the store and keeps each key one of them lists (Referenced).
// Partitions are named by their folders, manifests list their files by
// key; the two agree for everything distroscope writes, and this is what
// keeps a deletion safe should they ever not.
//
// Anything younger than maxAge and uncommitted may belong to a run still in
// progress, so it is left alone.
func Janitor(ctx context.Context, st store.Store, maxAge time.Duration, now time.Time) (JanitorReport, error) {
	var rep JanitorReport
	staged, err := st.List(ctx, "_staging/")
	if err != nil {
		return rep, fmt.Errorf("datasets: janitor: list staging: %w", err)
	}
	type tablePartition struct {
		table string
		p     Partition
	}
	committed := map[tablePartition]bool{}
	isCommitted := func(table string, p Partition) (bool, error) {
		k := tablePartition{table, p}
		if v, ok := committed[k]; ok {
			return v, nil
		}
		t, known := TableByName(table)
		if !known {
			return false, nil
		}
		_, ok, err := Committed(ctx, st, t, p)
		if err != nil {
			return false, err
		}
		committed[k] = ok
		return ok, nil
	}
	var referenced map[string]bool // read at the first deletion
	deletable := func(key string) (bool, error) {
		if referenced == nil {
			keys, err := referencedKeys(ctx, st)
			if err != nil {
				return false, err
			}
			referenced = keys
		}
		if referenced[key] {
			rep.Referenced = append(rep.Referenced, key)
			return false, nil
		}
		return true, nil
	}
	for _, o := range staged {
		// _staging/<distro>/<release>/<snapshot>/<table>/<part>
		segs := strings.Split(o.Key, "/")
		old := now.Sub(o.Modified) > maxAge
		var done bool
		if len(segs) >= 6 {
			var err error
			if done, err = isCommitted(segs[4], Partition{Distro: segs[1], Release: segs[2], Snapshot: segs[3]}); err != nil {
				return rep, err
			}
		}
		if done || old {
			ok, err := deletable(o.Key)
			if err != nil {
				return rep, err
			}
			if !ok {
				continue
			}
			if err := st.Delete(ctx, o.Key); err != nil {
				return rep, fmt.Errorf("datasets: janitor: delete %s: %w", o.Key, err)
			}
			rep.StagedDeleted = append(rep.StagedDeleted, o.Key)
		}
	}
	for _, t := range Tables {
		objs, err := st.List(ctx, t.Prefix())
		if err != nil {
			return rep, fmt.Errorf("datasets: janitor: list %s: %w", t.Prefix(), err)
		}
		manifests := map[string]bool{}
		for _, o := range objs {
			if dir, ok := strings.CutSuffix(o.Key, "_manifest.json"); ok {
				manifests[dir] = true
			}
		}
		for _, o := range objs {
			if strings.HasSuffix(o.Key, "_manifest.json") || now.Sub(o.Modified) <= maxAge {
				continue
			}
			dir := o.Key[:strings.LastIndex(o.Key, "/")+1]
			if !manifests[dir] {
				ok, err := deletable(o.Key)
				if err != nil {
					return rep, err
				}
				if !ok {
					continue
				}
				if err := st.Delete(ctx, o.Key); err != nil {
					return rep, fmt.Errorf("datasets: janitor: delete %s: %w", o.Key, err)
				}
				rep.UncommittedFiles = append(rep.UncommittedFiles, o.Key)
			}
		}
	}
	return rep, nil
}

// referencedKeys is every key that a committed manifest of any table lists.
func referencedKeys(ctx context.Context, st store.Store) (map[string]bool, error) {
	keys := map[string]bool{}
	for _, t := range Tables {
		ms, err := ListManifests(ctx, st, t)
		if err != nil {
			return nil, fmt.Errorf("datasets: janitor: read the manifests of %s before deleting anything: %w", t.Name, err)
		}
		for _, m := range ms {
			for _, f := range m.Files {
				keys[f.Key] = true
			}
		}
	}
	return keys, nil
}
