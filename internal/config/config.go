// Package config is the one configuration of distroscope's binaries (the
// worker and the CLI), loaded once: built-in defaults, then an optional YAML
// file, then environment variables, then command-line flags, each overriding
// the one before.
//
// Temporal settings use Temporal's own variable names (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_TLS_*), so an environment already set up for
// the temporal CLI works unchanged; everything else is DISTROSCOPE_*.
// Secrets (S3 keys, Loki password) are never fields of this struct: they
// are read from the environment or from files whose paths are configured,
// so a config dump or log line cannot leak them.
package config

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Config is every setting the worker and the CLI share.
type Config struct {
	Temporal Temporal `yaml:"temporal"`
	Store    Store    `yaml:"store"`
	Fetch    Fetch    `yaml:"fetch"`
	Log      Log      `yaml:"log"`
	// MetricsAddr is where /metrics listens ("" disables it).
	MetricsAddr string `yaml:"metrics_addr"`
	// AptRoot is the filesystem root whose etc/apt sources and keyrings are
	// read ("/" on a real machine).
	AptRoot string `yaml:"apt_root"`
	// TempDir holds spooled files while indexes are ingested ("" = system).
	TempDir string `yaml:"temp_dir"`
	// UIURL is the Temporal UI base used to print links to runs.
	UIURL string `yaml:"ui_url"`
	// CompareRules is a YAML file of cross-distro name mapping rules,
	// layered over the defaults (see analysis/crossmap/default-rules.yaml).
	CompareRules string `yaml:"compare_rules"`
	// Catalog is the sources catalogue (YAML); "" uses
	// ~/.config/distroscope/sources.yaml when it exists.
	Catalog string `yaml:"catalog"`
}

// Temporal is how to reach the Temporal frontend.
type Temporal struct {
	Address       string `yaml:"address"`
	Namespace     string `yaml:"namespace"`
	TaskQueue     string `yaml:"task_queue"`
	TLS           bool   `yaml:"tls"`
	TLSCertPath   string `yaml:"tls_cert_path"`
	TLSKeyPath    string `yaml:"tls_key_path"`
	TLSCAPath     string `yaml:"tls_ca_path"`
	TLSServerName string `yaml:"tls_server_name"`
	// APIKeyFile holds an API key for Temporal Cloud; read at dial time.
	APIKeyFile string `yaml:"api_key_file"`
}

// Store says where datasets live.
type Store struct {
	// URL is file:///path, a bare path, or s3://bucket/prefix.
	URL string `yaml:"url"`
	// S3 settings, used when URL is s3://. Keys come from
	// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or MINIO_ROOT_USER/PASSWORD)
	// or from CredentialsFile.
	S3Endpoint        string `yaml:"s3_endpoint"`
	S3Region          string `yaml:"s3_region"`
	S3Secure          bool   `yaml:"s3_secure"`
	S3CredentialsFile string `yaml:"s3_credentials_file"`
	S3PartSizeMiB     int64  `yaml:"s3_part_size_mib"`
	// Deadlines of S3 requests (see s3store.Options): connecting, the
	// response's headers once a request is sent, and each operation —
	// plus, for a transfer, its size at S3MinRate bytes a second. A server
	// that accepts connections and never answers fails an operation in
	// S3OpTimeout instead of hanging it.
	S3ConnectTimeout  time.Duration `yaml:"s3_connect_timeout"`
	S3ResponseTimeout time.Duration `yaml:"s3_response_timeout"`
	S3OpTimeout       time.Duration `yaml:"s3_op_timeout"`
	S3MinRate         int64         `yaml:"s3_min_rate"`
}

// Fetch limits downloads from mirrors (see repo.Fetcher): a transfer that
// receives nothing for IdleTimeout, less than MinRate bytes a second over
// a RateWindow, or is still going after RequestTimeout plus its size at
// MinRate fails, retryably, saying so. 0 turns a limit off.
type Fetch struct {
	IdleTimeout    time.Duration `yaml:"idle_timeout"`
	MinRate        int64         `yaml:"min_rate"`
	RateWindow     time.Duration `yaml:"rate_window"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// MaxUncompressedMiB is the hard cap on what one index may decompress
	// to: the size a Release declares for the plain file only lowers it,
	// so a bomb stops here whatever the metadata says.
	MaxUncompressedMiB int64 `yaml:"max_uncompressed_mib"`
}

// Log configures logging: JSON on stdout, optionally Loki too.
type Log struct {
	Level   string `yaml:"level"`
	LokiURL string `yaml:"loki_url"`
	// LokiTenant is sent as X-Scope-OrgID.
	LokiTenant string `yaml:"loki_tenant"`
	// LokiUsername and LokiPasswordFile set basic auth.
	LokiUsername     string `yaml:"loki_username"`
	LokiPasswordFile string `yaml:"loki_password_file"`
	LokiQueue        int    `yaml:"loki_queue"`
}

// Default is the embedded default: a local Temporal dev server and a local
// folder store, which is what `go tool task demo` starts.
func Default() Config {
	return Config{
		Temporal: Temporal{Address: "127.0.0.1:7233", Namespace: "default", TaskQueue: "distroscope"},
		// The limits are those of repo.DefaultFetcher and s3store's
		// defaults (internal/app's tests check).
		Store: Store{URL: defaultStore(), S3Region: "us-east-1", S3PartSizeMiB: 16,
			S3ConnectTimeout: 10 * time.Second, S3ResponseTimeout: 30 * time.Second, S3OpTimeout: time.Minute, S3MinRate: 1_000_000},
		Fetch: Fetch{IdleTimeout: 30 * time.Second, MinRate: 16_000, RateWindow: 30 * time.Second, RequestTimeout: time.Minute,
			MaxUncompressedMiB: 1024},
		Log:     Log{Level: "info", LokiQueue: 4096},
		AptRoot: "/",
		UIURL:   "http://127.0.0.1:8233",
	}
}

// defaultStore is a folder in the user's data directory, the same for the
// worker and the CLI on one machine whatever their working directory.
func defaultStore() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "distroscope")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "distroscope")
	}
	return "distroscope-data"
}

// env maps each environment variable to the field it sets.
func (c *Config) env() map[string]any {
	return map[string]any{
		"TEMPORAL_ADDRESS":                  &c.Temporal.Address,
		"TEMPORAL_NAMESPACE":                &c.Temporal.Namespace,
		"TEMPORAL_TLS":                      &c.Temporal.TLS,
		"TEMPORAL_TLS_CLIENT_CERT_PATH":     &c.Temporal.TLSCertPath,
		"TEMPORAL_TLS_CLIENT_KEY_PATH":      &c.Temporal.TLSKeyPath,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH":  &c.Temporal.TLSCAPath,
		"TEMPORAL_TLS_SERVER_NAME":          &c.Temporal.TLSServerName,
		"TEMPORAL_API_KEY_FILE":             &c.Temporal.APIKeyFile,
		"DISTROSCOPE_TASK_QUEUE":            &c.Temporal.TaskQueue,
		"DISTROSCOPE_STORE":                 &c.Store.URL,
		"DISTROSCOPE_S3_ENDPOINT":           &c.Store.S3Endpoint,
		"DISTROSCOPE_S3_REGION":             &c.Store.S3Region,
		"DISTROSCOPE_S3_SECURE":             &c.Store.S3Secure,
		"DISTROSCOPE_S3_CREDENTIALS_FILE":   &c.Store.S3CredentialsFile,
		"DISTROSCOPE_S3_PART_SIZE_MIB":      &c.Store.S3PartSizeMiB,
		"DISTROSCOPE_S3_CONNECT_TIMEOUT":    &c.Store.S3ConnectTimeout,
		"DISTROSCOPE_S3_RESPONSE_TIMEOUT":   &c.Store.S3ResponseTimeout,
		"DISTROSCOPE_S3_OP_TIMEOUT":         &c.Store.S3OpTimeout,
		"DISTROSCOPE_S3_MIN_RATE":           &c.Store.S3MinRate,
		"DISTROSCOPE_FETCH_IDLE_TIMEOUT":    &c.Fetch.IdleTimeout,
		"DISTROSCOPE_FETCH_MIN_RATE":        &c.Fetch.MinRate,
		"DISTROSCOPE_FETCH_RATE_WINDOW":     &c.Fetch.RateWindow,
		"DISTROSCOPE_FETCH_REQUEST_TIMEOUT": &c.Fetch.RequestTimeout,
		"DISTROSCOPE_MAX_UNCOMPRESSED_MIB":  &c.Fetch.MaxUncompressedMiB,
		"DISTROSCOPE_LOG_LEVEL":             &c.Log.Level,
		"DISTROSCOPE_LOKI_URL":              &c.Log.LokiURL,
		"DISTROSCOPE_LOKI_TENANT":           &c.Log.LokiTenant,
		"DISTROSCOPE_LOKI_USERNAME":         &c.Log.LokiUsername,
		"DISTROSCOPE_LOKI_PASSWORD_FILE":    &c.Log.LokiPasswordFile,
		"DISTROSCOPE_LOKI_QUEUE":            &c.Log.LokiQueue,
		"DISTROSCOPE_METRICS_ADDR":          &c.MetricsAddr,
		"DISTROSCOPE_APT_ROOT":              &c.AptRoot,
		"DISTROSCOPE_TEMP_DIR":              &c.TempDir,
		"DISTROSCOPE_UI_URL":                &c.UIURL,
		"DISTROSCOPE_CATALOG":               &c.Catalog,
		"DISTROSCOPE_COMPARE_RULES":         &c.CompareRules,
	}
}

// EnvVars lists the variables Load reads, for --help and the README.
func EnvVars() []string {
	var c Config
	var out []string
	for k := range c.env() {
		out = append(out, k)
	}
	out = append(out, "DISTROSCOPE_CONFIG")
	slices.Sort(out)
	return out
}

// ConfigFlag names the flag that points at the YAML file; its variable is
// DISTROSCOPE_CONFIG.
const ConfigFlag = "config"

// flagDef is one shared command-line flag. Both flag packages register the
// same list (Load for the standard library's flag, RegisterPFlags for the
// CLI's pflag), so the worker and the CLI cannot drift apart.
type flagDef struct {
	name, usage string
	field       func(*Config) *string
	// defaultDoc replaces the default in help when the real one depends on
	// the machine (a home folder), so generated docs read the same anywhere.
	defaultDoc string
}

func flagDefs() []flagDef {
	return []flagDef{
		{name: "temporal-address", usage: "Temporal frontend host:port (env TEMPORAL_ADDRESS)", field: func(c *Config) *string { return &c.Temporal.Address }},
		{name: "namespace", usage: "Temporal namespace (env TEMPORAL_NAMESPACE)", field: func(c *Config) *string { return &c.Temporal.Namespace }},
		{name: "task-queue", usage: "task queue (env DISTROSCOPE_TASK_QUEUE)", field: func(c *Config) *string { return &c.Temporal.TaskQueue }},
		{name: "store", usage: "dataset store: file:///path or s3://bucket/prefix (env DISTROSCOPE_STORE)", field: func(c *Config) *string { return &c.Store.URL },
			defaultDoc: "$XDG_DATA_HOME/distroscope, else ~/.local/share/distroscope"},
		{name: "s3-endpoint", usage: "S3 endpoint host:port (env DISTROSCOPE_S3_ENDPOINT)", field: func(c *Config) *string { return &c.Store.S3Endpoint }},
		{name: "log-level", usage: "debug, info, warn or error (env DISTROSCOPE_LOG_LEVEL)", field: func(c *Config) *string { return &c.Log.Level }},
		{name: "loki-url", usage: "Loki push URL, e.g. http://127.0.0.1:3100/loki/api/v1/push (env DISTROSCOPE_LOKI_URL)", field: func(c *Config) *string { return &c.Log.LokiURL }},
		{name: "metrics-addr", usage: "serve Prometheus /metrics on this address (env DISTROSCOPE_METRICS_ADDR)", field: func(c *Config) *string { return &c.MetricsAddr }},
		{name: "apt-root", usage: "root whose /etc/apt sources and keyrings are read (env DISTROSCOPE_APT_ROOT)", field: func(c *Config) *string { return &c.AptRoot }},
		{name: "catalog", usage: "sources catalogue YAML (env DISTROSCOPE_CATALOG; default ~/.config/distroscope/sources.yaml if present)", field: func(c *Config) *string { return &c.Catalog }},
	}
}

const configUsage = "YAML configuration file (env DISTROSCOPE_CONFIG)"

// Load builds the configuration for a binary that uses the standard
// library's flag package (the worker). fs receives the shared flags
// (register your own on it first); args are the command-line arguments;
// getenv is os.Getenv in production.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	path := getenv("DISTROSCOPE_CONFIG")
	if p := scanFlag(args, ConfigFlag); p != "" {
		path = p
	}
	c, err := fromFileAndEnv(path, getenv)
	if err != nil {
		return c, err
	}
	fs.String(ConfigFlag, path, configUsage)
	for _, d := range flagDefs() {
		p := d.field(&c)
		fs.StringVar(p, d.name, *p, d.usage)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// RegisterPFlags adds the shared flags to fs, for a binary built on
// spf13/pflag (the CLI, usually on its root command's persistent flags).
// Their values are read by LoadPFlags once the command line is parsed; the
// defaults shown are the built-in ones, since a file or the environment may
// still override them.
func RegisterPFlags(fs *pflag.FlagSet) {
	def := Default()
	fs.String(ConfigFlag, "", configUsage)
	for _, d := range flagDefs() {
		shown, usage := *d.field(&def), d.usage
		if d.defaultDoc != "" {
			shown, usage = "", strings.TrimSuffix(usage, ")")+"; default "+d.defaultDoc+")"
		}
		fs.String(d.name, shown, usage)
	}
}

// LoadPFlags builds the configuration from a parsed pflag set holding the
// flags RegisterPFlags added, with the same precedence as Load: defaults,
// then the file (--config, else DISTROSCOPE_CONFIG), then the environment,
// then only the flags given on the command line.
func LoadPFlags(fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	path := getenv("DISTROSCOPE_CONFIG")
	if f := fs.Lookup(ConfigFlag); f != nil && f.Changed {
		path = f.Value.String()
	}
	c, err := fromFileAndEnv(path, getenv)
	if err != nil {
		return c, err
	}
	for _, d := range flagDefs() {
		if f := fs.Lookup(d.name); f != nil && f.Changed {
			*d.field(&c) = f.Value.String()
		}
	}
	return c, c.Validate()
}

// fromFileAndEnv is the defaults, then the file at path (none when ""),
// then the environment.
func fromFileAndEnv(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := decodeYAML(data, &c); err != nil {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	for name, dst := range c.env() {
		v := getenv(name)
		if v == "" {
			continue
		}
		if err := setString(dst, v); err != nil {
			return c, fmt.Errorf("config: %s=%q: %w", name, v, err)
		}
	}
	return c, nil
}

// CatalogPath is the catalogue to read: the configured one, else the
// user's default file when it exists, else none.
func (c Config) CatalogPath() string {
	if c.Catalog != "" {
		return c.Catalog
	}
	if d, err := os.UserConfigDir(); err == nil {
		p := filepath.Join(d, "distroscope", "sources.yaml")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Validate checks values that would otherwise fail far from their cause.
func (c Config) Validate() error {
	if c.Temporal.Address == "" {
		return fmt.Errorf("config: the Temporal address is empty (TEMPORAL_ADDRESS)")
	}
	if c.Temporal.TaskQueue == "" {
		return fmt.Errorf("config: the task queue is empty (DISTROSCOPE_TASK_QUEUE)")
	}
	if c.Store.URL == "" {
		return fmt.Errorf("config: the store is empty (DISTROSCOPE_STORE)")
	}
	if _, err := c.LogLevel(); err != nil {
		return err
	}
	if c.Store.S3PartSizeMiB < 5 || c.Store.S3PartSizeMiB > 5*1024 {
		return fmt.Errorf("config: s3_part_size_mib %d: S3 parts are 5 MiB to 5 GiB", c.Store.S3PartSizeMiB)
	}
	// A store without deadlines is how a silent endpoint hung start-up.
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"s3_connect_timeout (DISTROSCOPE_S3_CONNECT_TIMEOUT)", c.Store.S3ConnectTimeout},
		{"s3_response_timeout (DISTROSCOPE_S3_RESPONSE_TIMEOUT)", c.Store.S3ResponseTimeout},
		{"s3_op_timeout (DISTROSCOPE_S3_OP_TIMEOUT)", c.Store.S3OpTimeout},
	} {
		if d.v <= 0 {
			return fmt.Errorf("config: %s is %s: S3 requests need a deadline", d.name, d.v)
		}
	}
	if c.Store.S3MinRate <= 0 {
		return fmt.Errorf("config: s3_min_rate (DISTROSCOPE_S3_MIN_RATE) is %d: want bytes a second", c.Store.S3MinRate)
	}
	if c.Fetch.MaxUncompressedMiB <= 0 {
		return fmt.Errorf("config: max_uncompressed_mib (DISTROSCOPE_MAX_UNCOMPRESSED_MIB) is %d: an index's decompression needs a cap", c.Fetch.MaxUncompressedMiB)
	}
	if f := c.Fetch; f.IdleTimeout < 0 || f.MinRate < 0 || f.RateWindow < 0 || f.RequestTimeout < 0 {
		return fmt.Errorf("config: fetch limits %+v: none may be negative (0 turns one off)", f)
	}
	return nil
}

// LogLevel parses Log.Level.
func (c Config) LogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return l, fmt.Errorf("config: log level %q: want debug, info, warn or error", c.Log.Level)
	}
	return l, nil
}

func decodeYAML(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key is an error, not a silent default
	if err := dec.Decode(c); err != nil && err != io.EOF {
		return err
	}
	return nil
}

func setString(dst any, v string) error {
	switch p := dst.(type) {
	case *string:
		*p = v
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*p = d
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		*p = b
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		*p = n
	case *int64:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		*p = n
	default:
		return fmt.Errorf("unsupported type %T", dst)
	}
	return nil
}

// scanFlag finds -name/--name value or --name=value before flag parsing, so
// the file it names can supply the defaults flags then override.
func scanFlag(args []string, name string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, pre := range []string{"-" + name, "--" + name} {
			if a == pre && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, pre+"="); ok {
				return v
			}
		}
	}
	return ""
}
