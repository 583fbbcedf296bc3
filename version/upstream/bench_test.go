package upstream

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

func corpusVersions(b *testing.B) []string {
	f, err := os.Open("../testdata/debian-versions.tsv")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var vs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		_, v, _ := strings.Cut(sc.Text(), "\t")
		vs = append(vs, v)
	}
	return vs
}

// BenchmarkCompare compares neighbouring real Debian versions, normalised.
func BenchmarkCompare(b *testing.B) {
	vs := corpusVersions(b)
	for i, v := range vs {
		vs[i] = Normalize("deb", v)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Compare(vs[i%len(vs)], vs[(i+1)%len(vs)])
	}
}

// BenchmarkNormalize normalises real Debian versions.
func BenchmarkNormalize(b *testing.B) {
	vs := corpusVersions(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Normalize("deb", vs[i%len(vs)])
	}
}
