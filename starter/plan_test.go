package main

import (
	"bytes"
	"strings"
	"testing"
)

// `plan check` prints the graph a plan resolves to against the catalogue
// and exits 0; a plan with mistakes exits 1 with every mistake and its
// line, printing no graph.
func TestPlanCheck(t *testing.T) {
	env := map[string]string{"DISTROSCOPE_APT_ROOT": t.TempDir(), "DISTROSCOPE_CATALOG": "../plan/testdata/catalog.yaml"}
	getenv := func(k string) string { return env[k] }
	var out, errb bytes.Buffer
	if code := run([]string{"plan", "check", "../plan/testdata/nightly.yaml"}, strings.NewReader(""), &out, &errb, getenv); code != 0 {
		t.Fatalf("plan check nightly.yaml: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"snapshots (4):", "  debian/trixie → alpine/v3.21\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan check printed no %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"plan", "check", "../plan/testdata/mistakes.yaml"}, strings.NewReader(""), &out, &errb, getenv); code != 1 || out.Len() != 0 ||
		!strings.Contains(errb.String(), `mistakes.yaml line 7: unknown key "suits" in a snapshot`) {
		t.Errorf("plan check mistakes.yaml: exit %d, printed %q, said %q", code, out.String(), errb.String())
	}
}
