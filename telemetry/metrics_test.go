package telemetry

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches url and parses the Prometheus text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape of %s does not parse: %v", url, err)
	}
	return families
}

// series finds the metric of family name whose labels are exactly labels.
func series(families map[string]*dto.MetricFamily, name string, labels map[string]string) (*dto.Metric, error) {
	f, ok := families[name]
	if !ok {
		return nil, fmt.Errorf("no family %s", name)
	}
	var seen []string
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		if equalMaps(got, labels) {
			return m, nil
		}
		seen = append(seen, fmt.Sprint(got))
	}
	sort.Strings(seen)
	return nil, fmt.Errorf("%s has no series %v; has %v", name, labels, seen)
}

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	type sample struct {
		family string
		labels map[string]string
		// value is the counter or gauge value, or for histograms the
		// sample sum; count is the histogram sample count.
		value float64
		count uint64
	}
	updates := []struct {
		name   string
		update func()
		want   []sample
	}{
		{"rows", func() {
			m.AddRows("packages", 120)
			m.AddRows("packages", 30)
			m.AddRows("releases", 2)
			m.AddRows("packages", -5)
		},
			[]sample{
				{"distroscope_rows_written_total", map[string]string{"dataset": "packages"}, 150, 0},
				{"distroscope_rows_written_total", map[string]string{"dataset": "releases"}, 2, 0},
			}},
		{"bytes", func() { m.AddBytes("packages", 4096) },
			[]sample{{"distroscope_bytes_written_total", map[string]string{"dataset": "packages"}, 4096, 0}}},
		{"index bytes", func() { m.AddIndexBytes("deb", 1000); m.AddIndexBytes("deb", 24) },
			[]sample{{"distroscope_index_bytes_fetched_total", map[string]string{"ecosystem": "deb"}, 1024, 0}}},
		{"activity durations", func() {
			m.ObserveActivity("FetchIndex", 1500*time.Millisecond)
			m.ObserveActivity("FetchIndex", 500*time.Millisecond)
		}, []sample{{"distroscope_activity_duration_seconds", map[string]string{"activity": "FetchIndex"}, 2, 2}}},
		{"failures", func() { m.CountFailure("FetchIndex", "corrupt"); m.CountFailure("FetchIndex", "corrupt") },
			[]sample{{"distroscope_activity_failures_total", map[string]string{"activity": "FetchIndex", "kind": "corrupt"}, 2, 0}}},
		{"loki dropped", func() { m.lokiDropped.Add(7) },
			[]sample{{"distroscope_loki_dropped_entries_total", map[string]string{}, 7, 0}}},
		{"temporal", func() {
			h := m.TemporalHandler()
			ns := h.WithTags(map[string]string{"namespace": "default"})
			ns.WithTags(map[string]string{"task_queue": "index"}).Counter("temporal_request").Inc(3)
			// The same name with fewer tags: a Prometheus vector could
			// not hold both.
			ns.Counter("temporal_request").Inc(2)
			ns.Counter("temporal_request").Inc(-1) // ignored, never a panic
			ns.WithTags(map[string]string{"namespace": "other"}).Counter("temporal_request").Inc(1)
			ns.Timer("temporal_activity_execution_latency").Record(250 * time.Millisecond)
			h.Gauge("temporal_num_pollers").Update(4)
			h.Gauge("temporal_num_pollers").Update(2)
			h.WithTags(map[string]string{"bad-key": "v", "__reserved": "w"}).Counter("temporal.odd name").Inc(1)
			// A name already used by another kind is ignored.
			ns.Gauge("temporal_request").Update(99)
		}, []sample{
			{"temporal_request", map[string]string{"namespace": "default", "task_queue": "index"}, 3, 0},
			{"temporal_request", map[string]string{"namespace": "default"}, 2, 0},
			{"temporal_request", map[string]string{"namespace": "other"}, 1, 0},
			{"temporal_activity_execution_latency_seconds", map[string]string{"namespace": "default"}, 0.25, 1},
			{"temporal_num_pollers", map[string]string{}, 2, 0},
			{"temporal_odd_name", map[string]string{"bad_key": "v", "x__reserved": "w"}, 1, 0},
		}},
	}
	for _, u := range updates {
		u.update()
	}
	var nilMetrics *Metrics
	nilMetrics.AddRows("packages", 1) // must not panic
	nilMetrics.ObserveActivity("x", time.Second)

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	families := scrape(t, srv.URL)
	for _, u := range updates {
		for _, w := range u.want {
			got, err := series(families, w.family, w.labels)
			if err != nil {
				t.Errorf("%s: %v", u.name, err)
				continue
			}
			var value float64
			var count uint64
			switch {
			case got.Counter != nil:
				value = got.Counter.GetValue()
			case got.Gauge != nil:
				value = got.Gauge.GetValue()
			case got.Histogram != nil:
				value, count = got.Histogram.GetSampleSum(), got.Histogram.GetSampleCount()
			}
			if value != w.value || count != w.count {
				t.Errorf("%s: %s%v = %v (count %d), want %v (count %d)", u.name, w.family, w.labels, value, count, w.value, w.count)
			}
		}
	}
	if f := families["temporal_request"]; f.GetType() != dto.MetricType_COUNTER || len(f.GetMetric()) != 3 {
		t.Errorf("temporal_request is a %v with %d series, want a counter with 3", f.GetType(), len(f.GetMetric()))
	}
	// The process-wide registry rides along: Go runtime metrics.
	if _, ok := families["go_goroutines"]; !ok {
		t.Error("scrape lacks go_goroutines from the default registry")
	}
}

func TestServe(t *testing.T) {
	if err := Serve(context.Background(), "", NewMetrics()); err != nil {
		t.Errorf("Serve with no address = %v, want nil", err)
	}
	if err := Serve(context.Background(), "127.0.0.1:-1", NewMetrics()); err == nil || !strings.HasPrefix(err.Error(), "telemetry: ") {
		t.Errorf("Serve on a bad address = %v, want a telemetry error", err)
	}

	m := NewMetrics()
	m.AddRows("packages", 5)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, ln, m) }()

	families := scrape(t, "http://"+ln.Addr().String()+"/metrics")
	got, err := series(families, "distroscope_rows_written_total", map[string]string{"dataset": "packages"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCounter().GetValue() != 5 {
		t.Errorf("rows written = %v, want 5", got.GetCounter().GetValue())
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other = %s, want 404", resp.Status)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("serve after cancel = %v, want nil", err)
		}
	case <-time.After(livenessBound):
		t.Fatal("serve did not return after its context was cancelled")
	}
	if resp, err := http.Get("http://" + ln.Addr().String() + "/metrics"); err == nil {
		resp.Body.Close()
		t.Error("the listener still answers after serve returned")
	}
}
