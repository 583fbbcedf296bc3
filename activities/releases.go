package activities

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/releases"
	"github.com/distroscope/distroscope/store"
)

// DefaultDistroInfoDir is where Debian's distro-info-data installs its CSVs.
const DefaultDistroInfoDir = "/usr/share/distro-info"

// Releases holds the dependencies of the releases activity.
type Releases struct {
	Store store.Store
	Now   func() time.Time
}

// SyncReleasesInput names the folder of distro-info CSVs on the worker.
type SyncReleasesInput struct {
	Dir string `json:"dir,omitempty"`
}

// SyncReleasesResult lists one committed partition per distribution.
type SyncReleasesResult struct {
	Manifests []string `json:"manifests"`
	Rows      int64    `json:"rows"`
	Source    string   `json:"source"`
}

// SyncReleases commits the releases table from distro-info-data: one
// partition per distribution, reused when the CSV is unchanged.
//
// It is short (a few small files in, one small partition per distribution
// out), so it does not heartbeat: its start-to-close timeout bounds it.
func (r *Releases) SyncReleases(ctx context.Context, in SyncReleasesInput) (_ SyncReleasesResult, err error) {
	defer func() { err = interrupted(ctx, err) }()
	dir := in.Dir
	if dir == "" {
		dir = DefaultDistroInfoDir
	}
	source := "distro-info-data"
	if out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "${Version}", "distro-info-data").Output(); err == nil && len(out) > 0 {
		source += " " + strings.TrimSpace(string(out))
	}
	files, err := releases.Load(dir, source)
	if errors.Is(err, fs.ErrNotExist) {
		return SyncReleasesResult{}, invalid(fmt.Errorf("%w (install Debian's distro-info-data on the worker)", err))
	}
	if err != nil {
		return SyncReleasesResult{}, corrupt(err)
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	res := SyncReleasesResult{Source: source}
	for _, f := range releases.Files {
		file, ok := files[f.Distro]
		if !ok {
			continue
		}
		m, err := releases.Write(ctx, r.Store, file, now)
		if err != nil {
			return res, err
		}
		res.Manifests = append(res.Manifests, datasets.Releases.ManifestKey(m.Partition))
		res.Rows += m.Rows
		activity.GetLogger(ctx).Info("releases committed", "distro", f.Distro, "rows", m.Rows, "snapshot", m.Partition.Snapshot)
	}
	return res, nil
}
