package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"go.temporal.io/sdk/activity"

	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/analysis/image"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/imageref"
	"github.com/distroscope/distroscope/store"
)

// Image holds the dependencies of the image activities.
type Image struct {
	Store    store.Store
	TempDir  string
	Producer string
	Now      func() time.Time
	// Registry sets how registry: references are reached: credentials
	// (default: the docker config of the worker's user), plain http.
	Registry imageref.Options
	// Rules pair packages of two distributions in image comparisons
	// (nil: crossmap.DefaultRules()).
	Rules *crossmap.Rules
}

// AnalyzeImageInput names the image: a reference with syft's scheme
// prefixes (dir:, file:, oci-dir:, oci-archive:, docker-archive:,
// registry:), read on the worker's machine, and a platform for indexes.
type AnalyzeImageInput struct {
	Ref      string `json:"ref"`
	Platform string `json:"platform,omitempty"`
	// Probe also runs a few read-only programs of the image (sshd -T) in
	// a sandbox and records the effective settings beside the static
	// ones. A probed analysis is keyed apart from an unprobed one.
	Probe bool `json:"probe,omitempty"`
}

// AnalyzeImageResult says where the analysis is and what it found.
type AnalyzeImageResult struct {
	Partition datasets.Partition       `json:"partition"`
	Key       string                   `json:"key"`
	Reused    bool                     `json:"reused"` // committed before: nothing was read again
	Summary   datasets.ImageSummaryRow `json:"summary"`
	// Settings counts the config_settings rows; SettingErrors name the
	// settings files no parser could read (hostile or broken: the other
	// rows are kept); ProbeNote says why a probe asked for did not run.
	Settings      int      `json:"settings,omitempty"`
	SettingErrors []string `json:"setting_errors,omitempty"`
	ProbeNote     string   `json:"probe_note,omitempty"`
}

// AnalyzeImage opens the image, applies its layers in memory, compares
// every owned file with its package's record and commits the three image
// tables. It heartbeats every second, with the layer and entry it is at.
// An image already analysed by this analyzer version (the same digest, the
// same tarball, the same tree) is not read again.
func (a *Image) AnalyzeImage(ctx context.Context, in AnalyzeImageInput) (res AnalyzeImageResult, err error) {
	hb := startHeartbeat(ctx, "opening "+in.Ref)
	defer hb.finish(&err)
	ref, err := imageref.Parse(in.Ref)
	if err != nil {
		return res, invalid(err)
	}
	opts := a.Registry
	opts.Platform = in.Platform
	img, err := imageref.Open(ctx, ref, opts)
	if err != nil {
		return res, openError(ctx, ref, err)
	}
	defer img.Close()
	st := image.Storage{Store: a.Store, TempDir: a.TempDir, Producer: a.Producer, Now: a.Now}
	r, err := image.Analyze(ctx, img, image.Options{Known: st.Known, Probe: in.Probe, Progress: func(p image.Progress) { hb.report(progressStep(p)) }})
	if err != nil {
		if errors.Is(err, image.ErrCorrupt) {
			return res, corrupt(err)
		}
		return res, interrupted(ctx, err)
	}
	res = AnalyzeImageResult{Partition: r.Partition, Key: r.Key, Reused: r.Reused, Summary: r.Summary,
		Settings: len(r.Settings), SettingErrors: r.SettingErrors, ProbeNote: r.ProbeNote}
	if r.Reused {
		return res, nil
	}
	hb.report("committing")
	info := activity.GetInfo(ctx)
	if err := st.Commit(ctx, r, image.Run{WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID}); err != nil {
		return res, interrupted(ctx, err)
	}
	return res, nil
}

// progressStep is a heartbeat's step: "layer 2/5 sha256:ab…: 1200 entries,
// 35 MB" or "files 4000/21000".
func progressStep(p image.Progress) string {
	if p.Phase == "files" {
		return fmt.Sprintf("comparing files %d/%d", p.Done, p.Total)
	}
	s := fmt.Sprintf("layer %d/%d", p.Layer+1, p.Layers)
	if p.Digest != "" {
		d := p.Digest
		if len(d) > 19 {
			d = d[:19]
		}
		s += " " + d
	}
	if p.Entries > 0 {
		s += fmt.Sprintf(": %d entries, %d MB", p.Entries, p.Bytes>>20)
	}
	return s
}

// openError classifies a failure to open an image. A local reference
// that does not open — missing, unreadable, not an image, a platform it
// lacks — will not open on the next attempt either. A registry's answer
// is final when it is the registry refusing (4xx: no such image, denied)
// or distroscope refusing what it sent; a network failure or the
// registry's own trouble (5xx, 429) is retried.
func openError(ctx context.Context, ref imageref.Ref, err error) error {
	if ctx.Err() != nil {
		return interrupted(ctx, err)
	}
	if ref.Scheme != imageref.SchemeRegistry {
		return invalid(err)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode >= 500 || te.StatusCode == http.StatusTooManyRequests {
			return err
		}
		return invalid(err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) {
		return err
	}
	return invalid(err)
}
