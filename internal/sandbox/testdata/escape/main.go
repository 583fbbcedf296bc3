// Command escape is what the sandbox's tests run inside it: each argument
// "op=arg" is one attempt to get out or to go over a limit, and it prints
// what happened, one line per attempt, for the test to check.
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	for _, a := range os.Args[1:] {
		op, arg, _ := strings.Cut(a, "=")
		fmt.Printf("%s: %s\n", a, run(op, arg))
	}
}

func run(op, arg string) string {
	switch op {
	case "write": // write arg (making its directories): what it reads back
		if err := os.MkdirAll(filepath.Dir(arg), 0o755); err != nil {
			return "error " + err.Error()
		}
		if err := os.WriteFile(arg, []byte("sandbox"), 0o644); err != nil {
			return "error " + err.Error()
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			return "error " + err.Error()
		}
		return "wrote " + string(b)
	case "connect":
		c, err := net.DialTimeout("tcp", arg, 2*time.Second)
		if err != nil {
			return "error " + err.Error()
		}
		c.Close()
		return "connected"
	case "pids": // the processes this pid namespace shows
		ents, err := os.ReadDir("/proc")
		if err != nil {
			return "error " + err.Error()
		}
		var pids []string
		for _, e := range ents {
			if _, err := strconv.Atoi(e.Name()); err == nil {
				pids = append(pids, e.Name())
			}
		}
		return strings.Join(pids, " ")
	case "read":
		b, err := os.ReadFile(arg)
		if err != nil {
			return "error " + err.Error()
		}
		return string(b)
	case "ls":
		ents, err := os.ReadDir(arg)
		if err != nil {
			return "error " + err.Error()
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return strings.Join(names, " ")
	case "mode":
		st, err := os.Stat(arg)
		if err != nil {
			return "error " + err.Error()
		}
		return st.Mode().String()
	case "hostname":
		h, err := os.Hostname()
		if err != nil {
			return "error " + err.Error()
		}
		return h
	case "status": // a line of /proc/self/status
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return "error " + err.Error()
		}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, _ := strings.Cut(l, ":"); k == arg {
				return strings.Join(strings.Fields(v), " ")
			}
		}
		return "missing"
	case "uidmap":
		b, err := os.ReadFile("/proc/self/uid_map")
		if err != nil {
			return "error " + err.Error()
		}
		return strings.Join(strings.Fields(string(b)), " ")
	case "owner": // uid of arg as the sandbox sees it
		var st syscall.Stat_t
		if err := syscall.Stat(arg, &st); err != nil {
			return "error " + err.Error()
		}
		return strconv.Itoa(int(st.Uid))
	case "exec": // run arg (a path) with "status=Uid"
		out, err := exec.Command(arg, "status=Uid").CombinedOutput()
		if err != nil {
			return "error " + err.Error() + " " + string(out)
		}
		return strings.TrimSpace(string(out))
	case "mount":
		if err := syscall.Mount("tmpfs", arg, "tmpfs", 0, ""); err != nil {
			return "error " + err.Error()
		}
		return "mounted"
	case "sleep":
		time.Sleep(time.Hour)
		return "woke"
	case "alloc": // allocate and touch arg bytes
		n, _ := strconv.ParseInt(arg, 10, 64)
		b := make([]byte, n)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		return "allocated " + strconv.Itoa(len(b))
	case "spew": // write arg bytes to stdout
		n, _ := strconv.ParseInt(arg, 10, 64)
		buf := slices.Repeat([]byte("x"), 1<<16)
		for ; n > 0; n -= int64(len(buf)) {
			os.Stdout.Write(buf[:min(n, int64(len(buf)))])
		}
		return "spewed"
	case "fork": // fork up to arg children that pause: how many were made
		n, _ := strconv.Atoi(arg)
		made := 0
		for ; made < n; made++ {
			pid, _, e := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
			if e != 0 {
				return fmt.Sprintf("made %d: %v", made, e)
			}
			if pid == 0 { // the child: raw system calls only, no Go runtime
				for {
					syscall.RawSyscall(syscall.SYS_PAUSE, 0, 0, 0)
				}
			}
		}
		return fmt.Sprintf("made %d", made)
	}
	return "unknown op " + op
}
