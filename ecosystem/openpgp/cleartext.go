package openpgp

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// Limits on untrusted input. Debian's largest InRelease is a few hundred KiB.
const (
	// MaxInReleaseSize bounds an InRelease or Release file.
	MaxInReleaseSize = 64 << 20
	// MaxSignatureSize bounds the signature block (a few KiB per signature).
	MaxSignatureSize = 1 << 20
	// maxSignatures bounds the signatures checked: each one hashes the whole body.
	maxSignatures = 16
	// maxHeaders bounds the armor headers of the signed message.
	maxHeaders = 16
)

const (
	beginSigned    = "-----BEGIN PGP SIGNED MESSAGE-----"
	beginSignature = "-----BEGIN PGP SIGNATURE-----"
	endSignature   = "-----END PGP SIGNATURE-----"
)

// clearsigned is an InRelease file split the way apt's SplitClearSignedFile
// splits it, so that the text returned is exactly the text verified.
type clearsigned struct {
	body   []byte // the signed lines, dash-unescaped, trailing blanks removed, each ending in "\n"
	signed []byte // what the signatures hash: the same lines joined by "\r\n" (RFC 9580 section 7.2)
	sig    []byte // the de-armored signature packets
}

// lineReader yields the lines of data without their "\n" or "\r\n".
type lineReader struct {
	data []byte
	n    int // number of the line last returned
}

func (r *lineReader) next() (line []byte, ok bool) {
	if len(r.data) == 0 {
		return nil, false
	}
	r.n++
	line = r.data
	if i := bytes.IndexByte(r.data, '\n'); i >= 0 {
		line, r.data = r.data[:i], r.data[i+1:]
	} else {
		r.data = nil
	}
	return bytes.TrimSuffix(line, []byte("\r")), true
}

// splitClearsigned splits an InRelease file. It is as strict as apt: the file
// must start with the BEGIN line, hold one signed message, dash-escape every
// line of text starting with '-', and have nothing but blank lines after the
// signature, so that no unsigned text can ride along with a good signature.
func splitClearsigned(data []byte) (*clearsigned, error) {
	if len(data) > MaxInReleaseSize {
		return nil, fmt.Errorf("aptsig: InRelease: %w (%d bytes, limit %d)", ErrTooLarge, len(data), MaxInReleaseSize)
	}
	r := &lineReader{data: data}
	malformed := func(format string, args ...any) (*clearsigned, error) {
		return nil, fmt.Errorf("aptsig: InRelease line %d: %w: %s", r.n, ErrMalformed, fmt.Sprintf(format, args...))
	}
	first, _ := r.next()
	if string(trimBlanks(first)) != beginSigned {
		if bytes.Contains(data, []byte("\n"+beginSigned)) {
			return malformed("signed message does not start on the first line")
		}
		return nil, fmt.Errorf("aptsig: InRelease: %w: no %s line", ErrUnsigned, beginSigned)
	}

	// Armor headers: only "Hash:", as RFC 9580 section 7 allows, up to an empty line.
	for headers := 0; ; headers++ {
		line, ok := r.next()
		if !ok {
			return malformed("file ends in the armor headers")
		}
		line = trimBlanks(line)
		if len(line) == 0 {
			break
		}
		if !bytes.HasPrefix(line, []byte("Hash:")) || headers >= maxHeaders {
			return malformed("unexpected armor header %q", truncate(line))
		}
	}

	cs := &clearsigned{}
	first = nil
	for lines := 0; ; lines++ {
		line, ok := r.next()
		if !ok {
			return malformed("file ends before %s", beginSignature)
		}
		if string(trimBlanks(line)) == beginSignature {
			break
		}
		if len(line) > 0 && line[0] == '-' {
			if !bytes.HasPrefix(line, []byte("- ")) {
				return malformed("text line starting with a dash is not dash-escaped")
			}
			line = line[2:]
		}
		line = trimBlanks(line)
		if lines > 0 {
			cs.signed = append(cs.signed, '\r', '\n')
		}
		cs.signed = append(cs.signed, line...)
		cs.body = append(cs.body, line...)
		cs.body = append(cs.body, '\n')
	}

	// The armored signature runs from its BEGIN line (consumed above) to its END line.
	start := len(data) - len(r.data)
	armored := []byte(beginSignature + "\n")
	for {
		line, ok := r.next()
		if !ok {
			return malformed("file ends before %s", endSignature)
		}
		if string(trimBlanks(line)) == endSignature {
			break
		}
	}
	armored = append(armored, data[start:len(data)-len(r.data)]...)
	for {
		line, ok := r.next()
		if !ok {
			break
		}
		if len(trimBlanks(line)) != 0 {
			return malformed("text after the signature")
		}
	}

	sig, err := dearmorSignature(armored)
	if err != nil {
		return nil, fmt.Errorf("aptsig: InRelease: %w", err)
	}
	cs.sig = sig
	return cs, nil
}

// dearmorSignature decodes one "PGP SIGNATURE" armor block, checking its CRC
// when it has one.
func dearmorSignature(armored []byte) ([]byte, error) {
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("%w: signature armor: %v", ErrMalformed, err)
	}
	if block.Type != "PGP SIGNATURE" {
		return nil, fmt.Errorf("%w: armored %q, want \"PGP SIGNATURE\"", ErrMalformed, block.Type)
	}
	sig, err := io.ReadAll(io.LimitReader(block.Body, MaxSignatureSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: signature armor: %v", ErrMalformed, err)
	}
	if len(sig) > MaxSignatureSize {
		return nil, fmt.Errorf("signature block %w (limit %d bytes)", ErrTooLarge, MaxSignatureSize)
	}
	return sig, nil
}

// ExtractCleartext returns the text of an InRelease file without checking
// its signatures, for a caller that has decided to accept unsigned metadata
// (apt's trusted=yes, or an --allow-unsigned flag). A clearsigned file yields
// the same body VerifyInRelease would return; a file that is not signed at
// all (a plain Release served as InRelease) is returned as it is. A file
// that looks signed but is malformed is still an error, as apt rejects it.
func ExtractCleartext(data []byte) ([]byte, error) {
	cs, err := splitClearsigned(data)
	switch {
	case err == nil:
		return cs.body, nil
	case errors.Is(err, ErrUnsigned):
		return data, nil
	default:
		return nil, err
	}
}

func trimBlanks(b []byte) []byte {
	return bytes.TrimRight(b, " \t\r")
}

func truncate(b []byte) []byte {
	if len(b) > 60 {
		return append(b[:60:60], "..."...)
	}
	return b
}
