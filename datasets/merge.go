package datasets

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// mergeFunc k-way merges sorted row groups into out and returns the rows
// written. It is typed per table (see mergeSorted) so rows decode into the
// table's struct, the same code path the writer uses.
type mergeFunc func(ctx context.Context, t Table, rowGroups []parquet.RowGroup, out io.Writer) (int64, error)

// mergeSorted merges row groups that are each sorted by compare. Memory is
// one small batch per input row group plus the writer's current row group,
// never the whole partition.
func mergeSorted[T any](compare func(a, b *T) int) mergeFunc {
	return func(ctx context.Context, t Table, rowGroups []parquet.RowGroup, out io.Writer) (int64, error) {
		h := &cursorHeap[T]{compare: compare}
		for _, rg := range rowGroups {
			c := &cursor[T]{r: parquet.NewGenericRowGroupReader[T](rg), buf: make([]T, 256)}
			defer c.r.Close()
			ok, err := c.advance()
			if err != nil {
				return 0, err
			}
			if ok {
				h.items = append(h.items, c)
			}
		}
		heap.Init(h)
		w := parquet.NewGenericWriter[T](out, writerOptions(t)...)
		batch := make([]T, 0, 1024)
		var n int64
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if _, err := w.Write(batch); err != nil {
				return fmt.Errorf("write merged rows: %w", err)
			}
			n += int64(len(batch))
			clear(batch)
			batch = batch[:0]
			return ctx.Err()
		}
		for h.Len() > 0 {
			c := h.items[0]
			batch = append(batch, c.buf[c.pos])
			if len(batch) == cap(batch) {
				if err := flush(); err != nil {
					return 0, err
				}
			}
			ok, err := c.advance()
			if err != nil {
				return 0, err
			}
			if ok {
				heap.Fix(h, 0)
			} else {
				heap.Pop(h)
			}
		}
		if err := flush(); err != nil {
			return 0, err
		}
		if err := w.Close(); err != nil {
			return 0, fmt.Errorf("close merged file: %w", err)
		}
		return n, nil
	}
}

// cursor walks one row group in batches.
type cursor[T any] struct {
	r        *parquet.GenericReader[T]
	buf      []T
	pos, len int
	started  bool
}

// advance moves to the next row, reading a batch when needed.
func (c *cursor[T]) advance() (bool, error) {
	if c.started {
		c.pos++
	}
	c.started = true
	if c.pos < c.len {
		return true, nil
	}
	clear(c.buf)
	n, err := c.r.Read(c.buf)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read staged rows: %w", err)
	}
	c.pos, c.len = 0, n
	return n > 0, nil
}

type cursorHeap[T any] struct {
	items   []*cursor[T]
	compare func(a, b *T) int
}

func (h *cursorHeap[T]) Len() int { return len(h.items) }
func (h *cursorHeap[T]) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	return h.compare(&a.buf[a.pos], &b.buf[b.pos]) < 0
}
func (h *cursorHeap[T]) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *cursorHeap[T]) Push(x any)    { h.items = append(h.items, x.(*cursor[T])) }
func (h *cursorHeap[T]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
