// Package sandbox runs one command of an untrusted image confined: the
// `--probe` of the image analysis runs the image's own programs (sshd -T)
// to learn the settings they actually take, and those binaries must not
// reach the host. Container engines do not run on the hosts this project
// runs on; plain namespaces do, and that is all this package uses.
//
// Run re-executes the running binary (through /proc/self/exe) as the
// sandbox's init — Init, called first in main, takes over there — in new
// user, mount, pid, network, uts, ipc and cgroup namespaces. What the
// command gets:
//
//   - Ids: it is root (uid and gid 0) inside, mapped to one host id no
//     account has (hostID) when the caller is root, to the caller's own
//     otherwise. The image's files, owned by host ids the namespace does
//     not map, show as nobody and are read-only to it whatever their mode.
//   - Files: the root is an overlay whose lower layer is the tree, cloned
//     read-only by the caller (open_tree, mount_setattr) or bound by path,
//     and whose upper layer is a tmpfs of Limits.Scratch bytes where
//     Spec.Files, Spec.Dirs and a fresh /tmp are written first. It pivots
//     into it and detaches the host's mounts: nothing of the host's file
//     system stays reachable, and the tree is never written. /dev is a
//     tmpfs with binds of null, zero, full, random and urandom; /proc is
//     the new pid namespace's.
//   - Network: a namespace of its own with only its loopback, up.
//   - Processes: it is pid 1 and sees no other process; killing it
//     (SIGKILL, which pid 1 cannot ignore from outside) ends everything
//     it started.
//   - Privileges: an empty capability bounding set (so even root inside
//     has no capability after exec), no ambient capabilities, and
//     no_new_privs (a setuid file grants nothing).
//   - Limits: Limits.Time of wall clock, then SIGKILL; RLIMIT_AS for
//     memory (cgroups here are v1 and not delegated, so nothing counts
//     resident memory), RLIMIT_NPROC for tasks, RLIMIT_FSIZE, no core
//     dumps, 1024 descriptors; Limits.Output bytes kept of each output
//     stream.
//
// When the kernel refuses a namespace or a mount, Run fails with
// ErrUnavailable and runs nothing: there is no unconfined fallback.
// The tests try to get out (write the tree and host paths, reach a host
// listener, see host processes, go over each limit) and fail to.
package sandbox
