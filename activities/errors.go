package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/repo"
)

// Error types of the application errors activities return. The workflows'
// retry policies treat ErrTypeCorrupt and ErrTypeInvalid as final.
const (
	ErrTypeCorrupt = "CorruptMetadata" // the input is bad; fetching again won't help
	ErrTypeInvalid = "InvalidRequest"  // the request itself is wrong
	// ErrTypeInterrupted: the attempt was stopped before it finished — its
	// worker is shutting down — and the next attempt, on any worker, does
	// the work. It is retried.
	ErrTypeInterrupted = "Interrupted"
)

// corrupt and invalid are the final failures: retrying cannot help.
func corrupt(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeCorrupt, err)
}

func invalid(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
}

// classify turns the repository sources' errors into Temporal application
// errors so the retry policy can tell bad input from a flaky mirror.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, repo.ErrCorrupt):
		return corrupt(err)
	case errors.Is(err, repo.ErrInvalidSource):
		return invalid(err)
	}
	return err
}

// interrupted reports an attempt whose context ended before its work did
// as what it is, whatever the work made of it: a stream cut short can read
// as a truncated, "corrupt" file, and that must not end the run. It is a
// retryable failure, reported at once, so the next attempt starts without
// waiting for a timeout. Its cause is the context's: a cancellation the
// server asked for is still reported as a cancellation.
func interrupted(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	return temporal.NewApplicationErrorWithCause("interrupted ("+cause.Error()+"): "+err.Error(), ErrTypeInterrupted, cause)
}
