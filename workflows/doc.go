// Package workflows holds distroscope's Temporal workflows. They only
// orchestrate: every read, write, clock and random number is in an
// activity, so the code here is deterministic and replays from history
// (workflowcheck runs on it in CI).
//
// Each business area is one file — snapshot.go, compare.go, releases.go —
// holding what a caller needs to start it (the workflow's name, its Input,
// Result and progress types, the workflow ID helper built from the business
// key, so a second start attaches to the first instead of duplicating it),
// the workflow itself, and the area's Register, which registers the
// workflow and its activities with a worker; the activities live beside
// them in package activities, in the file of the same name. A new area
// copies a sibling: a file here, one in activities/, its domain package
// under analysis/ (or beside repo/), one command file in starter/, and one
// Register call in workers/main.go.
//
// Every activity's timeouts and retries are in options.go, with the
// reasons.
package workflows
