package main

import (
	"os"
	"strings"
	"testing"
)

// TestReport reads the go test -json output of a small package with a
// passing, a failing and skipped tests (testdata/sample.json, made by
// running go test -json on it): the failure's output is printed, the passing
// test's is not, and every skip is listed with its reason.
func TestReport(t *testing.T) {
	f, err := os.Open("testdata/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	skips, err := report(f, &out)
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"the value was 2, want 3", "FAIL\tsample"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"quiet when passing", "=== RUN", "--- PASS"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output has %q:\n%s", unwanted, got)
		}
	}
	want := map[string]string{
		"TestSkips":              "testenv: chromium not available: not on PATH",
		"TestParent/child_skips": "no mirror",
	}
	if len(skips) != len(want) {
		t.Fatalf("skips %+v, want %v", skips, want)
	}
	for _, s := range skips {
		if r, ok := want[s.test]; !ok || !strings.Contains(s.reason, r) || s.pkg != "sample" {
			t.Errorf("skip %+v, want one of %v", s, want)
		}
	}
	var list strings.Builder
	printSkips(&list, skips)
	if !strings.Contains(list.String(), "2 tests skipped") || !strings.Contains(list.String(), "sample TestSkips: ") {
		t.Errorf("skip list:\n%s", list.String())
	}
}
