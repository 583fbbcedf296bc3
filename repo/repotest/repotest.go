// Package repotest is the conformance suite every repository format runs:
// given a real fixture repository served on 127.0.0.1, a Source must resolve
// it to a valid, stable partition, ingest every index into rows of its
// format, refuse a tampered or truncated index with ErrCorrupt saying what
// differs, answer a mirror without the suite with ErrNoSuchSuite, and leave
// a refused connection or an unknown host retryable, saying so in a few
// words. One suite, many formats — as go-containerregistry validates every
// image implementation.
package repotest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
)

// Fixture describes one format's fixture repository.
type Fixture struct {
	Source repo.Source
	// Root is the folder served as the mirror.
	Root string
	// Spec returns the spec to snapshot the fixture served at mirror.
	Spec func(mirror string) repo.Spec
	// RowFormat is the value every row's Format column must hold.
	RowFormat string
	// MinRows is the number of rows the fixture holds at least.
	MinRows int64
	// Now is the clock for Resolve (fixtures may carry expiry dates).
	Now time.Time
}

// Run checks a Source against its fixture.
func Run(t *testing.T, fx Fixture) {
	t.Helper()
	ctx := context.Background()
	f := repo.DefaultFetcher()
	srv := httptest.NewServer(http.FileServer(http.Dir(fx.Root)))
	t.Cleanup(srv.Close)
	spec := fx.Spec(srv.URL)

	rel, err := fx.Source.Resolve(ctx, f, spec, fx.Now)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	t.Run("resolves a valid partition", func(t *testing.T) {
		if err := rel.Partition.Validate(); err != nil {
			t.Error(err)
		}
		if len(rel.Indexes) != len(spec.Components)*len(spec.Architectures) {
			t.Errorf("%d indexes for %d components × %d architectures", len(rel.Indexes), len(spec.Components), len(spec.Architectures))
		}
		for _, ix := range rel.Indexes {
			if len(ix.Candidates) == 0 {
				t.Errorf("index %s has no candidates", ix.Name())
			}
		}
	})
	t.Run("resolving again gives the same snapshot", func(t *testing.T) {
		again, err := fx.Source.Resolve(ctx, f, spec, fx.Now)
		if err != nil {
			t.Fatal(err)
		}
		if again.Partition != rel.Partition {
			t.Errorf("partition changed: %+v then %+v", rel.Partition, again.Partition)
		}
	})
	t.Run("ingests every index", func(t *testing.T) {
		var total int64
		for _, ix := range rel.Indexes {
			var buf bytes.Buffer
			res, err := repo.Ingest(ctx, f, ix, fx.Source.Parse, &buf, repo.IngestOptions{})
			if err != nil {
				t.Fatalf("Ingest %s: %v", ix.Name(), err)
			}
			rows := readRows(t, buf.Bytes())
			if int64(len(rows)) != res.Rows {
				t.Errorf("%s: result says %d rows, file has %d", ix.Name(), res.Rows, len(rows))
			}
			for _, r := range rows {
				if r.Format != fx.RowFormat || r.Package == "" || r.Version == "" ||
					r.Component != ix.Component || r.IndexArchitecture != ix.Architecture {
					t.Fatalf("%s: bad row %+v", ix.Name(), r)
				}
			}
			total += res.Rows
		}
		if total < fx.MinRows {
			t.Errorf("%d rows, the fixture holds at least %d", total, fx.MinRows)
		}
	})
	t.Run("a tampered index is corrupt", func(t *testing.T) {
		ix := rel.Indexes[0]
		c := ix.Candidates[0]
		data := fetch(t, f, c.URL)
		tampered := bytes.Clone(data)
		tampered[len(tampered)/2] ^= 0x5a
		truncated := data[:len(data)-1]
		for _, tc := range []struct {
			name  string
			data  []byte
			words []string // what the error must name besides the URL
		}{
			// The same size: only the hash can tell.
			{"byte changed", tampered, []string{"SHA256", c.SHA256, sha256Hex(tampered)}},
			{"one byte short", truncated, []string{"bytes", strconv.FormatInt(c.Size, 10), strconv.Itoa(len(truncated))}},
		} {
			// Under a name that is its hash the mismatch is final; under any
			// other name it is fetched again (the mirror may be mid-sync)
			// and corrupt only when every fetch agrees.
			for _, file := range []string{"by-hash/" + c.SHA256, "index"} {
				t.Run(tc.name+"/"+file, func(t *testing.T) {
					dir := t.TempDir()
					if err := os.MkdirAll(filepath.Join(dir, "by-hash"), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(file)), tc.data, 0o644); err != nil {
						t.Fatal(err)
					}
					bad := httptest.NewServer(http.FileServer(http.Dir(dir)))
					defer bad.Close()
					one := ix
					one.Candidates = []repo.Candidate{c}
					one.Candidates[0].URL = bad.URL + "/" + file
					_, err := repo.Ingest(ctx, f, one, fx.Source.Parse, io.Discard, repo.IngestOptions{MismatchBackoff: time.Millisecond})
					if !errors.Is(err, repo.ErrCorrupt) {
						t.Fatalf("%s %s: err = %v, want ErrCorrupt", tc.name, ix.Name(), err)
					}
					for _, w := range append([]string{one.Candidates[0].URL}, tc.words...) {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("error %q does not name %q", err, w)
						}
					}
				})
			}
		}
	})
	t.Run("a suite the mirror does not have is an invalid source", func(t *testing.T) {
		empty := httptest.NewServer(http.NotFoundHandler())
		defer empty.Close()
		_, err := fx.Source.Resolve(ctx, f, fx.Spec(empty.URL), fx.Now)
		if !errors.Is(err, repo.ErrNoSuchSuite) || !errors.Is(err, repo.ErrInvalidSource) || errors.Is(err, repo.ErrCorrupt) {
			t.Fatalf("err = %v, want ErrNoSuchSuite and ErrInvalidSource, not ErrCorrupt", err)
		}
		if !strings.Contains(err.Error(), empty.URL) || !strings.Contains(err.Error(), "404") {
			t.Errorf("error %q does not name the mirror and its answer", err)
		}
	})
	for _, tc := range []struct {
		name, mirror string
		f            *repo.Fetcher
		says         string
	}{
		{"a mirror that refuses connections is worth retrying", ClosedPort(t), f, "connection refused"},
		{"a mirror whose host is unknown is worth retrying", "http://mirror.invalid", UnknownHost(), "unknown host mirror.invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fx.Source.Resolve(ctx, tc.f, fx.Spec(tc.mirror), fx.Now)
			if err == nil || errors.Is(err, repo.ErrCorrupt) || errors.Is(err, repo.ErrInvalidSource) {
				t.Fatalf("err = %v, want a retryable error", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "GET "+tc.mirror+"/") || !strings.Contains(msg, tc.says) || strings.Contains(msg, "dial tcp") {
				t.Errorf("error %q, want a short one naming the URL and saying %q", msg, tc.says)
			}
		})
	}
}

// ClosedPort is a base URL on 127.0.0.1 where nothing listens: a port that
// was just bound and released.
func ClosedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// UnknownHost is a Fetcher for which no host name resolves, failing as the
// system resolver does for a name that does not exist (NXDOMAIN), without
// asking a real DNS server.
func UnknownHost() *repo.Fetcher {
	f := repo.DefaultFetcher()
	tr := f.Client.Transport.(*http.Transport).Clone()
	tr.DialContext = func(_ context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.OpError{Op: "dial", Net: network,
			Err: &net.DNSError{Err: "no such host", Name: host, Server: "127.0.0.53:53", IsNotFound: true}}
	}
	f.Client = &http.Client{Transport: tr}
	return f
}

func fetch(t *testing.T, f *repo.Fetcher, url string) []byte {
	t.Helper()
	body, _, err := f.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func readRows(t *testing.T, data []byte) []datasets.PackageRow {
	t.Helper()
	r := parquet.NewGenericReader[datasets.PackageRow](bytes.NewReader(data))
	defer r.Close()
	rows := make([]datasets.PackageRow, r.NumRows())
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return rows[:n]
}
