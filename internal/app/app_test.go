package app

import (
	"testing"
	"time"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/store/s3store"
)

// TestDefaultLimits: the configuration's default limits are the fetcher's
// and the S3 store's own, so the README's one table of defaults holds
// whichever way a binary is set up.
func TestDefaultLimits(t *testing.T) {
	c := config.Default()
	got, want := Fetcher(c), repo.DefaultFetcher()
	if got.IdleTimeout != want.IdleTimeout || got.MinRate != want.MinRate || got.RateWindow != want.RateWindow || got.RequestTimeout != want.RequestTimeout {
		t.Errorf("configured fetcher %+v, repo.DefaultFetcher %+v", got, want)
	}
	if got := c.Fetch.MaxUncompressedMiB << 20; got != repo.DefaultMaxUncompressed {
		t.Errorf("decompression cap %d, repo's default %d", got, repo.DefaultMaxUncompressed)
	}
	s := c.Store
	for _, tc := range []struct {
		name      string
		got, want time.Duration
	}{
		{"connect", s.S3ConnectTimeout, s3store.DefaultConnectTimeout},
		{"response", s.S3ResponseTimeout, s3store.DefaultResponseTimeout},
		{"operation", s.S3OpTimeout, s3store.DefaultOpTimeout},
	} {
		if tc.got != tc.want {
			t.Errorf("S3 %s timeout %v, s3store's default %v", tc.name, tc.got, tc.want)
		}
	}
	if s.S3MinRate != s3store.DefaultMinRate {
		t.Errorf("S3 minimum rate %d, s3store's default %d", s.S3MinRate, s3store.DefaultMinRate)
	}
}
