package openpgp

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Errors the caller can branch on with errors.Is. Returned errors wrap them
// with what was wrong and which keys were involved.
var (
	// ErrUnsigned: the file carries no signature at all.
	ErrUnsigned = errors.New("not signed")
	// ErrMalformed: the file looks signed but cannot be split or decoded.
	ErrMalformed = errors.New("malformed signed file")
	// ErrBadSignature: a signature by a key in the keyring does not match
	// the text. apt rejects the file whatever the other signatures say.
	ErrBadSignature = errors.New("bad signature")
	// ErrNoTrustedSignature: no signature counts as good (unknown, expired
	// or revoked keys, weak digests, keys outside Signed-By).
	ErrNoTrustedSignature = errors.New("no good signature by a trusted key")
	// ErrTooLarge: an input is over its size limit.
	ErrTooLarge = errors.New("too large")
)

// Status is what became of one signature.
type Status int

// The statuses. Only StatusGood counts for the file and only StatusBad counts
// against it; every other status leaves the signature ignored, as apt does.
const (
	StatusGood             Status = iota
	StatusBad                     // does not match the text, or cannot be a signature of it
	StatusUnknownKey              // no key in the keyring made it
	StatusExpiredKey              // the key had expired (or was not yet valid) at the time checked
	StatusRevokedKey              // the key was revoked
	StatusExpiredSignature        // the signature had expired, or was made after the time checked
	StatusWeakDigest              // made with MD5, SHA-1 or RIPEMD-160
	StatusNotAllowed              // the key is not among the Signed-By fingerprints
	StatusUnsupported             // cannot be checked: unknown algorithm, version or critical data
)

var statusNames = [...]string{"good", "bad", "unknown key", "expired key", "revoked key",
	"expired signature", "weak digest", "key not allowed by Signed-By", "unsupported"}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Signature describes one signature found in the file.
type Signature struct {
	// KeyID is the issuer key ID named by the signature, 16 uppercase hex
	// digits; empty when the signature names none or could not be parsed.
	KeyID string
	// Fingerprint is that of the key (primary key or subkey) that made the
	// signature and PrimaryFingerprint that of its primary key, uppercase
	// hex; both empty when the key is not in the keyring.
	Fingerprint        string
	PrimaryFingerprint string
	Hash               crypto.Hash
	Created            time.Time
	Status             Status
	// Reason says why a signature is not good, for messages.
	Reason string
}

// Result reports every signature checked.
type Result struct {
	// Good lists the primary-key fingerprints of the signatures that counted.
	Good []string
	// Signatures lists every signature in file order, good or not.
	Signatures []Signature
}

// VerifyInRelease checks a clearsigned InRelease file the way apt does and
// returns its signed text, with "\n" line endings, for the Release parser.
// The file is accepted only when at least one signature is good — made by a
// key in kr, not expired, revoked or weak at time now — and none is bad.
// On failure body is nil, res still describes the signatures found, and the
// error wraps ErrUnsigned, ErrMalformed, ErrTooLarge, ErrBadSignature or
// ErrNoTrustedSignature.
func VerifyInRelease(data []byte, kr *Keyring, now time.Time) (body []byte, res Result, err error) {
	cs, err := splitClearsigned(data)
	if err != nil {
		return nil, Result{}, err
	}
	res, err = verify(cs.signed, cs.sig, kr, now)
	if err != nil {
		return nil, res, fmt.Errorf("aptsig: InRelease: %w", err)
	}
	return cs.body, res, nil
}

// VerifyDetached checks a Release file against its detached signature file
// Release.gpg (armored or binary), under the same rules as VerifyInRelease.
// An empty sig wraps ErrUnsigned.
func VerifyDetached(release, sig []byte, kr *Keyring, now time.Time) (Result, error) {
	if len(release) > MaxInReleaseSize {
		return Result{}, fmt.Errorf("aptsig: Release: %w (%d bytes, limit %d)", ErrTooLarge, len(release), MaxInReleaseSize)
	}
	if len(sig) > MaxSignatureSize {
		return Result{}, fmt.Errorf("aptsig: Release.gpg: %w (%d bytes, limit %d)", ErrTooLarge, len(sig), MaxSignatureSize)
	}
	if len(bytes.TrimSpace(sig)) == 0 {
		return Result{}, fmt.Errorf("aptsig: Release.gpg: %w: empty", ErrUnsigned)
	}
	if bytes.HasPrefix(bytes.TrimLeft(sig, " \t\r\n"), []byte(beginSignature)) {
		var err error
		if sig, err = dearmorSignature(sig); err != nil {
			return Result{}, fmt.Errorf("aptsig: Release.gpg: %w", err)
		}
	}
	res, err := verify(release, sig, kr, now)
	if err != nil {
		return res, fmt.Errorf("aptsig: Release.gpg: %w", err)
	}
	return res, nil
}

// verify checks every signature packet in sigPackets over signed and applies
// apt's rule. signed is already in canonical text form for a clearsigned file.
func verify(signed, sigPackets []byte, kr *Keyring, now time.Time) (Result, error) {
	if kr == nil {
		kr = &Keyring{}
	}
	var res Result
	packets := packet.NewReader(bytes.NewReader(sigPackets))
	for {
		p, err := packets.NextWithUnsupported()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, fmt.Errorf("%w: signature packets: %v", ErrMalformed, err)
		}
		if len(res.Signatures) == maxSignatures {
			return res, fmt.Errorf("%w: more than %d signatures", ErrMalformed, maxSignatures)
		}
		switch p := p.(type) {
		case *packet.Signature:
			res.Signatures = append(res.Signatures, check(signed, p, kr, now))
		case *packet.UnsupportedPacket:
			res.Signatures = append(res.Signatures, Signature{Status: StatusUnsupported, Reason: p.Error.Error()})
		default:
			return res, fmt.Errorf("%w: %T packet among the signatures", ErrMalformed, p)
		}
	}
	if len(res.Signatures) == 0 {
		return res, fmt.Errorf("%w: signature block holds no signature", ErrMalformed)
	}

	var bad, ignored []string
	for _, s := range res.Signatures {
		switch s.Status {
		case StatusGood:
			res.Good = append(res.Good, s.PrimaryFingerprint)
		case StatusBad:
			bad = append(bad, describe(s))
		default:
			ignored = append(ignored, describe(s))
		}
	}
	if len(bad) > 0 {
		return res, fmt.Errorf("%w: %s", ErrBadSignature, strings.Join(bad, "; "))
	}
	if len(res.Good) == 0 {
		return res, fmt.Errorf("%w: %s", ErrNoTrustedSignature, strings.Join(ignored, "; "))
	}
	return res, nil
}

func describe(s Signature) string {
	id := s.KeyID
	if id == "" {
		id = "(no key ID)"
	}
	return fmt.Sprintf("key %s: %s", id, s.Reason)
}

// weakDigests are the hashes apt does not trust a signature made with.
var weakDigests = map[crypto.Hash]bool{crypto.MD5: true, crypto.SHA1: true, crypto.RIPEMD160: true}

// check decides the status of one signature.
func check(signed []byte, sig *packet.Signature, kr *Keyring, now time.Time) Signature {
	s := Signature{Hash: sig.Hash, Created: sig.CreationTime}
	if sig.IssuerKeyId == nil {
		s.Status, s.Reason = StatusUnknownKey, "signature names no issuer key"
		return s
	}
	s.KeyID = fmt.Sprintf("%016X", *sig.IssuerKeyId)

	var keys []openpgp.Key
	for _, k := range kr.entities.KeysById(*sig.IssuerKeyId) {
		if sig.CheckKeyIdOrFingerprint(k.PublicKey) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		s.Status, s.Reason = StatusUnknownKey, "no such key in the keyring"
		return s
	}
	if sig.SigType != packet.SigTypeBinary && sig.SigType != packet.SigTypeText {
		s.Status, s.Reason = StatusBad, fmt.Sprintf("signature type %#x does not sign a document", uint8(sig.SigType))
		return s
	}

	var (
		key    *openpgp.Key
		errSig error
	)
	for i := range keys {
		h, err := sig.PrepareVerify()
		if err != nil {
			s.Status, s.Reason = StatusUnsupported, err.Error()
			if weakDigests[sig.Hash] {
				s.Status, s.Reason = StatusWeakDigest, "digest "+sig.Hash.String()+" is not trusted"
			}
			return s
		}
		var w hash.Hash = h
		if sig.SigType == packet.SigTypeText {
			w = openpgp.NewCanonicalTextHash(h)
		}
		w.Write(signed)
		if errSig = keys[i].PublicKey.VerifySignature(h, sig); errSig == nil {
			key = &keys[i]
			break
		}
	}
	if key == nil {
		s.Status, s.Reason = StatusBad, errSig.Error()
		return s
	}

	s.Fingerprint = fingerprintString(key.PublicKey.Fingerprint)
	s.PrimaryFingerprint = fingerprintString(key.Entity.PrimaryKey.Fingerprint)
	s.Status, s.Reason = keyStatus(key, sig, now)
	if s.Status == StatusGood && weakDigests[sig.Hash] {
		s.Status, s.Reason = StatusWeakDigest, "digest "+sig.Hash.String()+" is not trusted"
	}
	if s.Status == StatusGood && !kr.allows(s.Fingerprint, s.PrimaryFingerprint) {
		s.Status, s.Reason = StatusNotAllowed, "key is not among the Signed-By fingerprints"
	}
	return s
}

// keyStatus checks a key that made a valid signature: its usage, revocation
// and expiry at now, and the signature's own validity period.
func keyStatus(key *openpgp.Key, sig *packet.Signature, now time.Time) (Status, string) {
	for _, n := range sig.Notations {
		if n.IsCritical {
			return StatusUnsupported, "signature has unknown critical notation " + n.Name
		}
	}
	primarySig, _ := key.Entity.PrimarySelfSignature()
	if primarySig == nil {
		return StatusUnsupported, "key has no valid self-signature"
	}
	if key.SelfSignature != nil && key.SelfSignature.FlagsValid && !key.SelfSignature.FlagSign {
		return StatusUnsupported, "key is not marked for signing"
	}
	subkey := key.PublicKey != key.Entity.PrimaryKey
	if key.Entity.Revoked(now) || (subkey && key.Revoked(now)) {
		return StatusRevokedKey, "key is revoked"
	}
	if key.Entity.PrimaryKey.KeyExpired(primarySig, now) ||
		(subkey && (key.SelfSignature == nil || key.PublicKey.KeyExpired(key.SelfSignature, now))) {
		return StatusExpiredKey, "key expired or not yet valid on " + now.UTC().Format(time.DateOnly)
	}
	if sig.SigExpired(now) {
		return StatusExpiredSignature, "signature expired or made after " + now.UTC().Format(time.RFC3339)
	}
	return StatusGood, ""
}
