package imagefs

import (
	"syscall"
	"unsafe"
)

// utimensat sets a path's times without following a final symlink.
func utimensat(p string, ts []syscall.Timespec) error {
	b, err := syscall.BytePtrFromString(p)
	if err != nil {
		return err
	}
	const atSymlinkNofollow = 0x100
	atFDCWD := -100 // the working directory; p is absolute anyway
	_, _, e := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(b)), uintptr(unsafe.Pointer(&ts[0])), atSymlinkNofollow, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
