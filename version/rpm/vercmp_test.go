package rpm

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestRPMSuite runs the cases of rpm's tests/rpmvercmp.at.
func TestRPMSuite(t *testing.T) {
	f, err := os.Open("testdata/rpmvercmp.at.txt")
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
			t.Errorf("Compare(%q, %q) = %d; rpm's suite wants %d", fields[0], fields[1], got, want)
		}
		if got, err := CompareEVR(fields[0], fields[1]); err != nil || got != want {
			t.Errorf("CompareEVR(%q, %q) = %d, %v; rpm's suite wants %d", fields[0], fields[1], got, err, want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 69 {
		t.Fatalf("read %d cases, want 69", n)
	}
}

func TestParseEVR(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want EVR
	}{
		{"1.0", EVR{"", "1.0", "", false}},
		{"1:2.3-4.fc40", EVR{"1", "2.3", "4.fc40", true}},
		{":2.3", EVR{"0", "2.3", "", false}},
		{"2.3-", EVR{"", "2.3", "", true}},
		{"1-2:3", EVR{"", "1", "2:3", true}},
		{"5.14.0-362.8.1.el9_3", EVR{"", "5.14.0", "362.8.1.el9_3", true}},
	} {
		got, err := ParseEVR(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseEVR(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if tc.in != ":2.3" && got.String() != tc.in {
			t.Errorf("ParseEVR(%q).String() = %q", tc.in, got.String())
		}
	}
	if _, err := CompareEVR("", "1"); err == nil || !strings.Contains(err.Error(), "rpm: version") {
		t.Errorf("CompareEVR of an empty version: err = %v", err)
	}
}

// TestNUL checks that a string is read up to a NUL byte, as C reads it.
func TestNUL(t *testing.T) {
	if got := Compare("1.0\x00.1", "1.0"); got != 0 {
		t.Errorf("Compare with a NUL = %d; C sees equal strings", got)
	}
}
