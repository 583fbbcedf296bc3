package main

import (
	"strings"
	"testing"
)

// TestVercmpBatchAnswersEveryLine checks vercmp's batch promise: one
// answer a line, in order, "?" for a line it cannot answer — a line over
// 64 KiB included — and exit status 2 at the end. Messages about bad input
// quote it cut short.
func TestVercmpBatchAnswersEveryLine(t *testing.T) {
	long := strings.Repeat("9", 70<<10)
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string
		stderr      []string // each in stderr, in this order
	}{
		{"a line over 64 KiB", "1 2\n" + long + " 1\n2 2\n", []string{"--batch"}, 2, "<\n?\n=\n",
			[]string{"stdin line 2: longer than 65536 bytes", "1 of the input lines could not be compared"}},
		{"a long invalid version in a line", "1 2\n1:" + strings.Repeat("9", 60<<10) + "- 1\n", nil, 2, "<\n?\n",
			[]string{`stdin line 2: dpkg: version "1:99`, `…(61443 bytes): revision number is empty`}},
		{"a long invalid version in the arguments", "", []string{"1:" + long + "-", "1"}, 2, "",
			[]string{`vercmp: dpkg: version "1:99`, `…(71683 bytes): revision number is empty`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, nil, append([]string{"vercmp", "--format", "deb"}, tc.args...)...)
			if r.code != tc.code || r.stdout != tc.stdout {
				t.Errorf("exit %d, stdout %q; want %d, %q", r.code, r.stdout, tc.code, tc.stdout)
			}
			rest := r.stderr
			for _, want := range tc.stderr {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Errorf("stderr %.300q: want %q (after the ones before it)", r.stderr, want)
					break
				}
				rest = rest[i+len(want):]
			}
			if len(r.stderr) > 1000 {
				t.Errorf("stderr is %d bytes: bad input is quoted whole", len(r.stderr))
			}
		})
	}
}
