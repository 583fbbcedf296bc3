package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/workflows"
)

// A query is one SQL statement a reader is told to run, and where it was
// printed (README.md:LINE, or the command that printed it).
type query struct {
	from, sql string
}

// sqlStart is how a statement a reader may paste into DuckDB begins.
var sqlStart = regexp.MustCompile(`(?i)^\s*(select|with)\s`)

// fence opens or closes a fenced code block (CommonMark 0.31 §4.5): three
// or more backticks or tildes, indented by up to three spaces, then the
// info string.
var fence = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})(.*)$")

// readmeQueries finds the SQL a Markdown document shows: every statement
// of a fenced block whose info string is "sql", and every code span of
// the text that is a SELECT or WITH statement. Spans are read as
// CommonMark reads them (a run of n backticks up to the next run of
// exactly n, line ends as spaces, one padding space stripped), within a
// paragraph.
func readmeQueries(name, markdown string) []query {
	var out []query
	lines := strings.Split(markdown, "\n")
	var para []string // the paragraph being collected
	paraStart := 0    // its first line, from 1
	flush := func() {
		if len(para) > 0 {
			for _, span := range codeSpans(strings.Join(para, "\n")) {
				if sqlStart.MatchString(span.text) {
					out = append(out, query{fmt.Sprintf("%s:%d", name, paraStart+span.line), strings.TrimSpace(span.text)})
				}
			}
		}
		para = nil
	}
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			if strings.TrimSpace(lines[i]) == "" {
				flush()
			} else {
				if para == nil {
					paraStart = i + 1
				}
				para = append(para, lines[i])
			}
			continue
		}
		flush()
		open, info := m[1], strings.Fields(m[2])
		isSQL := len(info) > 0 && strings.EqualFold(info[0], "sql")
		start := i + 2 // the line number of the block's first line
		var body []string
		for i++; i < len(lines); i++ {
			if c := fence.FindStringSubmatch(lines[i]); c != nil && c[1][0] == open[0] && len(c[1]) >= len(open) && strings.TrimSpace(c[2]) == "" {
				break
			}
			body = append(body, lines[i])
		}
		if isSQL {
			for _, st := range statements(strings.Join(body, "\n")) {
				out = append(out, query{fmt.Sprintf("%s:%d", name, start+st.line), st.text})
			}
		}
	}
	flush()
	return out
}

// A located piece of text, line counted from 0 within what it was cut from.
type located struct {
	text string
	line int
}

// codeSpans are the code spans of one paragraph.
func codeSpans(p string) []located {
	var out []located
	run := func(i int) int { // length of the backtick run at i
		n := 0
		for i+n < len(p) && p[i+n] == '`' {
			n++
		}
		return n
	}
	for i := 0; i < len(p); {
		if p[i] != '`' {
			i++
			continue
		}
		n := run(i)
		end := -1
		for j := i + n; j < len(p); {
			if p[j] != '`' {
				j++
				continue
			}
			if m := run(j); m == n {
				end = j
				break
			} else {
				j += m
			}
		}
		if end < 0 { // no closing run: the backticks are text
			i += n
			continue
		}
		text := strings.ReplaceAll(p[i+n:end], "\n", " ")
		if len(text) >= 2 && text[0] == ' ' && text[len(text)-1] == ' ' && strings.Trim(text, " ") != "" {
			text = text[1 : len(text)-1]
		}
		out = append(out, located{text, strings.Count(p[:i], "\n")})
		i = end + n
	}
	return out
}

var sqlComment = regexp.MustCompile(`(?m)--.*$`)

// statements splits SQL on the semicolons outside quotes, leaving out
// what holds only blanks and -- comments.
func statements(sql string) []located {
	var out []located
	start, quote := 0, byte(0)
	add := func(end int) {
		st := sql[start:end]
		if strings.TrimSpace(sqlComment.ReplaceAllString(st, "")) != "" {
			lead := len(st) - len(strings.TrimLeft(st, " \t\n"))
			out = append(out, located{strings.TrimSpace(st), strings.Count(sql[:start+lead], "\n")})
		}
	}
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ';':
			add(i)
			start = i + 1
		}
	}
	add(len(sql))
	return out
}

// commandQueries finds the SQL a command printed for the reader to paste:
// each statement begins a line (after indentation) with SELECT or WITH
// and runs to the line that ends with ";" or to a blank line.
func commandQueries(from, output string) []query {
	var out []query
	var cur []string
	end := func() {
		if cur != nil {
			out = append(out, query{from, strings.TrimSuffix(strings.TrimSpace(strings.Join(cur, "\n")), ";")})
		}
		cur = nil
	}
	for _, line := range strings.Split(output, "\n") {
		switch {
		case cur == nil && sqlStart.MatchString(line):
			cur = []string{line}
		case cur != nil && strings.TrimSpace(line) == "":
			end()
			continue
		case cur != nil:
			cur = append(cur, line)
		default:
			continue
		}
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			end()
		}
	}
	end()
	return out
}

// placeholder is a part of a query the reader replaces: <store>, <id>.
var placeholder = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_-]*>`)

// TestREADMEQueryParsing pins what readmeQueries and commandQueries find,
// so that the test below cannot pass by finding nothing.
func TestREADMEQueryParsing(t *testing.T) {
	md := strings.Join([]string{
		"# Title", // 1
		"",        // 2
		"Read it: `SELECT 1 FROM t` and ``SELECT '`' AS tick``, not `a < b`.", // 3
		"A span across lines: `SELECT x",                                      // 4
		"FROM y`; a `select lower` too.",                                      // 5
		"",                                                                    // 6
		"```sql",                                                              // 7
		"-- the first",                                                        // 8
		"SELECT 2;",                                                           // 9
		"",                                                                    // 10
		"WITH a AS (SELECT ';' AS s) SELECT * FROM a;", // 11
		"```",                 // 12
		"```sh",               // 13
		"echo `SELECT 3`",     // 14
		"```",                 // 15
		"````",                // 16
		"```sql",              // 17
		"SELECT 4;",           // 18
		"````",                // 19
		"Unclosed `SELECT 5.", // 20
	}, "\n")
	got := readmeQueries("R.md", md)
	want := []query{
		{"R.md:3", "SELECT 1 FROM t"},
		{"R.md:3", "SELECT '`' AS tick"},
		{"R.md:4", "SELECT x FROM y"},
		{"R.md:5", "select lower"},
		{"R.md:8", "-- the first\nSELECT 2"},
		{"R.md:11", "WITH a AS (SELECT ';' AS s) SELECT * FROM a"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("readmeQueries =\n%q\nwant\n%q", got, want)
	}

	out := "packages/v2  a/b/c  3 rows\n\nDuckDB, this snapshot:\n  SELECT a FROM t;\nDuckDB, all:\n  SELECT b\n    FROM u\n  ORDER BY b;\n  (for s3:// first: INSTALL httpfs; LOAD httpfs;)\n  WITH x AS (SELECT 1) SELECT * FROM x\n\nselect without end"
	gotOut := commandQueries("show", out)
	wantOut := []query{{"show", "SELECT a FROM t"}, {"show", "SELECT b\n    FROM u\n  ORDER BY b"},
		{"show", "WITH x AS (SELECT 1) SELECT * FROM x"}, {"show", "select without end"}}
	if !slices.Equal(gotOut, wantOut) {
		t.Errorf("commandQueries =\n%q\nwant\n%q", gotOut, wantOut)
	}
}

// tablePath is a dataset's folder as the README names it: packages/v2/.
var tablePath = regexp.MustCompile(`\b([a-z_]+)/v([0-9]+)/`)

// TestREADMETableVersions: every dataset folder README.md names
// (<table>/v<N>/) is at the schema version distroscope writes, so that no
// path a reader copies leads to a folder that is not there.
func TestREADMETableVersions(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i, line := range strings.Split(string(readme), "\n") {
		for _, m := range tablePath.FindAllStringSubmatch(line, -1) {
			tb, ok := datasets.TableByName(m[1])
			if !ok {
				continue
			}
			seen++
			if m[2] != strconv.Itoa(tb.Version) {
				t.Errorf("README.md:%d: %s, but distroscope writes %s", i+1, m[0], tb.Prefix())
			}
		}
	}
	if seen == 0 {
		t.Error("README.md names no dataset folder: the pattern is broken, or the layout left the README")
	}
}

// TestREADMEQueries runs, in DuckDB, every SQL query README.md shows and
// every query `distroscope datasets show DISTRO/RELEASE` prints, against a
// store made the way the demo makes one: the signed fixture repository
// snapshotted through Temporal into a local folder, then compared with a
// next release that the comparison snapshots first. Placeholders are
// replaced as a reader would (<store> by the store's folder); each query
// must run and return rows. The queries are read from the README and the
// command's output, so a query added to either is tested without a change
// here.
func TestREADMEQueries(t *testing.T) {
	script := testenv.DuckDB(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fromREADME := readmeQueries("README.md", string(readme))
	if len(fromREADME) == 0 {
		t.Fatal("README.md shows no SQL query: the parser is broken, or the README lost its DuckDB example")
	}

	dir, st := folderStore(t)
	h := newHarness(t, st)
	w := worker.New(h.c, h.queue, worker.Options{})
	workflows.RegisterSnapshot(w, &activities.Snapshot{Store: st, Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir(), Producer: "integration test"})
	workflows.RegisterCompare(w, &activities.Compare{Store: st, TempDir: t.TempDir(), Producer: "integration test"})
	workflows.RegisterTrends(w, &activities.Trends{Store: st, TempDir: t.TempDir(), Producer: "integration test"})
	workflows.RegisterImage(w, &activities.Image{Store: st, TempDir: t.TempDir(), Producer: "integration test"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	// `distroscope snapshot`: the signed fixture.
	base, keyring := formatstest.Repo(t)
	old, err := h.snapshot(t, fixtureSource(base, keyring))
	if err != nil {
		t.Fatal(err)
	}
	// `distroscope compare`: the fixture against its next release, which
	// is snapshotted first, in the same run. The next release upgrades,
	// rebuilds, downgrades, removes and adds a package.
	names, stanza := stanzas(t, formatstest.IndexDir(formatstest.Path(t, "repo"), "main/amd64")+"/Packages")
	var next []string
	for _, n := range names {
		s := stanza[n]
		switch n {
		case "csh":
			continue
		case "coreutils":
			s = strings.Replace(s, "\nVersion: 9.1-1\n", "\nVersion: 9.1-2\n", 1)
		case "bash":
			s = strings.Replace(s, "\nVersion: 5.2.15-2+b13\n", "\nVersion: 5.2.15-2+b14\n", 1)
		case "dash":
			s = strings.Replace(s, "\nVersion: 0.5.12-2\n", "\nVersion: 0.5.12-1\n", 1)
		case "2ping":
			next = append(next, strings.Replace(s, "Package: 2ping\n", "Package: 3ping\n", 1))
		}
		next = append(next, s)
	}
	nextSpec := repo.Spec{Mirror: formatstest.Serve(t, unsignedRepo(t, "fixture-next", next)), Suite: "fixture-next",
		Components: []string{"main"}, Architectures: []string{"amd64"}, AllowUnsigned: true}
	in := workflows.CompareInput{
		Old: workflows.CompareSide{Distro: old.Partition.Distro, Release: old.Partition.Release},
		New: workflows.CompareSide{Distro: old.Partition.Distro, Release: "fixture-next", Spec: &nextSpec,
			SnapshotWorkflowID: workflows.SnapshotWorkflowID(nextSpec) + "/" + h.queue},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.CompareWorkflowID(in) + "/" + h.queue, TaskQueue: h.queue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE}, workflows.CompareWorkflowName, in)
	if err != nil {
		t.Fatal(err)
	}
	var cmp activities.CompareResult
	if err := run.Get(ctx, &cmp); err != nil {
		t.Fatal(err)
	}
	if s := cmp.Summary; s.Upgraded == 0 || s.Downgraded == 0 || s.Added == 0 || s.Removed == 0 {
		t.Fatalf("summary %+v: the next release should upgrade, downgrade, add and remove", s)
	}

	// `distroscope trends` of the fixture's release, as the demo's last
	// step runs it.
	trun, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.TrendsWorkflowID(old.Partition.Distro, old.Partition.Release) + "/" + h.queue,
		TaskQueue: h.queue}, workflows.TrendsWorkflowName, workflows.TrendsInput{Release: trends.Release{Distro: old.Partition.Distro, Release: old.Partition.Release}})
	if err != nil {
		t.Fatal(err)
	}
	var tres workflows.TrendsResult
	if err := trun.Get(ctx, &tres); err != nil || tres.Computed != 1 {
		t.Fatalf("trends of %s: %+v, %v", old.Partition.Release, tres, err)
	}

	// `distroscope image analyze` of a root filesystem whose one
	// conffile was edited, and `distroscope image compare` of it with a
	// second tree of another host name.
	tree := imageFixtureTree(t, "tree-a")
	irun, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "image/readme/" + h.queue, TaskQueue: h.queue},
		workflows.ImageAnalyzeWorkflowName, workflows.ImageAnalyzeInput{Ref: "dir:" + tree})
	if err != nil {
		t.Fatal(err)
	}
	var ires activities.AnalyzeImageResult
	if err := irun.Get(ctx, &ires); err != nil || ires.Summary.ConfigChanged != 1 {
		t.Fatalf("image analyze of %s: %+v, %v", tree, ires.Summary, err)
	}
	crun, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "image-compare/readme/" + h.queue, TaskQueue: h.queue},
		workflows.ImageCompareWorkflowName, workflows.ImageCompareInput{A: workflows.ImageAnalyzeInput{Ref: "dir:" + tree},
			B: workflows.ImageAnalyzeInput{Ref: "dir:" + imageFixtureTree(t, "tree-b")}})
	if err != nil {
		t.Fatal(err)
	}
	var cres workflows.ImageCompareResult
	if err := crun.Get(ctx, &cres); err != nil || cres.Compare.Summary.Settings == 0 {
		t.Fatalf("image compare: %+v, %v", cres.Compare.Summary, err)
	}

	// `distroscope datasets show` of each release, as the demo's last
	// line suggests.
	_, cli := buildBinaries(t)
	queries := fromREADME
	for _, release := range []string{old.Partition.Release, in.New.Release} {
		which := old.Partition.Distro + "/" + release
		cmd := exec.Command(cli, "datasets", "show", which)
		cmd.Env = append(os.Environ(), "DISTROSCOPE_STORE="+dir, "DISTROSCOPE_CONFIG=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("distroscope datasets show %s: %v\n%s%s", which, err, stdout.String(), stderr.String())
		}
		printed := commandQueries("distroscope datasets show "+which, stdout.String())
		if len(printed) == 0 {
			t.Fatalf("distroscope datasets show %s printed no DuckDB query:\n%s", which, stdout.String())
		}
		queries = append(queries, printed...)
	}

	// What a reader puts in place of each placeholder.
	values := map[string]string{"<store>": dir, "<distro>": old.Partition.Distro, "<release>": old.Partition.Release,
		"<snapshot>": old.Partition.Snapshot, "<id>": old.Partition.Snapshot}
	for i, q := range queries {
		t.Run(fmt.Sprintf("%02d_%s", i, strings.NewReplacer("/", "_", " ", "_").Replace(q.from)), func(t *testing.T) {
			sql := placeholder.ReplaceAllStringFunc(q.sql, func(p string) string {
				if v, ok := values[strings.ToLower(p)]; ok {
					return v
				}
				t.Errorf("%s: no value for the placeholder %s in %s", q.from, p, q.sql)
				return p
			})
			if strings.Contains(sql, "…") {
				t.Errorf("%s: the query is elided (…), a reader cannot run it: %s", q.from, q.sql)
			}
			if t.Failed() {
				return
			}
			rows := duckdb(t, script, sql)
			if len(rows) == 0 {
				t.Errorf("%s: no rows from %s", q.from, sql)
			}
			t.Logf("%s: %d rows from %s", q.from, len(rows), sql)
		})
	}

	// The demo's DuckDB: scripts/duckdb/install.sh prints a command that
	// queries the store; pasted into a shell, it must print rows. The
	// install goes to a folder of its own that links the test env's
	// node_modules, so the pinned version is found and nothing is fetched.
	t.Run("scripts/duckdb/install.sh", func(t *testing.T) {
		tools := t.TempDir()
		if err := os.Symlink(filepath.Join(filepath.Dir(script), "node_modules"), filepath.Join(tools, "node_modules")); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "../scripts/duckdb/install.sh", tools)
		cmd.Env = append(os.Environ(), "DISTROSCOPE_STORE="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh: %v\n%s", err, out)
		}
		var line string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "query.mjs") && strings.Contains(l, "SELECT") {
				line = strings.TrimSpace(l)
			}
		}
		if line == "" {
			t.Fatalf("install.sh printed no query to run on the store %s:\n%s", dir, out)
		}
		got, err := exec.Command("bash", "-c", line).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, got)
		}
		if m := regexp.MustCompile(`\(([0-9]+) rows?\)`).FindSubmatch(got); m == nil || string(m[1]) == "0" {
			t.Errorf("%s printed no rows:\n%s", line, got)
		}
		t.Logf("%s:\n%s", line, got)
	})
}

// imageFixtureTree writes a small root filesystem: an os-release, the
// host name given, and one dpkg package whose conffile the image edited.
// Two trees of other host names differ by one setting.
func imageFixtureTree(t *testing.T, hostname string) string {
	t.Helper()
	tree := t.TempDir()
	for name, body := range map[string]string{
		"etc/os-release":                      "ID=fixture\nVERSION_CODENAME=tree\n",
		"etc/hostname":                        hostname + "\n",
		"etc/fixture.conf":                    "setting = edited\n",
		"var/lib/dpkg/status":                 "Package: fixture-conf\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0\nConffiles:\n /etc/fixture.conf 0123456789abcdef0123456789abcdef\nDescription: a conffile\n",
		"var/lib/dpkg/info/fixture-conf.list": "/.\n/etc\n/etc/fixture.conf\n",
	} {
		if err := os.MkdirAll(filepath.Join(tree, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}
