package membudget

import (
	"runtime/debug"
	"testing"
)

func limit() int64 { return debug.SetMemoryLimit(-1) } // -1 reads without changing

func TestReserveRaisesAndRestores(t *testing.T) {
	before := limit()
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	debug.SetMemoryLimit(100 << 20)
	b := New(100 << 20)
	r1 := b.Reserve(30 << 20)
	if got := limit(); got != 130<<20 {
		t.Fatalf("limit with one reservation = %d MiB, want 130", got>>20)
	}
	r2 := b.Reserve(20 << 20)
	if got := limit(); got != 150<<20 {
		t.Fatalf("limit with two reservations = %d MiB, want 150", got>>20)
	}
	r1()
	r1() // a second release does nothing
	if got := limit(); got != 120<<20 {
		t.Fatalf("limit after one release (called twice) = %d MiB, want 120", got>>20)
	}
	r2()
	if got := limit(); got != 100<<20 {
		t.Fatalf("limit after both releases = %d MiB, want the base 100", got>>20)
	}
}

func TestInertBudgetLeavesTheLimitAlone(t *testing.T) {
	before := limit()
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	debug.SetMemoryLimit(77 << 20)
	for _, b := range []*Budget{nil, New(0)} {
		release := b.Reserve(50 << 20)
		if got := limit(); got != 77<<20 {
			t.Errorf("%v: limit = %d MiB, want 77 untouched", b, got>>20)
		}
		release()
		if got := limit(); got != 77<<20 {
			t.Errorf("%v: limit after release = %d MiB", b, got>>20)
		}
	}
}
