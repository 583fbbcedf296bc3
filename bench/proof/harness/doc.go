// Package harness is the kill harness of `go tool task proof` (bench/proof)
// and of its short form in CI (integration's TestProofNightlyKilled): it runs
// a nightly on a worker binary, stops the run at chosen points — a mirror
// that holds an index after part of it, an S3 proxy that holds a request, an
// event in the run's history — disrupts it there (SIGKILL of the worker and
// an immediate restart, or a restart of the Temporal server), and measures
// what each disruption cost: the seconds of activity work the killed
// attempts had done, which their retries repeat, and the time from the
// restart to the run's next progress. It then reads every committed dataset
// row by row, to compare with an undisturbed run's.
//
// Everything it starts listens on 127.0.0.1. Both forms use it, so that the
// proof and CI hold the same machinery, not two copies of it.
package harness
