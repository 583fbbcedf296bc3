package formats

import (
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/apk"
)

// TestAPKRowRepeatedLetters: the values of a letter apk does not write,
// repeated, are joined by "\n" in the order of their lines, once each
// (they were joined line by line, copying the growing value each time).
func TestAPKRowRepeatedLetters(t *testing.T) {
	p := &apk.Package{Name: "a", Version: "1-r0", Extra: []apk.Field{
		{Name: "x", Value: "1"}, {Name: "y", Value: "only"}, {Name: "x", Value: "2"}, {Name: "x", Value: "3"},
	}}
	row := apkRow(p)
	if row.Extra["x"] != "1\n2\n3" || row.Extra["y"] != "only" {
		t.Errorf("Extra = %q, want x 1\\n2\\n3 and y only", row.Extra)
	}
	many := make([]apk.Field, apk.MaxFields)
	for i := range many {
		many[i] = apk.Field{Name: "z", Value: strings.Repeat("v", 4096)}
	}
	if got := apkRow(&apk.Package{Name: "b", Version: "1", Extra: many}).Extra["z"]; len(got) != apk.MaxFields*4097-1 {
		t.Errorf("%d repeated values joined into %d bytes, want %d", len(many), len(got), apk.MaxFields*4097-1)
	}
}
