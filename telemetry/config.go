package telemetry

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// DefaultQueueSize is the number of log entries that may wait for Loki when
// Config.QueueSize is zero: about a minute of a busy worker's logs, and at
// most a few megabytes of memory.
const DefaultQueueSize = 1024

// DefaultService names the service in log labels when Config.Service is empty.
const DefaultService = "distroscope"

// lokiPushPath is appended to a Loki URL given without a path.
const lokiPushPath = "/loki/api/v1/push"

// Config says where logs go. The caller loads it once, from its flags and
// environment; the Loki credentials belong in the environment or a file, and
// Config's LogValue never shows the password.
type Config struct {
	// Service names the program ("worker", "cli"); it becomes the
	// "service" label. Empty means DefaultService.
	Service string
	// Instance tells replicas apart; it becomes the "instance" label.
	// Empty means the host name.
	Instance string
	// Level is the least severe level logged, to stdout and to Loki.
	Level slog.Level

	// LokiURL is Loki's push endpoint, e.g.
	// http://loki.example.org:3100/loki/api/v1/push. A URL without a path
	// gets /loki/api/v1/push. Empty means logs go to stdout only.
	LokiURL string
	// LokiLabels are static labels added to every stream, e.g.
	// {"env": "prod"}. They may not replace service, instance or level.
	LokiLabels map[string]string
	// LokiTenantID is sent as X-Scope-OrgID to a multi-tenant Loki.
	LokiTenantID string
	// LokiUsername and LokiPassword are HTTP basic-auth credentials.
	// Credentials written in LokiURL are used when these are empty.
	LokiUsername string
	LokiPassword string
	// QueueSize bounds the entries waiting for Loki. Zero means
	// DefaultQueueSize.
	QueueSize int

	// Metrics, when set, counts the entries dropped on the way to Loki in
	// its distroscope_loki_dropped_entries_total counter.
	Metrics *Metrics
}

// LogValue lets a Config be logged without its secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("service", c.Service),
		slog.String("instance", c.Instance),
		slog.String("level", c.Level.String()),
		slog.String("loki_url", redactURL(c.LokiURL)),
		slog.Any("loki_labels", c.LokiLabels),
		slog.String("loki_tenant_id", c.LokiTenantID),
		slog.String("loki_username", c.LokiUsername),
		slog.Bool("loki_password_set", c.LokiPassword != ""),
		slog.Int("queue_size", c.QueueSize),
	)
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// labelName is Loki's (and Prometheus') label name syntax.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// fixedLabels are set by the package and may not be configured.
var fixedLabels = []string{"service", "instance", "level"}

// lokiTarget is the part of Config the Loki client needs, checked.
type lokiTarget struct {
	url      *url.URL // without credentials
	username string
	password string
	labels   map[string]string // static and fixed, without level
}

// lokiTarget validates the Loki part of c and fills in defaults. It never puts
// the URL's credentials into an error.
func (c Config) lokiTarget() (lokiTarget, error) {
	var t lokiTarget
	u, err := url.Parse(c.LokiURL)
	if err != nil {
		// url.Error repeats the whole URL, credentials included.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return t, fmt.Errorf("telemetry: loki url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return t, fmt.Errorf("telemetry: loki url %s: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return t, fmt.Errorf("telemetry: loki url %s: no host", u.Redacted())
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = lokiPushPath
	}
	t.username, t.password = c.LokiUsername, c.LokiPassword
	if u.User != nil {
		if t.username == "" {
			t.username = u.User.Username()
			t.password, _ = u.User.Password()
		}
		u.User = nil
	}
	t.url = u

	if c.QueueSize < 0 {
		return t, fmt.Errorf("telemetry: queue size %d: must not be negative", c.QueueSize)
	}

	t.labels = map[string]string{}
	for k, v := range c.LokiLabels {
		if !labelName.MatchString(k) || strings.HasPrefix(k, "__") {
			return t, fmt.Errorf("telemetry: loki label %q: not a valid label name", k)
		}
		for _, f := range fixedLabels {
			if k == f {
				return t, fmt.Errorf("telemetry: loki label %q: set by telemetry itself", k)
			}
		}
		if v == "" {
			return t, fmt.Errorf("telemetry: loki label %q: empty value", k)
		}
		t.labels[k] = v
	}
	t.labels["service"] = c.Service
	if t.labels["service"] == "" {
		t.labels["service"] = DefaultService
	}
	t.labels["instance"] = c.Instance
	if t.labels["instance"] == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "unknown"
		}
		t.labels["instance"] = host
	}
	return t, nil
}
