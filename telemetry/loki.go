package telemetry

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/loki-client-go/loki"
	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// lokiMaxBackoff caps the client's wait between retries of one batch (its
// default is five minutes). While it waits the queue fills and drops, so a
// shorter cap only means Loki gets lines again sooner after an outage.
const lokiMaxBackoff = 30 * time.Second

type lokiEntry struct {
	labels model.LabelSet // shared and never modified
	time   time.Time
	line   string
}

// lokiQueue is the bounded queue between the slog handler and the Loki
// client, and the one goroutine that drains it.
type lokiQueue struct {
	entries chan lokiEntry
	dropped *atomic.Uint64

	mu     sync.RWMutex // held for writing only to set closed
	closed bool

	client   *loki.Client
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func startLokiQueue(t lokiTarget, tenant string, size int, dropped *atomic.Uint64, clientLog slog.Handler) (*lokiQueue, error) {
	cfg, err := loki.NewDefaultConfig(t.url.String())
	if err != nil {
		return nil, fmt.Errorf("telemetry: loki client config for %s: %w", t.url.Redacted(), err)
	}
	cfg.BackoffConfig.MaxBackoff = lokiMaxBackoff
	cfg.TenantID = tenant
	if t.username != "" || t.password != "" {
		cfg.Client.BasicAuth = &promconfig.BasicAuth{
			Username: t.username,
			Password: promconfig.Secret(t.password),
		}
	}
	client, err := loki.NewWithLogger(cfg, kitLogger{clientLog})
	if err != nil {
		return nil, fmt.Errorf("telemetry: loki client for %s: %w", t.url.Redacted(), err)
	}
	q := &lokiQueue{
		entries: make(chan lokiEntry, size),
		dropped: dropped,
		client:  client,
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go q.run()
	return q, nil
}

// enqueue offers e to the queue and drops it, counted, when the queue is
// full or shut down. It never waits for the drain goroutine.
func (q *lokiQueue) enqueue(labels model.LabelSet, line []byte) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	// Checked before copying the line, so an overloaded queue costs no
	// allocation; the select below still decides.
	if q.closed || len(q.entries) == cap(q.entries) {
		q.dropped.Add(1)
		return
	}
	e := lokiEntry{labels: labels, time: time.Now(), line: string(line)}
	select {
	case q.entries <- e:
	default:
		q.dropped.Add(1)
	}
}

func (q *lokiQueue) run() {
	defer close(q.done)
	for {
		select {
		case e := <-q.entries:
			q.push(e)
		case <-q.quit:
			// Nothing can be enqueued any more: push what is left.
			for {
				select {
				case e := <-q.entries:
					q.push(e)
				default:
					// Stop sends the client's pending batches.
					q.client.Stop()
					return
				}
			}
		}
	}
}

// push hands e to the client; this is where the drain goroutine blocks while
// the client retries a failing batch.
func (q *lokiQueue) push(e lokiEntry) {
	// Handle always returns nil; failed batches are counted by the client
	// in its promtail_dropped_entries_total metric.
	_ = q.client.Handle(e.labels, e.time, e.line)
}

// shutdown closes the queue and waits, until ctx is done, for the entries
// in it to be pushed.
func (q *lokiQueue) shutdown(ctx context.Context) error {
	q.stopOnce.Do(func() {
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		close(q.quit)
	})
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("telemetry: loki flush gave up with %d entries queued: %w", len(q.entries), ctx.Err())
	}
}

// levelLabels are the Loki "level" label values, from least severe.
var levelLabels = [...]string{"debug", "info", "warn", "error"}

func levelIndex(l slog.Level) int {
	switch {
	case l < slog.LevelInfo:
		return 0
	case l < slog.LevelWarn:
		return 1
	case l < slog.LevelError:
		return 2
	default:
		return 3
	}
}

// lokiHandler formats records as JSON lines for the queue. It keeps one
// slog.JSONHandler per level label: a JSONHandler's only output is one
// Write per record, so a writer bound to the level's label set turns that
// Write into a queue entry without re-parsing the line.
type lokiHandler struct {
	level  slog.Leveler
	levels [len(levelLabels)]slog.Handler
}

func newLokiHandler(q *lokiQueue, level slog.Leveler, labels map[string]string) *lokiHandler {
	h := &lokiHandler{level: level}
	opts := &slog.HandlerOptions{
		Level: level,
		// Loki stores the entry's own timestamp; the line need not repeat it.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}
	for i, name := range levelLabels {
		set := model.LabelSet{"level": model.LabelValue(name)}
		for k, v := range labels {
			set[model.LabelName(k)] = model.LabelValue(v)
		}
		h.levels[i] = slog.NewJSONHandler(queueWriter{q: q, labels: set}, opts)
	}
	return h
}

func (h *lokiHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *lokiHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.levels[levelIndex(r.Level)].Handle(ctx, r)
}

func (h *lokiHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := &lokiHandler{level: h.level}
	for i, l := range h.levels {
		n.levels[i] = l.WithAttrs(as)
	}
	return n
}

func (h *lokiHandler) WithGroup(name string) slog.Handler {
	n := &lokiHandler{level: h.level}
	for i, l := range h.levels {
		n.levels[i] = l.WithGroup(name)
	}
	return n
}

// queueWriter receives one whole JSON line per Write from slog.JSONHandler.
type queueWriter struct {
	q      *lokiQueue
	labels model.LabelSet
}

func (w queueWriter) Write(p []byte) (int, error) {
	w.q.enqueue(w.labels, bytes.TrimSuffix(p, []byte("\n")))
	return len(p), nil
}

// kitLogger adapts the go-kit logger interface the Loki client logs through
// to an slog.Handler. The client logs only warnings and errors, with
// "level" and "msg" keys.
type kitLogger struct{ h slog.Handler }

func (k kitLogger) Log(keyvals ...any) error {
	level := slog.LevelInfo
	msg := ""
	var attrs []slog.Attr
	for i := 0; i+1 < len(keyvals); i += 2 {
		key := fmt.Sprint(keyvals[i])
		switch key {
		case "level":
			switch fmt.Sprint(keyvals[i+1]) {
			case "debug":
				level = slog.LevelDebug
			case "warn":
				level = slog.LevelWarn
			case "error":
				level = slog.LevelError
			}
		case "msg":
			msg = fmt.Sprint(keyvals[i+1])
		default:
			attrs = append(attrs, slog.Any(key, keyvals[i+1]))
		}
	}
	ctx := context.Background()
	if !k.h.Enabled(ctx, level) {
		return nil
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	return k.h.Handle(ctx, r)
}
