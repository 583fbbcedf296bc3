package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testPassword = "pw-that-must-never-be-logged"

// livenessBound is how long a burst of logging may take before the test
// calls it stuck. It is not a benchmark: the burst takes milliseconds.
const livenessBound = 10 * time.Second

func TestLokiReceivesPushProtocol(t *testing.T) {
	rcv := &lokiReceiver{t: t}
	srv := httptest.NewServer(rcv)
	defer srv.Close()

	m := NewMetrics()
	cfg := Config{
		Service:      "worker",
		Instance:     "test-1",
		Level:        slog.LevelInfo,
		LokiURL:      srv.URL, // no path: the push path is added
		LokiLabels:   map[string]string{"env": "test"},
		LokiTenantID: "tenant-a",
		LokiUsername: "pusher",
		LokiPassword: testPassword,
		Metrics:      m,
	}
	var stdout syncBuffer
	logger, shutdown, err := NewLogger(cfg, &stdout)
	if err != nil {
		t.Fatal(err)
	}

	records := []struct {
		level     slog.Level
		msg       string
		log       func(msg string)
		wantLabel string // "" means below the configured level
		wantAttrs map[string]any
	}{
		{slog.LevelInfo, "fetched index", func(msg string) {
			logger.Info(msg, "bytes", 1234, "dataset", "packages")
		}, "info", map[string]any{"bytes": 1234.0, "dataset": "packages"}},
		{slog.LevelDebug, "hidden detail", func(msg string) {
			logger.Debug(msg, "x", 1)
		}, "", nil},
		{slog.LevelWarn, "retrying", func(msg string) {
			logger.With("run", "r1").WithGroup("req").Warn(msg, "attempt", 2)
		}, "warn", map[string]any{"run": "r1", "req": map[string]any{"attempt": 2.0}}},
		{slog.LevelError, "failed", func(msg string) {
			logger.Error(msg, "err", errors.New("boom"))
		}, "error", map[string]any{"err": "boom"}},
		{slog.LevelInfo + 2, "between info and warn", func(msg string) {
			logger.Log(context.Background(), slog.LevelInfo+2, msg)
		}, "info", map[string]any{}},
		{slog.LevelError + 4, "above error", func(msg string) {
			logger.Log(context.Background(), slog.LevelError+4, msg)
		}, "error", map[string]any{}},
		{slog.LevelInfo, "config loaded", func(msg string) {
			logger.Info(msg, "telemetry", cfg)
		}, "info", nil},
	}
	for _, r := range records {
		r.log(r.msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	entries, requests := rcv.received()
	byMsg := map[string]receivedEntry{}
	for _, e := range entries {
		var line map[string]any
		if err := json.Unmarshal([]byte(e.line), &line); err != nil {
			t.Fatalf("loki line %q is not JSON: %v", e.line, err)
		}
		if _, ok := line[slog.TimeKey]; ok {
			t.Errorf("loki line %q repeats the time Loki stores with the entry", e.line)
		}
		msg, _ := line[slog.MessageKey].(string)
		if _, dup := byMsg[msg]; dup {
			t.Errorf("loki got %q twice", msg)
		}
		byMsg[msg] = e
	}
	for _, r := range records {
		e, ok := byMsg[r.msg]
		if r.wantLabel == "" {
			if ok {
				t.Errorf("%q below the level reached loki", r.msg)
			}
			continue
		}
		if !ok {
			t.Errorf("%q never reached loki; got %d entries", r.msg, len(entries))
			continue
		}
		wantLabels := map[string]string{"service": "worker", "instance": "test-1", "env": "test", "level": r.wantLabel}
		if !equalMaps(e.labels, wantLabels) {
			t.Errorf("%q labels = %v, want %v", r.msg, e.labels, wantLabels)
		}
		var line map[string]any
		_ = json.Unmarshal([]byte(e.line), &line)
		if got, want := line[slog.LevelKey], r.level.String(); got != want {
			t.Errorf("%q line level = %v, want %v", r.msg, got, want)
		}
		for k, want := range r.wantAttrs {
			if got := line[k]; !jsonEqual(got, want) {
				t.Errorf("%q line attr %s = %#v, want %#v (line %s)", r.msg, k, got, want, e.line)
			}
		}
	}

	if len(requests) == 0 {
		t.Fatal("loki got no requests")
	}
	for _, req := range requests {
		if got := req.Header.Get("Content-Type"); got != "application/x-protobuf" {
			t.Errorf("Content-Type = %q, want application/x-protobuf", got)
		}
		if got := req.Header.Get("X-Scope-OrgID"); got != cfg.LokiTenantID {
			t.Errorf("X-Scope-OrgID = %q, want %q", got, cfg.LokiTenantID)
		}
		user, pass, ok := req.BasicAuth()
		if !ok || user != cfg.LokiUsername || pass != cfg.LokiPassword {
			t.Errorf("basic auth = %q, %t; want the configured credentials", user, ok)
		}
	}

	// stdout got every enabled record, whatever Loki did.
	stdoutMsgs := map[string]bool{}
	for _, l := range stdout.lines() {
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", l, err)
		}
		if _, ok := line[slog.TimeKey]; !ok {
			t.Errorf("stdout line %q has no time", l)
		}
		msg, _ := line[slog.MessageKey].(string)
		stdoutMsgs[msg] = true
	}
	for _, r := range records {
		if stdoutMsgs[r.msg] != (r.wantLabel != "") {
			t.Errorf("stdout has %q: %t, want %t", r.msg, stdoutMsgs[r.msg], r.wantLabel != "")
		}
	}
	if strings.Contains(stdout.String(), testPassword) {
		t.Error("stdout shows the loki password")
	}
	for _, e := range entries {
		if strings.Contains(e.line, testPassword) {
			t.Errorf("loki line shows the loki password: %s", e.line)
		}
	}
	if d := m.LokiDropped(); d != 0 {
		t.Errorf("dropped %d entries with a healthy loki", d)
	}
}

// TestLokiCredentialsFromURL checks that credentials written in the URL are
// sent as basic auth, and shown nowhere.
func TestLokiCredentialsFromURL(t *testing.T) {
	rcv := &lokiReceiver{t: t}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	var stdout syncBuffer
	url := strings.Replace(srv.URL, "http://", "http://pusher:"+testPassword+"@", 1) + lokiPushPath
	logger, shutdown, err := NewLogger(Config{LokiURL: url}, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("hello")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	entries, requests := rcv.received()
	if len(entries) != 1 || !strings.Contains(entries[0].line, `"msg":"hello"`) {
		t.Fatalf("loki got %v, want the one line logged", entries)
	}
	if got := entries[0].labels["service"]; got != DefaultService {
		t.Errorf("service label = %q, want the default %q", got, DefaultService)
	}
	if entries[0].labels["instance"] == "" {
		t.Error("instance label is empty, want the host name")
	}
	for _, req := range requests {
		if user, pass, ok := req.BasicAuth(); !ok || user != "pusher" || pass != testPassword {
			t.Errorf("basic auth = %q, %t; want the URL's credentials", user, ok)
		}
	}
	if strings.Contains(stdout.String(), testPassword) {
		t.Error("stdout shows the loki password")
	}
}

// TestLokiOutageNeverBlocks logs a burst while Loki cannot take it and checks
// that every call returned, the overflow was dropped and counted, and stdout
// still has every entry.
func TestLokiOutageNeverBlocks(t *testing.T) {
	const burst, queue = 10_000, 100
	outages := []struct {
		name string
		// start returns the Loki URL and a channel closed once the client
		// is stuck pushing its first batch; stop releases the server.
		start func(t *testing.T, stdout *syncBuffer) (url string, stuck <-chan struct{}, stop func())
	}{
		{"hanging", func(t *testing.T, _ *syncBuffer) (string, <-chan struct{}, func()) {
			stuck, release := make(chan struct{}), make(chan struct{})
			var once atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if once.CompareAndSwap(false, true) {
					close(stuck)
				}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			return srv.URL, stuck, func() { close(release); srv.Close() }
		}},
		{"dead", func(t *testing.T, stdout *syncBuffer) (string, <-chan struct{}, func()) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			// The client says so on stdout when it starts retrying.
			stuck := make(chan struct{})
			go func() {
				defer close(stuck)
				for deadline := time.Now().Add(livenessBound); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
					if strings.Contains(stdout.String(), "will retry") {
						return
					}
				}
			}()
			return "http://" + addr, stuck, func() {}
		}},
	}
	for _, o := range outages {
		t.Run(o.name, func(t *testing.T) {
			var stdout syncBuffer
			url, stuck, stop := o.start(t, &stdout)
			defer stop()
			m := NewMetrics()
			logger, shutdown, err := NewLogger(Config{
				Service: "worker", LokiURL: url, QueueSize: queue,
				LokiUsername: "pusher", LokiPassword: testPassword, Metrics: m,
			}, &stdout)
			if err != nil {
				t.Fatal(err)
			}
			logger.Info("first", "i", -1)
			select {
			case <-stuck:
			case <-time.After(livenessBound):
				t.Fatal("the loki client never tried to push")
			}

			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := range burst {
					logger.Info("entry", "i", i)
				}
			}()
			select {
			case <-done:
			case <-time.After(livenessBound):
				t.Fatalf("%d log calls did not return within %s", burst, livenessBound)
			}

			if m.LokiDropped() == 0 {
				t.Errorf("no entry dropped with a queue of %d", queue)
			}
			if m.LokiDropped() > burst+1 {
				t.Errorf("dropped %d of %d entries", m.LokiDropped(), burst+1)
			}
			seen := make([]bool, burst)
			for _, l := range stdout.lines() {
				var line struct {
					Msg string `json:"msg"`
					I   int    `json:"i"`
				}
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatalf("stdout line %q is not JSON: %v", l, err)
				}
				if line.Msg == "entry" {
					seen[line.I] = true
				}
			}
			for i, ok := range seen {
				if !ok {
					t.Fatalf("stdout lacks entry %d", i)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			done = make(chan struct{})
			go func() {
				defer close(done)
				if err := shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("shutdown during an outage = %v, want a deadline error", err)
				}
			}()
			select {
			case <-done:
			case <-time.After(livenessBound):
				t.Fatal("shutdown ignored its deadline")
			}
			logger.Info("after shutdown")
			if !strings.Contains(stdout.String(), `"msg":"after shutdown"`) {
				t.Error("a log call after shutdown did not reach stdout")
			}
			if strings.Contains(stdout.String(), testPassword) {
				t.Error("stdout shows the loki password")
			}
		})
	}
}

func TestNewLoggerConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for success
	}{
		{"stdout only", Config{}, ""},
		{"loki with defaults", Config{LokiURL: "http://127.0.0.1:1"}, ""},
		{"credentials in url", Config{LokiURL: "http://u:" + testPassword + "@127.0.0.1:1/loki/api/v1/push"}, ""},
		{"unparsable url", Config{LokiURL: "http://u:" + testPassword + "@127.0.0.1:1/%zz"}, "loki url"},
		{"no scheme", Config{LokiURL: "127.0.0.1:3100"}, "loki url"},
		{"ftp", Config{LokiURL: "ftp://u:" + testPassword + "@127.0.0.1/"}, "scheme"},
		{"no host", Config{LokiURL: "http:///loki/api/v1/push"}, "no host"},
		{"bad label name", Config{LokiURL: "http://127.0.0.1:1", LokiLabels: map[string]string{"bad-name": "x"}}, "bad-name"},
		{"reserved label", Config{LokiURL: "http://127.0.0.1:1", LokiLabels: map[string]string{"__name__": "x"}}, "__name__"},
		{"fixed label", Config{LokiURL: "http://127.0.0.1:1", LokiLabels: map[string]string{"level": "x"}}, "set by telemetry"},
		{"empty label value", Config{LokiURL: "http://127.0.0.1:1", LokiLabels: map[string]string{"env": ""}}, "empty value"},
		{"negative queue", Config{LokiURL: "http://127.0.0.1:1", QueueSize: -1}, "queue size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, shutdown, err := NewLogger(tt.cfg, io.Discard)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("NewLogger succeeded, want an error about %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "telemetry: ") {
					t.Errorf("error %q, want one starting with telemetry: and naming %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), testPassword) {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			logger.Info("hello")
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			// Nothing listens on port 1, so a Loki flush may time out;
			// only the stdout-only logger must shut down cleanly.
			if err := shutdown(ctx); tt.cfg.LokiURL == "" && err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}

func TestConfigLogValueHidesPassword(t *testing.T) {
	var out strings.Builder
	cfg := Config{LokiURL: "https://u:" + testPassword + "@loki.example.org/", LokiPassword: testPassword, LokiUsername: "u"}
	slog.New(slog.NewJSONHandler(&out, nil)).Info("cfg", "telemetry", cfg)
	if strings.Contains(out.String(), testPassword) {
		t.Errorf("logged config shows the password: %s", out.String())
	}
	if !strings.Contains(out.String(), `"loki_password_set":true`) {
		t.Errorf("logged config does not say a password is set: %s", out.String())
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// BenchmarkLogger measures one log call with a few attributes: to stdout
// alone, and to stdout plus the Loki queue (with a Loki that accepts, so the
// queue mostly has room).
func BenchmarkLogger(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"stdout", Config{}},
		{"stdout+loki", Config{LokiURL: srv.URL, Metrics: NewMetrics()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			logger, shutdown, err := NewLogger(bc.cfg, io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				logger.Info("wrote rows", "dataset", "packages", "rows", i, "bytes", 4096)
			}
			b.StopTimer()
			b.ReportMetric(float64(bc.cfg.Metrics.LokiDropped()), "dropped")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = shutdown(ctx)
		})
	}
}
