package workflows

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

func TestStepError(t *testing.T) {
	corrupt := temporal.NewNonRetryableApplicationError("apt: bad hash", "CorruptMetadata", nil)
	tests := []struct {
		name, msg, typ string
		in             error
		nonRetryable   bool
	}{
		{"application error keeps its type", "ingest main/amd64: apt: bad hash", "CorruptMetadata", corrupt, true},
		{"wrapped application error", "ingest main/amd64: apt: bad hash", "CorruptMetadata", errors.Join(errors.New("layer"), corrupt), true},
		{"timeout says which", "ingest main/amd64: timed out (Heartbeat timeout)", "Timeout",
			temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, nil), false},
		{"other errors: the innermost message", "ingest main/amd64: connection refused", "StepFailed",
			fmt.Errorf("activity error (type: IngestIndex, scheduledEventID: 9, retryable: true): %w", errors.New("connection refused")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ae *temporal.ApplicationError
			if !errors.As(stepError("ingest main/amd64", tt.in), &ae) {
				t.Fatal("not an application error")
			}
			if ae.Message() != tt.msg || ae.Type() != tt.typ || ae.NonRetryable() != tt.nonRetryable {
				t.Errorf("got %q %q nonretryable=%v, want %q %q %v", ae.Message(), ae.Type(), ae.NonRetryable(), tt.msg, tt.typ, tt.nonRetryable)
			}
			if strings.Contains(ae.Message(), "type:") {
				t.Errorf("message carries Temporal's framing: %q", ae.Message())
			}
		})
	}
}

// A failure its package already named after the step is not named twice.
func TestStepErrorNamesOnce(t *testing.T) {
	for _, in := range []error{
		temporal.NewNonRetryableApplicationError("compare: datasets: x: corrupt object", "CorruptMetadata", nil),
		errors.New("compare: datasets: x: corrupt object"),
	} {
		var ae *temporal.ApplicationError
		if !errors.As(stepError("compare", in), &ae) || ae.Message() != "compare: datasets: x: corrupt object" {
			t.Errorf("stepError(compare, %v) = %v", in, ae)
		}
	}
}
