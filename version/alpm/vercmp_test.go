package alpm

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPacmanSuite runs the cases of pacman's test/util/vercmptest.sh, each
// also mirrored as the suite does.
func TestPacmanSuite(t *testing.T) {
	f, err := os.Open("testdata/vercmptest.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			t.Fatalf("bad line %q", sc.Text())
		}
		want, err := strconv.Atoi(fields[2])
		if err != nil {
			t.Fatal(err)
		}
		if got := Compare(fields[0], fields[1]); got != want {
			t.Errorf("Compare(%q, %q) = %d; pacman's suite wants %d", fields[0], fields[1], got, want)
		}
		if got := Compare(fields[1], fields[0]); got != -want {
			t.Errorf("Compare(%q, %q) = %d; pacman's suite wants %d", fields[1], fields[0], got, -want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 46 {
		t.Fatalf("read %d cases, want 46", n)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
	}{
		{"1.0", Version{"0", "1.0", "", false}},
		{"1:2.3.4-1", Version{"1", "2.3.4", "1", true}},
		{":2.3", Version{"0", "2.3", "", false}},
		{"6.6.1.arch1-1.1", Version{"0", "6.6.1.arch1", "1.1", true}},
		{"1-2:3", Version{"0", "1", "2:3", true}},
	} {
		if got := Parse(tc.in); got != tc.want {
			t.Errorf("Parse(%q) = %+v; want %+v", tc.in, got, tc.want)
		}
	}
}
