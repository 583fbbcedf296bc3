package repo

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
)

// TestRowColumnsComplete: admitRow walks every column of a packages row
// that holds text, so that a column added to datasets.PackageRow cannot
// carry bytes that are not UTF-8 into a table, nor escape the byte bounds.
func TestRowColumnsComplete(t *testing.T) {
	var row datasets.PackageRow
	v := reflect.ValueOf(&row).Elem()
	listed := map[uintptr]string{}
	for _, c := range rowTextColumns {
		listed[reflect.ValueOf(c.get(&row)).Pointer()] = c.name
	}
	for _, c := range rowListColumns {
		listed[reflect.ValueOf(c.get(&row)).Pointer()] = c.name
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		switch k := f.Type.Kind(); {
		case k == reflect.String, k == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			if got, ok := listed[v.Field(i).Addr().Pointer()]; !ok || got != name {
				t.Errorf("column %s (%s) is listed as %q", name, f.Name, got)
			}
		case k == reflect.Map:
			if f.Name != "Extra" {
				t.Errorf("column %s is a map admitRow does not walk", name)
			}
		}
	}
}

func TestValidUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"plain ascii":           "plain ascii",
		"J\xfcrgen":             "Jürgen",
		"caf\xc3\xa9 \xe9t\xe9": "café été",
		"\xff\xfe":              "ÿþ",
		"\xed\xa0\x80":          "í\u00a0\u0080", // a surrogate is not UTF-8
		"\xef\xbf\xbd":          "\ufffd",        // U+FFFD itself is
		"trunc\xe2\x82":         "trunc\u00e2\u0082",
	} {
		if got := validUTF8(in); got != want {
			t.Errorf("validUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAdmitRowCounts(t *testing.T) {
	shared := []string{"ok", "b\xe4d"}
	row := datasets.PackageRow{Package: "p", Maintainer: "M\xfcller", Depends: shared,
		Extra: map[string]string{"X-\xe9": "v", "Ok": "fine"}}
	var u utf8Stats
	u.admitRow(&row)
	if row.Maintainer != "Müller" || row.Depends[1] != "bäd" || row.Extra["X-é"] != "v" || row.Extra["Ok"] != "fine" {
		t.Errorf("row not repaired: %+v", row)
	}
	if shared[1] != "b\xe4d" {
		t.Errorf("the list shared with other rows was changed in place")
	}
	if u.rows != 1 || u.fields != 3 || !slices.Equal(u.columnNames(), []string{"depends", "extra", "maintainer"}) {
		t.Errorf("counted %d rows, %d fields, columns %v; want 1, 3, [depends extra maintainer]", u.rows, u.fields, u.columnNames())
	}
}
