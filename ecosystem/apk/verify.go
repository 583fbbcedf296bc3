package apk

import (
	"archive/tar"
	"bufio"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// ParsePublicKey parses an apk signing key as /etc/apk/keys holds it: a
// PEM "PUBLIC KEY" (PKIX) block of an RSA key.
func ParsePublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("apkindex: public key: no PEM PUBLIC KEY block")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("apkindex: public key: %w", err)
	}
	rk, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("apkindex: public key: %T is not an RSA key", key)
	}
	return rk, nil
}

// Verify checks the signature of an APKINDEX.tar.gz the way apk does: the
// first gzip stream must hold a .SIGN.RSA* member whose key name is in
// keys, and its RSA PKCS#1 v1.5 signature must match the digest (SHA-1 for
// RSA, SHA-256 for RSA256, SHA-512 for RSA512) of everything after that
// stream, which is the index as it was before abuild-sign signed it. One
// good signature is enough; it is returned. The whole file is read.
func Verify(r io.Reader, file string, keys map[string]*rsa.PublicKey) (Signature, error) {
	if file == "" {
		file = "APKINDEX.tar.gz"
	}
	br := bufio.NewReaderSize(r, 64<<10)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return Signature{}, &ParseError{File: file, Err: fmt.Errorf("%w: gzip stream 1: %w", ErrCorruptArchive, err)}
	}
	zr.Multistream(false)
	lr := &limitReader{r: zr, left: 1 << 20}
	tr := tar.NewReader(lr)
	var sigs []Signature
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Signature{}, &ParseError{File: file, Err: archiveError(err, 1<<20)}
		}
		if !strings.HasPrefix(hdr.Name, ".SIGN.") {
			return Signature{}, &ParseError{File: file, Member: hdr.Name, Err: ErrNoSignature}
		}
		sig, err := parseSignatureName(hdr.Name)
		if err == nil {
			sig.Bytes, err = readMember(tr, hdr, 1<<20)
		}
		if err != nil {
			return Signature{}, &ParseError{File: file, Member: hdr.Name, Err: err}
		}
		sigs = append(sigs, sig)
	}
	if len(sigs) == 0 {
		return Signature{}, &ParseError{File: file, Err: ErrNoSignature}
	}
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return Signature{}, &ParseError{File: file, Err: archiveError(err, 1<<20)}
	}
	// br now stands at the first byte of the signed stream.
	h1, h256, h512 := sha1.New(), sha256.New(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h1, h256, h512), br); err != nil {
		return Signature{}, &ParseError{File: file, Err: fmt.Errorf("%w: %w", ErrCorruptArchive, err)}
	}
	lastErr := error(ErrUnknownKey)
	for _, sig := range sigs {
		key, ok := keys[sig.KeyName]
		if !ok {
			continue
		}
		var hash crypto.Hash
		var sum []byte
		switch sig.Algorithm {
		case "RSA":
			hash, sum = crypto.SHA1, h1.Sum(nil)
		case "RSA256":
			hash, sum = crypto.SHA256, h256.Sum(nil)
		case "RSA512":
			hash, sum = crypto.SHA512, h512.Sum(nil)
		default:
			lastErr = fmt.Errorf("%w: %s", ErrUnknownAlgorithm, sig.Algorithm)
			continue
		}
		if err := rsa.VerifyPKCS1v15(key, hash, sum, sig.Bytes); err != nil {
			lastErr = fmt.Errorf("%w: %s: %w", ErrBadSignature, sig.KeyName, err)
			continue
		}
		return sig, nil
	}
	return Signature{}, &ParseError{File: file, Err: lastErr}
}
