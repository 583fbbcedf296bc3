package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/workflows"
)

// backfillCatalogue writes a catalogue with a source that has a dated
// archive (arch) and one that has not (plain).
func backfillCatalogue(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	cat := filepath.Join(dir, "sources.yaml")
	body := `sources:
  - name: arch
    format: apt
    mirror: http://127.0.0.1:1/debian
    archive: "http://127.0.0.1:1/archive/debian/{date}/"
    suites: [a, b, c, d, e, f]
    components: [main]
    architectures: [amd64]
    allow_unsigned: true
  - name: plain
    format: apt
    mirror: http://127.0.0.1:1/debian
    suites: [a]
    components: [main]
    architectures: [amd64]
`
	if err := os.WriteFile(cat, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"DISTROSCOPE_CATALOG": cat, "DISTROSCOPE_APT_ROOT": dir, "DISTROSCOPE_STORE": dir,
		// Nothing listens here: a command that got past its checks would
		// fail on dialling, not with the usage status.
		"TEMPORAL_ADDRESS": "127.0.0.1:1"}
}

func TestBackfillRefuses(t *testing.T) {
	env := backfillCatalogue(t)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no archive", []string{"plain", "--from", "2026-01-01", "--to", "2026-01-02"},
			`backfill: source "plain" has no dated archive: its catalogue entry (` + env["DISTROSCOPE_CATALOG"] + ` line 10) needs an archive field, the archive's URL with {date}`},
		{"from after to", []string{"arch", "--from", "2026-01-03", "--to", "2026-01-02"}, "backfill: --from 2026-01-03 is after --to 2026-01-02"},
		{"future", []string{"arch", "--from", "2026-01-03", "--to", tomorrow}, "backfill: --to " + tomorrow + " is in the future"},
		{"too many dates", []string{"arch", "--from", "2020-01-01", "--to", "2021-12-31"}, "is 731 dates, more than 400: backfill it in parts"},
		{"too many snapshots", []string{"arch", "--from", "2024-01-01", "--to", "2025-01-31"}, "397 dates of 6 suites is 2382 snapshots, more than 2000"},
		{"no dates", []string{"arch"}, "backfill: --from is required"},
		{"bad date", []string{"arch", "--from", "yesterday", "--to", "2026-01-01"}, `--from "yesterday" is not a date`},
		{"unknown source", []string{"gentoo", "--from", "2026-01-01", "--to", "2026-01-01"}, `no source called "gentoo"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", env, append([]string{"backfill"}, tc.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func TestBackfillInput(t *testing.T) {
	env := backfillCatalogue(t)
	cfg := testConfig(t, env["DISTROSCOPE_STORE"])
	cfg.Catalog, cfg.AptRoot = env["DISTROSCOPE_CATALOG"], env["DISTROSCOPE_APT_ROOT"]
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	in, err := backfillInput(cfg, "arch/b", backfillFlags{from: "2026-03-01", to: "20260305T120000Z", step: workflows.DefaultBackfillStep}, now)
	if err != nil {
		t.Fatal(err)
	}
	if in.Source != "arch" || len(in.Specs) != 1 || in.Specs[0].Suite != "b" || in.Specs[0].Archive != "http://127.0.0.1:1/archive/debian/{date}/" {
		t.Errorf("input: %+v", in)
	}
	// A day is its end; an exact time is itself.
	if !in.From.Equal(time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC)) || !in.To.Equal(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("from %s, to %s", in.From, in.To)
	}
	if got := workflows.BackfillDates(in.From, in.To, in.Step); len(got) != 4 || got[3].Format(repo.ArchiveDateLayout) != "20260304T235959Z" {
		t.Errorf("dates: %v", got)
	}
	// Today's state so far: a time already past.
	if _, err := backfillInput(cfg, "arch", backfillFlags{from: "2026-12-01", to: "2026-12-07T11:00:00Z", step: time.Hour * 24}, now); err != nil {
		t.Errorf("a range up to an hour ago: %v", err)
	}
}
