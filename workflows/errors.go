package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// stepError names the step that failed while keeping the activity's error
// type: wrapping with fmt.Errorf would turn a CorruptMetadata failure into a
// generic one in the workflow's result, hiding what went wrong from the CLI.
// Its message is the step and the failure's own message, without the
// Temporal framing (event ids, "(type: …, retryable: …)") that err.Error()
// adds, so the run's failure reads the same in the UI and in the CLI.
func stepError(step string, err error) error {
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return temporal.NewApplicationErrorWithCause(fmt.Sprintf("%s: timed out (%v timeout)", step, te.TimeoutType()), "Timeout", err)
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return temporal.NewApplicationErrorWithOptions(step+": "+ae.Message(), ae.Type(),
			temporal.ApplicationErrorOptions{NonRetryable: ae.NonRetryable(), Cause: err})
	}
	return temporal.NewApplicationErrorWithCause(step+": "+innermost(err).Error(), "StepFailed", err)
}

// innermost is the last error of err's chain: the failure itself, not the
// layers that carried it.
func innermost(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
