package temporalclient

import (
	"net"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/config"
)

// TestDialSaysWhy checks that a failed dial says why in words a user can
// act on: a name that does not resolve says so (gRPC's own words are "no
// children to pick from"), a closed port says the connection was refused.
// Neither needs a Temporal server: .invalid never resolves (RFC 2606), and
// the port is one this test just closed.
func TestDialSaysWhy(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		address   string
		want      []string
		wantNever string
	}{
		{"temporal.distroscope.invalid:7233", []string{"temporal.distroscope.invalid:7233", `host name "temporal.distroscope.invalid" did not resolve`}, "no children"},
		{"temporal.distroscope.invalid", []string{`host name "temporal.distroscope.invalid" did not resolve`}, "no children"},
		{closed, []string{closed, "connection refused"}, "did not resolve"},
	} {
		_, err := Dial(config.Temporal{Address: tc.address, Namespace: "default"}, nil, nil)
		if err == nil {
			t.Errorf("%s: Dial succeeded", tc.address)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v; want it to say %q", tc.address, err, want)
			}
		}
		if strings.Contains(err.Error(), tc.wantNever) {
			t.Errorf("%s: %v; want it not to say %q", tc.address, err, tc.wantNever)
		}
	}
}
