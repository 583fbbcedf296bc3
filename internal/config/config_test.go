package config

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
	} {
		if _, err := load(t, tc.args, tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v, want %q", tc.args, tc.env, err, tc.want)
		}
	}
}
