package report

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCSVWriterMatchesEncodingCSV: csvWriter's bytes are encoding/csv's,
// for fields built from every character that matters to quoting, short
// and long (the two scanning paths), and across flushes.
func TestCSVWriterMatchesEncodingCSV(t *testing.T) {
	pieces := []string{"", "a", "libc6 (>= 2.36)", ",", "\"", "\r", "\n", "\r\n", " ", "\t", "\u00a0", `\.`, "é", ";", "|",
		strings.Repeat("x", 40), strings.Repeat("long, with a comma ", 3)}
	r := rand.New(rand.NewPCG(7, 8))
	var records [][]string
	for range 5000 {
		rec := make([]string, 1+r.IntN(6))
		for i := range rec {
			var b strings.Builder
			for range r.IntN(5) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			rec[i] = b.String()
		}
		records = append(records, rec)
	}
	records = append(records, []string{`\.`}, []string{" leading"}, []string{strings.Repeat("q\"", 50000)})
	var want, got bytes.Buffer
	std := csv.NewWriter(&want)
	if err := std.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	ours := newCSVWriter(&got)
	for _, rec := range records {
		if err := ours.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	ours.Flush()
	if err := ours.Error(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		g, w := got.String(), want.String()
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		t.Fatalf("output differs at byte %d of %d/%d: ours %q, encoding/csv %q", i, len(g), len(w), g[i:min(len(g), i+40)], w[i:min(len(w), i+40)])
	}
}
