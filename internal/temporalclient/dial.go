// Package temporalclient dials Temporal from the shared configuration, so
// the worker and the CLI connect the same way (address, namespace, mTLS or
// API key).
package temporalclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

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

// Dial connects, failing fast with a message naming the address. When
// the address's host name does not resolve the message says so: gRPC's
// own words for it are "no children to pick from".
func Dial(c config.Temporal, logger *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts, err := Options(c, logger, metrics)
	if err != nil {
		return nil, err
	}
	cl, err := client.Dial(opts)
	if err != nil {
		if host, lookupErr := unresolved(c.Address); lookupErr != nil {
			return nil, fmt.Errorf("temporalclient: connect to Temporal at %s (namespace %s): host name %q did not resolve: %w", c.Address, c.Namespace, host, lookupErr)
		}
		return nil, fmt.Errorf("temporalclient: connect to Temporal at %s (namespace %s): %w", c.Address, c.Namespace, err)
	}
	return cl, nil
}

// lookupTimeout bounds the lookup that explains a failed dial.
const lookupTimeout = 5 * time.Second

// unresolved looks up the host of address (host:port, a bare host, or a
// gRPC target such as dns:///host:port) after a failed dial, and returns
// it with the lookup's error when it does not resolve. An IP address, or
// a name that resolves, gives a nil error: the dial failed for another
// reason, which its own error says.
func unresolved(address string) (string, error) {
	target := address
	if i := strings.LastIndex(target, "/"); i >= 0 && strings.Contains(target, "://") {
		target = target[i+1:]
	}
	host := target
	if h, _, err := net.SplitHostPort(target); err == nil {
		host = h
	}
	if host == "" || net.ParseIP(host) != nil {
		return host, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		return host, err
	}
	return host, nil
}
