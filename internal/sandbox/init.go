package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// unavailablePrefix starts a setup failure the host is to blame for (a
// namespace or mount the kernel refused), which Run reports as
// ErrUnavailable; other failures are the spec's (a file it cannot write,
// a command that is not there).
const unavailablePrefix = "unavailable: "

// Init turns this process into the sandbox's init when Run started it,
// and never returns then; in every other run it returns at once. Call it
// first thing in main (and in TestMain of tests that use Run): Run
// re-executes the running binary through /proc/self/exe, so the init is
// the caller's own trusted code, and only the image's command is foreign.
//
// The init is pid 1 of the new pid namespace, inside the user, mount,
// network, uts, ipc and cgroup namespaces Run created. It builds the root
// (an overlay of the read-only tree and a size-limited tmpfs, a tmpfs
// /dev holding binds of null, zero, full, random and urandom, a proc of
// the new pid namespace), pivots into it and detaches the host's
// mounts, then sets the hostname, the rlimits, an empty capability
// bounding set and no_new_privs, and execs the command in its place: the
// command is pid 1. Run kills it with SIGKILL, which pid 1 cannot ignore
// from the parent namespace, and its death takes every other process of
// the namespace with it, so nothing it forked outlives it and no zombie
// stays behind.
func Init() {
	if os.Getenv(initEnv) != "1" || os.Getpid() != 1 {
		return
	}
	errPipe := os.NewFile(4, "sandbox-errors")
	syscall.CloseOnExec(4)
	fail := func(err error) {
		errPipe.WriteString(err.Error())
		os.Exit(125)
	}
	var cfg config
	if err := json.NewDecoder(io.LimitReader(os.NewFile(3, "sandbox-config"), 256<<20)).Decode(&cfg); err != nil {
		fail(fmt.Errorf("reading the spec: %w", err))
	}
	syscall.Close(3)
	if err := setup(cfg); err != nil {
		fail(err)
	}
	fail(execCommand(cfg))
}

// unavailable marks err as the host's refusal (see unavailablePrefix).
func unavailable(format string, args ...any) error {
	return fmt.Errorf(unavailablePrefix+format, args...)
}

// setup builds the root and pivots into it.
func setup(cfg config) error {
	// Nothing mounted here may propagate back to the host's namespace.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return unavailable("making mounts private: %v", err)
	}
	stage := cfg.Stage
	if err := syscall.Mount("tmpfs", stage, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV,
		fmt.Sprintf("size=%d,mode=0755", cfg.Limits.Scratch)); err != nil {
		return unavailable("mounting the scratch tmpfs: %v", err)
	}
	lower, upper, work, root := stage+"/lower", stage+"/upper", stage+"/work", stage+"/root"
	for _, d := range []string{lower, upper, work, root} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := mountTree(cfg, lower); err != nil {
		return err
	}
	if err := writeScratch(cfg, lower, upper); err != nil {
		return err
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
	if err := syscall.Mount("overlay", root, "overlay", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		return unavailable("mounting the overlay of %s: %v", cfg.Root, err)
	}
	if err := mountDev(root + "/dev"); err != nil {
		return err
	}
	// proc must be mounted while the host's proc is still visible: the
	// kernel lets a user namespace mount proc only where a full one is.
	if err := syscall.Mount("proc", root+"/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return unavailable("mounting proc: %v", err)
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	// pivot_root(".", ".") stacks the old root on the new one; detaching
	// it leaves nothing of the host's file system reachable.
	if err := syscall.PivotRoot(".", "."); err != nil {
		return unavailable("pivot_root: %v", err)
	}
	if err := syscall.Unmount(".", syscall.MNT_DETACH); err != nil {
		return unavailable("detaching the host's root: %v", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := syscall.Sethostname([]byte("sandbox")); err != nil {
		return unavailable("setting the hostname: %v", err)
	}
	return loopbackUp()
}

// loopbackUp brings up the network namespace's own loopback, which is
// all it has: programs that resolve or sort addresses (sshd -T orders its
// default ListenAddress by what getaddrinfo finds reachable) answer as on
// a host with a network, and nothing outside the namespace is reachable.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return unavailable("socket for the loopback: %v", err)
	}
	defer syscall.Close(fd)
	var req struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(req.name[:], "lo")
	req.flags = syscall.IFF_UP | syscall.IFF_RUNNING
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&req))); e != 0 {
		return unavailable("bringing up the loopback: %v", e)
	}
	return nil
}

// mountTree mounts the tree itself, without the mounts under it,
// read-only at lower: the overlay never writes its lower layer, and this
// makes sure. Run's clone (cloneTree) is moved into place; without one the
// tree is bound by path.
func mountTree(cfg config, lower string) error {
	if cfg.TreeFd {
		empty := []byte{0}
		p, err := syscall.BytePtrFromString(lower)
		if err != nil {
			return err
		}
		if _, _, e := syscall.Syscall6(sysMoveMount, treeFd, uintptr(unsafe.Pointer(&empty[0])), atFdcwd,
			uintptr(unsafe.Pointer(p)), moveMountFEmptyPath, 0); e != 0 {
			return unavailable("moving the clone of %s into place (move_mount): %v", cfg.Root, e)
		}
		return nil
	}
	if err := syscall.Mount(cfg.Root, lower, "", syscall.MS_BIND, ""); err != nil {
		return unavailable("binding %s: %v", cfg.Root, err)
	}
	if err := syscall.Mount("", lower, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, ""); err != nil {
		return unavailable("remounting %s read-only: %v", cfg.Root, err)
	}
	return nil
}

// writeScratch writes what the spec asks for straight into the upper
// layer, before the overlay exists: the tree's directories belong to ids
// the sandbox does not map, so its root could not create files in them
// through the overlay. A directory made here merges with the tree's. /tmp
// is the sandbox's own, so that a command can make files there.
//
// Paths are resolved against the tree first, its symlinks followed inside
// it (resolveIn): a file written to upper/etc/ssh where the image's
// /etc/ssh links to /usr/etc/ssh would hide the image's whole directory
// behind a new one.
func writeScratch(cfg config, lower, upper string) error {
	for _, d := range append([]string{"/proc", "/dev", "/tmp"}, cfg.Dirs...) {
		real, err := resolveIn(lower, d)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(upper+real, 0o755); err != nil {
			return fmt.Errorf("making %s: %w", d, err)
		}
	}
	if err := os.Chmod(upper+"/tmp", 0o777|os.ModeSticky); err != nil {
		return err
	}
	for name, f := range cfg.Files {
		dir, err := resolveIn(lower, path.Dir(name))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(upper+dir, 0o755); err != nil {
			return fmt.Errorf("making the directory of %s: %w", name, err)
		}
		real := path.Join(dir, path.Base(name))
		if err := os.WriteFile(upper+real, f.Data, f.Mode.Perm()); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		// WriteFile's mode is masked by the umask; the spec's is meant.
		if err := os.Chmod(upper+real, f.Mode.Perm()); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// resolveIn returns the absolute path p names inside the tree at root,
// its symlinks followed as the command would follow them with the tree as
// its root: absolute targets start again at the tree's root, ".." stops
// there. Components that do not exist (or cannot be looked at) are taken
// as they are: they will be made in the upper layer.
func resolveIn(root, p string) (string, error) {
	resolved, parts, hops := "/", strings.Split(p, "/"), 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, part)
		st, err := os.Lstat(root + next)
		if err != nil || st.Mode()&os.ModeSymlink == 0 {
			resolved = next
			continue
		}
		// Linux's own bound on links followed in one lookup.
		if hops++; hops > 40 {
			return "", fmt.Errorf("resolving %s in the tree: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(root + next)
		if err != nil {
			return "", fmt.Errorf("resolving %s in the tree: %w", p, err)
		}
		if path.IsAbs(target) {
			resolved = "/"
		}
		parts = append(strings.Split(target, "/"), parts...)
	}
	return resolved, nil
}

// devices are bound from the host's /dev: a user namespace may not mknod,
// and these are all a configuration dump or a shell needs.
var devices = []string{"null", "zero", "full", "random", "urandom"}

func mountDev(dev string) error {
	if err := syscall.Mount("tmpfs", dev, "tmpfs", syscall.MS_NOSUID|syscall.MS_NOEXEC, "size=64k,mode=0755"); err != nil {
		return unavailable("mounting /dev: %v", err)
	}
	for _, d := range devices {
		if err := os.WriteFile(dev+"/"+d, nil, 0o666); err != nil {
			return err
		}
		if err := syscall.Mount("/dev/"+d, dev+"/"+d, "", syscall.MS_BIND, ""); err != nil {
			return unavailable("binding /dev/%s: %v", d, err)
		}
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, dev+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

// execCommand drops what the command must not have and execs it; it
// returns only when that fails.
func execCommand(cfg config) error {
	argv0 := cfg.Argv[0]
	if _, err := os.Stat(argv0); err != nil {
		return fmt.Errorf("%s%w", noCommandPrefix, err)
	}
	null, err := os.Open("/dev/null")
	if err != nil {
		return err
	}
	if err := syscall.Dup2(int(null.Fd()), 0); err != nil {
		return err
	}
	argv, err := syscall.SlicePtrFromStrings(cfg.Argv)
	if err != nil {
		return fmt.Errorf("command %q: %w", cfg.Argv, err)
	}
	envv, err := syscall.SlicePtrFromStrings(cfg.Env)
	if err != nil {
		return fmt.Errorf("environment: %w", err)
	}
	file, err := syscall.BytePtrFromString(argv0)
	if err != nil {
		return err
	}
	lastCap, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return unavailable("reading cap_last_cap: %v", err)
	}
	last, err := strconv.Atoi(strings.TrimSpace(string(lastCap)))
	if err != nil {
		return unavailable("cap_last_cap %q: %v", lastCap, err)
	}
	// Every fd but the standard three (and the error pipe, already
	// close-on-exec) closes at exec.
	if _, _, e := syscall.Syscall(sysCloseRange, 3, ^uintptr(0), closeRangeCloexec); e != 0 {
		return unavailable("close_range: %v", e)
	}
	// The capability bounding set and no_new_privs are per thread: they
	// must be set on the thread that calls execve.
	runtime.LockOSThread()
	for c := 0; c <= last; c++ {
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prCapbsetDrop, uintptr(c), 0); e != 0 {
			return unavailable("dropping capability %d from the bounding set: %v", c, e)
		}
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prCapAmbient, prCapAmbientClearAll, 0, 0, 0, 0); e != 0 && e != syscall.EINVAL {
		return unavailable("clearing ambient capabilities: %v", e)
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); e != 0 {
		return unavailable("setting no_new_privs: %v", e)
	}
	lim := cfg.Limits
	limits := []struct {
		resource int
		value    uint64
	}{
		{syscall.RLIMIT_NOFILE, 1024},
		{rlimitNproc, uint64(lim.Processes)},
		{syscall.RLIMIT_FSIZE, uint64(lim.Scratch)},
		{syscall.RLIMIT_CORE, 0},
		{syscall.RLIMIT_AS, uint64(lim.Memory)},
	}
	// From here on nothing may allocate: this Go process already maps
	// more than RLIMIT_AS is likely to allow, so a heap that grew now
	// would crash the init. The GC is off and only raw system calls run.
	debug.SetGCPercent(-1)
	for _, l := range limits {
		rl := syscall.Rlimit{Cur: l.value, Max: l.value}
		if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, uintptr(l.resource), uintptr(unsafe.Pointer(&rl)), 0, 0, 0); e != 0 {
			return unavailable("setting rlimit %d: %v", l.resource, e)
		}
	}
	_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(file)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	return fmt.Errorf("%sexec %s: %v", noCommandPrefix, argv0, e)
}

// noCommandPrefix starts the failure of a command that could not be
// executed (missing, not executable, the wrong architecture): Run
// reports it as ErrNoCommand.
const noCommandPrefix = "no command: "

// treeFd is the init's descriptor of Run's clone of the tree.
const treeFd = 5

const (
	sysCloseRange        = 436
	closeRangeCloexec    = 1 << 2
	prCapbsetDrop        = 24
	prCapAmbient         = 47
	prCapAmbientClearAll = 4
	prSetNoNewPrivs      = 38
	rlimitNproc          = 6
)
