package compare

import (
	"slices"
	"testing"
)

// TestSnapshotOf builds a snapshot from rows and reads every row back as
// it went in; Compare orders its pairs with the format's comparator, and
// a row without a format is refused.
func TestSnapshotOf(t *testing.T) {
	old := []PackageRef{
		{Package: "bash", IndexArchitecture: "amd64", Architecture: "amd64", Version: "5.2.15-2+b7", Source: "bash", Format: "deb", Essential: true},
		{Package: "zlib1g", IndexArchitecture: "amd64", Architecture: "amd64", Version: "1:1.2.13.dfsg-1", Source: "zlib", SourceVersion: "1:1.2.13.dfsg-1", Format: "deb"},
	}
	new := []PackageRef{
		{Package: "bash", IndexArchitecture: "amd64", Architecture: "amd64", Version: "5.2.37-2+b5", Source: "bash", Format: "deb", Essential: true},
		{Package: "zlib1g", IndexArchitecture: "amd64", Architecture: "amd64", Version: "1:1.2.13.dfsg-1~bpo1", Source: "zlib", Format: "deb"},
	}
	os, err := SnapshotOf(old)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := SnapshotOf(new)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range old {
		if got := os.Row(i); got != want {
			t.Errorf("row %d = %+v, want %+v", i, got, want)
		}
		if d := os.Depends(i); len(d) != 0 {
			t.Errorf("row %d depends %v, want none", i, d)
		}
	}
	res, err := Compare(os, ns, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range res.Changes {
		kinds = append(kinds, c.Package+" "+c.Kind)
	}
	if want := []string{"bash upgraded", "zlib1g downgraded"}; !slices.Equal(kinds, want) {
		t.Errorf("changes %v, want %v", kinds, want)
	}
	if _, err := SnapshotOf([]PackageRef{{Package: "x", Version: "1"}}); err == nil {
		t.Error("a row without a format was taken")
	}
}
