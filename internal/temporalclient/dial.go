// Package temporalclient dials Temporal from the shared configuration, so
// the worker and the CLI connect the same way (address, namespace, mTLS or
// API key).
package temporalclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/distroscope/distroscope/internal/config"
)

// Options builds client options from the configuration.
func Options(c config.Temporal, logger *slog.Logger, metrics client.MetricsHandler) (client.Options, error) {
	opts := client.Options{HostPort: c.Address, Namespace: c.Namespace, MetricsHandler: metrics}
	if logger != nil {
		opts.Logger = tlog.NewStructuredLogger(logger)
	}
	if c.TLS || c.TLSCertPath != "" || c.TLSCAPath != "" {
		tc := &tls.Config{ServerName: c.TLSServerName, MinVersion: tls.VersionTLS12}
		if c.TLSCertPath != "" || c.TLSKeyPath != "" {
			cert, err := tls.LoadX509KeyPair(c.TLSCertPath, c.TLSKeyPath)
			if err != nil {
				return opts, fmt.Errorf("temporalclient: client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		if c.TLSCAPath != "" {
			pem, err := os.ReadFile(c.TLSCAPath)
			if err != nil {
				return opts, fmt.Errorf("temporalclient: CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return opts, fmt.Errorf("temporalclient: CA %s holds no PEM certificate", c.TLSCAPath)
			}
			tc.RootCAs = pool
		}
		opts.ConnectionOptions.TLS = tc
	}
	if c.APIKeyFile != "" {
		key, err := os.ReadFile(c.APIKeyFile)
		if err != nil {
			return opts, fmt.Errorf("temporalclient: API key: %w", err)
		}
		opts.Credentials = client.NewAPIKeyStaticCredentials(strings.TrimSpace(string(key)))
	}
	return opts, nil
}

// Dial connects, failing fast with a message naming the address.
func Dial(c config.Temporal, logger *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts, err := Options(c, logger, metrics)
	if err != nil {
		return nil, err
	}
	cl, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("temporalclient: connect to Temporal at %s (namespace %s): %w", c.Address, c.Namespace, err)
	}
	return cl, nil
}
