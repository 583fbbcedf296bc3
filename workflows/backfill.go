package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
)

// Names and bounds of a backfill, shared by the worker, the CLI and the UI.
const (
	BackfillWorkflowName = "BackfillWorkflow"
	// DefaultBackfillStep is the time between two dates of a backfill: a
	// day, as trends keep the last snapshot of each day.
	DefaultBackfillStep = 24 * time.Hour
	// DefaultBackfillWindow is how many suites a backfill snapshots at
	// once; each suite's dates go one after the other.
	DefaultBackfillWindow = 2
	// MaxBackfillDates bounds the dates of one suite: a year and a month
	// of days. MaxBackfillSnapshots bounds the child runs of one backfill
	// (dates × suites): each costs its parent about seven history events,
	// so 2,000 stay near 14K, well under the server's 50K limit, with no
	// continue-as-new to reason about.
	MaxBackfillDates     = 400
	MaxBackfillSnapshots = 2000
)

// BackfillInput is a backfill resolved by the starter: the source's specs
// from the catalogue, each with its dated archive, and the range.
type BackfillInput struct {
	// Source is the catalogue's name of the source, for IDs and lines.
	Source string `json:"source"`
	// Specs are one per suite, each with Archive set (repo.Spec.AtDate).
	Specs []repo.Spec `json:"specs"`
	// From and To are the first and last times to snapshot (inclusive),
	// Step apart (DefaultBackfillStep when 0).
	From time.Time     `json:"from"`
	To   time.Time     `json:"to"`
	Step time.Duration `json:"step,omitempty"`
	// Window is how many suites run at once (DefaultBackfillWindow if 0).
	Window int `json:"window,omitempty"`
	// Identity keeps apart the child runs of backfills that verify
	// differently or write elsewhere (as RunIdentity does for snapshots).
	Identity            RunIdentity `json:"identity"`
	SetSearchAttributes bool        `json:"set_search_attributes,omitempty"`
	// Trends, when set, brings the trends of each suite's release up to
	// date once its dates have ended: the snapshots a backfill inserts
	// into the past make the states after them stale.
	Trends *BackfillTrends `json:"trends,omitempty"`
}

// BackfillTrends says which snapshots a backfilled release's trends may
// use and which releases of other distributions its lag is measured
// against (those of the suite's own distribution are left out).
type BackfillTrends struct {
	Trust *compare.Trust   `json:"trust,omitempty"`
	Peers []trends.Release `json:"peers,omitempty"`
}

// BackfillDate is what one date of one suite gave.
type BackfillDate struct {
	Date       time.Time          `json:"date"`
	WorkflowID string             `json:"workflow_id"`
	Partition  datasets.Partition `json:"partition,omitzero"`
	// Reused: the archive served a Release already committed (by an
	// earlier date, or an earlier backfill), and nothing was written.
	Reused bool   `json:"reused,omitempty"`
	Rows   int64  `json:"rows,omitempty"`
	Error  string `json:"error,omitempty"`
}

// BackfillSuite is one suite's dates and the distinct snapshots they held.
type BackfillSuite struct {
	Suite    string               `json:"suite"`
	Dates    []BackfillDate       `json:"dates"`
	Distinct []datasets.Partition `json:"distinct"`
	// Trends is the summary of the release's trends update, or TrendsError
	// why it failed.
	Trends      string `json:"trends,omitempty"`
	TrendsError string `json:"trends_error,omitempty"`
}

// BackfillResult is what a backfill did.
type BackfillResult struct {
	Source string          `json:"source"`
	Suites []BackfillSuite `json:"suites"`
	// Counts over every suite: dates snapshotted, the distinct snapshots
	// they held, and how many of those this run committed or found
	// committed.
	Dates     int `json:"dates"`
	Distinct  int `json:"distinct"`
	Committed int `json:"committed"`
	Reused    int `json:"reused"`
	Failed    int `json:"failed"`
}

// BackfillProgress answers the backfill's progress query.
type BackfillProgress struct {
	Source     string `json:"source"`
	Stage      string `json:"stage"` // snapshots, trends, done
	DatesTotal int    `json:"dates_total"`
	DatesDone  int    `json:"dates_done"`
	Distinct   int    `json:"distinct"`
	Committed  int    `json:"committed"`
	Reused     int    `json:"reused"`
	Failed     int    `json:"failed"`
	// Running names the dates being snapshotted, "SUITE@TIMESTAMP, …" (a
	// string, so that progress compares with ==, as the CLI's follow does).
	Running string `json:"running,omitempty"`
}

// RegisterBackfill registers BackfillWorkflow. Its children are
// SnapshotWorkflow runs, which RegisterSnapshot registers, and a child
// already running is awaited with the nightly's AwaitRun activity
// (RegisterNightly).
func RegisterBackfill(w worker.Registry) {
	w.RegisterWorkflowWithOptions(BackfillWorkflow, workflow.RegisterOptions{Name: BackfillWorkflowName})
}

// BackfillDates are the times a backfill snapshots: from, from+step, …,
// up to to.
func BackfillDates(from, to time.Time, step time.Duration) []time.Time {
	if step <= 0 {
		step = DefaultBackfillStep
	}
	var out []time.Time
	for t := from.UTC(); !t.After(to); t = t.Add(step) {
		out = append(out, t)
	}
	return out
}

// BackfillWorkflowID is a backfill's workflow ID: the source and range,
// then a hash of its suites, step and identity —
// "backfill/debian/20260101T235959Z-20260131T235959Z/<hash>". The same
// backfill started again attaches to a running one, or, once that ended,
// runs again and finds each date committed.
func BackfillWorkflowID(in BackfillInput) string {
	h := sha256.New()
	for _, s := range in.Specs {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00", s.Archive, s.Suite, strings.Join(s.Components, ","),
			strings.Join(s.Architectures, ","), in.Identity.hash(&s))
	}
	fmt.Fprintf(h, "step\x00%s", in.step())
	return fmt.Sprintf("backfill/%s/%s-%s/%s", in.Source, in.From.UTC().Format(repo.ArchiveDateLayout),
		in.To.UTC().Format(repo.ArchiveDateLayout), hex.EncodeToString(h.Sum(nil))[:12])
}

// BackfillChildID is the workflow ID of the snapshot of one suite at one
// date: "backfill/<source>/<suite>/<YYYYMMDDThhmmssZ>/<identity>". It is
// the same in every backfill that covers the date, so a backfill started
// again after a crash, or one over an overlapping range, attaches to the
// same run or finds its Release committed.
func BackfillChildID(source string, spec repo.Spec, at time.Time, id RunIdentity) string {
	return fmt.Sprintf("backfill/%s/%s/%s/%s", source, spec.Suite, at.UTC().Format(repo.ArchiveDateLayout), id.hash(&spec))
}

func (in BackfillInput) step() time.Duration {
	if in.Step <= 0 {
		return DefaultBackfillStep
	}
	return in.Step
}

// BackfillWorkflow snapshots a source's suites at past dates from its
// dated archive: one SnapshotWorkflow child per suite and date, the dates
// of a suite one after the other (a date whose Release is the previous
// date's finds it committed and writes nothing), a few suites at once.
// Each child verifies its Release as of its date (repo.Spec.AtDate): an
// archived Release's key may have expired and its Valid-Until passed since.
// A date that fails does not stop the others; the run fails at the end,
// naming them, and a run started again does only what is left.
func BackfillWorkflow(ctx workflow.Context, in BackfillInput) (BackfillResult, error) {
	dates := BackfillDates(in.From, in.To, in.step())
	res := BackfillResult{Source: in.Source, Suites: make([]BackfillSuite, len(in.Specs))}
	progress := BackfillProgress{Source: in.Source, Stage: "snapshots", DatesTotal: len(dates) * len(in.Specs)}
	running := map[string]bool{}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (BackfillProgress, error) {
		p := progress
		var names []string
		for _, s := range in.Specs {
			for _, d := range dates {
				if name := s.Suite + "@" + d.Format(repo.ArchiveDateLayout); running[name] {
					names = append(names, name)
				}
			}
		}
		p.Running = strings.Join(names, ", ")
		return p, nil
	}); err != nil {
		return res, err
	}
	if len(dates) == 0 || len(in.Specs) == 0 {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("backfill %s: nothing to do (%d suites, %d dates)",
			in.Source, len(in.Specs), len(dates)), ErrTypeInvalidBackfill, nil)
	}
	window := in.Window
	if window <= 0 {
		window = DefaultBackfillWindow
	}
	// A buffered channel is the window: a suite holds a slot from its
	// first date to its last.
	slots := workflow.NewBufferedChannel(ctx, window)
	wg := workflow.NewWaitGroup(ctx)
	for i, spec := range in.Specs {
		suite := &res.Suites[i]
		suite.Suite = spec.Suite
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			slots.Send(ctx, struct{}{})
			defer slots.Receive(ctx, nil)
			seen := map[datasets.Partition]bool{}
			for _, at := range dates {
				name := spec.Suite + "@" + at.Format(repo.ArchiveDateLayout)
				running[name] = true
				d := backfillDate(ctx, in, spec, at)
				delete(running, name)
				suite.Dates = append(suite.Dates, d)
				progress.DatesDone++
				switch {
				case d.Error != "":
					progress.Failed++
				case seen[d.Partition]:
					// an earlier date's Release, again: nothing new
				default:
					seen[d.Partition] = true
					suite.Distinct = append(suite.Distinct, d.Partition)
					progress.Distinct++
					if d.Reused {
						progress.Reused++
					} else {
						progress.Committed++
					}
				}
			}
		})
	}
	wg.Wait(ctx)
	res.Dates, res.Distinct, res.Committed, res.Reused, res.Failed = progress.DatesDone, progress.Distinct, progress.Committed, progress.Reused, progress.Failed

	if in.Trends != nil {
		progress.Stage = "trends"
		for i := range res.Suites {
			suite := &res.Suites[i]
			if len(suite.Distinct) == 0 {
				continue
			}
			p := suite.Distinct[0]
			ti := TrendsInput{Release: trends.Release{Distro: p.Distro, Release: p.Release, Trust: in.Trends.Trust}}
			for _, peer := range in.Trends.Peers {
				if peer.Distro != p.Distro {
					ti.Peers = append(ti.Peers, peer)
				}
			}
			tr, err := runTrendsChild(ctx, TrendsWorkflowID(p.Distro, p.Release), ti,
				fmt.Sprintf("trends of %s/%s after backfill %s", p.Distro, p.Release, in.Source))
			if err != nil {
				suite.TrendsError = rootMessage(err)
				continue
			}
			suite.Trends = TrendsSummary(tr)
		}
	}

	progress.Stage = "done"
	workflow.SetCurrentDetails(ctx, BackfillSummary(res))
	var failed []string
	for _, s := range res.Suites {
		for _, d := range s.Dates {
			if d.Error != "" {
				failed = append(failed, fmt.Sprintf("%s at %s: %s", s.Suite, d.Date.Format(repo.ArchiveDateLayout), d.Error))
			}
		}
		if s.TrendsError != "" {
			failed = append(failed, fmt.Sprintf("trends of %s: %s", s.Suite, s.TrendsError))
		}
	}
	if len(failed) > 0 {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("backfill %s: %d of %d dates failed: %s",
			in.Source, res.Failed, res.Dates, strings.Join(failed, "; ")), ErrTypeBackfillFailed, nil, res)
	}
	return res, nil
}

// Error types a backfill fails with.
const (
	ErrTypeInvalidBackfill = "InvalidBackfill"
	ErrTypeBackfillFailed  = "BackfillFailed"
)

// backfillDate snapshots spec's suite as the archive had it at at.
func backfillDate(ctx workflow.Context, in BackfillInput, spec repo.Spec, at time.Time) BackfillDate {
	id := BackfillChildID(in.Source, spec, at, in.Identity)
	d := BackfillDate{Date: at, WorkflowID: id}
	dated, err := spec.AtDate(at)
	if err != nil {
		d.Error = err.Error()
		return d
	}
	res, err := runSnapshotChild(ctx, id, SnapshotInput{Source: dated, SetSearchAttributes: in.SetSearchAttributes},
		fmt.Sprintf("backfill %s/%s as of %s", in.Source, spec.Suite, at.Format(time.RFC3339)))
	if err != nil {
		d.Error = rootMessage(err)
		return d
	}
	d.Partition, d.Reused, d.Rows = res.Partition, res.Reused, res.Rows
	return d
}

// BackfillSummary is one line on a backfill: "debian: 31 dates, 9
// distinct snapshots (7 committed, 2 already committed), 0 failed".
func BackfillSummary(r BackfillResult) string {
	return fmt.Sprintf("%s: %d dates, %d distinct snapshots (%d committed, %d already committed), %d failed",
		r.Source, r.Dates, r.Distinct, r.Committed, r.Reused, r.Failed)
}
