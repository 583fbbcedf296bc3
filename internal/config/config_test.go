package config

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	return Load(flag.NewFlagSet("t", flag.ContinueOnError), args, func(k string) string { return env[k] })
}

// Every field the environment can set is reachable: a variable missing
// from the map would silently do nothing.
func TestEveryEnvVarSetsItsField(t *testing.T) {
	var c Config
	for name, dst := range c.env() {
		env := map[string]string{}
		switch dst.(type) {
		case *bool:
			env[name] = "true"
		case *int:
			env[name] = "7"
		case *int64:
			env[name] = "9"
		case *time.Duration:
			env[name] = "7s"
		default:
			env[name] = "x-" + strings.ToLower(name)
		}
		got, _ := load(t, nil, env) // some values fail validation; the field is set all the same
		if reflect.DeepEqual(got, Default()) {
			t.Errorf("%s changed nothing", name)
		}
	}
	for _, want := range []string{"DISTROSCOPE_CATALOG", "DISTROSCOPE_COMPARE_RULES", "DISTROSCOPE_STORE", "TEMPORAL_ADDRESS"} {
		found := false
		for _, v := range EnvVars() {
			found = found || v == want
		}
		if !found {
			t.Errorf("EnvVars lacks %s", want)
		}
	}
}

func TestPrecedenceDefaultsFileEnvFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("temporal:\n  task_queue: from-file\n  namespace: ns-file\nstore:\n  url: /from/file\ncompare_rules: rules.yaml\n"), 0o644)
	c, err := load(t, []string{"--config", file, "--task-queue", "from-flag"}, map[string]string{"TEMPORAL_NAMESPACE": "ns-env", "DISTROSCOPE_CATALOG": "cat.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.TaskQueue != "from-flag" || c.Temporal.Namespace != "ns-env" || c.Store.URL != "/from/file" ||
		c.CompareRules != "rules.yaml" || c.Catalog != "cat.yaml" || c.Temporal.Address != Default().Temporal.Address {
		t.Errorf("config = %+v", c)
	}
}

func TestBadInputNamesTheProblem(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("temporal:\n  adress: x\n"), 0o644)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--config", file}, nil, "line 2"},
		{nil, map[string]string{"DISTROSCOPE_S3_SECURE": "maybe"}, "DISTROSCOPE_S3_SECURE"},
		{nil, map[string]string{"DISTROSCOPE_LOG_LEVEL": "loud"}, "log level"},
		{nil, map[string]string{"DISTROSCOPE_S3_PART_SIZE_MIB": "1"}, "5 MiB"},
		{nil, map[string]string{"DISTROSCOPE_S3_OP_TIMEOUT": "soon"}, "DISTROSCOPE_S3_OP_TIMEOUT"},
		{nil, map[string]string{"DISTROSCOPE_S3_OP_TIMEOUT": "0s"}, "need a deadline"},
		{nil, map[string]string{"DISTROSCOPE_FETCH_MIN_RATE": "-1"}, "negative"},
		{nil, map[string]string{"DISTROSCOPE_MAX_UNCOMPRESSED_MIB": "0"}, "needs a cap"},
	} {
		if _, err := load(t, tc.args, tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v, want %q", tc.args, tc.env, err, tc.want)
		}
	}
}

func loadP(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	RegisterPFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return LoadPFlags(fs, func(k string) string { return env[k] })
}

// Both flag packages give the same answer for each layer of the
// precedence, and a flag's default never hides the file or the
// environment (pflag registers the built-in defaults for help only).
func TestPrecedenceBothFlagPackages(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("temporal:\n  task_queue: q-file\n  namespace: ns-file\n  address: file:7233\nstore:\n  url: /from/file\napt_root: /file-root\n"), 0o644)
	other := filepath.Join(dir, "other.yaml")
	os.WriteFile(other, []byte("store:\n  url: /from/other\n"), 0o644)
	def := Default()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want func(c *Config)
	}{
		{"defaults", nil, nil, func(c *Config) {}},
		{"file over defaults", []string{"--config", file}, nil, func(c *Config) {
			c.Temporal.TaskQueue, c.Temporal.Namespace, c.Temporal.Address, c.Store.URL, c.AptRoot = "q-file", "ns-file", "file:7233", "/from/file", "/file-root"
		}},
		{"file named by the environment", nil, map[string]string{"DISTROSCOPE_CONFIG": file}, func(c *Config) {
			c.Temporal.TaskQueue, c.Temporal.Namespace, c.Temporal.Address, c.Store.URL, c.AptRoot = "q-file", "ns-file", "file:7233", "/from/file", "/file-root"
		}},
		{"--config over DISTROSCOPE_CONFIG", []string{"--config=" + other}, map[string]string{"DISTROSCOPE_CONFIG": file}, func(c *Config) {
			c.Store.URL = "/from/other"
		}},
		{"environment over file", []string{"--config", file}, map[string]string{"TEMPORAL_NAMESPACE": "ns-env", "DISTROSCOPE_STORE": "/from/env"}, func(c *Config) {
			c.Temporal.TaskQueue, c.Temporal.Namespace, c.Temporal.Address, c.Store.URL, c.AptRoot = "q-file", "ns-env", "file:7233", "/from/env", "/file-root"
		}},
		{"flags over environment over file", []string{"--config", file, "--task-queue", "q-flag", "--store=/from/flag", "--apt-root", "/flag-root"},
			map[string]string{"DISTROSCOPE_TASK_QUEUE": "q-env", "DISTROSCOPE_STORE": "/from/env", "DISTROSCOPE_CATALOG": "cat.yaml"}, func(c *Config) {
				c.Temporal.TaskQueue, c.Temporal.Namespace, c.Temporal.Address, c.Store.URL, c.AptRoot, c.Catalog = "q-flag", "ns-file", "file:7233", "/from/flag", "/flag-root", "cat.yaml"
			}},
		{"a flag set to its default still wins", []string{"--namespace", "default"}, map[string]string{"TEMPORAL_NAMESPACE": "ns-env"}, func(c *Config) {}},
	} {
		want := def
		tc.want(&want)
		t.Run(tc.name+"/flag", func(t *testing.T) {
			got, err := load(t, tc.args, tc.env)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, %v\nwant %+v", got, err, want)
			}
		})
		t.Run(tc.name+"/pflag", func(t *testing.T) {
			got, err := loadP(t, tc.args, tc.env)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, %v\nwant %+v", got, err, want)
			}
		})
	}
}

// The two registrations offer the same flags, so a flag documented for
// the worker works for the CLI and the other way round.
func TestBothFlagPackagesRegisterTheSameFlags(t *testing.T) {
	var std, p []string
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	if _, err := Load(fs, nil, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	// Usages compared up to the closing parenthesis, which pflag's --store
	// extends with the default it cannot show.
	fs.VisitAll(func(f *flag.Flag) { std = append(std, f.Name+": "+strings.TrimSuffix(f.Usage, ")")) })
	pfs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	RegisterPFlags(pfs)
	pfs.VisitAll(func(f *pflag.Flag) {
		p = append(p, f.Name+": "+strings.Split(strings.TrimSuffix(f.Usage, ")"), "; default $XDG")[0])
	})
	slices.Sort(std)
	slices.Sort(p)
	if !slices.Equal(std, p) {
		t.Errorf("flag registers\n%s\npflag registers\n%s", strings.Join(std, "\n"), strings.Join(p, "\n"))
	}
	// Help shows no path of this machine (the generated docs are committed).
	if f := pfs.Lookup("store"); f.DefValue != "" || !strings.Contains(f.Usage, "~/.local/share/distroscope") {
		t.Errorf("--store default %q, usage %q", f.DefValue, f.Usage)
	}
}

func TestPFlagsBadInputNamesTheProblem(t *testing.T) {
	if _, err := loadP(t, []string{"--log-level", "loud"}, nil); err == nil || !strings.Contains(err.Error(), "log level") {
		t.Errorf("bad flag value: %v", err)
	}
	if _, err := loadP(t, []string{"--config", filepath.Join(t.TempDir(), "missing.yaml")}, nil); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// The limits of downloads and S3 requests come from the file and the
// environment like the rest, durations written as Go writes them.
func TestLimits(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("fetch:\n  min_rate: 1000\n  rate_window: 90s\nstore:\n  s3_op_timeout: 2m\n"), 0o644)
	c, err := load(t, []string{"--config", file}, map[string]string{"DISTROSCOPE_FETCH_IDLE_TIMEOUT": "0s", "DISTROSCOPE_S3_RESPONSE_TIMEOUT": "5s"})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Fetch.MinRate, want.Fetch.RateWindow, want.Fetch.IdleTimeout = 1000, 90*time.Second, 0
	want.Store.S3OpTimeout, want.Store.S3ResponseTimeout = 2*time.Minute, 5*time.Second
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}
