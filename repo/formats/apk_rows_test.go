package formats_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/apk/apktest"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// TestAPKRows reads each APKINDEX fixture through the format's Parse and
// checks every row against a naive reading of the text it was built from.
func TestAPKRows(t *testing.T) {
	for _, fx := range apktest.Fixtures(t) {
		want := apktest.NaiveRecords(t, fx.Text)
		rows := formatstest.Rows(t, repo.FormatAPK, fx.Archive, repo.Index{Component: "main", Architecture: "aarch64"})
		if len(rows) != len(want) || len(rows) != fx.Records {
			t.Fatalf("%s: %d rows, %d records in the text, want %d", fx.Archive, len(rows), len(want), fx.Records)
		}
		for i, row := range rows {
			w := want[i]
			v := w["V"][0]
			if row.Format != "apk" || row.Package != w["P"][0] || row.Version != v || row.Epoch != nil || row.SourceVersion != v {
				t.Errorf("%s: identity %q %q %q %v", row.Package, row.Format, row.Package, row.Version, row.Epoch)
			}
			// apk-package(5): the version ends in an optional -r{number}.
			up, rev, hasRev := v, "", false
			if i := strings.LastIndex(v, "-r"); i > 0 {
				if _, err := strconv.Atoi(v[i+2:]); err == nil {
					up, rev, hasRev = v[:i], v[i+2:], true
				}
			}
			if row.UpstreamVersion != up || row.Revision != rev || hasRev != (row.Revision != "") {
				t.Errorf("%s: split %q into %q %q", row.Package, v, row.UpstreamVersion, row.Revision)
			}
			source := w["P"][0]
			if o := w["o"]; len(o) > 0 {
				source = o[0]
			}
			if row.Source != source {
				t.Errorf("%s: source %q, want %q", row.Package, row.Source, source)
			}
			if row.InstalledSizeKiB != (row.InstalledSizeBytes+1023)/1024 || strconv.FormatInt(row.InstalledSizeBytes, 10) != first(w["I"]) || strconv.FormatInt(row.Size, 10) != first(w["S"]) {
				t.Errorf("%s: sizes %d %d %d", row.Package, row.Size, row.InstalledSizeBytes, row.InstalledSizeKiB)
			}
			if c := w["c"]; len(c) > 0 && row.Extra["commit"] != c[0] {
				t.Errorf("%s: commit %q", row.Package, row.Extra["commit"])
			}
			if k := w["k"]; len(k) > 0 && row.Extra["provider_priority"] != k[0] {
				t.Errorf("%s: provider_priority %q", row.Package, row.Extra["provider_priority"])
			}
			if ts := w["t"]; len(ts) > 0 && strconv.FormatInt(row.BuildTime.Unix(), 10) != ts[0] {
				t.Errorf("%s: build time %v", row.Package, row.BuildTime)
			}
			// D splits into Depends and Conflicts at the '!', nothing lost.
			var deps, conflicts []string
			for _, tok := range strings.Fields(strings.Join(w["D"], " ")) {
				if strings.HasPrefix(tok, "!") {
					conflicts = append(conflicts, tok[1:])
				} else {
					deps = append(deps, tok)
				}
			}
			for _, c := range []struct {
				name      string
				got, want []string
			}{{"depends", row.Depends, deps}, {"conflicts", row.Conflicts, conflicts},
				{"provides", row.Provides, strings.Fields(strings.Join(w["p"], " "))},
				{"install_if", row.InstallIf, strings.Fields(strings.Join(w["i"], " "))}} {
				if len(c.got) != len(c.want) {
					t.Errorf("%s: %s %q, want %q", row.Package, c.name, c.got, c.want)
					continue
				}
				for j, g := range c.got {
					// Normal form: "name (op version)", the same text.
					if strings.NewReplacer(" (", "", ")", "", " ", "").Replace(g) != c.want[j] || strings.ContainsAny(c.want[j], "<>=~") != strings.Contains(g, " (") {
						t.Errorf("%s: %s %q does not render %q", row.Package, c.name, g, c.want[j])
					}
				}
			}
		}
	}
}

// first is a record's first value of a letter, "0" when it has none (as
// the rows hold a missing size).
func first(v []string) string {
	if len(v) == 0 {
		return "0"
	}
	return v[0]
}
