package formats

import "testing"

func TestALPMLicenses(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"MIT"}, "MIT"},
		{[]string{"GPL-2.0-or-later", "MIT"}, "GPL-2.0-or-later AND MIT"},
		{[]string{"Apache-2.0 OR MIT", "GPL-2.0-only WITH Classpath-exception-2.0"}, "(Apache-2.0 OR MIT) AND (GPL-2.0-only WITH Classpath-exception-2.0)"},
	} {
		if got := alpmLicenses(tt.in); got != tt.want {
			t.Errorf("alpmLicenses(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
