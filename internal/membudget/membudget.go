// Package membudget manages the process's soft heap limit as a budget
// that running work can raise.
package membudget

import (
	"runtime/debug"
	"sync"
)

// Budget is the process's soft heap limit (runtime/debug's memory
// limit), raised by what running activities reserve.
//
// Why: one limit cannot suit both kinds of work. An ingest keeps ~30 MB
// live and the 85 MiB default keeps its RSS small; a comparison of two
// Debian releases keeps ~60 MB live for its whole run (both snapshots and
// every package pair), and under the same limit the collector ran back to
// back — half of a comparison's time. The comparison reserves its working
// set for as long as it runs, so the limit stays a budget for the garbage
// around the live data rather than a ceiling on the data itself.
type Budget struct {
	mu       sync.Mutex
	base     int64 // 0: the limit is not ours to manage
	reserved int64
}

// Reserve raises the limit by n bytes until release is called (once; more
// calls do nothing). A nil or inert budget reserves nothing.
func (b *Budget) Reserve(n int64) (release func()) {
	if b == nil || b.base == 0 || n <= 0 {
		return func() {}
	}
	b.add(n)
	var once sync.Once
	return func() { once.Do(func() { b.add(-n) }) }
}

func (b *Budget) add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reserved += n
	debug.SetMemoryLimit(b.base + b.reserved)
}

// New manages the limit from base bytes up; 0 makes an inert budget
// (the limit is someone else's: GOMEMLIMIT, or none).
func New(base int64) *Budget { return &Budget{base: base} }
