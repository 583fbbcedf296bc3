package s3store

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestExactSize covers the size check without a server: minio-go reads
// exactly size bytes with io.ReadFull-like loops, so that is what we do.
func TestExactSize(t *testing.T) {
	stream := func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }
	seekable := func(s string) io.Reader { return strings.NewReader(s) }
	for _, tc := range []struct {
		name   string
		reader func(string) io.Reader
		data   string
		size   int64
		ok     bool
	}{
		{"stream exact", stream, "hello", 5, true},
		{"stream short", stream, "hell", 5, false},
		{"stream long", stream, "hello!", 5, false},
		{"stream empty", stream, "", 0, true},
		{"stream long empty", stream, "x", 0, false},
		{"data with EOF", func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) }, "hello", 5, true},
		{"seekable exact", seekable, "hello", 5, true},
		{"seekable short", seekable, "hell", 5, false},
		{"seekable long", seekable, "hello!", 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := exactSize(tc.reader(tc.data), tc.size)
			var got []byte
			if err == nil {
				buf := make([]byte, tc.size)
				var n int
				n, err = io.ReadFull(r, buf)
				got = buf[:n]
			}
			if (err == nil) != tc.ok {
				t.Fatalf("error = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && string(got) != tc.data {
				t.Errorf("read %q, want %q", got, tc.data)
			}
		})
	}
}

func TestDetectEmpty(t *testing.T) {
	for _, data := range []string{"", "a", "abc"} {
		r, size, err := detectEmpty(iotest.OneByteReader(strings.NewReader(data)))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int64{true: 0, false: -1}[data == ""]; size != want {
			t.Errorf("detectEmpty(%q) size = %d, want %d", data, size, want)
		}
		if got, _ := io.ReadAll(r); !bytes.Equal(got, []byte(data)) {
			t.Errorf("detectEmpty(%q) reader yields %q", data, got)
		}
	}
	if _, _, err := detectEmpty(iotest.ErrReader(io.ErrClosedPipe)); err != io.ErrClosedPipe {
		t.Errorf("detectEmpty of a failing reader: error = %v", err)
	}
}
