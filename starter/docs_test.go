package main

import (
	"flag"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spf13/cobra/doc"
)

var update = flag.Bool("update", false, "rewrite starter/docs from the command definitions (go tool task docs)")

// docsDir holds the CLI reference, one Markdown page per command.
const docsDir = "docs"

// TestReferenceDocs fails when starter/docs is not what the command
// definitions generate: the reference is committed so it can be read
// without building anything, and must not drift from --help. Regenerate it
// with `go tool task docs`.
func TestReferenceDocs(t *testing.T) {
	fresh := t.TempDir()
	root := newRootCommand(&cli{stdin: nil, stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	root.InitDefaultCompletionCmd() // added at Execute otherwise
	root.DisableAutoGenTag = true   // no generation date: the files only change when the commands do
	if err := doc.GenMarkdownTree(root, fresh); err != nil {
		t.Fatal(err)
	}
	want := readDocs(t, fresh)
	if *update {
		for name := range readDocs(t, docsDir) {
			if err := os.Remove(filepath.Join(docsDir, name)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(docsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, text := range want {
			if err := os.WriteFile(filepath.Join(docsDir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := readDocs(t, docsDir)
	for name, text := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s/%s is missing; run `go tool task docs`", docsDir, name)
		} else if g != text {
			t.Errorf("%s/%s is stale; run `go tool task docs`", docsDir, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s/%s documents no command; run `go tool task docs`", docsDir, name)
		}
	}
	if _, ok := want["distroscope_datasets_show.md"]; !ok {
		t.Errorf("no page for datasets show among %v", slices.Sorted(maps.Keys(want)))
	}
}

// readDocs is every Markdown page in dir, by name.
func readDocs(t *testing.T, dir string) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = string(b)
	}
	return out
}
