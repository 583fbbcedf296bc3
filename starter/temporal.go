package main

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/temporalclient"
	"github.com/distroscope/distroscope/workflows"
)

// dial connects to Temporal for any command, the same way: the shared
// configuration's address, namespace and credentials, with the SDK's own
// logging kept to warnings (its info lines would drown the progress lines).
func (c *cli) dial(cfg config.Config) (client.Client, error) {
	quiet := slog.New(slog.NewJSONHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return temporalclient.Dial(cfg.Temporal, quiet, nil)
}

// searchAttributesRegistered reports whether the namespace knows the
// Distroscope* search attributes; runs only set them when it does.
func searchAttributesRegistered(ctx context.Context, c client.Client, ns string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return false
	}
	_, a := resp.GetCustomAttributes()[workflows.SearchAttrDistro]
	_, b := resp.GetCustomAttributes()[workflows.SearchAttrRelease]
	return a && b
}
