// gen writes the hostile-layer corpus of internal/imagefs/testdata/hostile:
// one small tar per way a layer can attack whatever unpacks it. Run from
// the module root: go run ./internal/imagefs/testdata/gen
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

var mtime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	out := "internal/imagefs/testdata/hostile"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		log.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	file := func(name, body string) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(body)), Mode: 0o644, ModTime: mtime}
	}
	dir := func(name string) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: mtime}
	}
	link := func(typ byte, name, target string) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Linkname: target, Mode: 0o777, ModTime: mtime}
	}

	write("absolute-name.tar", tarOf(file("/etc/passwd", "x")))
	write("dotdot-name.tar", tarOf(file("../../etc/passwd", "x")))
	write("dotdot-inner.tar", tarOf(dir("usr/"), file("usr/../../etc/passwd", "x")))
	write("long-name.tar", tarOf(file(strings.Repeat("d/", 2500)+"f", "x")))
	write("nul-in-pax-path.tar", nulPAX())
	write("hardlink-absolute.tar", tarOf(dir("etc/"), file("etc/a", "x"), link(tar.TypeLink, "etc/b", "/etc/shadow")))
	write("hardlink-dotdot.tar", tarOf(dir("etc/"), file("etc/a", "x"), link(tar.TypeLink, "etc/b", "../etc/shadow")))
	write("hardlink-missing.tar", tarOf(dir("etc/"), link(tar.TypeLink, "etc/b", "etc/shadow")))
	write("hardlink-to-dir.tar", tarOf(dir("etc/"), link(tar.TypeLink, "etc2", "etc")))
	write("symlink-escape.tar", tarOf(dir("etc/"), link(tar.TypeSymlink, "etc/x", "../../../etc/shadow")))
	write("symlink-dot.tar", tarOf(link(tar.TypeSymlink, ".", "/")))
	write("symlink-dot-slash.tar", tarOf(link(tar.TypeSymlink, "./", "../../..")))
	write("file-root.tar", tarOf(file(".", "x")))
	write("whiteout-bare.tar", tarOf(dir("etc/"), file("etc/.wh.", "")))
	write("whiteout-dot.tar", tarOf(dir("etc/"), file("etc/.wh..", "")))
	write("whiteout-dotdot.tar", tarOf(dir("etc/"), file("etc/.wh...", "")))
	write("device-char.tar", tarOf(dir("etc/"), &tar.Header{Typeflag: tar.TypeChar, Name: "etc/null", Devmajor: 1, Devminor: 3, Mode: 0o666, ModTime: mtime}))
	write("device-block.tar", tarOf(dir("dev/"), dir("dev/disk/"), &tar.Header{Typeflag: tar.TypeBlock, Name: "dev/disk/sda", Devmajor: 8, Mode: 0o660, ModTime: mtime}))
	write("file-too-large.tar", headerOnly(&tar.Header{Typeflag: tar.TypeReg, Name: "big", Size: 3 << 30, Mode: 0o644, ModTime: mtime}))
	write("truncated.tar", truncated())
	write("too-many-entries.tar", manyEntries(20))
	write("layer-too-large.tar.gz", gz(zerosTar(2<<20), gzip.BestCompression))
	write("bomb.tar.gz", gz(zerosTar(300<<20), gzip.BestCompression))
	write("bomb.tar.zst", zst(zerosTar(300<<20)))
	write("corrupt.tar.gz", corrupt(gz(tarOf(file("etc/passwd", strings.Repeat("root:x:0:0::/root:/bin/sh\n", 400))), gzip.BestSpeed)))
	write("corrupt.tar.zst", corrupt(zst(tarOf(file("etc/passwd", strings.Repeat("root:x:0:0::/root:/bin/sh\n", 400))))))
	chain := []*tar.Header{file("target", "x")}
	for i := range 50 {
		chain = append(chain, link(tar.TypeSymlink, fmt.Sprintf("l%02d", i), prev(i)))
	}
	write("symlink-chain.tar", tarOf(chain...))
	write("symlink-loop.tar", tarOf(dir("a/"), link(tar.TypeSymlink, "a/b", "c"), link(tar.TypeSymlink, "a/c", "../a/b")))
}

func prev(i int) string {
	if i == 0 {
		return "target"
	}
	return fmt.Sprintf("l%02d", i-1)
}

// tarOf writes members; a regular file's content is its name's last
// element repeated to its size, except where the caller gave none.
func tarOf(hdrs ...*tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			log.Fatalf("%s: %v", h.Name, err)
		}
		if h.Typeflag == tar.TypeReg && h.Size > 0 {
			if _, err := tw.Write(bytes.Repeat([]byte("x"), int(h.Size))); err != nil {
				log.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// headerOnly is a member whose header claims more data than follows.
func headerOnly(h *tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(h); err != nil {
		log.Fatal(err)
	}
	tw.Flush() // fails: the data is missing, which is the point
	return b.Bytes()
}

// truncated is a tar whose one member's header says 1000 bytes and whose
// data has 100.
func truncated() []byte {
	full := tarOf(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/passwd", Size: 1000, Mode: 0o644, ModTime: mtime})
	return full[:512+100]
}

func manyEntries(n int) []byte {
	var hdrs []*tar.Header
	for i := range n {
		hdrs = append(hdrs, &tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("f%03d", i), Mode: 0o644, ModTime: mtime})
	}
	return tarOf(hdrs...)
}

// zerosTar is a tar of one file of size zero bytes, streamed.
func zerosTar(size int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "zeros", Size: size, Mode: 0o644, ModTime: mtime}); err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(tw.Close())
	}()
	return pr
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func gz(r any, level int) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, level)
	copyFrom(zw, r)
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func zst(r any) []byte {
	var b bytes.Buffer
	zw, err := zstd.NewWriter(&b, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		log.Fatal(err)
	}
	copyFrom(zw, r)
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func copyFrom(w io.Writer, r any) {
	var src io.Reader
	switch r := r.(type) {
	case []byte:
		src = bytes.NewReader(r)
	case io.Reader:
		src = r
	}
	if _, err := io.Copy(w, src); err != nil {
		log.Fatal(err)
	}
}

// corrupt flips bytes in the middle of a compressed stream, past its header.
func corrupt(b []byte) []byte {
	for i := len(b) / 2; i < len(b)/2+8 && i < len(b); i++ {
		b[i] ^= 0x5a
	}
	return b
}

// nulPAX is a PAX header whose path record holds a NUL byte, which
// archive/tar's writer refuses to write: the blocks are made by hand.
func nulPAX() []byte {
	rec := "etc/pa\x00sswd"
	line := fmt.Sprintf(" path=%s\n", rec)
	line = fmt.Sprintf("%d%s", len(line)+2, line)
	var b bytes.Buffer
	b.Write(rawHeader("PaxHeaders/x", 'x', int64(len(line))))
	b.Write(pad([]byte(line)))
	b.Write(rawHeader("placeholder", '0', 0))
	b.Write(make([]byte, 1024))
	return b.Bytes()
}

func rawHeader(name string, typ byte, size int64) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], "0000644\x00")
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[136:148], fmt.Sprintf("%011o\x00", mtime.Unix()))
	h[156] = typ
	copy(h[257:265], "ustar\x0000")
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

func pad(b []byte) []byte {
	if r := len(b) % 512; r != 0 {
		b = append(b, make([]byte, 512-r)...)
	}
	return b
}
