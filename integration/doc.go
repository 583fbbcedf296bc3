// Package integration holds the end-to-end tests: the real Temporal dev
// server, MinIO and Ceph RGW that `go tool task test` starts on 127.0.0.1
// (package internal/testenv hands them out), the built worker and CLI
// binaries, real fixture repositories served on 127.0.0.1, and DuckDB
// reading what was committed. Outside the test task they skip, saying why;
// under CI they fail instead.
package integration
