// Package activities holds distroscope's Temporal activities: thin,
// idempotent adapters between the workflows and the domain packages (repo,
// repo/formats, datasets, releases, the analyses). Each business area has
// one file — snapshot.go, compare.go, releases.go — with a struct holding
// the area's dependencies, its activities as methods, and their Input and
// Result types.
//
// What an activity adds to the domain call is Temporal's concern only:
// it heartbeats from its own goroutine while the work runs (heartbeat.go),
// so a killed worker's attempt is given up in seconds; it classifies errors
// (errors.go) so the retry policy can tell bad input, which is final, from
// a flaky mirror or a stopped worker, which another attempt fixes. They
// pass object keys and counts, never the data itself. Their timeouts and
// retry policies are set by the workflows, in one table
// (workflows/options.go).
package activities
