package storeurl

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/store/s3store"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s3 := Options{S3: s3store.Options{Endpoint: "127.0.0.1:1", AccessKey: "AKEY", SecretKey: "SKEY"}}
	for _, tc := range []struct {
		url        string
		wantString string // "" when Open must fail
	}{
		{"file://" + dir + "/a", "file://" + dir + "/a"},
		{"file://localhost" + dir + "/b", "file://" + dir + "/b"},
		{"file://" + dir + "/with%20space", "file://" + dir + "/with space"},
		{dir + "/c", "file://" + dir + "/c"},
		{"relative/d", "file://" + dir + "/relative/d"},
		{"s3://bucket", "s3://bucket/ (http://127.0.0.1:1)"},
		{"s3://bucket/", "s3://bucket/ (http://127.0.0.1:1)"},
		{"s3://bucket/pre/fix", "s3://bucket/pre/fix/ (http://127.0.0.1:1)"},
		{"s3://bucket/pre/fix/", "s3://bucket/pre/fix/ (http://127.0.0.1:1)"},
		{"", ""},
		{"s3://", ""},
		{"s3:///prefix", ""},
		{"s3://Bad_Bucket/x", ""},
		{"s3://bucket/a/../b", ""},
		{"s3://bucket/x?region=y", ""},
		{"s3://AKEY:SKEY@bucket/x", ""},
		{"gs://bucket/x", ""},
		{"file://otherhost/x", ""},
		{"file://", ""},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url, s3)
			if tc.wantString == "" {
				if err == nil {
					t.Fatalf("Open(%q) = %s, want an error", tc.url, s)
				}
				if strings.Contains(err.Error(), "SKEY") {
					t.Errorf("Open(%q) error %q shows the secret", tc.url, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tc.url, err)
			}
			if c, ok := s.(io.Closer); ok {
				t.Cleanup(func() { c.Close() })
			}
			if got := s.String(); got != tc.wantString {
				t.Errorf("Open(%q).String() = %q, want %q", tc.url, got, tc.wantString)
			}
			if strings.HasPrefix(tc.wantString, "file://") {
				if fi, err := os.Stat(filepath.FromSlash(strings.TrimPrefix(tc.wantString, "file://"))); err != nil || !fi.IsDir() {
					t.Errorf("Open(%q) did not create the folder: %v", tc.url, err)
				}
			}
		})
	}
}
