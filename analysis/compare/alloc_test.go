package compare

import (
	"testing"
	"unsafe"
)

func TestRecycler(t *testing.T) {
	var r recycler
	for _, size := range []int{0, 1, 63, 64, 65, 1000, 4096, 1 << 20} {
		b := r.Allocate(size)
		if len(b) != size || cap(b) < size {
			t.Fatalf("Allocate(%d): len %d cap %d", size, len(b), cap(b))
		}
		if size > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%64 != 0 {
			t.Errorf("Allocate(%d) is not 64-byte aligned", size)
		}
		for i := range b {
			b[i] = 0xAA
		}
		r.Free(b)
		// The same class comes back, zeroed.
		again := r.Allocate(size)
		if size > 0 && unsafe.SliceData(again) != unsafe.SliceData(b) {
			t.Errorf("Allocate(%d) after Free did not reuse the buffer", size)
		}
		for i, v := range again[:cap(again)] {
			if v != 0 {
				t.Fatalf("Allocate(%d) reused a buffer with byte %d = %#x", size, i, v)
			}
		}
	}

	// Reallocate keeps the content, zeroes what it exposes anew.
	b := r.Allocate(100)
	for i := range b {
		b[i] = byte(i)
	}
	b = r.Reallocate(50, b)
	b = r.Reallocate(120, b) // within capacity: bytes 50..119 must read zero
	for i, v := range b {
		if want := byte(0); i < 50 && v != byte(i) || i >= 50 && v != want {
			t.Fatalf("after shrinking and growing, byte %d = %d", i, v)
		}
	}
	big := r.Reallocate(10000, b)
	if len(big) != 10000 || big[49] != 49 || big[50] != 0 {
		t.Fatalf("Reallocate to 10000 lost content: len %d, [49]=%d [50]=%d", len(big), big[49], big[50])
	}

	// Buffers that are not a power-of-two class are left to the collector.
	r.Free(make([]byte, 100))
	if n := len(r.free[class(100)]); n != 1 { // the 128 class holds b, freed by Reallocate
		t.Errorf("128-byte class holds %d buffers, want 1", n)
	}

	// The pool is bounded.
	var p recycler
	for range 2 * maxPooled / (1 << 20) {
		p.Free(make([]byte, 1<<20))
	}
	if p.pooled > maxPooled {
		t.Errorf("pool holds %d bytes, more than %d", p.pooled, maxPooled)
	}
}
