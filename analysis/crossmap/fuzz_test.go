package crossmap

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParseRules checks that no rules file makes the parser panic, and that
// every rule it accepts maps names without panicking either.
func FuzzParseRules(f *testing.F) {
	for _, path := range []string{"default-rules.yaml", "testdata/user-rules.yaml"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("rules:\n  - regexp: '^(a)(b)?$'\n    set: ${2}x$1\n    continue: true\n  - suffix: x\n"))
	f.Add([]byte("rules:\n  - prefix: a\n    suffix: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRules(bytes.NewReader(data), "fuzz.yaml")
		if err != nil {
			return
		}
		for _, name := range []string{"", "python3-foo", "libfoo1-dev", "ab", "a"} {
			for _, format := range []string{"deb", "apk", ""} {
				c := r.Map(format, name, false)
				if c.Name == "" && name != "" {
					t.Errorf("Map(%s, %q) gave an empty name", format, name)
				}
			}
		}
	})
}
