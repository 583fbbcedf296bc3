package telemetry

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
)

// activityBuckets spans a quick index fetch to an hour-long dataset build.
var activityBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 3600}

// Metrics holds the pipeline's Prometheus metrics in a registry of its own.
// Its update methods do nothing on a nil *Metrics, so code under test can
// pass nil.
type Metrics struct {
	reg *prometheus.Registry

	rows       *prometheus.CounterVec
	bytes      *prometheus.CounterVec
	indexBytes *prometheus.CounterVec
	activities *prometheus.HistogramVec
	failures   *prometheus.CounterVec

	nightlyLast     *prometheus.GaugeVec
	nightlyRuns     *prometheus.CounterVec
	scheduleSkipped *prometheus.GaugeVec

	lokiDropped atomic.Uint64
	temporal    *temporalCollector
}

// NewMetrics returns metrics registered in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "distroscope", Name: "rows_written_total",
			Help: "Rows written to datasets.",
		}, []string{"dataset"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "distroscope", Name: "bytes_written_total",
			Help: "Bytes of dataset files written to the object store.",
		}, []string{"dataset"}),
		indexBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "distroscope", Name: "index_bytes_fetched_total",
			Help: "Bytes of repository index files fetched, by package ecosystem.",
		}, []string{"ecosystem"}),
		activities: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "distroscope", Name: "activity_duration_seconds",
			Help:    "Duration of pipeline activities.",
			Buckets: activityBuckets,
		}, []string{"activity"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "distroscope", Name: "activity_failures_total",
			Help: "Failed pipeline activities, by activity and kind of failure.",
		}, []string{"activity", "kind"}),
		nightlyLast: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "distroscope", Name: "nightly_last_success_timestamp_seconds",
			Help: "When the last nightly run of each plan that failed nothing finished (Unix time); alert when it is older than a day and a bit.",
		}, []string{"plan"}),
		nightlyRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "distroscope", Name: "nightly_runs_total",
			Help: "Nightly runs recorded, by plan and outcome (succeeded, or failed: some stage failed or was skipped).",
		}, []string{"plan", "outcome"}),
		scheduleSkipped: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "distroscope", Name: "schedule_skipped_runs",
			Help: "Scheduled runs the plan's Temporal Schedule did not start, as it counts them: overlap (a run still going past the buffer) or missed (no server within the catch-up window).",
		}, []string{"plan", "reason"}),
		temporal: newTemporalCollector(),
	}
	m.reg.MustRegister(m.rows, m.bytes, m.indexBytes, m.activities, m.failures, m.temporal,
		m.nightlyLast, m.nightlyRuns, m.scheduleSkipped,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "distroscope", Name: "loki_dropped_entries_total",
			Help: "Log entries dropped because the queue to Loki was full or closed.",
		}, func() float64 { return float64(m.lokiDropped.Load()) }),
	)
	return m
}

// Registry returns the registry, for callers with metrics of their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format, together
// with the process-wide default registry: Go runtime and process metrics,
// and the Loki client's own promtail_* push metrics.
func (m *Metrics) Handler() http.Handler {
	g := prometheus.Gatherers{m.reg, prometheus.DefaultGatherer}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// TemporalHandler returns a handler for client.Options.MetricsHandler that
// records the Temporal SDK's metrics in this registry.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	return temporalHandler{c: m.temporal}
}

// AddRows counts n rows written to dataset.
func (m *Metrics) AddRows(dataset string, n int64) {
	if m != nil && n > 0 {
		m.rows.WithLabelValues(dataset).Add(float64(n))
	}
}

// AddBytes counts n bytes of dataset files written.
func (m *Metrics) AddBytes(dataset string, n int64) {
	if m != nil && n > 0 {
		m.bytes.WithLabelValues(dataset).Add(float64(n))
	}
}

// AddIndexBytes counts n bytes of repository index fetched of a package
// ecosystem ("deb", "rpm", "apk", "alpm").
func (m *Metrics) AddIndexBytes(ecosystem string, n int64) {
	if m != nil && n > 0 {
		m.indexBytes.WithLabelValues(ecosystem).Add(float64(n))
	}
}

// ObserveActivity records how long one run of activity took.
func (m *Metrics) ObserveActivity(activity string, d time.Duration) {
	if m != nil {
		m.activities.WithLabelValues(activity).Observe(d.Seconds())
	}
}

// CountFailure counts one failure of activity; kind is a small fixed word
// such as "corrupt", "transient" or "timeout", never an error message.
func (m *Metrics) CountFailure(activity, kind string) {
	if m != nil {
		m.failures.WithLabelValues(activity, kind).Inc()
	}
}

// LokiDropped returns the number of log entries dropped on the way to Loki
// by loggers whose Config.Metrics is m.
func (m *Metrics) LokiDropped() uint64 {
	if m == nil {
		return 0
	}
	return m.lokiDropped.Load()
}

// NightlyRecorded counts a recorded nightly run of plan and, when none of
// its stages failed, sets the plan's last success to finished.
func (m *Metrics) NightlyRecorded(plan string, failed int, finished time.Time) {
	outcome := "succeeded"
	if failed > 0 {
		outcome = "failed"
	} else {
		m.nightlyLast.WithLabelValues(plan).Set(float64(finished.Unix()))
	}
	m.nightlyRuns.WithLabelValues(plan, outcome).Inc()
}

// ScheduleCounters sets the runs plan's schedule skipped for overlap and
// missed for the catch-up window, as the schedule counts them.
func (m *Metrics) ScheduleCounters(plan string, overlap, missed int64) {
	m.scheduleSkipped.WithLabelValues(plan, "overlap").Set(float64(overlap))
	m.scheduleSkipped.WithLabelValues(plan, "missed").Set(float64(missed))
}
