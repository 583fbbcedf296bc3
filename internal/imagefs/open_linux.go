package imagefs

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// openHow is struct open_how of openat2(2).
type openHow struct {
	flags, mode, resolve uint64
}

const (
	sysOpenat2        = 437 // the same on every Linux architecture
	resolveNoSymlinks = 0x04
	resolveBeneath    = 0x08
)

// openBeneath opens rel, a path FromDir found with no symlink in it,
// under the directory dirfd in one system call: the kernel refuses any
// symlink or ".." on the way (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS),
// so reading cannot leave the root even if the tree changed since. It
// returns errNoOpenat2 where the kernel (before 5.6) or a seccomp filter
// does not offer openat2.
func openBeneath(dirfd uintptr, rel string) (*os.File, error) {
	p, err := syscall.BytePtrFromString(rel)
	if err != nil {
		return nil, err
	}
	how := openHow{flags: syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOFOLLOW, resolve: resolveBeneath | resolveNoSymlinks}
	for {
		fd, _, errno := syscall.Syscall6(sysOpenat2, dirfd, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		switch errno {
		case 0:
			return os.NewFile(fd, rel), nil
		case syscall.EINTR, syscall.EAGAIN:
			continue
		case syscall.ENOSYS, syscall.EPERM:
			return nil, errNoOpenat2
		}
		return nil, &os.PathError{Op: "openat2", Path: rel, Err: errno}
	}
}

var errNoOpenat2 = errors.New("openat2 is not available")
