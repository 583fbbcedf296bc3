// Package localfs is the embedded default object store: a folder on a local
// (or mounted) file system, one file per object, keys mapped to relative
// paths.
//
// Objects appear atomically: Put and Copy write a temporary file under
// <root>/.distroscope-tmp/, fsync it, rename it into place and fsync the
// folder, so a reader sees either the old object or the whole new one, and a
// crash leaves at most a stray temporary file (swept when a Store is opened
// once it is a day old). Every access goes through an os.Root, so neither a
// hostile key nor a symbolic link planted in the folder can reach a file
// outside the root.
//
// Unlike S3, a folder cannot hold both an object "a" and an object "a/b":
// putting the second fails with an error naming the conflict.
//
// The folder may be removed or replaced while a Store is open (by hand, by
// a cleanup script): each operation checks that the folder at the path is
// still the one it holds open and, if not, opens it again, recreating it —
// as a new Store, a restarted worker, would. Only the folder itself is
// recreated: if its parent is gone too, a mount has probably gone away, and
// the operation fails at once naming the missing folder rather than write
// onto whatever lies beneath the mount point.
package localfs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/distroscope/distroscope/store"
)

// TempDir is the folder, directly under the root, holding objects being
// written. Keys inside it are rejected and List never shows it.
const TempDir = ".distroscope-tmp"

// staleTemp is how old a temporary file must be before New removes it: far
// longer than any Put, so a live writer in another process is never robbed.
const staleTemp = 24 * time.Hour

// Store keeps objects as files under one folder. It is safe for concurrent
// use, also by several processes sharing the folder.
type Store struct {
	dir string

	mu      sync.Mutex
	root    *os.Root
	rootID  os.FileInfo // of the folder root holds, to notice it replaced
	retired []*os.Root  // roots of removed folders, still used by operations that started on them
}

var _ store.Store = (*Store)(nil)

// New opens (creating it if needed, with any missing parents) the folder dir
// as a store. Close releases it.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("localfs: folder %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("localfs: create folder: %w", err)
	}
	root, id, err := openRoot(abs)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: abs, root: root, rootID: id}
	sweepTemp(root, time.Now().Add(-staleTemp))
	return s, nil
}

// openRoot opens the folder dir, which exists, with its temporary folder.
func openRoot(dir string) (*os.Root, os.FileInfo, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("localfs: open folder: %w", err)
	}
	id, err := root.Stat(".")
	if err != nil {
		root.Close()
		return nil, nil, fmt.Errorf("localfs: open folder: %w", err)
	}
	if err := root.Mkdir(TempDir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		root.Close()
		return nil, nil, fmt.Errorf("localfs: create temporary folder in %s: %w", dir, err)
	}
	return root, id, nil
}

// current is the root of the folder at the store's path: the one open, or
// — when that folder was removed or replaced since — the one there now,
// recreated if it is missing and its parent is not (see the package doc).
// One stat per operation; the operations themselves create, write, sync
// and rename files.
func (s *Store) current() (*os.Root, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.dir)
	if err == nil && os.SameFile(fi, s.rootID) {
		return s.root, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		parent := filepath.Dir(s.dir)
		if _, perr := os.Stat(parent); perr != nil {
			return nil, fmt.Errorf("localfs: folder %s was removed, and %s with it (a mount gone?): not recreating it: %w", s.dir, parent, perr)
		}
		if err = os.Mkdir(s.dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("localfs: folder %s was removed and cannot be recreated: %w", s.dir, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("localfs: folder %s: %w", s.dir, err)
	}
	root, id, err := openRoot(s.dir)
	if err != nil {
		return nil, err
	}
	s.retired = append(s.retired, s.root)
	s.root, s.rootID = root, id
	return root, nil
}

// Close releases the folder. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.retired {
		r.Close()
	}
	return s.root.Close()
}

// String returns the folder as a file:// URL.
func (s *Store) String() string { return "file://" + filepath.ToSlash(s.dir) }

func checkKey(key string) error {
	if err := store.ValidateKey(key); err != nil {
		return err
	}
	if key == TempDir || strings.HasPrefix(key, TempDir+"/") {
		return fmt.Errorf("localfs: invalid key %q: %s/ is reserved for temporary files", key, TempDir)
	}
	return nil
}

// Put writes r to a temporary file and renames it over key.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localfs: put %q: %w", key, err)
	}
	root, err := s.current()
	if err != nil {
		return err
	}
	if err := write(ctx, root, key, r, size); err != nil {
		return fmt.Errorf("localfs: put %q: %w", key, err)
	}
	return nil
}

// createTemp creates a temporary file, recreating the temporary folder if
// it was removed (the folder itself was not: current checked).
func createTemp(root *os.Root) (*os.File, string, error) {
	tmpName := TempDir + "/" + rand.Text()
	tmp, err := root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if err = root.Mkdir(TempDir, 0o755); err == nil || errors.Is(err, fs.ErrExist) {
			tmp, err = root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		}
	}
	return tmp, tmpName, err
}

// write is Put and Copy's common body: temp file, fsync, rename, fsync dir.
func write(ctx context.Context, root *os.Root, key string, r io.Reader, size int64) (err error) {
	tmp, tmpName, err := createTemp(root)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			root.Remove(tmpName)
		}
	}()

	src := r
	if _, isFile := r.(*os.File); !isFile {
		// A local file (Copy) is read without the context check, which would
		// hide it from io.Copy's copy_file_range fast path.
		src = ctxReader{ctx, r}
	}
	if size >= 0 {
		// One byte more than announced, to notice a reader longer than size.
		src = io.LimitReader(src, size+1)
	}
	n, err := io.Copy(tmp, src)
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return fmt.Errorf("read %d bytes, announced size %d", n, size)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := rename(root, tmpName, key); err != nil {
		return err
	}
	committed = true
	syncDir(root, path.Dir(key))
	return nil
}

// rename moves the finished temporary file to key, creating its folders. A
// concurrent Delete may prune a just-created empty folder before the rename
// or while MkdirAll makes it, and a concurrent Put may make one first, so
// the folders are made again a few times before giving up.
func rename(root *os.Root, tmpName, key string) error {
	dir := path.Dir(key)
	var err error
	for range 8 {
		if dir != "." {
			if err = root.MkdirAll(dir, 0o755); err != nil {
				if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist) && !isObject(root, dir) {
					// A Delete pruned a folder MkdirAll had just made, or
					// another Put made one MkdirAll was making: again.
					continue
				}
				if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("a parent of the key is an object, not a folder: %w", err)
				}
				return err
			}
		}
		err = root.Rename(tmpName, key)
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.ENOTEMPTY) {
		return fmt.Errorf("key is a folder holding other objects: %w", err)
	}
	return err
}

// isObject says whether a file, not a folder, is at dir or one of its
// parents now: what makes MkdirAll's EEXIST a conflict rather than a race
// with another Put or a Delete.
func isObject(root *os.Root, dir string) bool {
	for d := dir; d != "."; d = path.Dir(d) {
		if fi, err := root.Lstat(d); err == nil && !fi.IsDir() {
			return true
		}
	}
	return false
}

// syncDir makes a rename durable. Failure only weakens durability after a
// power loss, never visibility, so it is not reported.
func syncDir(root *os.Root, dir string) {
	if d, err := root.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// openRegular opens key for reading, reporting folders and missing paths as
// store.ErrNotFound.
func openRegular(root *os.Root, key string) (*os.File, os.FileInfo, error) {
	f, err := root.Open(key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil, store.ErrNotFound
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, store.ErrNotFound
	}
	return f, fi, nil
}

// Get opens key. The returned reader is an *os.File, so callers needing
// io.ReaderAt or io.Seeker (a Parquet reader) may assert it.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("localfs: get %q: %w", key, err)
	}
	root, err := s.current()
	if err != nil {
		return nil, err
	}
	f, _, err := openRegular(root, key)
	if err != nil {
		return nil, fmt.Errorf("localfs: get %q: %w", key, err)
	}
	return f, nil
}

// Stat reports key's size and modification time.
func (s *Store) Stat(ctx context.Context, key string) (store.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return store.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("localfs: stat %q: %w", key, err)
	}
	root, err := s.current()
	if err != nil {
		return store.ObjectInfo{}, err
	}
	fi, err := root.Stat(key)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return store.ObjectInfo{}, fmt.Errorf("localfs: stat %q: %w", key, store.ErrNotFound)
	case err != nil:
		return store.ObjectInfo{}, fmt.Errorf("localfs: stat %q: %w", key, err)
	case !fi.Mode().IsRegular():
		return store.ObjectInfo{}, fmt.Errorf("localfs: stat %q: %w", key, store.ErrNotFound)
	}
	return store.ObjectInfo{Key: key, Size: fi.Size(), Modified: fi.ModTime()}, nil
}

// List walks only the folders that can hold keys starting with prefix.
// Symbolic links and other non-regular files are not objects and are skipped.
func (s *Store) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	if err := store.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
	}
	root, err := s.current()
	if err != nil {
		return nil, err
	}
	var out []store.ObjectInfo
	err = fs.WalkDir(root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil // pruned by a concurrent Delete, or never there
			}
			return err
		}
		if d.IsDir() {
			if p == "." {
				return nil
			}
			if p == TempDir || !(strings.HasPrefix(p+"/", prefix) || strings.HasPrefix(prefix, p+"/")) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(p, prefix) || checkKey(p) != nil {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted since the folder was read
		}
		if err != nil {
			return err
		}
		out = append(out, store.ObjectInfo{Key: p, Size: fi.Size(), Modified: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localfs: list %q: %w", prefix, err)
	}
	// WalkDir's per-folder order puts "a/b" before "a.b"; keys sort bytewise.
	slices.SortFunc(out, func(a, b store.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Copy streams src into a temporary file and renames it over dst; on Linux
// io.Copy between two files uses copy_file_range, so the data need not pass
// through user space.
func (s *Store) Copy(ctx context.Context, src, dst string) error {
	if err := checkKey(src); err != nil {
		return err
	}
	if err := checkKey(dst); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localfs: copy %q to %q: %w", src, dst, err)
	}
	root, err := s.current()
	if err != nil {
		return err
	}
	f, fi, err := openRegular(root, src)
	if err != nil {
		return fmt.Errorf("localfs: copy %q to %q: %w", src, dst, err)
	}
	defer f.Close()
	if src == dst {
		return nil // rename(2) of a link onto its twin is a no-op that would strand the temporary name
	}
	if link(root, src, dst) == nil {
		return nil
	}
	if err := write(ctx, root, dst, f, fi.Size()); err != nil {
		return fmt.Errorf("localfs: copy %q to %q: %w", src, dst, err)
	}
	return nil
}

// link makes dst a hard link to src, through a temporary name so dst
// appears atomically. It is a true copy here because no object is ever
// modified in place — Put and Copy always write a new file and rename it —
// so the two names can never see each other's changes; and it turns the
// commit of a staged part into a metadata operation instead of rewriting
// tens of megabytes. Any failure (another filesystem, no link support)
// returns an error and the caller copies the bytes instead.
func link(root *os.Root, src, dst string) error {
	tmpName := TempDir + "/" + rand.Text()
	err := root.Link(src, tmpName)
	if errors.Is(err, fs.ErrNotExist) {
		// The temporary folder may be gone (the source is there: it is open).
		if err = root.Mkdir(TempDir, 0o755); err == nil || errors.Is(err, fs.ErrExist) {
			err = root.Link(src, tmpName)
		}
	}
	if err != nil {
		return err
	}
	if err := rename(root, tmpName, dst); err != nil {
		root.Remove(tmpName)
		return err
	}
	syncDir(root, path.Dir(dst))
	return nil
}

// Delete removes key and then any folders the removal left empty, so the
// folder tree does not grow without bound as datasets come and go.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localfs: delete %q: %w", key, err)
	}
	root, err := s.current()
	if err != nil {
		return err
	}
	fi, err := root.Lstat(key)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return nil
	case err != nil:
		return fmt.Errorf("localfs: delete %q: %w", key, err)
	case fi.IsDir():
		return nil // a folder of other objects; there is no object "key"
	}
	if err := root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("localfs: delete %q: %w", key, err)
	}
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if root.Remove(dir) != nil {
			break // not empty (or already gone): stop pruning
		}
	}
	return nil
}

// sweepTemp removes temporary files older than cutoff, left by writers that
// crashed. Errors are ignored: a stray file costs only space.
func sweepTemp(root *os.Root, cutoff time.Time) {
	entries, err := fs.ReadDir(root.FS(), TempDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			root.Remove(TempDir + "/" + e.Name())
		}
	}
}

// ctxReader stops a copy once ctx is done, between two reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
