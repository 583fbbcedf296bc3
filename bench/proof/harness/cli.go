package harness

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"time"
)

// startedRun is how `distroscope nightly run` names the run it started.
var startedRun = regexp.MustCompile(`: run (\S+) \(`)

// StartNightly starts a plan's nightly for a logical date with the CLI
// (`distroscope nightly run PLAN --detach --date D`), as a user would, and
// returns its workflow ID. env is the CLI's environment: the worker's
// Temporal, task queue, store and catalogue, so that it names the runs as
// the worker's configuration does.
func StartNightly(cli string, env []string, plan string, date time.Time) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		cmd := exec.CommandContext(ctx, cli, "nightly", "run", plan, "--detach", "--date", date.UTC().Format(time.RFC3339))
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("distroscope nightly run %s: %w\n%s", plan, err, out.String())
		}
		m := startedRun.FindStringSubmatch(out.String())
		if m == nil {
			return "", fmt.Errorf("distroscope nightly run %s: no run ID in its output:\n%s", plan, out.String())
		}
		return m[1], nil
	}
}
