// Package telemetry gives the workers and the CLI their logs and metrics.
//
// Logs are log/slog records written as JSON lines to stdout, always. When a
// Loki URL is configured the same records are also pushed to Grafana Loki
// (push API: https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs)
// through github.com/grafana/loki-client-go. That client blocks its caller
// while it retries a failing push, so it sits behind a bounded queue: the
// slog handler formats the record and offers it to the queue without waiting,
// and a full queue drops the entry and counts it. A Loki outage therefore
// costs log lines in Loki, never progress in a worker. Loki streams carry a
// small fixed label set (service, instance, level) plus configured static
// labels; the record's attributes stay in the JSON line, where LogQL's json
// parser reads them, so they cannot blow up Loki's stream count.
//
// Metrics are Prometheus metrics (exposition format:
// https://prometheus.io/docs/instrumenting/exposition_formats/) held in one
// registry per Metrics value: the pipeline's own counters and histograms, the
// count of log entries dropped on the way to Loki, and whatever the Temporal
// Go SDK reports through the client.MetricsHandler returned by
// (*Metrics).TemporalHandler. The SDK gives the same metric name different
// tag sets, which a Prometheus vector cannot hold, so each (name, tags) pair
// becomes its own series under an unchecked collector.
package telemetry
