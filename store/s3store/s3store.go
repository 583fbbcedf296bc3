// Package s3store keeps objects in a bucket of an S3-compatible server
// (MinIO, Ceph RADOS Gateway, AWS S3), optionally under a key prefix, through
// minio-go.
//
// The client is set up for self-hosted servers: path-style addressing (no
// bucket DNS names needed), an explicit region (no GetBucketLocation round
// trip, which RGW answers differently), Content-MD5 on every upload, and a
// fixed, configurable part size for multipart uploads. Nothing here depends on
// the ETag a server returns: Ceph RGW 16.2 sends an empty one when it
// completes a multipart upload.
//
// Every operation has a deadline and says what it was waiting for when it
// runs out (TimeoutError): a server that accepts connections and never
// answers must fail a worker's start-up or `datasets ls` within a minute,
// not hang them. The deadline counts the time spent waiting for the server
// — OpTimeout, plus an object's size at MinRate for a transfer — and each
// response's headers must come within ResponseTimeout of its request, each
// connection within ConnectTimeout (deadline.go).
//
// Atomic visibility comes from S3 itself: a single PUT, a completed multipart
// upload and a CopyObject each appear whole or not at all. A multipart upload
// that fails half-way is aborted; one whose abort also fails (the server went
// away) leaves invisible parts behind, which a bucket lifecycle rule
// (AbortIncompleteMultipartUpload) should clean up.
//
// API reference: https://docs.aws.amazon.com/AmazonS3/latest/API/
package s3store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/distroscope/distroscope/store"
)

const (
	// DefaultPartSize is the multipart part size when Options.PartSize is 0:
	// large enough that a 100 GiB object fits in S3's 10,000 parts, small
	// enough that the few parts minio-go buffers stay cheap.
	DefaultPartSize = 16 << 20
	// MinPartSize is the S3 minimum for every part but the last.
	MinPartSize = 5 << 20
	// DefaultRegion is used when Options.Region is empty. MinIO accepts it
	// out of the box; RGW's default zonegroup is usually "default".
	DefaultRegion = "us-east-1"
)

// Variables, not constants, so the tests can take the multipart-copy path
// without uploading 5 GiB.
var (
	// maxCopySize is the largest object a single CopyObject may copy;
	// larger ones are copied part by part (UploadPartCopy).
	maxCopySize int64 = 5 << 30
	// copyPartSize is the part size of those copies: 1 GiB parts keep the
	// request count low and fit S3's 5 TiB objects in its 10,000 parts.
	copyPartSize uint64 = 1 << 30
)

// Options configures the connection to the server. Credentials are taken, in
// order, from AccessKey/SecretKey, from CredentialsFile, from the
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) variables,
// from MINIO_ROOT_USER/MINIO_ROOT_PASSWORD or MINIO_ACCESS_KEY/MINIO_SECRET_KEY,
// and finally from the default AWS shared credentials files; fill them from
// the environment or a file, never from code. They are never logged nor
// shown by String.
type Options struct {
	// Endpoint is the server's host[:port], without scheme.
	Endpoint string
	// Secure selects HTTPS.
	Secure bool
	// Region is the region requests are signed for (DefaultRegion if empty).
	Region string
	// AccessKey, SecretKey and the optional SessionToken are static
	// credentials; both keys or neither must be set.
	AccessKey    string
	SecretKey    string
	SessionToken string
	// CredentialsFile is an AWS shared-credentials (INI) file to read the
	// keys from, in Profile (default AWS_PROFILE, else "default").
	CredentialsFile string
	Profile         string
	// PartSize is the multipart upload part size in bytes (DefaultPartSize
	// if 0, at least MinPartSize). Objects up to PartSize go in one PUT.
	PartSize int64
	// CreateBucket makes New create the bucket when it does not exist.
	CreateBucket bool
	// Transport replaces the HTTP transport (custom CA, tracing); nil uses
	// minio-go's default with ConnectTimeout. Either way each response's
	// headers must come within ResponseTimeout.
	Transport http.RoundTripper
	// ConnectTimeout bounds connecting to the server, TLS included
	// (DefaultConnectTimeout if 0).
	ConnectTimeout time.Duration
	// ResponseTimeout bounds the wait for a response's headers once its
	// request is sent (DefaultResponseTimeout if 0; negative: none). It does
	// not apply to server-side copies, which their deadline bounds.
	ResponseTimeout time.Duration
	// OpTimeout is each operation's deadline — for Put, Get and Copy, plus
	// the object's size at MinRate — counting only the time spent waiting
	// for the server (DefaultOpTimeout if 0).
	OpTimeout time.Duration
	// MinRate, in bytes a second, sizes the deadlines of transfers
	// (DefaultMinRate if 0).
	MinRate int64
}

// Store keeps objects in one bucket under a key prefix. It is safe for
// concurrent use.
type Store struct {
	client    *minio.Client
	endpoint  string
	secure    bool
	region    string
	bucket    string
	prefix    string // "" or ending in "/"
	partSize  uint64
	opTimeout time.Duration
	minRate   int64
}

var _ store.Store = (*Store)(nil)

// New connects to the bucket on opts.Endpoint; object keys are stored as
// prefix + "/" + key (prefix may be empty). New checks the credentials are
// present but does not contact the server unless opts.CreateBucket is set.
func New(ctx context.Context, bucket, prefix string, opts Options) (*Store, error) {
	if opts.Endpoint == "" {
		return nil, errors.New("s3store: no endpoint")
	}
	if err := s3utils.CheckValidBucketNameStrict(bucket); err != nil {
		return nil, fmt.Errorf("s3store: bucket %q: %w", bucket, err)
	}
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" {
		if err := store.ValidateKey(prefix); err != nil {
			return nil, fmt.Errorf("s3store: prefix: %w", err)
		}
		prefix += "/"
	}
	partSize := opts.PartSize
	switch {
	case partSize == 0:
		partSize = DefaultPartSize
	case partSize < MinPartSize:
		return nil, fmt.Errorf("s3store: part size %d is below the S3 minimum %d", partSize, MinPartSize)
	}
	region := opts.Region
	if region == "" {
		region = DefaultRegion
	}
	creds, err := resolveCredentials(opts)
	if err != nil {
		return nil, err
	}
	transport, err := newTransport(opts)
	if err != nil {
		return nil, err
	}
	client, err := minio.New(opts.Endpoint, &minio.Options{
		Creds:        creds,
		Secure:       opts.Secure,
		Region:       region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: client for %s: %w", opts.Endpoint, err)
	}
	s := &Store{
		client:    client,
		endpoint:  opts.Endpoint,
		secure:    opts.Secure,
		region:    region,
		bucket:    bucket,
		prefix:    prefix,
		partSize:  uint64(partSize),
		opTimeout: cmp.Or(opts.OpTimeout, DefaultOpTimeout),
		minRate:   cmp.Or(opts.MinRate, DefaultMinRate),
	}
	if opts.CreateBucket {
		if err := s.EnsureBucket(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// newTransport is opts.Transport, or minio-go's default transport with
// opts.ConnectTimeout, bounded by opts.ResponseTimeout.
func newTransport(opts Options) (http.RoundTripper, error) {
	base := opts.Transport
	if base == nil {
		tr, err := minio.DefaultTransport(opts.Secure)
		if err != nil {
			return nil, fmt.Errorf("s3store: transport for %s: %w", opts.Endpoint, err)
		}
		connect := cmp.Or(opts.ConnectTimeout, DefaultConnectTimeout)
		tr.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
		tr.TLSHandshakeTimeout = connect
		// timedTransport bounds the headers' wait instead, but not for
		// server-side copies.
		tr.ResponseHeaderTimeout = 0
		base = tr
	}
	response := cmp.Or(opts.ResponseTimeout, DefaultResponseTimeout)
	return &timedTransport{base: base, responseTimeout: max(response, 0)}, nil
}

// resolveCredentials picks the credential source as documented on Options
// and fails early when there is none, rather than signing nothing and
// getting AccessDenied on the first request.
func resolveCredentials(opts Options) (*credentials.Credentials, error) {
	if opts.AccessKey != "" || opts.SecretKey != "" {
		if opts.AccessKey == "" || opts.SecretKey == "" {
			return nil, errors.New("s3store: static credentials need both the access key and the secret key")
		}
		return credentials.NewStaticV4(opts.AccessKey, opts.SecretKey, opts.SessionToken), nil
	}
	var chain []credentials.Provider
	if opts.CredentialsFile != "" {
		chain = append(chain, &credentials.FileAWSCredentials{Filename: opts.CredentialsFile, Profile: opts.Profile})
	}
	chain = append(chain,
		&credentials.EnvAWS{},
		&credentials.EnvMinio{},
		&credentials.FileAWSCredentials{Profile: opts.Profile},
	)
	creds := credentials.NewChainCredentials(chain)
	v, err := creds.GetWithContext(nil)
	if err != nil {
		return nil, fmt.Errorf("s3store: credentials: %w", err)
	}
	if v.SignerType.IsAnonymous() || v.AccessKeyID == "" {
		where := "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, MINIO_ROOT_USER/MINIO_ROOT_PASSWORD or a credentials file"
		if opts.CredentialsFile != "" {
			where = fmt.Sprintf("credentials file %s (profile %q)", opts.CredentialsFile, opts.Profile)
		}
		return nil, fmt.Errorf("s3store: no credentials found: set %s", where)
	}
	return creds, nil
}

// EnsureBucket creates the bucket in the configured region unless it exists.
func (s *Store) EnsureBucket(ctx context.Context) error {
	opCtx, clock := startOp(ctx, fmt.Sprintf("create bucket %q", s.bucket), s.opTimeout)
	defer clock.end()
	err := s.client.MakeBucket(opCtx, s.bucket, minio.MakeBucketOptions{Region: s.region})
	if err == nil {
		return nil
	}
	if te := timedOut(opCtx); te != nil {
		return fmt.Errorf("s3store: create bucket %q on %s: %w", s.bucket, s.endpoint, te)
	}
	switch minio.ToErrorResponse(err).Code {
	case minio.BucketAlreadyOwnedByYou, minio.BucketAlreadyExists:
		// BucketAlreadyExists may mean another owner; the first request
		// that needs access will say so plainly.
		return nil
	}
	return fmt.Errorf("s3store: create bucket %q on %s: %w", s.bucket, s.endpoint, err)
}

// String names the bucket, prefix and server, never the credentials.
func (s *Store) String() string {
	scheme := "http"
	if s.secure {
		scheme = "https"
	}
	return fmt.Sprintf("s3://%s/%s (%s://%s)", s.bucket, s.prefix, scheme, s.endpoint)
}

func (s *Store) object(key string) string { return s.prefix + key }

// wrap names the operation and key, and turns "no such key" into
// store.ErrNotFound while keeping the server's error in the chain. An
// operation its deadline ended (opCtx's clock) says so, and what it was
// waiting for, instead of "context canceled".
func (s *Store) wrap(opCtx context.Context, op, key string, err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return fmt.Errorf("s3store: %s %q: %w (%w)", op, key, store.ErrNotFound, err)
	}
	if te := timedOut(opCtx); te != nil {
		return fmt.Errorf("s3store: %s %q in %s: %w", op, key, s, te)
	}
	return fmt.Errorf("s3store: %s %q in %s: %w", op, key, s, err)
}

// transferLimit is the deadline of an operation moving size bytes.
func (s *Store) transferLimit(size int64) time.Duration {
	return s.opTimeout + sizeTime(size, s.minRate)
}

// Put uploads r in one PUT when it fits in a part, else as a multipart
// upload that becomes visible only when completed.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := store.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3store: put %q: %w", key, err)
	}
	var err error
	if size >= 0 {
		r, err = exactSize(r, size)
	} else {
		r, size, err = detectEmpty(r)
	}
	if err != nil {
		return fmt.Errorf("s3store: put %q: %w", key, err)
	}
	opCtx, clock := startOp(ctx, fmt.Sprintf("put %q", key), s.transferLimit(size))
	defer clock.end()
	if _, local := r.(io.ReaderAt); !local {
		// A stream's producer has the time while minio-go waits for it;
		// one of unknown size earns its deadline as it goes.
		rate := int64(0)
		if size < 0 {
			rate = s.minRate
		}
		r = &pausingReader{r: r, clock: clock, rate: rate}
	}
	_, err = s.client.PutObject(opCtx, s.bucket, s.object(key), r, size, minio.PutObjectOptions{
		PartSize:       s.partSize,
		SendContentMd5: true,
		ContentType:    "application/octet-stream",
		// Ceph RGW 16.2 rejects an empty body sent with the streaming
		// (aws-chunked) payload signature minio-go uses over plain HTTP
		// ("x-amz-content-sha256 does not match"). An empty object goes
		// as UNSIGNED-PAYLOAD instead, still checked by its Content-MD5.
		DisableContentSha256: size == 0,
	})
	if err != nil {
		return s.wrap(opCtx, "put", key, ctxErr(ctx, err))
	}
	return nil
}

// exactSize makes a reader whose length differs from the announced size fail
// the Put, as it does on the other stores. Left alone, minio-go would send a
// short body (and retry that for seconds) or silently drop the excess.
// A seekable io.ReaderAt, which minio-go reads in parallel sections, is
// measured up front instead of wrapped, to keep that fast path.
func exactSize(r io.Reader, size int64) (io.Reader, error) {
	if _, ok := r.(io.ReaderAt); ok {
		if sk, ok := r.(io.Seeker); ok {
			cur, err := sk.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, err
			}
			end, err := sk.Seek(0, io.SeekEnd)
			if err != nil {
				return nil, err
			}
			if _, err := sk.Seek(cur, io.SeekStart); err != nil {
				return nil, err
			}
			if end-cur != size {
				return nil, fmt.Errorf("reader holds %d bytes, announced size %d", end-cur, size)
			}
			return r, nil
		}
	}
	e := &exactReader{r: r, left: size, size: size}
	if size == 0 {
		// minio-go never reads an empty object's body: look now.
		if err := e.checkEnd(); err != io.EOF {
			return nil, err
		}
	}
	return e, nil
}

// detectEmpty reads the first byte of a stream of unknown length, so that an
// empty one can be sent as a known-empty object (see DisableContentSha256 in
// Put). It returns a reader yielding the whole stream and size 0 or -1.
func detectEmpty(r io.Reader) (io.Reader, int64, error) {
	var b [1]byte
	for range 100 { // io.Reader allows (0, nil); do not spin forever on it
		n, err := r.Read(b[:])
		if n > 0 {
			return io.MultiReader(bytes.NewReader(b[:n]), r), -1, nil
		}
		if err == io.EOF {
			return bytes.NewReader(nil), 0, nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
	return nil, 0, io.ErrNoProgress
}

// exactReader passes through exactly size bytes, failing (with an error
// other than io.EOF, so minio-go does not take a short read for the end) if
// the stream ends sooner or has more. It looks for more as soon as size bytes
// are read, before handing over the last of them.
type exactReader struct {
	r          io.Reader
	left, size int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		return 0, e.checkEnd()
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err == io.EOF && e.left > 0:
		return n, fmt.Errorf("reader ended after %d bytes, announced size %d", e.size-e.left, e.size)
	case err == nil && e.left == 0:
		if err := e.checkEnd(); err != io.EOF {
			// Drop the last bytes read: minio-go ignores an error that
			// comes with the final bytes it asked for.
			return 0, err
		}
		return n, io.EOF
	}
	return n, err
}

// checkEnd returns io.EOF if the underlying reader is exhausted.
func (e *exactReader) checkEnd() error {
	var b [1]byte
	for range 100 { // io.Reader allows (0, nil); do not spin forever on it
		n, err := e.r.Read(b[:])
		if n > 0 {
			return fmt.Errorf("reader holds more than the announced size %d", e.size)
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// Get opens key. minio-go's GetObject sends nothing until the first read, so
// Get asks for the object's info at once: that issues the GET, reports a
// missing key here rather than on the caller's first Read, and leaves the
// body ready to stream. The reader also implements io.ReaderAt and io.Seeker
// (as *minio.Object), which a Parquet reader can use for ranged reads.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3store: get %q: %w", key, err)
	}
	opCtx, clock := startOp(ctx, fmt.Sprintf("get %q", key), s.opTimeout)
	obj, err := s.client.GetObject(opCtx, s.bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		clock.end()
		return nil, s.wrap(opCtx, "get", key, ctxErr(ctx, err))
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		err = s.wrap(opCtx, "get", key, ctxErr(ctx, err))
		clock.end()
		return nil, err
	}
	clock.grow(sizeTime(info.Size, s.minRate))
	clock.pause()
	return &object{Object: obj, ctx: opCtx, clock: clock, key: key, s: s}, nil
}

// object is an open Get: the clock of its deadline runs only while the
// caller waits in one of its methods, and its errors say when the
// deadline ended it. It is an io.ReaderAt and io.Seeker, as minio-go's
// object is.
type object struct {
	*minio.Object
	ctx   context.Context
	clock *opClock
	key   string
	s     *Store
}

func (o *object) err(err error) error {
	if err == nil || err == io.EOF || timedOut(o.ctx) == nil {
		return err
	}
	return o.s.wrap(o.ctx, "get", o.key, err)
}

func (o *object) Read(p []byte) (int, error) {
	o.clock.resume()
	defer o.clock.pause()
	n, err := o.Object.Read(p)
	return n, o.err(err)
}

func (o *object) ReadAt(p []byte, off int64) (int, error) {
	o.clock.resume()
	defer o.clock.pause()
	n, err := o.Object.ReadAt(p, off)
	return n, o.err(err)
}

func (o *object) Seek(off int64, whence int) (int64, error) {
	o.clock.resume()
	defer o.clock.pause()
	n, err := o.Object.Seek(off, whence)
	return n, o.err(err)
}

func (o *object) Close() error {
	err := o.Object.Close()
	o.clock.end()
	return err
}

// Stat issues a HEAD request.
func (s *Store) Stat(ctx context.Context, key string) (store.ObjectInfo, error) {
	if err := store.ValidateKey(key); err != nil {
		return store.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("s3store: stat %q: %w", key, err)
	}
	opCtx, clock := startOp(ctx, fmt.Sprintf("stat %q", key), s.opTimeout)
	defer clock.end()
	info, err := s.client.StatObject(opCtx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return store.ObjectInfo{}, s.wrap(opCtx, "stat", key, ctxErr(ctx, err))
	}
	return store.ObjectInfo{Key: key, Size: info.Size, Modified: info.LastModified}, nil
}

// List pages through ListObjectsV2 under the store's prefix. Objects whose
// names are not valid keys (folder markers ending in "/", names with "//",
// written by other tools) are not listed, since no other method could
// address them.
func (s *Store) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	if err := store.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3store: list %q: %w", prefix, err)
	}
	// Each page of a listing gets the deadline of an operation: the clock
	// runs while the next object is awaited, and every page adds to it.
	opCtx, clock := startOp(ctx, fmt.Sprintf("list %q", prefix), s.opTimeout)
	defer clock.end()
	const page = 1000 // ListObjectsV2's default and maximum
	var out []store.ObjectInfo
	for obj := range s.client.ListObjectsIter(opCtx, s.bucket, minio.ListObjectsOptions{
		Prefix:    s.object(prefix),
		Recursive: true,
	}) {
		if obj.Err != nil {
			return nil, s.wrap(opCtx, "list", prefix, ctxErr(ctx, obj.Err))
		}
		if len(out)%page == page-1 {
			clock.grow(s.opTimeout)
		}
		key, ok := strings.CutPrefix(obj.Key, s.prefix)
		if !ok || store.ValidateKey(key) != nil {
			continue
		}
		out = append(out, store.ObjectInfo{Key: key, Size: obj.Size, Modified: obj.LastModified})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3store: list %q: %w", prefix, err)
	}
	if te := timedOut(opCtx); te != nil {
		return nil, fmt.Errorf("s3store: list %q in %s: %w", prefix, s, te)
	}
	// S3 lists in UTF-8 byte order already; sorting guards against servers
	// that do not.
	slices.SortFunc(out, func(a, b store.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Copy copies server-side: one CopyObject up to 5 GiB, and above that a
// multipart copy (ComposeObject, UploadPartCopy per part), which S3 requires
// for large sources. Both make dst appear whole. The source is stat'ed first
// to choose and to report a missing source as store.ErrNotFound.
func (s *Store) Copy(ctx context.Context, src, dst string) error {
	if err := store.ValidateKey(src); err != nil {
		return err
	}
	if err := store.ValidateKey(dst); err != nil {
		return err
	}
	info, err := s.Stat(ctx, src)
	if err != nil {
		return fmt.Errorf("s3store: copy %q to %q: %w", src, dst, err)
	}
	if src == dst {
		return nil // S3 refuses a copy onto itself; the result is there already
	}
	srcOpts := minio.CopySrcOptions{Bucket: s.bucket, Object: s.object(src)}
	dstOpts := minio.CopyDestOptions{Bucket: s.bucket, Object: s.object(dst)}
	opCtx, clock := startOp(ctx, fmt.Sprintf("copy %q to %q", src, dst), s.transferLimit(info.Size))
	defer clock.end()
	if info.Size <= maxCopySize {
		_, err = s.client.CopyObject(opCtx, dstOpts, srcOpts)
	} else {
		dstOpts.PartSize = copyPartSize
		_, err = s.client.ComposeObject(opCtx, dstOpts, srcOpts)
	}
	if err != nil {
		return s.wrap(opCtx, "copy "+src+" to", dst, ctxErr(ctx, err))
	}
	return nil
}

// Delete removes key; S3 already treats a missing key as deleted.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := store.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3store: delete %q: %w", key, err)
	}
	opCtx, clock := startOp(ctx, fmt.Sprintf("delete %q", key), s.opTimeout)
	defer clock.end()
	err := s.client.RemoveObject(opCtx, s.bucket, s.object(key), minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return s.wrap(opCtx, "delete", key, ctxErr(ctx, err))
	}
	return nil
}

// ctxErr makes sure a failure caused by the caller's cancellation or
// deadline is recognisable with errors.Is, whatever minio-go wrapped it in.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}
