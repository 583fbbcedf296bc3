package report

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/distroscope/distroscope/datasets"
)

// parse renders d as HTML and parses it back.
func parse(t *testing.T, d Data) (*html.Node, string) {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, d); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, b.String()
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func byID(doc *html.Node) map[string]*html.Node {
	ids := map[string]*html.Node{}
	walk(doc, func(n *html.Node) {
		for _, a := range n.Attr {
			if a.Key == "id" {
				ids[a.Val] = n
			}
		}
	})
	return ids
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// expectedNumbers are the numbers a report of d must show, by DOM id,
// counted here from d's rows rather than taken from the report code.
func expectedNumbers(d Data) map[string]int64 {
	s := d.Summary
	want := map[string]int64{
		"count-added": s.Added, "count-removed": s.Removed, "count-upgraded": s.Upgraded,
		"count-rebuilds": s.Rebuilds, "count-downgraded": s.Downgraded, "count-same": s.Same,
		"count-depends-changed": s.DependsDelta,
	}
	if s.CrossDistro {
		want["count-unmatched"] = s.Unmatched
	}
	var downgrades, deps, essential, unmatched, matched int64
	sections := map[string]bool{}
	for _, r := range d.Changes {
		if len(r.DependsAdded)+len(r.DependsRemoved)+len(r.DependsChanged) > 0 {
			deps++
		}
		changed := r.Kind == "added" || r.Kind == "removed" || r.Kind == "upgraded" || r.Kind == "downgraded"
		if changed && (r.Essential || r.Priority == "required") {
			essential++
		}
		switch r.Kind {
		case "downgraded":
			downgrades++
		case "unmatched":
			unmatched++
		}
		switch r.Kind {
		case "upgraded", "downgraded", "same":
			matched++
		}
		sections[r.Section] = true
	}
	want["rows-downgrades"] = downgrades
	want["rows-dependency-changes"] = deps
	want["rows-essential-changes"] = essential
	want["rows-unmatched"] = unmatched
	want["rows-by-section"] = int64(len(sections))
	if s.CrossDistro {
		want["rows-lag"] = matched
	} else {
		var sources int64
		for _, src := range d.Sources {
			if src.Kind != "same" {
				sources++
			}
		}
		want["rows-source-changes"] = sources
	}
	return want
}

// sourceTable is the source-changes table as rows of cell texts, what a
// reader sees.
func sourceTable(t *testing.T, doc *html.Node) [][]string {
	t.Helper()
	return tableRows(t, doc, "source-changes")
}

// tableRows are the body rows of the table inside the element with the
// given id, as rows of cell texts.
func tableRows(t *testing.T, doc *html.Node, id string) [][]string {
	t.Helper()
	sec := byID(doc)[id]
	if sec == nil {
		t.Fatalf("no element with id %s", id)
	}
	var rows [][]string
	walk(sec, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "tr" {
			return
		}
		var cells []string
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "td" {
				cells = append(cells, text(c))
			}
		}
		if cells != nil {
			rows = append(rows, cells)
		}
	})
	return rows
}

// wantSourceRows are the cells the source table must show for d, worked
// out here from d.Sources: changed sources, most changed pairs first.
func wantSourceRows(d Data) [][]string {
	var rows [][]string
	var changed []int64
	for _, s := range d.Sources {
		if s.Kind == "same" {
			continue
		}
		kind := s.Kind
		if s.Rebuild {
			kind += " rebuild"
		}
		or := func(v string) string {
			if v == "" {
				return "—"
			}
			return v
		}
		names := strings.Join(s.Binaries[:min(len(s.Binaries), 3)], ", ")
		if len(s.Binaries) > 3 {
			names += " and " + strconv.Itoa(len(s.Binaries)-3) + " more"
		}
		n := s.Added + s.Removed + s.Upgraded + s.Downgraded
		rows = append(rows, []string{s.Source, kind, or(s.OldVersion) + " → " + or(s.NewVersion), strconv.FormatInt(n, 10),
			strconv.Itoa(len(s.Binaries)) + ": " + names})
		changed = append(changed, n)
	}
	// insertion sort by changed pairs, descending; d.Sources is by name,
	// so equal counts stay by name
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && changed[j] > changed[j-1]; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
			changed[j], changed[j-1] = changed[j-1], changed[j]
		}
	}
	return rows
}

// wantDowngradeRows are the cells the downgrades table must show for d,
// worked out here from d.Changes: every downgraded pair, in the rows'
// order, named with its source.
func wantDowngradeRows(d Data) [][]string {
	var rows [][]string
	for _, r := range d.Changes {
		if r.Kind != "downgraded" {
			continue
		}
		name := r.Package
		if r.OldPackage != "" && r.OldPackage != r.Package {
			name += " (was " + r.OldPackage + ")"
		}
		if r.Essential {
			name += " essential"
		}
		source := r.NewSource
		switch {
		case source == "":
			source = r.OldSource
		case r.OldSource != "" && r.OldSource != r.NewSource:
			source = r.OldSource + " → " + r.NewSource
		}
		rows = append(rows, []string{name, r.IndexArchitecture, r.OldVersion, r.NewVersion, source, r.Section, r.Priority})
	}
	return rows
}

// TestHTMLDowngrades: every downgrade is listed by name, versions and
// source, however few there are; a report without one says so; a long
// list is cut like every other table, naming downgrades.csv.
func TestHTMLDowngrades(t *testing.T) {
	d := sampleData()
	// an essential downgrade of a package that was renamed, from a
	// source that changed name
	libc := row(KindDowngraded, "libc-bin", "2.36-9+deb12u14", "2.36-9+deb12u13", "libs", "required")
	libc.OldPackage, libc.Essential, libc.OldSource, libc.NewSource = "libc6-bin", true, "glibc", "glibc-2.36"
	d.Changes = append(d.Changes, libc)
	d.Summary = summarize(d.Old, d.New, d.Changes)
	for _, tc := range []struct {
		name string
		d    Data
		want [][]string
	}{
		{"bookworm", sampleData(), [][]string{{"make", "amd64", "4.3-4.1", "4.2.1-1.2", "make-dfsg", "devel", "optional"}}},
		{"renamed", d, [][]string{
			{"make", "amd64", "4.3-4.1", "4.2.1-1.2", "make-dfsg", "devel", "optional"},
			{"libc-bin (was libc6-bin) essential", "amd64", "2.36-9+deb12u14", "2.36-9+deb12u13", "glibc → glibc-2.36", "libs", "required"},
		}},
		{"cross", crossData(), [][]string{{"musl-utils (was libc-bin)", "aarch64", "2.36-9+deb12u14", "1.2.4-r1", "glibc → musl", "admin", "required"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := wantDowngradeRows(tc.d); !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Fatalf("expected rows are wrong: %q", got)
			}
			doc, _ := parse(t, tc.d)
			got := tableRows(t, doc, "downgrades")
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("downgrades table = %q, want %q", got, tc.want)
			}
			var csv bytes.Buffer
			if err := WriteCSV(&csv, CSVDowngrades, tc.d); err != nil {
				t.Fatal(err)
			}
			if lines := strings.Count(csv.String(), "\n"); lines != 1+len(tc.want) {
				t.Errorf("%s has %d lines, want a header and %d rows:\n%s", CSVDowngrades, lines, len(tc.want), csv.String())
			}
			var page bytes.Buffer
			if err := Markdown(&page, tc.d); err != nil {
				t.Fatal(err)
			}
			_, section, _ := strings.Cut(page.String(), "## Downgrades\n")
			section, _, _ = strings.Cut(section, "\n## ")
			for _, r := range tc.want {
				if cells := " | " + md(r[2]) + " | " + md(r[3]) + " | "; !strings.Contains(section, cells) {
					t.Errorf("Markdown's downgrades section lacks %s %s → %s:\n%s", r[0], r[2], r[3], section)
				}
			}
		})
	}

	// none: the section stays and says so
	d = sampleData()
	d.Changes = slices.DeleteFunc(d.Changes, func(r datasets.PackageChangeRow) bool { return r.Kind == KindDowngraded })
	d.Summary = summarize(d.Old, d.New, d.Changes)
	doc, _ := parse(t, d)
	sec := byID(doc)["downgrades"]
	if sec == nil || !strings.Contains(text(sec), "No package was downgraded.") || len(tableRows(t, doc, "downgrades")) != 0 {
		t.Errorf("a report without downgrades shows %q", text(sec))
	}
	if got := strings.TrimSpace(text(byID(doc)["rows-downgrades"])); got != "0" {
		t.Errorf("rows-downgrades = %q, want 0", got)
	}
}

func TestHTMLSources(t *testing.T) {
	d := sampleData()
	// a source with more binaries than a row names
	d.Sources = append(d.Sources, datasets.SourceChangeRow{Source: "zstd", Kind: KindAdded, NewVersion: "1.5.4+dfsg2-5",
		Binaries: []string{"libzstd-dev", "libzstd1", "libzstd1-udeb", "zstd"}, Added: 4})
	doc, _ := parse(t, d)
	got, want := sourceTable(t, doc), wantSourceRows(d)
	if len(want) != 13 || want[0][0] != "zstd" || want[1][0] != "openssh" {
		t.Fatalf("expected rows are wrong: %q", want)
	}
	if len(got) != len(want) {
		t.Fatalf("source table has %d rows, want %d:\n%q", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("source row %d = %q, want %q", i, got[i], want[i])
		}
	}

	// cross-distro: one line saying why, no table, no count
	doc, _ = parse(t, crossData())
	sec := byID(doc)["source-changes"]
	if rows := sourceTable(t, doc); len(rows) != 0 {
		t.Errorf("cross-distro report has a source table: %q", rows)
	}
	if !strings.Contains(text(sec), "not rolled up across distributions") {
		t.Errorf("cross-distro source section = %q, want it to say why there is no table", text(sec))
	}
	if byID(doc)["rows-source-changes"] != nil {
		t.Error("cross-distro report counts source rows")
	}

	// same distribution, nothing changed
	d = sampleData()
	d.Sources = d.Sources[1:2] // apt, same
	doc, _ = parse(t, d)
	if got := strings.TrimSpace(text(byID(doc)["rows-source-changes"])); got != "0" {
		t.Errorf("rows-source-changes = %q, want 0", got)
	}
	if !strings.Contains(text(byID(doc)["source-changes"]), "No source package changed.") {
		t.Error("an empty source table does not say so")
	}
}

func TestHTMLNumbers(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			d := s.data()
			doc, _ := parse(t, d)
			ids := byID(doc)
			for id, want := range expectedNumbers(d) {
				n, ok := ids[id]
				if !ok {
					t.Errorf("no element with id %q", id)
					continue
				}
				if got := strings.TrimSpace(text(n)); got != strconv.FormatInt(want, 10) {
					t.Errorf("#%s = %q, want %d", id, got, want)
				}
			}
			for _, id := range []string{"title", "old-snapshot", "new-snapshot", "chart-section", "chart-priority"} {
				if ids[id] == nil {
					t.Errorf("no element with id %q", id)
				}
			}
			if got := text(ids["old-snapshot"]); !strings.Contains(got, d.Old.Snapshot) {
				t.Errorf("#old-snapshot = %q, want it to name %s", got, d.Old.Snapshot)
			}
			if _, ok := ids["lag"]; ok != d.Summary.CrossDistro {
				t.Errorf("lag table shown = %v, want %v (cross-distro)", ok, d.Summary.CrossDistro)
			}
		})
	}
}

// TestHTMLSelfContained: the page must open offline, so nothing in it may
// point anywhere: no script at all, no external style sheet, no URL.
func TestHTMLSelfContained(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			doc, page := parse(t, s.data())
			if i := strings.Index(strings.ToLower(page), "http"); i >= 0 {
				t.Errorf("page mentions http at byte %d: %q", i, page[max(i-40, 0):min(i+40, len(page))])
			}
			if strings.Contains(page, "url(") || strings.Contains(page, "@import") {
				t.Error("CSS loads a resource")
			}
			walk(doc, func(n *html.Node) {
				if n.Type != html.ElementNode {
					return
				}
				switch n.Data {
				case "script", "link", "img", "iframe", "object", "embed", "image", "use":
					t.Errorf("page has a <%s> element", n.Data)
				}
				for _, a := range n.Attr {
					switch strings.ToLower(a.Key) {
					case "src", "href", "xlink:href", "srcset", "action":
						t.Errorf("<%s %s=%q> references a resource", n.Data, a.Key, a.Val)
					}
					if strings.HasPrefix(strings.ToLower(a.Key), "on") {
						t.Errorf("<%s> has an event handler %s", n.Data, a.Key)
					}
				}
			})
		})
	}
}

// TestHTMLChartBars: each chart draws one bar per group with changes, and
// each bar's segments add up to the group's changed count.
func TestHTMLChartBars(t *testing.T) {
	d := sampleData()
	doc, _ := parse(t, d)
	fig := byID(doc)["chart-section"]
	changed := map[string]int64{}
	for _, r := range d.Changes {
		if r.Kind != "same" {
			changed[r.Section]++
		}
	}
	bars := 0
	walk(fig, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "g" {
			return
		}
		bars++
		var label string
		var sum int64
		walk(n, func(c *html.Node) {
			if c.Type == html.ElementNode && c.Data == "text" && label == "" {
				label = text(c)
			}
			if c.Type == html.ElementNode && c.Data == "title" {
				f := strings.Fields(text(c))
				k, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					t.Fatalf("segment title %q", text(c))
				}
				sum += k
			}
		})
		if sum != changed[label] {
			t.Errorf("bar %q adds up to %d, want %d", label, sum, changed[label])
		}
	})
	if bars != len(changed) {
		t.Errorf("%d bars, want %d (one per section with changes)", bars, len(changed))
	}
}

const hostile = `<script>alert(1)</script>`

func hostileData() Data {
	d := sampleData()
	r := row(KindUpgraded, hostile, `1.0"><img src=x onerror=alert(1)>`, "2.0|`x`~~y~~", hostile, "required")
	r.Essential = true
	r.DependsAdded = []string{hostile + " (>= 1)"}
	d.Changes = append(d.Changes, r)
	d.Old.Release = `</title><script>alert(2)</script>`
	d.Summary = summarize(d.Old, d.New, d.Changes)
	return d
}

func TestHTMLEscapesHostileNames(t *testing.T) {
	d := hostileData()
	doc, page := parse(t, d)
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "img") {
			t.Errorf("hostile text became a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if a.Key == "onerror" || a.Key == "src" {
				t.Errorf("hostile text became an attribute %s", a.Key)
			}
		}
	})
	if strings.Contains(page, "<script") {
		t.Error("page holds a raw <script")
	}
	shown := text(byID(doc)["essential-changes"])
	if !strings.Contains(shown, hostile) {
		t.Errorf("the hostile package is not shown as text in the essential table: %q", shown)
	}
	if got := text(byID(doc)["title"]); !strings.Contains(got, d.Old.Release) {
		t.Errorf("title %q does not show the release as text", got)
	}
}

func TestMarkdownEscapesHostileNames(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, hostileData()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// an unescaped "<", "~" or "`" is one not preceded by a backslash
	for _, raw := range []string{"<script", "<img", "</title", "~~y", "`x"} {
		if regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(raw)).MatchString(out) {
			t.Errorf("Markdown holds raw %q", raw)
		}
	}
	for _, escaped := range []string{`\<script>alert(1)\</script>`, `2.0\|\` + "`x\\`" + `\~\~y\~\~`} {
		if !strings.Contains(out, escaped) {
			t.Errorf("Markdown lacks the escaped form %s", escaped)
		}
	}
	// every table row keeps its header's column count: a "|" in a value
	// must not open a new cell
	cells := func(line string) int { return len(strings.Split(strings.ReplaceAll(line, `\|`, ""), "|")) - 2 }
	header, rows := 0, 0
	for i, line := range strings.Split(out, "\n") {
		switch {
		case !strings.HasPrefix(line, "| "):
			header = 0
		case header == 0:
			header = cells(line)
		case cells(line) != header:
			t.Errorf("line %d has %d cells, its table %d: %s", i+1, cells(line), header, line)
		default:
			rows++
		}
	}
	if rows == 0 {
		t.Error("no table rows checked")
	}
}

func TestCutTables(t *testing.T) {
	d := sampleData()
	d.MaxRows = 2
	d.CSVLocation = "reports/x/"
	d.ChangesDataset = "package_changes/v1/x/part-00000.parquet"
	doc, _ := parse(t, d)
	ids := byID(doc)
	// The full list of pairs is the dataset, which the page names.
	if got := text(ids["changes-dataset"]); got != d.ChangesDataset {
		t.Errorf("changes-dataset = %q, want %q", got, d.ChangesDataset)
	}
	deps := 0
	walk(ids["dependency-changes"], func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" {
			deps++
		}
	})
	if deps != 1+2 {
		t.Errorf("dependency table has %d rows with its header, want 3 (cut at MaxRows=2)", deps)
	}
	note := text(ids["dependency-changes"])
	if !strings.Contains(note, "first 2 of 3") || !strings.Contains(note, CSVDependencyChanges) {
		t.Errorf("cut table's note = %q, want it to say what was cut and name the CSV", note)
	}
	var b bytes.Buffer
	if err := Markdown(&b, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Showing the first 2 of 3 rows; all of them are in `dependency_changes.csv`") {
		t.Error("Markdown does not say the dependency table was cut")
	}
	if !strings.Contains(b.String(), "Every package pair: package\\_changes/v1/x/part-00000.parquet (Parquet)") {
		t.Errorf("Markdown does not name the package_changes dataset:\n%s", b.String()[:min(b.Len(), 600)])
	}
	// the source table: two rows, the most changed, and a note naming
	// sources.csv
	if rows := sourceTable(t, doc); len(rows) != 2 || rows[0][0] != "openssh" || rows[1][0] != "samba" {
		t.Errorf("cut source table = %q, want openssh and samba", rows)
	}
	if note := text(ids["source-changes"]); !strings.Contains(note, "first 2 of 12") || !strings.Contains(note, CSVSources) {
		t.Errorf("cut source table's note = %q", note)
	}
	if !strings.Contains(b.String(), "Showing the first 2 of 12 rows; all of them are in `sources.csv`") {
		t.Error("Markdown does not say the source table was cut")
	}
}
