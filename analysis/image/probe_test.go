package image

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/imageref"
	"github.com/distroscope/distroscope/internal/imageref/imagereftest"
	"github.com/distroscope/distroscope/internal/rootfstest"
	"github.com/distroscope/distroscope/internal/sandbox"
	"github.com/distroscope/distroscope/internal/testenv"
)

func TestMain(m *testing.M) {
	sandbox.Init() // the probe's sandbox re-executes this binary
	os.Exit(m.Run())
}

func analyzeWith(t *testing.T, ref string, o Options) *Result {
	t.Helper()
	r, err := imageref.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageref.Open(context.Background(), r, imageref.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	res, err := Analyze(context.Background(), img, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestProbe analyses the bookworm tree with a drop-in the test wrote,
// probed: the static sshd rows carry sshd -T's effective values (none
// differing), keys only sshd -T prints are probe rows, the drop-in's
// setting is effective, and the result is keyed apart from an unprobed
// analysis. A file: input is not probed, and says why.
func TestProbe(t *testing.T) {
	root := rootfstest.Copy(t, rootfstest.Debootstrap(t, rootfstest.Suites[0]))
	writeFile(t, root, "/etc/ssh/sshd_config.d/50-test.conf", []byte("PermitRootLogin no\nMaxAuthTries 3\n"))
	res := analyzeWith(t, "dir:"+root, Options{Probe: true})
	if strings.HasPrefix(res.ProbeNote, "probe skipped: sandbox") {
		if testenv.CI() {
			t.Fatalf("%s; under CI the sandbox must be available", res.ProbeNote)
		}
		t.Skip(res.ProbeNote)
	}
	if res.ProbeNote != "" {
		t.Fatalf("probe: %s", res.ProbeNote)
	}
	if !strings.HasSuffix(res.Key, "~a2p") {
		t.Errorf("a probed analysis's key %s, want it marked", res.Key)
	}
	probeOnly := 0
	for _, r := range res.Settings {
		if r.Program != "sshd" || r.Condition != "" {
			continue
		}
		if !r.Probed {
			t.Errorf("sshd %s not probed: %+v", r.Key, r)
		}
		if r.Differs {
			t.Errorf("sshd %s: static %q, sshd -T %q", r.Key, r.Value, r.Effective)
		}
		if r.Source == datasets.SourceProbe {
			probeOnly++
		}
	}
	if probeOnly == 0 {
		t.Errorf("no key only sshd -T reports")
	}
	for key, want := range map[string]string{"permitrootlogin": "no", "maxauthtries": "3"} {
		r := oneSetting(t, res, "sshd", key)
		if r.Value != want || r.Effective != want || r.File != "/etc/ssh/sshd_config.d/50-test.conf" || r.Source != datasets.SourceImage {
			t.Errorf("sshd %s: %+v, want %s from the drop-in, effective", key, r, want)
		}
	}

	plain := analyzeWith(t, "dir:"+root, Options{})
	if plain.Key == res.Key || plain.ProbeNote != "" {
		t.Errorf("unprobed: key %s (probed %s), note %q", plain.Key, res.Key, plain.ProbeNote)
	}
	for _, r := range plain.Settings {
		if r.Probed || r.Source == datasets.SourceProbe {
			t.Fatalf("an unprobed analysis has probe values: %+v", r)
		}
	}

	tarball := filepath.Join(t.TempDir(), "root.tar")
	if err := os.WriteFile(tarball, imagereftest.TarBytes(t, []imagereftest.File{{Name: "etc/"}, {Name: "etc/ssh/"},
		{Name: "etc/ssh/sshd_config", Body: "PermitRootLogin no\n"}}), 0o644); err != nil {
		t.Fatal(err)
	}
	inMemory := analyzeWith(t, "file:"+tarball, Options{Probe: true})
	if !strings.Contains(inMemory.ProbeNote, "probe skipped") || !strings.Contains(inMemory.ProbeNote, "dir:") {
		t.Errorf("a file: input probed: note %q", inMemory.ProbeNote)
	}
}
