package s3store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/storetest"
)

const testPartSize = 16 << 20

func options(env testenv.S3) Options {
	return Options{
		Endpoint:  env.Endpoint,
		Region:    env.Region,
		AccessKey: env.AccessKey,
		SecretKey: env.SecretKey,
		PartSize:  testPartSize,
	}
}

// randomBucket returns a bucket name no other test run uses.
func randomBucket() string {
	return "distroscope-test-" + strings.ToLower(rand.Text())[:16]
}

// newBucketStore creates a fresh bucket on env and registers its removal,
// with everything in it, when t ends. It also fails t if a multipart upload
// was left incomplete: a failed Put must abort its upload.
func newBucketStore(t testing.TB, env testenv.S3, prefix string) *Store {
	t.Helper()
	opts := options(env)
	opts.CreateBucket = true
	s, err := New(t.Context(), randomBucket(), prefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeBucket(t, s) })
	return s
}

func removeBucket(t testing.TB, s *Store) {
	ctx := context.Background()
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, "", true) {
		if up.Err != nil {
			t.Errorf("list incomplete uploads in %s: %v", s.bucket, up.Err)
			break
		}
		t.Errorf("incomplete multipart upload left behind: %s", up.Key)
		s.client.RemoveIncompleteUpload(ctx, s.bucket, up.Key)
	}
	objects := s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Recursive: true})
	for res := range s.client.RemoveObjects(ctx, s.bucket, objects, minio.RemoveObjectsOptions{}) {
		t.Errorf("remove %s from test bucket: %v", res.ObjectName, res.Err)
	}
	if err := s.client.RemoveBucket(ctx, s.bucket); err != nil {
		t.Errorf("remove test bucket %s: %v", s.bucket, err)
	}
}

func runConformance(t *testing.T, env testenv.S3) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return newBucketStore(t, env, "pre/fix")
	})
	t.Run("NoPrefix", func(t *testing.T) {
		s := newBucketStore(t, env, "")
		data := []byte("at the bucket root")
		if err := s.Put(t.Context(), "k", bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.client.StatObject(t.Context(), s.bucket, "k", minio.StatObjectOptions{}); err != nil {
			t.Errorf("object k is not at the bucket root: %v", err)
		}
	})
	t.Run("PrefixIsolation", func(t *testing.T) { testPrefixIsolation(t, env) })
	t.Run("MultipartCopy", func(t *testing.T) { testMultipartCopy(t, env) })
	t.Run("WrongSecret", func(t *testing.T) { testWrongSecret(t, env) })
}

func TestMinIO(t *testing.T) { runConformance(t, testenv.MinIO(t)) }

func TestRGW(t *testing.T) { runConformance(t, testenv.RGW(t)) }

func BenchmarkPutMinIO(b *testing.B) {
	env := testenv.MinIO(b)
	storetest.BenchPut(b, func(b *testing.B) store.Store { return newBucketStore(b, env, "bench") })
}

func BenchmarkPutRGW(b *testing.B) {
	env := testenv.RGW(b)
	storetest.BenchPut(b, func(b *testing.B) store.Store { return newBucketStore(b, env, "bench") })
}

// testPrefixIsolation puts two stores with overlapping prefixes on one
// bucket: neither may see the other's objects, even though "p" is a string
// prefix of "p-other".
func testPrefixIsolation(t *testing.T, env testenv.S3) {
	root := newBucketStore(t, env, "")
	p, err := New(t.Context(), root.bucket, "p", options(env))
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(t.Context(), root.bucket, "p-other/", options(env))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, s := range []*Store{p, other} {
		if err := s.Put(ctx, "x", strings.NewReader(s.prefix), int64(len(s.prefix))); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*Store{p, other} {
		infos, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 1 || infos[0].Key != "x" {
			t.Errorf("%s lists %+v, want only its own x", s, infos)
		}
	}
	all, err := root.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, info := range all {
		keys = append(keys, info.Key)
	}
	if strings.Join(keys, " ") != "p-other/x p/x" {
		t.Errorf("bucket holds %q, want [p-other/x p/x]", keys)
	}
	if err := p.Delete(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Stat(ctx, "x"); err != nil {
		t.Errorf("deleting p's x touched p-other's: %v", err)
	}
}

// testMultipartCopy lowers the single-CopyObject limit so Copy takes the
// UploadPartCopy path it uses for objects over 5 GiB.
func testMultipartCopy(t *testing.T, env testenv.S3) {
	oldMax, oldPart := maxCopySize, copyPartSize
	maxCopySize, copyPartSize = 6<<20, 8<<20
	t.Cleanup(func() { maxCopySize, copyPartSize = oldMax, oldPart })

	s := newBucketStore(t, env, "mpc")
	data := make([]byte, 17<<20+3) // 3 parts of ~5.7 MiB
	rand.Read(data)
	if err := s.Put(t.Context(), "src", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := s.Copy(t.Context(), "src", "dst"); err != nil {
		t.Fatalf("multipart Copy: %v", err)
	}
	rc, err := s.Get(t.Context(), "dst")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("multipart copy holds %d bytes, not the %d of the source", len(got), len(data))
	}
	if err := s.Copy(t.Context(), "missing", "dst2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Copy of a missing source = %v, want store.ErrNotFound", err)
	}
}

func testWrongSecret(t *testing.T, env testenv.S3) {
	good := newBucketStore(t, env, "")
	opts := options(env)
	opts.SecretKey = "wrong-" + rand.Text()
	s, err := New(t.Context(), good.bucket, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Put(t.Context(), "x", strings.NewReader("x"), 1)
	if err == nil {
		t.Fatal("Put with a wrong secret key succeeded")
	}
	if errors.Is(err, store.ErrNotFound) {
		t.Errorf("Put with a wrong secret key = %v, must not look like not-found", err)
	}
	for _, secret := range []string{opts.SecretKey, env.SecretKey} {
		if strings.Contains(err.Error(), secret) || strings.Contains(s.String(), secret) {
			t.Errorf("a secret key appears in %q or %q", err, s)
		}
	}
	if _, err := s.Stat(t.Context(), "x"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Stat with a wrong secret key = %v, want an access error", err)
	}
}

// clearCredentialEnv isolates a credentials test from the machine's own
// variables and ~/.aws files.
func clearCredentialEnv(t *testing.T) {
	for _, v := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
		"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
	} {
		t.Setenv(v, "")
	}
	t.Setenv("HOME", t.TempDir())
}

func TestCredentials(t *testing.T) {
	credFile := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(credFile, []byte("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n\n[other]\naws_access_key_id = OTHERKEY\naws_secret_access_key = OTHERSECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		opts    Options
		wantKey string // "" for an error
	}{
		{name: "none"},
		{name: "static", opts: Options{AccessKey: "STATICKEY", SecretKey: "S"}, wantKey: "STATICKEY"},
		{name: "static wins over env", env: map[string]string{"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "S"},
			opts: Options{AccessKey: "STATICKEY", SecretKey: "S"}, wantKey: "STATICKEY"},
		{name: "half static", opts: Options{AccessKey: "STATICKEY"}},
		{name: "aws env", env: map[string]string{"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "S"}, wantKey: "ENVKEY"},
		{name: "minio env", env: map[string]string{"MINIO_ROOT_USER": "MINIOKEY", "MINIO_ROOT_PASSWORD": "S"}, wantKey: "MINIOKEY"},
		{name: "aws env wins over minio env", env: map[string]string{
			"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "S", "MINIO_ROOT_USER": "MINIOKEY", "MINIO_ROOT_PASSWORD": "S",
		}, wantKey: "ENVKEY"},
		{name: "file", opts: Options{CredentialsFile: credFile}, wantKey: "FILEKEY"},
		{name: "file profile", opts: Options{CredentialsFile: credFile, Profile: "other"}, wantKey: "OTHERKEY"},
		{name: "file wins over env", env: map[string]string{"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "S"},
			opts: Options{CredentialsFile: credFile}, wantKey: "FILEKEY"},
		{name: "missing file", opts: Options{CredentialsFile: credFile + ".missing"}},
		{name: "shared file from env", env: map[string]string{"AWS_SHARED_CREDENTIALS_FILE": credFile}, wantKey: "FILEKEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearCredentialEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			tc.opts.Endpoint = "127.0.0.1:1" // never contacted
			s, err := New(t.Context(), "bucket", "", tc.opts)
			if tc.wantKey == "" {
				if err == nil {
					t.Fatalf("New accepted missing or partial credentials")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.client.GetCreds()
			if err != nil {
				t.Fatal(err)
			}
			if v.AccessKeyID != tc.wantKey {
				t.Errorf("access key = %q, want %q", v.AccessKeyID, tc.wantKey)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	ok := Options{Endpoint: "127.0.0.1:1", AccessKey: "k", SecretKey: "s"}
	for _, tc := range []struct {
		name, bucket, prefix string
		mutate               func(*Options)
	}{
		{name: "no endpoint", bucket: "bkt", mutate: func(o *Options) { o.Endpoint = "" }},
		{name: "bad bucket", bucket: "Bad_Bucket"},
		{name: "empty bucket", bucket: ""},
		{name: "bad prefix", bucket: "bkt", prefix: "a/../b"},
		{name: "absolute prefix", bucket: "bkt", prefix: "/a"},
		{name: "small part size", bucket: "bkt", mutate: func(o *Options) { o.PartSize = MinPartSize - 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := ok
			if tc.mutate != nil {
				tc.mutate(&opts)
			}
			if _, err := New(t.Context(), tc.bucket, tc.prefix, opts); err == nil {
				t.Error("New succeeded")
			}
		})
	}
	s, err := New(t.Context(), "bkt", "pre/", ok)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "s3://bkt/pre/ (http://127.0.0.1:1)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if s.partSize != DefaultPartSize {
		t.Errorf("default part size = %d, want %d", s.partSize, DefaultPartSize)
	}
}

// TestSilentServerFailsEveryOperation: against an endpoint that accepts
// connections and never answers, every operation — creating the bucket at
// start-up included — fails within its deadline (plus a margin for a
// loaded machine), naming the operation, the store and what it was
// waiting for, instead of hanging: minio-go alone waits a minute per
// request and retries ten times.
func TestSilentServerFailsEveryOperation(t *testing.T) {
	addr := storetest.SilentEndpoint(t)
	opts := Options{Endpoint: addr, AccessKey: "k", SecretKey: "s", OpTimeout: 500 * time.Millisecond,
		ResponseTimeout: 200 * time.Millisecond, CreateBucket: true}
	const margin = 2 * time.Second
	start := time.Now()
	_, err := New(t.Context(), "bkt", "", opts)
	if took := time.Since(start); err == nil || took > opts.OpTimeout+margin {
		t.Fatalf("New with CreateBucket: %v after %v", err, took)
	}
	t.Logf("New failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), `create bucket "bkt" on `+addr) || !strings.Contains(err.Error(), "waiting for the response to PUT") {
		t.Errorf("New: %v; want a TimeoutError naming the bucket, the endpoint and the request", err)
	}
	opts.CreateBucket = false
	s, err := New(t.Context(), "bkt", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3<<20) // 3 s at a MinRate of 1 MB/s: the deadline grows with the size
	for _, tc := range []struct {
		op    string
		limit time.Duration
		do    func(ctx context.Context) error
	}{
		{"stat", opts.OpTimeout, func(ctx context.Context) error { _, err := s.Stat(ctx, "k"); return err }},
		{"list", opts.OpTimeout, func(ctx context.Context) error { _, err := s.List(ctx, "a/"); return err }},
		{"get", opts.OpTimeout, func(ctx context.Context) error { _, err := s.Get(ctx, "k"); return err }},
		{"delete", opts.OpTimeout, func(ctx context.Context) error { return s.Delete(ctx, "k") }},
		{"copy", opts.OpTimeout, func(ctx context.Context) error { return s.Copy(ctx, "k", "k2") }},
		{"put", opts.OpTimeout + 3*time.Second, func(ctx context.Context) error {
			return s.Put(ctx, "k", bytes.NewReader(data), int64(len(data)))
		}},
		{"put", opts.OpTimeout, func(ctx context.Context) error {
			return s.Put(ctx, "k", plainReader{bytes.NewReader(data[:1000])}, -1)
		}},
	} {
		start := time.Now()
		err := tc.do(t.Context())
		took := time.Since(start)
		t.Logf("%s failed after %v: %v", tc.op, took.Round(time.Millisecond), err)
		if err == nil || took < tc.limit || took > tc.limit+margin {
			t.Errorf("%s: %v after %v, want a failure after %v", tc.op, err, took, tc.limit)
			continue
		}
		if !errors.As(err, &te) || !strings.HasPrefix(err.Error(), "s3store: "+tc.op+" ") || !strings.Contains(err.Error(), s.String()) ||
			!strings.Contains(err.Error(), "waiting for the response to") || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v; want a TimeoutError naming the operation, the store and the request", tc.op, err)
		}
	}
}

type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

// slowReader yields its data in chunks, sleeping before each: a producer
// slower than the store.
type slowReader struct {
	data  []byte
	chunk int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p[:min(len(p), s.chunk)], s.data)
	s.data = s.data[n:]
	return n, nil
}

// TestDeadlinesCountTheServersTime: the deadlines bound the server, not
// the caller — a Put whose stream comes slowly and a Get read slowly both
// outlast OpTimeout and still succeed.
func TestDeadlinesCountTheServersTime(t *testing.T) {
	env := testenv.MinIO(t)
	s := newBucketStore(t, env, "slow")
	s.opTimeout = 300 * time.Millisecond
	data := make([]byte, 6<<20)
	rand.Read(data)
	// Ten pauses of 100 ms: a second of producer time, three times OpTimeout.
	for _, size := range []int64{int64(len(data)), -1} {
		if err := s.Put(t.Context(), "k", &slowReader{data: data, chunk: len(data)/10 + 1, pause: 100 * time.Millisecond}, size); err != nil {
			t.Fatalf("Put of a slow stream (size %d): %v", size, err)
		}
	}
	rc, err := s.Get(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got []byte
	buf := make([]byte, len(data)/10+1)
	for {
		time.Sleep(100 * time.Millisecond)
		n, err := rc.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("slow read: %v", err)
		}
	}
	if !bytes.Equal(got, data) {
		t.Errorf("read %d bytes back, want %d", len(got), len(data))
	}
}
