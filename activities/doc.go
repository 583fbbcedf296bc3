// Package activities holds distroscope's Temporal activities: thin,
// idempotent adapters between the workflows and the domain packages (repo,
// repo/formats, datasets, releases, the analyses). Each business area has
// one file — snapshot.go, compare.go, releases.go — with a struct holding
// the area's dependencies, its activities as methods, and their Input and
// Result types.
//
// What an activity adds to the domain call is Temporal's concern only:
// it heartbeats from its own goroutine while the work runs (heartbeat.go),
// with the step and the bytes fetched so far, so a killed worker's attempt
// is given up in seconds, and an attempt the server no longer wants (timed
// out, its run terminated) has its context cancelled and stops; it
// classifies errors (errors.go) so the retry policy can tell bad input,
// which is final, from a flaky mirror or a stopped worker, which another
// attempt fixes — and sets when that attempt comes: a jittered backoff that
// grows to a minute for a transient failure, at once for a stopped worker
// (Backoff, in heartbeat.go). They pass object keys and counts, never the
// data itself. Their timeouts and the number of attempts are set by the
// workflows, in one table (workflows/options.go).
package activities
