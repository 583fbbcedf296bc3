// Package probe runs a few read-only commands of an image inside a
// sandbox (internal/sandbox) to learn the settings its programs actually
// take — `sshd -T` for sshd — and merges them into the statically read
// rows of analysis/settings, flagging where the two differ.
//
// The image's binaries are untrusted: they only ever run through
// sandbox.Run, and when the host cannot make the sandbox (an error
// wrapping sandbox.ErrUnavailable) the caller skips the probe with that
// message instead of running them some other way.
package probe
