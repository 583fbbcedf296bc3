//go:build !linux

package imagefs

import (
	"errors"
	"os"
)

// openBeneath is Linux's openat2; elsewhere the os.Root path is taken.
func openBeneath(dirfd uintptr, rel string) (*os.File, error) { return nil, errNoOpenat2 }

var errNoOpenat2 = errors.New("openat2 is not available")
