package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
)

// Names shared by the worker, the CLI and the Temporal UI.
const (
	SnapshotWorkflowName = "SnapshotWorkflow"
	// ProgressQuery answers with a SnapshotProgress.
	ProgressQuery = "progress"
	// Search attributes (Keyword) set on snapshot runs when the namespace
	// has them registered.
	SearchAttrDistro  = "DistroscopeDistro"
	SearchAttrRelease = "DistroscopeRelease"
)

var (
	distroKey  = temporal.NewSearchAttributeKeyKeyword(SearchAttrDistro)
	releaseKey = temporal.NewSearchAttributeKeyKeyword(SearchAttrRelease)
)

// SnapshotInput starts a snapshot of one suite of one apt mirror.
type SnapshotInput struct {
	Source repo.Spec `json:"source"`
	// SetSearchAttributes is true when the namespace has the Distroscope*
	// search attributes registered (the starter checks); upserting
	// unregistered attributes would fail the workflow task.
	SetSearchAttributes bool `json:"set_search_attributes,omitempty"`
}

// SnapshotResult is what a finished snapshot reports.
type SnapshotResult struct {
	Partition datasets.Partition `json:"partition"`
	// Reused is true when this exact Release was already committed and the
	// run wrote nothing.
	Reused      bool     `json:"reused"`
	Indexes     int      `json:"indexes"`
	Rows        int64    `json:"rows"`
	Manifests   []string `json:"manifests"`
	DataKeys    []string `json:"data_keys"`
	ReleaseURL  string   `json:"release_url"`
	Signers     []string `json:"signers,omitempty"`
	ParquetSize int64    `json:"parquet_bytes"`
}

// SnapshotProgress is the answer to the progress query.
type SnapshotProgress struct {
	Phase        string `json:"phase"` // resolving, ingesting, committing, done
	Partition    string `json:"partition,omitempty"`
	IndexesTotal int    `json:"indexes_total"`
	IndexesDone  int    `json:"indexes_done"`
	Rows         int64  `json:"rows"`
}

// RegisterSnapshot registers SnapshotWorkflow and the snapshot activities,
// with a's dependencies, on w.
func RegisterSnapshot(w worker.Registry, a *activities.Snapshot) {
	w.RegisterWorkflowWithOptions(SnapshotWorkflow, workflow.RegisterOptions{Name: SnapshotWorkflowName})
	w.RegisterActivity(a)
}

// SnapshotWorkflowID is the business key part of a snapshot's workflow ID:
// mirror, suite, components and architectures. Starters use SnapshotRunID,
// which adds the run's identity.
func SnapshotWorkflowID(src repo.Spec) string {
	h := sha256.New()
	h.Write([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%s", strings.TrimRight(src.Mirror, "/"), src.Suite,
		strings.Join(src.Components, ","), strings.Join(src.Architectures, ","))))
	if src.FormatOrApt() != repo.FormatApt {
		// Only non-apt keys carry these; apt IDs stay what they were.
		h.Write([]byte(fmt.Sprintf("\x00%s\x00%s\x00%s", src.Format, src.URLTemplate, src.Distro)))
	}
	prefix := "snapshot/"
	if src.Distro != "" {
		prefix += src.Distro + "/"
	}
	return prefix + src.Suite + "/" + hex.EncodeToString(h.Sum(nil))[:12]
}

// RunIdentity is what, beside its business key, makes a start the same
// run as one already running. A start with the same workflow ID attaches
// to the running run and reports its result as its own; so a start that
// verifies differently, or whose worker pool or store differs, must get
// another ID, or a strict start is answered by a lax run (`--keyring K`
// attached to `--allow-unsigned` and said "committed"), or a start is
// answered by workers writing to another store.
type RunIdentity struct {
	// Policy is the verification policy in canonical form
	// (catalog.PolicyOf(spec).String()): the trusted keys by fingerprint,
	// not path, and the opt-outs. The workflows package reads no keyring
	// itself, so the starter computes it.
	Policy string
	// TaskQueue is the queue the run is started on: the worker pool that
	// runs it, with its store.
	TaskQueue string
	// Store names the store the starter reads the results from
	// (storeurl form: a folder or s3://bucket/prefix, with the endpoint).
	Store string
}

// hash is the identity in 12 hex digits, with what the spec itself says
// about verification, so that a caller who passes no Policy still keeps
// lax and strict runs apart.
func (id RunIdentity) hash(src *repo.Spec) string {
	h := sha256.New()
	h.Write([]byte(fmt.Sprintf("policy\x00%s\x00queue\x00%s\x00store\x00%s", id.Policy, id.TaskQueue, id.Store)))
	if src != nil {
		h.Write([]byte(fmt.Sprintf("\x00unsigned\x00%t\x00expired\x00%t", src.AllowUnsigned, src.AllowExpired)))
		if id.Policy == "" {
			// Without the keys, the keyrings as named are all there is.
			h.Write([]byte(fmt.Sprintf("\x00signed-by\x00%s\x00%x\x00%s", strings.Join(src.SignedBy, ","),
				sha256.Sum256([]byte(src.SignedByInline)), strings.Join(src.SignedByFingerprints, ","))))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// SnapshotRunID is the workflow ID a start of a snapshot uses: the
// business key (SnapshotWorkflowID), then the run's identity as a hash —
// "snapshot/debian/bookworm/<key>/<identity>". Hashing the identity into
// the ID lets Temporal itself keep runs apart, atomically, at the start:
// two starts with the same key and identity attach, as before, and a start
// whose policy, queue or store differs runs beside the other instead of
// being refused, with no check between start and describe that could race,
// and the same for a comparison's child snapshots. What it changes: every
// ID gains the last segment, so a start made after an upgrade does not
// attach to a run started before it but runs beside it (the commit is
// idempotent: the second finds the Release committed, or writes the same
// objects); the business-key prefix is what it was, so a search by prefix
// finds both.
func SnapshotRunID(src repo.Spec, id RunIdentity) string {
	return SnapshotWorkflowID(src) + "/" + id.hash(&src)
}

// SnapshotWorkflow resolves the suite's signed Release, ingests every index
// in parallel (one activity per component × architecture, each staging one
// Parquet part), and commits all of them together — or nothing, if any index
// fails. A Release that is already committed ends the run at once.
func SnapshotWorkflow(ctx workflow.Context, in SnapshotInput) (SnapshotResult, error) {
	progress := SnapshotProgress{Phase: "resolving"}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (SnapshotProgress, error) { return progress, nil }); err != nil {
		return SnapshotResult{}, err
	}
	var a *activities.Snapshot
	var res activities.ResolveResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, resolveOptions), a.ResolveRelease, activities.ResolveInput{Source: in.Source}).Get(ctx, &res); err != nil {
		return SnapshotResult{}, stepError("resolve "+in.Source.Suite, err)
	}
	rel := res.Resolved
	progress.Partition = rel.Partition.Distro + "/" + rel.Partition.Release + "/" + rel.Partition.Snapshot
	progress.IndexesTotal = len(rel.Indexes)
	if in.SetSearchAttributes {
		if err := workflow.UpsertTypedSearchAttributes(ctx, distroKey.ValueSet(rel.Partition.Distro), releaseKey.ValueSet(rel.Partition.Release)); err != nil {
			return SnapshotResult{}, err
		}
	}
	if res.Committed != nil {
		progress.Phase = "done"
		progress.IndexesDone = progress.IndexesTotal
		progress.Rows = res.Committed.Rows
		out := resultFromCommit(*res.Committed, rel)
		out.Reused = true
		workflow.SetCurrentDetails(ctx, snapshotSummary(out))
		return out, nil
	}

	progress.Phase = "ingesting"
	ingestCtx := workflow.WithActivityOptions(ctx, ingestOptions)
	// Parts are kept in index order, whatever order they finish in: the
	// commit concatenates them in that order, so a retried run writes the
	// same object. Progress counts them as they finish.
	parts := make([]activities.IngestResult, len(rel.Indexes))
	errs := make([]error, len(rel.Indexes))
	finished := workflow.NewSelector(ctx)
	for i, ix := range rel.Indexes {
		f := workflow.ExecuteActivity(ingestCtx, a.IngestIndex, activities.IngestInput{Format: in.Source.FormatOrApt(), Partition: rel.Partition, Index: ix})
		finished.AddFuture(f, func(f workflow.Future) {
			if errs[i] = f.Get(ctx, &parts[i]); errs[i] == nil {
				progress.IndexesDone++
				progress.Rows += parts[i].Staged.Rows
			}
		})
	}
	for range rel.Indexes {
		finished.Select(ctx)
	}
	for i, err := range errs {
		if err != nil {
			return SnapshotResult{}, stepError("ingest "+rel.Indexes[i].Name(), err)
		}
	}

	progress.Phase = "committing"
	info := workflow.GetInfo(ctx)
	var commit activities.CommitResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, commitOptions), a.CommitSnapshot, activities.CommitInput{
		Resolved: rel, Parts: parts, WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
	}).Get(ctx, &commit)
	if err != nil {
		return SnapshotResult{}, stepError("commit "+progress.Partition, err)
	}
	progress.Phase = "done"
	out := resultFromCommit(commit, rel)
	workflow.SetCurrentDetails(ctx, snapshotSummary(out))
	return out, nil
}

func resultFromCommit(c activities.CommitResult, rel repo.Resolved) SnapshotResult {
	return SnapshotResult{
		Partition: rel.Partition, Indexes: len(rel.Indexes), Rows: c.Rows,
		Manifests: c.Manifests, DataKeys: c.DataKeys, ReleaseURL: rel.ReleaseURL, Signers: rel.Signers,
		ParquetSize: c.ParquetBytes,
	}
}
