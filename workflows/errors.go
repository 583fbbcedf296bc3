package workflows

import (
	"errors"
	"fmt"
	"strings"

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
		return temporal.NewApplicationErrorWithOptions(named(step, ae.Message()), ae.Type(),
			temporal.ApplicationErrorOptions{NonRetryable: ae.NonRetryable(), Cause: err})
	}
	return temporal.NewApplicationErrorWithCause(named(step, innermost(err).Error()), "StepFailed", err)
}

// named prefixes msg with the step, unless the package that failed already
// did under the same name ("compare: compare: …" said nothing twice).
func named(step, msg string) string {
	if strings.HasPrefix(msg, step+": ") {
		return msg
	}
	return step + ": " + msg
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
