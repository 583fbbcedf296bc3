package version

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/distroscope/distroscope/version/dpkg"
)

// TestForFormat checks each format's comparator on a pair its package
// manager orders its own way, and on a version it refuses.
func TestForFormat(t *testing.T) {
	for _, tc := range []struct {
		format, a, b string
		want         int
		invalid      string // a version the format refuses, "" if none
	}{
		// dpkg: '~' before the end; "1.0-" has an empty revision.
		{"deb", "1.0~rc1", "1.0", -1, "1.0-"},
		// rpm: '^' after the end; the release only counts when both have one.
		{"rpm", "1.0^git1", "1.0", 1, ""},
		{"rpm", "1:1.0", "1:1.0-5", -1, ""},
		// apk: a leading zero makes a dotted number compare as text (dpkg
		// says equal); "1.0bc" is invalid.
		{"apk", "1.0.01", "1.0.1", -1, "1.0bc"},
		// pacman: the pkgrel only counts when both have one; '~' is a
		// plain separator there.
		{"pacman", "1.0", "1.0-5", 0, ""},
		{"alpm", "1.0~rc1", "1.0", 1, ""},
	} {
		c, err := ForFormat(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.Compare(tc.a, tc.b); err != nil || got != tc.want {
			t.Errorf("%s: Compare(%q, %q) = %d, %v; want %d", tc.format, tc.a, tc.b, got, err, tc.want)
		}
		if tc.invalid != "" {
			if _, err := c.Compare(tc.invalid, "1.0"); err == nil {
				t.Errorf("%s: Compare(%q, ...) accepted an invalid version", tc.format, tc.invalid)
			}
		}
	}
	if _, err := ForFormat("rpm"); err != nil {
		t.Fatal(err)
	}
	if c, _ := ForFormat("rpm"); c != nil {
		if _, err := c.Compare("", "1"); err == nil {
			t.Errorf("rpm: the empty version was accepted")
		}
	}
	if _, err := ForFormat("msi"); err == nil || !strings.Contains(err.Error(), `"msi"`) {
		t.Errorf("ForFormat(msi) = %v", err)
	}
	for _, f := range Formats {
		if _, err := ForFormat(f); err != nil {
			t.Errorf("Formats lists %q but ForFormat refuses it: %v", f, err)
		}
	}
}

func TestCompareLines(t *testing.T) {
	c, _ := ForFormat("deb")
	in := "1.0 2.0\n2.0\t1.0~rc1\n  1:0  2 \n1.0- 1.0\nonly-one\n\n1.0 1.0\n"
	var out strings.Builder
	var bad []string
	n, err := CompareLines(strings.NewReader(in), &out, c, func(line int, err error) {
		bad = append(bad, fmt.Sprintf("%d: %v", line, err))
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<\n>\n>\n?\n?\n?\n=\n"; out.String() != want {
		t.Errorf("output %q; want %q", out.String(), want)
	}
	if n != 3 || len(bad) != 3 || !strings.HasPrefix(bad[0], "4: dpkg: version \"1.0-\"") ||
		!strings.HasPrefix(bad[1], "5: want two versions") || !strings.HasPrefix(bad[2], "6: want two versions") {
		t.Errorf("bad lines %d: %q", n, bad)
	}
	var se *dpkg.SyntaxError
	_, err = c.Compare("1.0-", "1")
	if !errors.As(err, &se) {
		t.Errorf("deb comparator error %v is not a *dpkg.SyntaxError", err)
	}
}

// TestCompareLinesTooLong checks that a line over MaxLineSize is one bad
// line like any other: the answers before it are written, it gets "?", and
// the lines after it are answered in order.
func TestCompareLinesTooLong(t *testing.T) {
	c, _ := ForFormat("pacman")
	for _, tc := range []struct {
		name, in, want string
		bad            []int
	}{
		{"in the middle", "1 2\n" + strings.Repeat("1", MaxLineSize+1) + " 2\n3 3\n", "<\n?\n=\n", []int{2}},
		{"last, without a newline", "2 1\n" + strings.Repeat("x", 3*MaxLineSize), ">\n?\n", []int{2}},
		{"exactly MaxLineSize", "1 2\n" + strings.Repeat("1", MaxLineSize-2) + " 2\n", "<\n>\n", nil},
		{"two in a row", strings.Repeat("y", MaxLineSize+1) + "\n" + strings.Repeat("z", 5*MaxLineSize) + "\n1 1\n", "?\n?\n=\n", []int{1, 2}},
	} {
		var out strings.Builder
		var bad []int
		n, err := CompareLines(strings.NewReader(tc.in), &out, c, func(line int, err error) {
			bad = append(bad, line)
			if !strings.Contains(err.Error(), "longer than") || len(err.Error()) > 200 {
				t.Errorf("%s: line %d: %v", tc.name, line, err)
			}
		})
		if err != nil || out.String() != tc.want || n != len(tc.bad) || fmt.Sprint(bad) != fmt.Sprint(tc.bad) {
			t.Errorf("%s: CompareLines = %d, %v, output %q, bad lines %v; want %q, bad lines %v", tc.name, n, err, out.String(), bad, tc.want, tc.bad)
		}
	}
}

// TestCompareLinesAnswersAsItReads checks that an answer is written before
// CompareLines waits for the next line, so a program that writes a pair
// and reads its answer (a co-process) is never left waiting.
func TestCompareLinesAnswersAsItReads(t *testing.T) {
	c, _ := ForFormat("deb")
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := CompareLines(inR, outW, c, func(int, error) {})
		outW.CloseWithError(err)
		done <- err
	}()
	answers := bufio.NewReader(outR)
	for _, pair := range []struct{ in, want string }{{"1 2\n", "<\n"}, {"2 2\n", "=\n"}, {"bad\n", "?\n"}} {
		if _, err := io.WriteString(inW, pair.in); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() { s, _ := answers.ReadString('\n'); got <- s }()
		select {
		case s := <-got:
			if s != pair.want {
				t.Fatalf("answer to %q = %q; want %q", pair.in, s, pair.want)
			}
		case <-time.After(10 * time.Second):
			// Not a timing: an answer that never comes before the next line.
			t.Fatalf("no answer to %q while CompareLines waits for the next line", pair.in)
		}
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestCompareLinesReadError checks that the answers before a failed read
// are written before the error is returned.
func TestCompareLinesReadError(t *testing.T) {
	c, _ := ForFormat("deb")
	var out strings.Builder
	boom := errors.New("boom")
	_, err := CompareLines(io.MultiReader(strings.NewReader("1 2\n2 1\n"), iotest.ErrReader(boom)), &out, c, func(int, error) {})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "line 3") || out.String() != "<\n>\n" {
		t.Errorf("CompareLines = %v, output %q", err, out.String())
	}
}

// TestCompareLinesQuotesBadVersionsShort checks that a refused version is
// quoted cut short in its message: input lines are untrusted and up to
// MaxLineSize long, and each message goes to a terminal or a log.
func TestCompareLinesQuotesBadVersionsShort(t *testing.T) {
	long := strings.Repeat("9", 20000)
	for _, tc := range []struct{ format, line string }{
		{"deb", "1:" + long + "-" + " 1"}, // empty revision
		{"deb", long + "\x00 1"},          // a NUL byte
		{"apk", "1.0_" + long + " 1"},
	} {
		c, _ := ForFormat(tc.format)
		var msgs []string
		if _, err := CompareLines(strings.NewReader(tc.line+"\n"), io.Discard, c, func(_ int, err error) { msgs = append(msgs, err.Error()) }); err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || len(msgs[0]) > 300 || !strings.Contains(msgs[0], "20") {
			t.Errorf("%s: messages %.400q", tc.format, msgs)
		}
	}
}
