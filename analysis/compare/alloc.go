package compare

import (
	"fmt"

	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recycler is an Arrow memory.Allocator that hands freed buffers out
// again, for the lifetime of one ReadSnapshot.
//
// Why: ReadSnapshot decodes a batch, copies it into the Snapshot and
// releases it, so at any moment Arrow holds one batch — yet with Go's
// allocator every batch's buffers are new, ~60 MB of garbage per Debian
// snapshot. In a worker whose heap is capped (GOMEMLIMIT) that garbage
// is what makes the collector run back to back. Released buffers come
// back here through Free and serve the next batch.
//
// Buffers are kept by power-of-two size class (at least 64 bytes, which
// Go's allocator aligns to their size, so every buffer is 64-byte aligned
// as Arrow's own allocator guarantees) and handed out zeroed, as Go's
// are. A buffer never freed (a reader that forgets a Release) is simply
// collected. At most maxPooled bytes wait in the pool.
type recycler struct {
	mu     sync.Mutex
	free   [bits.UintSize][][]byte // by log2 of the capacity
	pooled int
}

// NewAllocator returns an Arrow allocator that recycles the buffers one
// file's read frees (see recycler), for readers of other tables that copy
// batches out as ReadSnapshot does (the trends readers). Allocations over
// 256 MiB panic, as they do in ReadSnapshot: the reader recovers it.
func NewAllocator() memory.Allocator { return &recycler{} }

const (
	minClass  = 6 // 64 bytes
	maxPooled = 64 << 20
	// maxAlloc bounds one buffer. A packages file's pages and batches
	// need a few MB; a corrupt or hostile file can claim gigabytes (a page
	// header's uncompressed size), which would otherwise be allocated
	// before anything notices the file is wrong.
	maxAlloc = 256 << 20
)

// errTooLarge is the panic value of an allocation over maxAlloc;
// ReadSnapshot recovers it into an error.
type errTooLarge int

func (e errTooLarge) Error() string {
	return fmt.Sprintf("a buffer of %d bytes, more than the %d a packages file can need", int(e), maxAlloc)
}

// class is the size class of a request: log2 of the smallest power of two
// holding size bytes, at least minClass.
func class(size int) int {
	if size <= 1<<minClass {
		return minClass
	}
	return bits.Len(uint(size - 1))
}

func (r *recycler) Allocate(size int) []byte {
	if size < 0 || size > maxAlloc {
		// Arrow's allocator interface has no error return: the panic is
		// recovered by ReadSnapshot.
		panic(errTooLarge(size))
	}
	c := class(size)
	r.mu.Lock()
	if n := len(r.free[c]); n > 0 {
		b := r.free[c][n-1]
		r.free[c] = r.free[c][:n-1]
		r.pooled -= cap(b)
		r.mu.Unlock()
		clear(b[:cap(b)])
		return b[:size]
	}
	r.mu.Unlock()
	return make([]byte, size, 1<<c)
}

func (r *recycler) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:]) // a shrunk buffer may hold old bytes past its length
		}
		return b
	}
	nb := r.Allocate(size)
	copy(nb, b)
	r.Free(b)
	return nb
}

func (r *recycler) Free(b []byte) {
	c := cap(b)
	if c < 1<<minClass || c&(c-1) != 0 {
		return // not one of ours: left to the collector
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pooled+c > maxPooled {
		return
	}
	r.free[bits.Len(uint(c))-1] = append(r.free[bits.Len(uint(c))-1], b[:0])
	r.pooled += c
}
