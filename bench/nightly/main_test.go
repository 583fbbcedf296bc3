package main

import (
	"math"
	"testing"
	"time"
)

// TestFitLine checks the projection's model: a line through jobs is found
// again, and a negative fixed part is taken as 0 and said so.
func TestFitLine(t *testing.T) {
	jobs := func(fixed, perRow float64, rows ...int64) []*job {
		var out []*job
		for _, r := range rows {
			out = append(out, &job{rows: r, work: time.Duration((fixed + perRow*float64(r)) * float64(time.Second))})
		}
		return out
	}
	rowsOf := func(j *job) float64 { return float64(j.rows) }
	f := fitLine(jobs(0.25, 20e-6, 1000, 5000, 60000, 20000), rowsOf)
	if math.Abs(f.fixed-0.25) > 1e-6 || math.Abs(f.perRow-20e-6) > 1e-9 || f.clamped {
		t.Errorf("fit %+v, want 0.25 s + 20 µs × rows", f)
	}
	f = fitLine(jobs(-0.5, 20e-6, 30000, 50000, 70000), rowsOf)
	if f.fixed != 0 || !f.clamped || math.Abs(f.perRow-20e-6) > 1e-9 {
		t.Errorf("fit %+v, want the fixed part clamped to 0 and 20 µs × rows", f)
	}
}
