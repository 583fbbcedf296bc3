package activities

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Metrics is what the activities report; telemetry.Metrics implements it.
type Metrics interface {
	AddRows(table string, n int64)
	AddBytes(table string, n int64)
	AddIndexBytes(ecosystem string, n int64)
	ObserveActivity(activity string, d time.Duration)
	CountFailure(activity, kind string)
}

type noMetrics struct{}

func (noMetrics) AddRows(string, int64)                 {}
func (noMetrics) AddBytes(string, int64)                {}
func (noMetrics) AddIndexBytes(string, int64)           {}
func (noMetrics) CountFailure(string, string)           {}
func (noMetrics) ObserveActivity(string, time.Duration) {}

// observe records an activity's duration and, when it failed, its kind of
// failure; use it deferred with the activity's named error result.
func observe(m Metrics, name string, start time.Time, err *error) {
	m.ObserveActivity(name, time.Since(start))
	if *err != nil {
		kind := "transient"
		var ae *temporal.ApplicationError
		if errors.As(*err, &ae) && ae.NonRetryable() {
			kind = ae.Type()
		}
		m.CountFailure(name, kind)
	}
}
