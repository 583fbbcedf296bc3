package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/internal/imageref"
)

// TestOpenError: what cannot open again fails the run at once; a
// registry's trouble and the network are retried.
func TestOpenError(t *testing.T) {
	local, _ := imageref.Parse("dir:/nonexistent")
	reg, _ := imageref.Parse("registry:127.0.0.1:5000/lib/debian:12")
	for _, tc := range []struct {
		name  string
		ref   imageref.Ref
		err   error
		final bool
	}{
		{"local missing", local, errors.New("imageref: dir:/nonexistent: no such file or directory"), true},
		{"registry 404", reg, fmt.Errorf("imageref: %w", &transport.Error{StatusCode: 404}), true},
		{"registry 401", reg, fmt.Errorf("imageref: %w", &transport.Error{StatusCode: 401}), true},
		{"platform missing", reg, errors.New("imageref: the index has no manifest for linux/s390x"), true},
		{"registry 503", reg, fmt.Errorf("imageref: %w", &transport.Error{StatusCode: 503}), false},
		{"registry 429", reg, fmt.Errorf("imageref: %w", &transport.Error{StatusCode: 429}), false},
		{"connection refused", reg, fmt.Errorf("imageref: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := openError(context.Background(), tc.ref, tc.err)
			var ae *temporal.ApplicationError
			final := errors.As(err, &ae) && ae.NonRetryable()
			if final != tc.final {
				t.Errorf("openError(%v) = %v, final %v; want final %v", tc.err, err, final, tc.final)
			}
		})
	}
}
