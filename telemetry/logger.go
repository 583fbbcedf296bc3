package telemetry

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
)

// NewLogger returns a logger writing JSON lines to stdout and, when
// cfg.LokiURL is set, also to Loki through a bounded queue that never makes
// a logging call wait (see the package documentation).
//
// The returned shutdown function stops the Loki queue and waits, until ctx
// is done, for the queued entries to be pushed; it returns an error when ctx
// ended first. Log calls made after shutdown still reach stdout. Without
// Loki, shutdown does nothing.
func NewLogger(cfg Config, stdout io.Writer) (*slog.Logger, func(context.Context) error, error) {
	stdoutHandler := slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.Level})
	if cfg.LokiURL == "" {
		return slog.New(stdoutHandler), func(context.Context) error { return nil }, nil
	}
	target, err := cfg.lokiTarget()
	if err != nil {
		return nil, nil, err
	}
	dropped := new(atomic.Uint64)
	if cfg.Metrics != nil {
		dropped = &cfg.Metrics.lokiDropped
	}
	size := cfg.QueueSize
	if size == 0 {
		size = DefaultQueueSize
	}
	// The Loki client reports its own trouble to stdout only: sending it
	// to Loki would feed a failing Loki more lines about failing.
	clientLog := slog.New(stdoutHandler).With("component", "loki-client")
	q, err := startLokiQueue(target, cfg.LokiTenantID, size, dropped, clientLog.Handler())
	if err != nil {
		return nil, nil, err
	}
	h := slog.NewMultiHandler(stdoutHandler, newLokiHandler(q, cfg.Level, target.labels))
	return slog.New(h), q.shutdown, nil
}
