package telemetry

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	"github.com/prometheus/prometheus/promql/parser"
)

// lokiReceiver is the receiving end of Loki's push protocol: it decodes the
// snappy-compressed logproto.PushRequest that Loki itself decodes, with the
// same generated types the client encodes with.
type lokiReceiver struct {
	t *testing.T

	mu       sync.Mutex
	entries  []receivedEntry
	requests []*http.Request // headers only; bodies are consumed
}

type receivedEntry struct {
	labels map[string]string
	line   string
}

func (rcv *lokiReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != lokiPushPath {
		rcv.t.Errorf("loki receiver: %s %s, want POST %s", r.Method, r.URL.Path, lokiPushPath)
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		rcv.t.Errorf("loki receiver: body is not snappy: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req push.PushRequest
	if err := req.Unmarshal(raw); err != nil {
		rcv.t.Errorf("loki receiver: body is not a PushRequest: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var got []receivedEntry
	for _, s := range req.Streams {
		lbls, err := parser.ParseMetric(s.Labels)
		if err != nil {
			rcv.t.Errorf("loki receiver: stream labels %q: %v", s.Labels, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, e := range s.Entries {
			if e.Timestamp.IsZero() {
				rcv.t.Errorf("loki receiver: entry %q has no timestamp", e.Line)
			}
			got = append(got, receivedEntry{labels: lbls.Map(), line: e.Line})
		}
	}
	rcv.mu.Lock()
	rcv.entries = append(rcv.entries, got...)
	rcv.requests = append(rcv.requests, r.Clone(r.Context()))
	rcv.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rcv *lokiReceiver) received() ([]receivedEntry, []*http.Request) {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return append([]receivedEntry(nil), rcv.entries...), append([]*http.Request(nil), rcv.requests...)
}

// syncBuffer is a stdout that the test reads while the Loki client's
// goroutine may still write its warnings to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) lines() []string {
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
