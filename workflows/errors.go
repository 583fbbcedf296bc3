package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// stepError names the step that failed while keeping the activity's error
// type: wrapping with fmt.Errorf would turn a CorruptMetadata failure into a
// generic one in the workflow's result, hiding what went wrong from the CLI.
func stepError(step string, err error) error {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return temporal.NewApplicationErrorWithOptions(step+": "+ae.Message(), ae.Type(),
			temporal.ApplicationErrorOptions{NonRetryable: ae.NonRetryable(), Cause: err})
	}
	return temporal.NewApplicationErrorWithCause(step+": "+err.Error(), "StepFailed", err)
}
