package initsys

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/rootfstest"
	"github.com/distroscope/distroscope/internal/testenv"
)

// TestEnabledAgainstSystemctl compares Enabled with what systemd's own
// systemctl says of the same tree offline (`systemctl --root=DIR
// list-unit-files`, which reads and writes nothing outside DIR and changes
// nothing in it): the unit files enabled by the administrator, the masked
// ones, and the vendor preset of each unit that can be enabled. The trees:
// the Fedora-like fixture, and debootstrap's bookworm and trixie minbase,
// which have no init but whose packages linked timers into
// timers.target.wants.
func TestEnabledAgainstSystemctl(t *testing.T) {
	systemctl := testenv.Require(t, testenv.Systemctl)
	fedora, err := filepath.Abs("testdata/fedora-systemd")
	if err != nil {
		t.Fatal(err)
	}
	trees := []struct{ name, root string }{{"fedora-systemd", fedora}}
	for _, suite := range rootfstest.Suites {
		trees = append(trees, struct{ name, root string }{suite + "-minbase", ""})
	}
	for _, tree := range trees {
		t.Run(tree.name, func(t *testing.T) {
			root := tree.root
			if root == "" {
				root = rootfstest.Debootstrap(t, strings.TrimSuffix(tree.name, "-minbase"))
			}
			out, err := exec.CommandContext(t.Context(), systemctl, "--root="+root, "list-unit-files",
				"--no-legend", "--no-pager").CombinedOutput()
			if err != nil {
				t.Fatalf("systemctl --root=%s list-unit-files: %v\n%s", root, err, out)
			}
			var wantEnabled, wantMasked, wantPresets []string
			for line := range strings.Lines(string(out)) {
				f := strings.Fields(line)
				if len(f) < 3 {
					continue
				}
				switch unit, state, preset := f[0], f[1], f[2]; state {
				case "enabled":
					wantEnabled = append(wantEnabled, unit)
					wantPresets = append(wantPresets, unit+" "+strings.TrimSuffix(preset, "d"))
				case "disabled":
					wantPresets = append(wantPresets, unit+" "+strings.TrimSuffix(preset, "d"))
				case "masked":
					wantMasked = append(wantMasked, unit)
				}
			}

			svcs, err := Enabled(os.DirFS(root), System{Name: Systemd})
			if err != nil {
				t.Fatal(err)
			}
			var gotEnabled, gotMasked, gotPresets []string
			for _, s := range svcs {
				unit := path.Base(s.Path) // the unit file an instance's link leads to
				switch {
				case s.Source == "mask":
					gotMasked = append(gotMasked, s.Name)
					continue
				case s.Enabled && !s.Static:
					gotEnabled = append(gotEnabled, unit)
				}
				if s.Preset != "" {
					gotPresets = append(gotPresets, unit+" "+s.Preset)
				}
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"enabled", gotEnabled, wantEnabled}, {"masked", gotMasked, wantMasked}, {"presets", gotPresets, wantPresets}} {
				slices.Sort(c.got)
				slices.Sort(c.want)
				if !slices.Equal(slices.Compact(c.got), c.want) {
					t.Errorf("%s: Enabled says %q, systemctl %q", c.what, c.got, c.want)
				}
			}
			if len(wantEnabled) == 0 {
				t.Error("systemctl lists nothing enabled: the comparison proves nothing")
			}
		})
	}
}
