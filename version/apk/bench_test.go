package apk

import "testing"

// BenchmarkCompare compares each version of apk-tools' version.data with
// the next.
func BenchmarkCompare(b *testing.B) {
	vs := dataVersions(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Compare(vs[i%len(vs)], vs[(i+1)%len(vs)])
	}
}
