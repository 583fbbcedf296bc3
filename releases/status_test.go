package releases

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
)

// TestStatusMatchesDistroInfo checks Status against the lists the
// distro-info tools print for the same files on the same dates
// (testdata/distro-info-reference.txt, from make-reference.sh):
//
//   - debian-distro-info and ubuntu-distro-info --supported: the releases
//     created by then whose Status is supported or unreleased;
//   - debian-distro-info --lts and --elts: Status lts and elts;
//   - ubuntu-distro-info --supported-esm, for the releases with an eol-esm
//     date: those it lists are supported, unreleased or esm, the others are
//     legacy or eol (or not created yet).
func TestStatusMatchesDistroInfo(t *testing.T) {
	rows := map[string][]datasets.ReleaseRow{
		"debian": parseFixture(t, debianFixture, "debian"),
		"ubuntu": parseFixture(t, ubuntuFixture, "ubuntu"),
	}
	f, err := os.Open("testdata/distro-info-reference.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		head, list, ok := strings.Cut(line, ":")
		fields := strings.Fields(head)
		if !ok || len(fields) != 3 {
			t.Fatalf("bad reference line %q", line)
		}
		distro, option, date := fields[0], fields[1], at(fields[2])
		listed := strings.Fields(list)
		for _, r := range rows[distro] {
			st := Status(r, date)
			created := datasets.DateOf(date) >= r.Created
			in := slices.Contains(listed, r.Series)
			var want bool
			switch option {
			case "supported":
				want = created && (st == StatusSupported || st == StatusUnreleased)
			case "lts":
				want = st == StatusLTS
			case "elts":
				want = st == StatusELTS
			case "supported-esm":
				if r.EOLESM.IsZero() || !created {
					continue
				}
				if in != (st == StatusSupported || st == StatusUnreleased || st == StatusESM) {
					t.Errorf("%s: %s on %s is %s, but ubuntu-distro-info --supported-esm lists it: %v", line, r.Series, fields[2], st, in)
				}
				checked++
				continue
			default:
				t.Fatalf("unknown option in %q", line)
			}
			if in != want {
				t.Errorf("%s: %s on %s is %s, listed: %v", line, r.Series, fields[2], st, in)
			}
			checked++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked < 1000 {
		t.Errorf("only %d checks: is the reference file complete?", checked)
	}
}

// TestStatus pins the phases of a few releases at chosen dates, around the
// boundaries their CSV lines give.
func TestStatus(t *testing.T) {
	debian := parseFixture(t, debianFixture, "debian")
	ubuntu := parseFixture(t, ubuntuFixture, "ubuntu")
	utcMinus2 := time.FixedZone("UTC-2", -2*3600)
	for _, tc := range []struct {
		rows   []datasets.ReleaseRow
		series string
		at     time.Time
		want   string
	}{
		{debian, "bookworm", at("2023-06-09"), StatusUnreleased},
		{debian, "bookworm", at("2023-06-10"), StatusSupported},
		{debian, "bookworm", at("2026-07-10"), StatusSupported},
		{debian, "bookworm", at("2026-07-11"), StatusLTS},
		{debian, "bookworm", time.Date(2026, 7, 10, 23, 30, 0, 0, utcMinus2), StatusLTS}, // 01:30 UTC on the 11th
		{debian, "bookworm", time.Date(2026, 7, 10, 23, 59, 59, 0, time.UTC), StatusSupported},
		{debian, "bookworm", at("2028-06-30"), StatusELTS},
		{debian, "bookworm", at("2033-06-29"), StatusELTS},
		{debian, "bookworm", at("2033-06-30"), StatusEOL},
		{debian, "trixie", at("2025-08-08"), StatusUnreleased},
		{debian, "trixie", at("2025-08-09"), StatusSupported},
		{debian, "squeeze", at("2015-01-01"), StatusLTS},
		{debian, "squeeze", at("2016-02-29"), StatusEOL}, // no ELTS
		{debian, "forky", at("2040-01-01"), StatusUnreleased},
		{debian, "sid", at("2040-01-01"), StatusUnreleased},
		{debian, "buzz", at("2000-01-01"), StatusEOL},
		{ubuntu, "noble", at("2024-04-24"), StatusUnreleased},
		{ubuntu, "noble", at("2024-04-25"), StatusSupported},
		{ubuntu, "jammy", at("2027-05-31"), StatusSupported},
		{ubuntu, "jammy", at("2027-06-01"), StatusESM},
		{ubuntu, "jammy", at("2032-04-21"), StatusLegacy},
		{ubuntu, "jammy", at("2034-04-25"), StatusEOL},
		{ubuntu, "precise", at("2019-04-26"), StatusEOL},     // ESM over, no Legacy dates
		{ubuntu, "lucid", at("2014-01-01"), StatusSupported}, // desktop over, server not
		{ubuntu, "lucid", at("2015-04-30"), StatusEOL},
		{ubuntu, "plucky", at("2026-01-14"), StatusSupported},
		{ubuntu, "plucky", at("2026-01-15"), StatusEOL},
	} {
		t.Run(tc.series+"@"+tc.at.Format(time.RFC3339), func(t *testing.T) {
			if got := Status(bySeries(t, tc.rows, tc.series), tc.at); got != tc.want {
				t.Errorf("Status = %s, want %s", got, tc.want)
			}
		})
	}
}
