package main

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version/dpkg"
)

// baseRows is a release of 1,200 sources in Debian's version shapes: with
// and without epochs, native, binNMUs, "+dfsg" upstreams, zeros.
func baseRows() []datasets.PackageRow {
	shapes := []string{"1.2.3-1", "2:4.0-3", "20240101-2", "0.9+dfsg-1", "1.0", "3.1-2+b1", "0-1", "1:0.0.1~rc2-0.1", "5.10.2-1+b3", "2.0~beta1-4"}
	var rows []datasets.PackageRow
	for s := range 1200 {
		src := fmt.Sprintf("src%04d", s)
		sv := shapes[s%len(shapes)]
		if i := strings.LastIndex(sv, "+b"); i > 0 {
			sv = sv[:i] // a binNMU's source version
		}
		for b := range 1 + s%4 {
			v := shapes[s%len(shapes)]
			rows = append(rows, datasets.PackageRow{Package: fmt.Sprintf("%s-bin%d", src, b), Source: src, Version: v,
				SourceVersion: sv, IndexArchitecture: "amd64", Architecture: "amd64", Component: "main", Format: "deb",
				Filename: fmt.Sprintf("pool/main/s/%s/%s-bin%d_%s_amd64.deb", src, src, b, withoutEpoch(v))})
		}
	}
	return rows
}

func walkBack(rows []datasets.PackageRow, seed uint64, days int) ([][]datasets.PackageRow, []dayChurn) {
	out, churn := [][]datasets.PackageRow{rows}, []dayChurn{{}}
	for d := days; d > 1; d-- {
		prev, c := stepBack(out[len(out)-1], d, rand.New(rand.NewPCG(seed, uint64(d))))
		out, churn = append(out, prev), append(churn, c)
	}
	return out, churn
}

// TestStepBackDeterministic: the same seed makes the same year, another
// seed another one.
func TestStepBackDeterministic(t *testing.T) {
	a, ca := walkBack(baseRows(), 11, 6)
	b, cb := walkBack(baseRows(), 11, 6)
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(ca, cb) {
		t.Fatal("two walks with seed 11 differ")
	}
	c, _ := walkBack(baseRows(), 12, 6)
	if reflect.DeepEqual(a[5], c[5]) {
		t.Fatal("seeds 11 and 12 make the same year")
	}
}

// TestStepBackChurn: each day's churn is what a comparison of the two days
// finds, versions ordered by dpkg — the counts a trends row must find —
// and within the documented rates.
func TestStepBackChurn(t *testing.T) {
	days, churn := walkBack(baseRows(), 11, 8)
	for i := 1; i < len(days); i++ {
		next, prev, c := days[i-1], days[i], churn[i]
		if c.Added < minAdded || c.Added >= minAdded+spanAdded || c.Removed < minRemoved || c.Removed >= minRemoved+spanRemoved ||
			c.SourcesDowngraded > maxDowngrades {
			t.Errorf("step %d: churn %+v outside the rates", i, c)
		}
		if n := c.SourcesUpstream + c.SourcesRevision; n < minSourcesChanged || n >= minSourcesChanged+spanSources {
			t.Errorf("step %d: %d sources re-versioned, want %d–%d", i, n, minSourcesChanged, minSourcesChanged+spanSources-1)
		}
		before := map[string]datasets.PackageRow{}
		for _, r := range prev {
			if _, dup := before[r.Package]; dup {
				t.Fatalf("step %d: %s twice", i, r.Package)
			}
			before[r.Package] = r
		}
		var got dayChurn
		for _, r := range next {
			o, ok := before[r.Package]
			if !ok {
				got.Added++
				continue
			}
			delete(before, r.Package)
			order, err := dpkg.Compare(o.Version, r.Version)
			if err != nil {
				t.Fatalf("step %d: %s: %v", i, r.Package, err)
			}
			switch {
			case order < 0:
				got.Upgraded++
			case order > 0:
				got.Downgraded++
			}
			if order != 0 && o.Filename == r.Filename {
				t.Errorf("step %d: %s %s → %s kept its file name %s", i, r.Package, o.Version, r.Version, r.Filename)
			}
		}
		got.Removed = len(before)
		if got.Added != c.Added || got.Removed != c.Removed || got.Upgraded != c.Upgraded || got.Downgraded != c.Downgraded {
			t.Errorf("step %d: the days differ by %+v, the generator says %+v", i, got, c)
		}
	}
}

// TestMoveVersion: every move orders as it says by dpkg, and an upstream
// move changes the upstream part only.
func TestMoveVersion(t *testing.T) {
	for _, v := range []string{"1.2.3-1", "2:4.0-3", "0.9+dfsg-1", "1.0", "3.1-2+b1", "3.1-2+b2", "0-1", "0-0", "1:0.0.1~rc2-0.1",
		"2.0~beta1-4", "0", "git", "1.10-1", "9-1"} {
		for _, ch := range []change{older, olderUpstream, newer, newerUpstream} {
			m := moveVersion(v, ch)
			order, err := dpkg.Compare(m, v)
			if err != nil {
				t.Fatalf("%s → %s: %v", v, m, err)
			}
			if down := ch == older || ch == olderUpstream; down && order >= 0 || !down && order <= 0 {
				t.Errorf("move %d of %s gave %s, ordered %d against it", ch, v, m, order)
			}
			if e1, _, r1 := splitVersion(v); ch == olderUpstream || ch == newerUpstream {
				if e2, _, r2 := splitVersion(m); e1 != e2 || r1 != r2 {
					t.Errorf("upstream move of %s gave %s: epoch or revision changed", v, m)
				}
			}
		}
	}
}
