// Package testenv hands integration tests the real servers that
// `go tool task test` starts (Temporal dev server, MinIO, Ceph RGW).
//
// The servers are started once for the whole `go test ./...` run by
// scripts/stack.sh, which exports their addresses and generated credentials
// as DISTROSCOPE_TEST_* variables. A test run outside the task skips the
// integration tests with a message saying how to run them; under CI (CI set)
// a missing server is a failure, so a broken stack can never pass silently.
package testenv

import (
	"os"
	"testing"
)

// S3 describes an S3-compatible endpoint and the credentials for it.
type S3 struct {
	Endpoint  string // host:port, plain HTTP on 127.0.0.1
	AccessKey string
	SecretKey string
	Region    string
}

func require(t testing.TB, what string, vars ...string) []string {
	t.Helper()
	vals := make([]string, len(vars))
	for i, v := range vars {
		vals[i] = os.Getenv(v)
		if vals[i] == "" {
			msg := what + " not available: " + v + " is unset (run the tests with `go tool task test`, which starts it)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return vals
}

// Temporal returns the host:port of the Temporal dev server frontend.
func Temporal(t testing.TB) string {
	t.Helper()
	return require(t, "Temporal dev server", "DISTROSCOPE_TEST_TEMPORAL_ADDRESS")[0]
}

// MinIO returns the MinIO server started for the tests.
func MinIO(t testing.TB) S3 {
	t.Helper()
	v := require(t, "MinIO", "DISTROSCOPE_TEST_MINIO_ENDPOINT", "DISTROSCOPE_TEST_MINIO_ACCESS_KEY", "DISTROSCOPE_TEST_MINIO_SECRET_KEY")
	return S3{Endpoint: v[0], AccessKey: v[1], SecretKey: v[2], Region: "us-east-1"}
}

// RGW returns the single-node Ceph RADOS Gateway started for the tests.
func RGW(t testing.TB) S3 {
	t.Helper()
	v := require(t, "Ceph RGW", "DISTROSCOPE_TEST_RGW_ENDPOINT", "DISTROSCOPE_TEST_RGW_ACCESS_KEY", "DISTROSCOPE_TEST_RGW_SECRET_KEY")
	return S3{Endpoint: v[0], AccessKey: v[1], SecretKey: v[2], Region: "default"}
}

// DuckDB returns the path of a Node script that runs one SQL query in DuckDB
// and prints the rows as JSON (scripts/duckdb/query.mjs, with DuckDB
// installed from the npm registry next to it).
func DuckDB(t testing.TB) string {
	t.Helper()
	return require(t, "DuckDB", "DISTROSCOPE_TEST_DUCKDB")[0]
}
