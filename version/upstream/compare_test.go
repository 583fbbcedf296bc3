package upstream

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLibversionSuite runs libversion's own comparison cases, both ways.
func TestLibversionSuite(t *testing.T) {
	f, err := os.Open("testdata/libversion-compare.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			t.Fatalf("bad line %q", sc.Text())
		}
		want, err := strconv.Atoi(fields[2])
		if err != nil {
			t.Fatal(err)
		}
		if got := Compare(fields[0], fields[1]); got != want {
			t.Errorf("Compare(%q, %q) = %d; libversion's suite wants %d", fields[0], fields[1], got, want)
		}
		if got := Compare(fields[1], fields[0]); got != -want {
			t.Errorf("Compare(%q, %q) = %d; libversion's suite wants %d", fields[1], fields[0], got, -want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 176 {
		t.Fatalf("read %d cases, want 176", n)
	}
}

// TestAlgorithmExample checks the ascending example table of libversion's
// doc/ALGORITHM.md.
func TestAlgorithmExample(t *testing.T) {
	order := []string{"1.0alpha1", "1.0beta1", "1.0", "1.0patch1", "1.0.1", "1.0a", "1.0b", "1.1", "1.2"}
	for i, a := range order {
		for j, b := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%q, %q) = %d; want %d", a, b, got, want)
			}
		}
	}
}
