// Package app wires the shared configuration into the parts both binaries
// need — logger, metrics, store, Temporal client — so the worker and the CLI
// are set up the same way.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/membudget"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/s3store"
	"github.com/distroscope/distroscope/store/storeurl"
	"github.com/distroscope/distroscope/telemetry"
)

// Logger builds the JSON-to-stdout logger (and the Loki queue when
// configured). The returned function flushes it.
func Logger(c config.Config, service string, stdout io.Writer, m *telemetry.Metrics) (*slog.Logger, func(context.Context) error, error) {
	level, err := c.LogLevel()
	if err != nil {
		return nil, nil, err
	}
	tc := telemetry.Config{
		Service: service, Level: level, LokiURL: c.Log.LokiURL, LokiTenantID: c.Log.LokiTenant,
		LokiUsername: c.Log.LokiUsername, QueueSize: c.Log.LokiQueue, Metrics: m,
	}
	if c.Log.LokiPasswordFile != "" {
		pw, err := os.ReadFile(c.Log.LokiPasswordFile)
		if err != nil {
			return nil, nil, fmt.Errorf("app: Loki password file: %w", err)
		}
		tc.LokiPassword = strings.TrimSpace(string(pw))
	}
	return telemetry.NewLogger(tc, stdout)
}

// OpenStore opens the configured dataset store. S3 keys are read by the
// S3 store from the environment or the configured credentials file.
func OpenStore(ctx context.Context, c config.Config) (store.Store, error) {
	return storeurl.Open(ctx, c.Store.URL, storeurl.Options{S3: s3store.Options{
		Endpoint:        c.Store.S3Endpoint,
		Secure:          c.Store.S3Secure,
		Region:          c.Store.S3Region,
		CredentialsFile: c.Store.S3CredentialsFile,
		PartSize:        c.Store.S3PartSizeMiB << 20,
		CreateBucket:    true,
		ConnectTimeout:  c.Store.S3ConnectTimeout,
		ResponseTimeout: c.Store.S3ResponseTimeout,
		OpTimeout:       c.Store.S3OpTimeout,
		MinRate:         c.Store.S3MinRate,
	}})
}

// Fetcher is the mirrors' fetcher with the configured limits, so that a
// mirror that stalls or trickles fails an attempt instead of holding it.
func Fetcher(c config.Config) *repo.Fetcher {
	f := repo.DefaultFetcher()
	f.IdleTimeout, f.MinRate, f.RateWindow, f.RequestTimeout = c.Fetch.IdleTimeout, c.Fetch.MinRate, c.Fetch.RateWindow, c.Fetch.RequestTimeout
	f.TempDir = c.TempDir
	return f
}

// CloseStore releases a store that holds resources (the local folder
// store keeps its directory open).
func CloseStore(s store.Store) {
	if c, ok := s.(io.Closer); ok {
		c.Close()
	}
}

// TuneGC trades idle heap for fewer collections, within a hard budget. An
// ingest allocates one string per stanza and a row per package at hundreds
// of MB/s; with the default GOGC=100 the collector ran every few MB and took
// a tenth of the CPU. GOGC=400 lets the heap grow between collections, and
// the soft memory limit makes the runtime collect harder as the heap nears
// limitBytes, so the process stays inside its memory budget. Explicit GOGC or
// GOMEMLIMIT environment variables win.
//
// It returns the budget, which activities with a large working set raise
// while they run (membudget.Budget.Reserve); it is inert when GOMEMLIMIT was set
// or limitBytes is 0.
func TuneGC(limitBytes int64) *membudget.Budget {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" && limitBytes > 0 {
		debug.SetMemoryLimit(limitBytes)
		return membudget.New(limitBytes)
	}
	return membudget.New(0)
}
