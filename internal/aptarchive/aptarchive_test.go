package aptarchive

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServesTheNewestStateAtOrBeforeATime writes two states of an edited
// real index and asks the archive for times around them.
func TestServesTheNewestStateAtOrBeforeATime(t *testing.T) {
	real, err := ReadStanzas("../../repo/formats/testdata/apt/stanzas/main-amd64")
	if err != nil {
		t.Fatal(err)
	}
	if len(real) < 10 || real.Version("bash") == "" {
		t.Fatalf("%d stanzas, bash %q", len(real), real.Version("bash"))
	}
	second := real.Without("abook").Reversioned("bash", "9.9-1")
	if second.Version("bash") != "9.9-1" || len(second) != len(real)-1 || real.Version("bash") == "9.9-1" {
		t.Fatalf("edits: bash %q, %d stanzas", second.Version("bash"), len(second))
	}
	key, err := Key(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	t1, t2 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	a := Archive{Root: root, Name: "fx", Suite: "s", Origin: "O", Codename: "s", Key: key}
	if err := a.Write(State{At: t1, Packages: map[string]Stanzas{"main/amd64": real}},
		State{At: t2, Packages: map[string]Stanzas{"main/amd64": second}}); err != nil {
		t.Fatal(err)
	}
	base := Serve(t, root)
	get := func(stamp string) (int, string) {
		resp, err := http.Get(base + "/archive/fx/" + stamp + "/dists/s/main/binary-amd64/Packages")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, tc := range []struct {
		stamp string
		code  int
		abook bool
	}{
		{"20260301T095959Z", 404, false},
		{"20260301T100000Z", 200, true},
		{"20260302T235959Z", 200, true},
		{"20260303T100000Z", 200, false},
		{"20300101T000000Z", 200, false},
		{"yesterday", 400, false},
	} {
		code, body := get(tc.stamp)
		if code != tc.code || (code == 200 && strings.Contains(body, "Package: abook\n") != tc.abook) {
			t.Errorf("%s: %d, abook %t; want %d, abook %t", tc.stamp, code, strings.Contains(body, "Package: abook\n"), tc.code, tc.abook)
		}
	}
	if code, _ := get("20300101T000000Z/../../x"); code != 404 {
		t.Errorf("a path out of the archive: %d", code)
	}
}
