// Command gotest runs `go test -json` with the given arguments and prints
// what plain `go test` prints — a line per package, the output of failing
// tests — then every skipped test with its reason. It exits as go test did.
//
// The test task runs the tests through it so that a skip can never hide: on
// the development machine and in CI the list should be empty (under CI a
// missing dependency fails instead of skipping, see package testenv), and
// whatever is left is there to read at the end of the log.
//
//	go run ./internal/testenv/gotest -count=1 ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// event is one line of test2json output (go doc test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// skip is a skipped test and the reason it gave.
type skip struct {
	pkg, test, reason string
}

func main() {
	cmd := exec.Command("go", append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		os.Exit(2)
	}
	skips, rerr := report(out, os.Stdout)
	werr := cmd.Wait()
	printSkips(os.Stdout, skips)
	if rerr != nil {
		fmt.Fprintln(os.Stderr, "gotest:", rerr)
		os.Exit(2)
	}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		os.Exit(ee.ExitCode())
	}
	if werr != nil {
		fmt.Fprintln(os.Stderr, "gotest:", werr)
		os.Exit(2)
	}
}

// report reads test2json events from r and writes what plain go test
// would to w: package results, and the whole output of failing tests.
// Output of a test is held until the test ends, then printed only if it
// failed. It returns the skipped tests with their reasons.
func report(r io.Reader, w io.Writer) ([]skip, error) {
	held := map[string][]string{} // package + "\x00" + test → output lines
	var skips []skip
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			// go test prints build failures as plain text.
			fmt.Fprintln(w, string(line))
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch {
		case e.Action == "output" && e.Test == "":
			// Package lines: "ok", "FAIL", "?", panics and build output;
			// the per-test framing lines are left out as go test does.
			if !strings.HasPrefix(e.Output, "=== ") && !strings.HasPrefix(e.Output, "--- ") && e.Output != "PASS\n" {
				fmt.Fprint(w, e.Output)
			}
		case e.Action == "output":
			held[key] = append(held[key], e.Output)
		case e.Action == "fail" && e.Test != "":
			for _, o := range held[key] {
				if !strings.HasPrefix(o, "=== ") {
					fmt.Fprint(w, o)
				}
			}
			delete(held, key)
		case e.Action == "skip" && e.Test != "":
			skips = append(skips, skip{e.Package, e.Test, reason(held[key])})
			delete(held, key)
		case e.Action == "pass" && e.Test != "":
			delete(held, key)
		}
	}
	return skips, sc.Err()
}

// reason is what a skipped test said: its output less go test's framing.
func reason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " / ")
}

func printSkips(w io.Writer, skips []skip) {
	sort.Slice(skips, func(i, j int) bool {
		if skips[i].pkg != skips[j].pkg {
			return skips[i].pkg < skips[j].pkg
		}
		return skips[i].test < skips[j].test
	})
	if len(skips) == 0 {
		fmt.Fprintln(w, "gotest: no test was skipped")
		return
	}
	fmt.Fprintf(w, "gotest: %d tests skipped:\n", len(skips))
	for _, s := range skips {
		fmt.Fprintf(w, "  %s %s: %s\n", s.pkg, s.test, s.reason)
	}
}
