package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// ErrUnavailable is what Run returns, wrapped with the reason, when this
// host cannot make the namespaces and mounts the sandbox needs (user
// namespaces disabled, overlayfs or proc refused inside one). Callers skip
// the probe with that message: the command is never run unconfined.
var ErrUnavailable = errors.New("sandbox: unavailable")

// ErrNoCommand is what Run returns, wrapped, when the command cannot be
// executed inside the root: it is missing, or the kernel refuses it.
var ErrNoCommand = errors.New("sandbox: no such command")

// Spec is one command to run confined.
type Spec struct {
	// Root is a host directory holding the image's root filesystem. It is
	// mounted read-only as the lower layer of the sandbox's root and never
	// written: every change lands in the scratch upper layer, which is
	// thrown away.
	Root string
	// Argv is the command and its arguments; Argv[0] is a path inside
	// Root, run as is (no PATH lookup).
	Argv []string
	// Env is the command's whole environment: nothing of the caller's
	// leaks in.
	Env []string
	// Files are written into the scratch layer before the command runs,
	// by absolute path inside the sandbox (throwaway host keys, say), the
	// tree's symlinks on the way followed inside the tree. Missing parent
	// directories are made.
	Files map[string]File
	// Dirs are made in the scratch layer (mode 0755, owned by the
	// sandbox's root), with their parents: /run/sshd, say.
	Dirs []string
	// Limits bound the run; zero fields take DefaultLimits' values.
	Limits Limits
}

// File is the content and mode of a file Spec.Files writes.
type File struct {
	Data []byte
	Mode os.FileMode
}

// Limits bound one run. Memory is RLIMIT_AS, the address space the
// command may map: this host's cgroups are v1 and not delegated, so no
// cgroup counts what it touches, and a program that maps more than it
// touches (any Go program reserves over 1 GiB) needs a limit above that.
type Limits struct {
	Time      time.Duration // wall clock from start to the kill of the whole pid namespace
	Memory    int64         // bytes of address space per process (RLIMIT_AS)
	Output    int64         // bytes kept of each of stdout and stderr; the rest is read and dropped
	Processes int64         // tasks (processes and threads) of the sandbox's host id, all sandboxes together (RLIMIT_NPROC)
	Scratch   int64         // bytes of the tmpfs the scratch layer and /tmp writes go to
}

// DefaultLimits are enough for a configuration dump such as sshd -T
// (about 10 MB mapped, a few KB printed, well under a second).
var DefaultLimits = Limits{
	Time:      30 * time.Second,
	Memory:    512 << 20,
	Output:    1 << 20,
	Processes: 64,
	Scratch:   64 << 20,
}

func (l Limits) withDefaults() Limits {
	if l.Time <= 0 {
		l.Time = DefaultLimits.Time
	}
	if l.Memory <= 0 {
		l.Memory = DefaultLimits.Memory
	}
	if l.Output <= 0 {
		l.Output = DefaultLimits.Output
	}
	if l.Processes <= 0 {
		l.Processes = DefaultLimits.Processes
	}
	if l.Scratch <= 0 {
		l.Scratch = DefaultLimits.Scratch
	}
	return l
}

// Result is what a confined command did.
type Result struct {
	Stdout, Stderr []byte
	// Exit is the command's exit status, or 128 plus the signal that
	// ended it (the shell's convention).
	Exit int
	// Truncated: a stream was longer than Limits.Output; the first
	// Limits.Output bytes are kept.
	Truncated bool
	// Killed says why the sandbox killed the command ("time limit"), ""
	// when it ended by itself. Going over the memory limit is the
	// command's own failure (its allocation fails: ENOMEM), not a kill.
	Killed string
}

// KilledTime is Result.Killed when the time limit ended the command.
const KilledTime = "time limit"

// hostID is the host uid and gid the sandbox's root maps to when the
// caller is root: an id no account has, so that nothing the sandbox makes
// or touches is the host root's, and its processes count against
// RLIMIT_NPROC alone. A caller that is not root can only map its own ids.
const hostID = 1_900_000_000

// initEnv marks the re-executed binary as the sandbox's init (see Init).
const initEnv = "DISTROSCOPE_SANDBOX_INIT"

// config is what the parent hands the init through its pipe.
type config struct {
	Root   string
	Stage  string // an empty host directory the init mounts its tmpfs on
	TreeFd bool   // treeFd holds a detached read-only mount of Root (see cloneTree)
	Argv   []string
	Env    []string
	Files  map[string]File
	Dirs   []string
	Limits Limits
}

// Run runs spec.Argv confined (see the package doc) and returns what it
// printed and how it ended. An error means the sandbox could not be set
// up — wrapping ErrUnavailable when the host cannot make it — or the spec
// is wrong; a command that fails is a Result with a non-zero Exit.
func Run(ctx context.Context, spec Spec) (Result, error) {
	if err := spec.check(); err != nil {
		return Result{}, err
	}
	lim := spec.Limits.withDefaults()
	// The init mounts its tmpfs on Stage inside its own mount namespace:
	// the host only ever sees an empty directory, removed afterwards.
	stage, err := os.MkdirTemp("", "distroscope-sandbox-")
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: stage directory: %w", err)
	}
	defer os.Remove(stage)
	root, err := filepath.Abs(spec.Root)
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: root %s: %w", spec.Root, err)
	}
	tree, err := cloneTree(root)
	if err != nil {
		return Result{}, err
	}
	if tree != nil {
		defer tree.Close()
	}
	cfg, err := json.Marshal(config{Root: root, Stage: stage, TreeFd: tree != nil, Argv: spec.Argv, Env: spec.Env,
		Files: spec.Files, Dirs: spec.Dirs, Limits: lim})
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: encoding the spec: %w", err)
	}

	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: %w", err)
	}
	defer cfgR.Close()
	defer cfgW.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: %w", err)
	}
	defer errR.Close()
	defer errW.Close()

	parent := ctx
	ctx, cancel := context.WithTimeout(parent, lim.Time)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/proc/self/exe", "distroscope-sandbox-init")
	cmd.Env = []string{initEnv + "=1"}
	stdout := &boundedBuffer{limit: lim.Output}
	stderr := &boundedBuffer{limit: lim.Output}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{cfgR, errW} // fds 3 and 4 of the init
	if tree != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, tree) // treeFd
	}
	// A command that forks and leaves its children holding stdout open
	// dies with the pid namespace when the init goes; WaitDelay only
	// bounds a kernel that takes its time tearing it down.
	cmd.WaitDelay = 5 * time.Second
	uid, gid := hostID, hostID
	if os.Geteuid() != 0 {
		uid, gid = os.Geteuid(), os.Getegid()
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET |
			syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWCGROUP,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}},
		GidMappingsEnableSetgroups: false,
		// Become the namespace's root once the maps are written: until
		// then the child still has the caller's (unmapped) ids.
		Credential: &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true},
		Pdeathsig:  syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("%w: creating user, mount, pid, network, uts, ipc and cgroup namespaces: %v", ErrUnavailable, err)
	}
	cfgR.Close()
	errW.Close()
	// The init reads the whole spec before it does anything; it is small
	// next to a pipe's buffer except for large Files, so write it from a
	// goroutine rather than risk both sides waiting.
	go func() {
		cfgW.Write(cfg)
		cfgW.Close()
	}()
	// The init writes a setup failure here; a successful execve closes
	// the pipe (close-on-exec) with nothing written.
	setup, _ := io.ReadAll(io.LimitReader(errR, 64<<10))
	waitErr := cmd.Wait()

	res := Result{Stdout: stdout.buf.Bytes(), Stderr: stderr.buf.Bytes(), Truncated: stdout.dropped || stderr.dropped}
	if len(setup) > 0 {
		msg := strings.TrimSpace(string(setup))
		if rest, ok := strings.CutPrefix(msg, unavailablePrefix); ok {
			return res, fmt.Errorf("%w: %s", ErrUnavailable, rest)
		}
		if rest, ok := strings.CutPrefix(msg, noCommandPrefix); ok {
			return res, fmt.Errorf("%w: %s in %s: %s", ErrNoCommand, spec.Argv[0], spec.Root, rest)
		}
		return res, fmt.Errorf("sandbox: setting up %s for %s: %s", spec.Root, spec.Argv[0], msg)
	}
	if err := parent.Err(); err != nil {
		return res, fmt.Errorf("sandbox: %s: %w", spec.Argv[0], err)
	}
	if ctx.Err() != nil {
		res.Killed = KilledTime
	}
	var exit *exec.ExitError
	switch {
	case waitErr == nil:
	case errors.As(waitErr, &exit):
		res.Exit = exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Exit = 128 + int(ws.Signal())
		}
	default:
		return res, fmt.Errorf("sandbox: waiting for %s: %w", spec.Argv[0], waitErr)
	}
	return res, nil
}

// check refuses a spec the init could only fail on later, with less
// context.
func (s Spec) check() error {
	if len(s.Argv) == 0 || !path.IsAbs(s.Argv[0]) {
		return fmt.Errorf("sandbox: command %q: want an absolute path inside the root", s.Argv)
	}
	st, err := os.Stat(s.Root)
	if err != nil {
		return fmt.Errorf("sandbox: root: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("sandbox: root %s is not a directory", s.Root)
	}
	for p := range s.Files {
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
			return fmt.Errorf("sandbox: file %q: want a clean absolute path", p)
		}
	}
	for _, p := range s.Dirs {
		if !path.IsAbs(p) || path.Clean(p) != p {
			return fmt.Errorf("sandbox: directory %q: want a clean absolute path", p)
		}
	}
	return nil
}

// boundedBuffer keeps the first limit bytes written to it and drops the
// rest, still reporting every write as done so that the command is never
// blocked on a full pipe: a command that prints without end runs into the
// time limit, not into the caller's memory.
type boundedBuffer struct {
	buf     bytes.Buffer
	limit   int64
	dropped bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.limit - int64(b.buf.Len()); int64(len(p)) > room {
		p = p[:max(room, 0)]
		b.dropped = true
	}
	b.buf.Write(p)
	return n, nil
}

// cloneTree returns a detached, read-only, nosuid, nodev copy of the
// mount of root (open_tree with OPEN_TREE_CLONE, then mount_setattr), for
// the init to move into place: the init's root is an id the host does not
// know, so it may not be able to walk the path to root (t.TempDir's
// directories are 0700), and a descriptor of a path in the caller's mount
// namespace cannot be bound from another one. Only a caller with
// CAP_SYS_ADMIN can clone a mount; for any other the init binds root by
// path, which it can walk as the caller's own id (nil, nil).
func cloneTree(root string) (*os.File, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	p, err := syscall.BytePtrFromString(root)
	if err != nil {
		return nil, err
	}
	fd, _, e := syscall.Syscall(sysOpenTree, atFdcwd, uintptr(unsafe.Pointer(p)), openTreeClone|openTreeCloexec)
	if e != 0 {
		return nil, fmt.Errorf("%w: cloning the mount of %s (open_tree): %v", ErrUnavailable, root, e)
	}
	tree := os.NewFile(fd, root)
	attr := mountAttr{attrSet: mountAttrRdonly | mountAttrNosuid | mountAttrNodev}
	empty := []byte{0}
	if _, _, e := syscall.Syscall6(sysMountSetattr, fd, uintptr(unsafe.Pointer(&empty[0])), atEmptyPath,
		uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0); e != 0 {
		tree.Close()
		return nil, fmt.Errorf("%w: making the clone of %s read-only (mount_setattr): %v", ErrUnavailable, root, e)
	}
	return tree, nil
}

// mountAttr is struct mount_attr of mount_setattr(2).
type mountAttr struct {
	attrSet, attrClr, propagation, userns uint64
}

// The new mount API, which package syscall does not name.
const (
	sysOpenTree         = 428
	sysMoveMount        = 429
	sysMountSetattr     = 442
	atFdcwd             = ^uintptr(99) // AT_FDCWD, -100
	atEmptyPath         = 0x1000
	openTreeClone       = 1
	openTreeCloexec     = syscall.O_CLOEXEC
	moveMountFEmptyPath = 0x4
	mountAttrRdonly     = 0x1
	mountAttrNosuid     = 0x2
	mountAttrNodev      = 0x4
)
