package repo

import (
	"io"
	"sync"
)

// chunkPipe connects the fetch/decompress stage to the parser with a few
// buffered chunks. io.Pipe is synchronous — a Write returns only once the
// reader consumed it all — so the two stages would take turns on one core
// instead of running side by side on two.
type chunkPipe struct {
	full  chan []byte
	empty chan []byte
	cur   []byte // chunk being read
	off   int    // read position in cur
	once  sync.Once
	mu    sync.Mutex
	err   error         // set once, by the writer (or by the reader closing)
	done  chan struct{} // closed when err is set
}

func newChunkPipe(chunks, size int) *chunkPipe {
	p := &chunkPipe{full: make(chan []byte, chunks), empty: make(chan []byte, chunks), done: make(chan struct{})}
	for range chunks {
		p.empty <- make([]byte, size)
	}
	return p
}

// buffer hands the writer an empty chunk to fill, or nil once the reader
// has gone away.
func (p *chunkPipe) buffer() []byte {
	select {
	case b := <-p.empty:
		return b[:cap(b)]
	case <-p.done:
		return nil
	}
}

// send passes a filled chunk to the reader; false once the reader is gone.
func (p *chunkPipe) send(b []byte) bool {
	select {
	case p.full <- b:
		return true
	case <-p.done:
		return false
	}
}

// closeWrite ends the stream: err nil means a clean EOF.
func (p *chunkPipe) closeWrite(err error) {
	if err == nil {
		err = io.EOF
	}
	p.setErr(err)
}

// closeRead tells the writer to stop.
func (p *chunkPipe) closeRead(err error) { p.setErr(err) }

func (p *chunkPipe) setErr(err error) {
	p.once.Do(func() {
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	})
}

func (p *chunkPipe) Read(b []byte) (int, error) {
	if p.off == len(p.cur) {
		if p.cur != nil {
			p.empty <- p.cur[:0]
			p.cur, p.off = nil, 0
		}
		select {
		case c := <-p.full:
			p.cur = c
		case <-p.done:
			// Chunks sent before the writer closed still count.
			select {
			case c := <-p.full:
				p.cur = c
			default:
				p.mu.Lock()
				defer p.mu.Unlock()
				return 0, p.err
			}
		}
	}
	n := copy(b, p.cur[p.off:])
	p.off += n
	return n, nil
}
