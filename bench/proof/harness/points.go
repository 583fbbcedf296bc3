package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/distroscope/distroscope/repo"
)

// MirrorPoint holds the first GET of a mirror file whose path contains
// pathPart once fraction of it was sent: mid-resolve (an InRelease),
// mid-ingest (an index, at that share of its rows).
func MirrorPoint(m *Mirror, name, pathPart string, fraction float64) Point {
	var h *Hold
	return Point{Name: name,
		Arm: func() Reached {
			h = m.HoldFile(name, pathPart, fraction)
			return AtHold(h)
		},
		Detail: func() string {
			file, sent, size := h.Sent()
			d := fmt.Sprintf("%d of %d KB sent", sent>>10, size>>10)
			if rows, ok := rowsIn(file, sent); ok {
				d += fmt.Sprintf(", ~%d rows", rows)
			}
			return d
		},
	}
}

// S3Point holds the first request of method to an object whose key
// contains every one of parts: mid-commit (the PUT of a data object or a
// manifest), mid-compare (its GET of a snapshot, its PUT of a result).
func S3Point(p *S3Proxy, name, method string, parts ...string) Point {
	return Point{Name: name, Arm: func() Reached { return AtHold(p.HoldRequest(name, method, parts...)) }}
}

// Between is reached as soon as n of the nightly's child runs completed:
// the run is between two stages.
func Between(name string, n int) Point {
	return Point{Name: name, Arm: func() Reached { return AfterChildren(n) }}
}

// Methods of the requests S3 points hold.
const (
	GET = http.MethodGet
	PUT = http.MethodPut
)

// rowsIn counts the stanzas of an apt index among the first sent bytes of
// its compressed file: about the rows its ingest had read when held.
func rowsIn(file string, sent int64) (int, bool) {
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	head := make([]byte, 6)
	if _, err := io.ReadFull(f, head); err != nil {
		return 0, false
	}
	var c repo.Compression
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		c = "gz"
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		c = "xz"
	default:
		return 0, false
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, false
	}
	r, done, err := repo.Decompressor(c, io.LimitReader(f, sent))
	if err != nil {
		return 0, false
	}
	defer done()
	n := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte("Package: ")) {
			n++
		}
	}
	return n, true
}
