package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// serveShutdownTimeout bounds how long Serve waits for scrapes in flight
// once its context is done.
const serveShutdownTimeout = 5 * time.Second

// Serve serves m on http://addr/metrics until ctx is done, then returns nil.
// An empty addr disables the listener: Serve returns nil at once. It returns
// an error when it cannot listen on addr or the server fails.
func Serve(ctx context.Context, addr string, m *Metrics) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("telemetry: metrics listener %s: %w", addr, err)
	}
	return serve(ctx, ln, m)
}

func serve(ctx context.Context, ln net.Listener, m *Metrics) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("telemetry: metrics listener %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("telemetry: metrics listener %s shutdown: %w", ln.Addr(), err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("telemetry: metrics listener %s: %w", ln.Addr(), err)
	}
	return nil
}
