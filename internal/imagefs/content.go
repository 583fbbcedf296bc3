package imagefs

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/distroscope/distroscope/ecosystem/installed"
)

// ReadFile returns the content of the regular file at p (symlinks
// followed): the captured bytes, which the caller must not modify, or
// else the bytes read from the dir: or file: source. It refuses files
// larger than Limits.MaxCaptureBytes.
func (t *Tree) ReadFile(p string) ([]byte, error) {
	n, err := t.Resolve(p)
	if err != nil {
		return nil, err
	}
	if n.Type != Regular || n.body == nil {
		return nil, errorf(KindNoContent, p, "%s is a %s, not a regular file", n.Path, n.Type)
	}
	limit := t.lim.MaxCaptureBytes
	if n.Size > limit {
		return nil, errorf(KindFileTooLarge, p, "file of %d bytes, more than %d to read into memory", n.Size, limit)
	}
	if n.body.captured {
		return n.body.data, nil
	}
	r, done, err := t.open(n)
	if err != nil {
		return nil, err
	}
	defer done()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &Error{Kind: KindNoContent, Path: p, Msg: "reading " + n.Path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, errorf(KindFileTooLarge, p, "file of more than %d bytes to read into memory", limit)
	}
	return data, nil
}

// Digest returns the lowercase hex digest of the regular file n: computed
// while its layer streamed, or now from captured bytes or from the dir:
// or file: source (and then kept). It is safe for concurrent use. A file
// of a streamed layer whose digest was not asked for in
// ApplyOptions.Digests has none, and the error names the file and the
// algorithm.
func (t *Tree) Digest(n *Node, a Algo) (string, error) {
	d, err := t.Digests(n, a)
	if err != nil {
		return "", err
	}
	return d[0], nil
}

// copyBuffers are the buffers lazy digests read through: io.Copy into a
// hash would allocate 32 KiB per file, and a tree has tens of thousands.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

// Digests is Digest of several algorithms, the missing ones computed in
// one read of the file: an analysis wants the SHA-256 of every file and
// the digest its package recorded, often md5.
func (t *Tree) Digests(n *Node, algos ...Algo) ([]string, error) {
	if n.Type != Regular || n.body == nil {
		return nil, errorf(KindNoContent, n.Path, "%s digest: a %s has no content", algos, n.Type)
	}
	b := n.body
	out := make([]string, len(algos))
	var missing []Algo
	t.mu.Lock()
	for i, a := range algos {
		for _, d := range b.digests {
			if d.algo == a {
				out[i] = d.hex
				break
			}
		}
		if out[i] == "" {
			missing = append(missing, a)
		}
	}
	t.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	hashes := make([]io.Writer, len(missing))
	for i, a := range missing {
		h, err := installed.NewHash(a)
		if err != nil {
			return nil, &Error{Kind: KindNoContent, Path: n.Path, Msg: "digest", Err: err}
		}
		hashes[i] = h
	}
	w := io.MultiWriter(hashes...)
	switch {
	case b.captured:
		w.Write(b.data)
	case b.loc != locNone:
		r, done, err := t.open(n)
		if err != nil {
			return nil, err
		}
		buf := copyBuffers.Get().(*[]byte)
		_, err = io.CopyBuffer(w, r, *buf)
		copyBuffers.Put(buf)
		done()
		if err != nil {
			return nil, &Error{Kind: KindNoContent, Path: n.Path, Msg: fmt.Sprintf("%s digest", missing), Err: err}
		}
	default:
		return nil, errorf(KindNoContent, n.Path, "no %s digest: its layer was streamed without computing %s or keeping the file", missing[0], missing[0])
	}
	t.mu.Lock()
	for i, a := range missing {
		sum := hex.EncodeToString(hashes[i].(hash.Hash).Sum(nil))
		b.digests = append(b.digests, digest{algo: a, hex: sum})
		for k, want := range algos {
			if want == a {
				out[k] = sum
			}
		}
	}
	t.mu.Unlock()
	return out, nil
}

// open returns a reader of n's content from the tree's source.
func (t *Tree) open(n *Node) (io.Reader, func(), error) {
	switch n.body.loc {
	case locTar:
		return io.NewSectionReader(t.file, n.body.off, n.Size), func() {}, nil
	case locDir:
		// The tree saw a regular file here, and reading must not leave the
		// root if the directory changed since: openat2 beneath the root's
		// descriptor, or else (no openat2) through os.Root, which costs
		// an openat per path component.
		rel := strings.TrimPrefix(n.Path, "/")
		f, err := openBeneath(t.dirFD, rel)
		if errors.Is(err, errNoOpenat2) {
			f, err = t.dir.OpenFile(rel, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		}
		if err != nil {
			return nil, nil, &Error{Kind: KindNoContent, Path: n.Path, Msg: "opening the file again", Err: err}
		}
		return f, func() { f.Close() }, nil
	}
	return nil, nil, errorf(KindNoContent, n.Path, "the content was streamed and not kept")
}
