package telemetry

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// temporalBuckets span a fast gRPC call to a long poll or activity.
var temporalBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

type metricKind int

const (
	kindCounter metricKind = iota
	kindGauge
	kindTimer
)

// temporalCollector holds one Prometheus metric per (name, tag set) the SDK
// has used. It is an unchecked collector (Describe sends nothing) because
// the SDK gives one metric name different tag keys, e.g. temporal_request
// with and without task_queue, which a fixed-label vector cannot express.
type temporalCollector struct {
	mu     sync.RWMutex
	kinds  map[string]metricKind // by metric name: one type per family
	series map[string]prometheus.Collector
}

func newTemporalCollector() *temporalCollector {
	return &temporalCollector{kinds: map[string]metricKind{}, series: map[string]prometheus.Collector{}}
}

func (c *temporalCollector) Describe(chan<- *prometheus.Desc) {}

func (c *temporalCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, s := range c.series {
		s.Collect(ch)
	}
}

// get returns the series of kind for name and labels, creating it on first
// use, or nil when name is already a metric of another kind.
func (c *temporalCollector) get(kind metricKind, name string, labels map[string]string) prometheus.Collector {
	name = sanitizeName(name, true)
	if kind == kindTimer {
		name += "_seconds"
	}
	key := seriesKey(name, labels)
	c.mu.RLock()
	s, ok := c.series[key]
	c.mu.RUnlock()
	if ok {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.series[key]; ok {
		return s
	}
	if k, ok := c.kinds[name]; ok && k != kind {
		return nil
	}
	help := "Temporal SDK metric " + name + "."
	switch kind {
	case kindCounter:
		s = prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
	case kindGauge:
		s = prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels})
	default:
		s = prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, ConstLabels: labels, Buckets: temporalBuckets})
	}
	c.kinds[name] = kind
	c.series[key] = s
	return s
}

func seriesKey(name string, labels map[string]string) string {
	var b strings.Builder
	b.WriteString(name)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteByte(0xff)
		b.WriteString(k)
		b.WriteByte(0xfe)
		b.WriteString(labels[k])
	}
	return b.String()
}

// sanitizeName maps s onto Prometheus' metric (colons allowed) or label
// name syntax, replacing each other character with '_'.
func sanitizeName(s string, metric bool) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, r := range b {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			i > 0 && r >= '0' && r <= '9' || metric && r == ':'
		if !ok {
			b[i] = '_'
		}
	}
	if !metric && strings.HasPrefix(string(b), "__") {
		// Names starting with "__" are reserved for Prometheus itself.
		return "x" + string(b)
	}
	return string(b)
}

// temporalHandler implements client.MetricsHandler. Its tags are already
// sanitized label names and values.
type temporalHandler struct {
	c    *temporalCollector
	tags map[string]string
}

var _ client.MetricsHandler = temporalHandler{}

func (h temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = make(map[string]string, len(tags))
	}
	for k, v := range tags {
		merged[sanitizeName(k, false)] = strings.ToValidUTF8(v, string(utf8.RuneError))
	}
	return temporalHandler{c: h.c, tags: merged}
}

func (h temporalHandler) Counter(name string) client.MetricsCounter {
	c, ok := h.c.get(kindCounter, name, h.tags).(prometheus.Counter)
	if !ok {
		return nopMetric{}
	}
	return counter{c}
}

func (h temporalHandler) Gauge(name string) client.MetricsGauge {
	g, ok := h.c.get(kindGauge, name, h.tags).(prometheus.Gauge)
	if !ok {
		return nopMetric{}
	}
	return gauge{g}
}

func (h temporalHandler) Timer(name string) client.MetricsTimer {
	o, ok := h.c.get(kindTimer, name, h.tags).(prometheus.Histogram)
	if !ok {
		return nopMetric{}
	}
	return timer{o}
}

type counter struct{ c prometheus.Counter }

// Inc ignores negative deltas, on which a Prometheus counter would panic.
func (c counter) Inc(d int64) {
	if d > 0 {
		c.c.Add(float64(d))
	}
}

type gauge struct{ g prometheus.Gauge }

func (g gauge) Update(v float64) { g.g.Set(v) }

type timer struct{ h prometheus.Histogram }

func (t timer) Record(d time.Duration) { t.h.Observe(d.Seconds()) }

// nopMetric stands in for a metric whose name is taken by another kind.
type nopMetric struct{}

func (nopMetric) Inc(int64)            {}
func (nopMetric) Update(float64)       {}
func (nopMetric) Record(time.Duration) {}
