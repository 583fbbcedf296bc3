package apk

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// ErrInvalid is wrapped by Validate's errors.
var ErrInvalid = errors.New("invalid version")

// Token kinds, in apk's order: the order matters when two versions first
// differ in kind.
const (
	tokInitialDigit = iota
	tokDigit
	tokLetter
	tokSuffix
	tokSuffixNo
	tokCommitHash
	tokRevisionNo
	tokEnd
	tokInvalid
)

// Suffix ranks: pre-release suffixes sort below suffixNone.
const (
	suffixInvalid = iota
	suffixAlpha
	suffixBeta
	suffixPre
	suffixRC
	suffixNone
	suffixCVS
	suffixSVN
	suffixGit
	suffixHg
	suffixP
)

var suffixes = map[string]int{
	"alpha": suffixAlpha, "beta": suffixBeta, "pre": suffixPre, "rc": suffixRC,
	"cvs": suffixCVS, "svn": suffixSVN, "git": suffixGit, "hg": suffixHg, "p": suffixP,
}

// token is apk's struct token_state; rest is the unread part of the version.
type token struct {
	kind   int
	suffix int
	number uint64
	value  string
	rest   string
}

// first reads the leading number, which every version must have.
func first(v string) token {
	t := token{kind: tokInitialDigit, rest: v}
	t.parseDigits()
	return t
}

// parseDigits is token_parse_digits with apk_blob_pull_uint: the number
// wraps around at 2^64 as the C uint64_t does.
func (t *token) parseDigits() {
	i := 0
	var n uint64
	for i < len(t.rest) && isDigit(t.rest[i]) {
		n = n*10 + uint64(t.rest[i]-'0')
		i++
	}
	t.number, t.value, t.rest = n, t.rest[:i], t.rest[i:]
	if i == 0 {
		t.kind = tokInvalid
	}
}

// next is token_next: it reads the following token, checking that it may
// follow the current one.
func (t *token) next() {
	b := t.rest
	if b == "" {
		t.kind = tokEnd
		return
	}
	switch c := b[0]; {
	case c >= 'a' && c <= 'z':
		if t.kind > tokDigit {
			t.kind = tokInvalid
			return
		}
		t.value, t.kind, t.rest = b[:1], tokLetter, b[1:]
	case c == '.' || isDigit(c):
		if c == '.' {
			if t.kind > tokDigit {
				t.kind = tokInvalid
				return
			}
			t.rest = b[1:]
		}
		switch t.kind {
		case tokInitialDigit, tokDigit:
			t.kind = tokDigit
		case tokSuffix:
			t.kind = tokSuffixNo
		default:
			t.kind = tokInvalid
			return
		}
		t.parseDigits()
	case c == '_':
		if t.kind > tokSuffixNo {
			t.kind = tokInvalid
			return
		}
		n := span(b[1:], isLower)
		suffix := suffixes[b[1:1+n]]
		if suffix == suffixInvalid {
			t.kind = tokInvalid
			return
		}
		t.kind, t.suffix, t.value, t.rest = tokSuffix, suffix, b[1:1+n], b[1+n:]
	case c == '~':
		if t.kind >= tokCommitHash {
			t.kind = tokInvalid
			return
		}
		n := span(b[1:], isHexDigit)
		if n == 0 {
			t.kind = tokInvalid
			return
		}
		t.value, t.rest, t.kind = b[1:1+n], b[1+n:], tokCommitHash
	case c == '-':
		if t.kind >= tokRevisionNo || !strings.HasPrefix(b, "-r") {
			t.kind = tokInvalid
			return
		}
		t.kind, t.rest = tokRevisionNo, b[2:]
		t.parseDigits()
	default:
		t.kind = tokInvalid
	}
}

// cmp is token_cmp for two tokens of the same kind.
func cmp(a, b *token) int {
	var x, y uint64
	switch a.kind {
	case tokDigit:
		if a.value[0] == '0' || b.value[0] == '0' {
			return blobSort(a.value, b.value)
		}
		x, y = a.number, b.number
	case tokInitialDigit, tokSuffixNo, tokRevisionNo:
		x, y = a.number, b.number
	case tokLetter:
		x, y = uint64(a.value[0]), uint64(b.value[0])
	case tokSuffix:
		x, y = uint64(a.suffix), uint64(b.suffix)
	default:
		return blobSort(a.value, b.value)
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// blobSort is apk_blob_sort: bytewise on the common length, then shorter
// first.
func blobSort(a, b string) int {
	n := min(len(a), len(b))
	if c := bytes.Compare([]byte(a[:n]), []byte(b[:n])); c != 0 {
		return c
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// Validate is apk_version_validate: nil when apk accepts v.
func Validate(v string) error {
	t := first(v)
	for t.kind < tokEnd {
		t.next()
	}
	if t.kind != tokEnd {
		return fmt.Errorf("apk: version %s: %w from byte %d", ecosystem.Quote(v), ErrInvalid, len(v)-len(t.rest))
	}
	return nil
}

// Compare is apk_version_compare: -1, 0 or +1 as a is older than, equal to
// or newer than b. It orders invalid versions too, as apk does.
func Compare(a, b string) int {
	return compare(a, b, false)
}

func compare(a, b string, fuzzy bool) int {
	ta, tb := first(a), first(b)
	for ta.kind == tb.kind && ta.kind < tokEnd {
		if r := cmp(&ta, &tb); r != 0 {
			return r
		}
		ta.next()
		tb.next()
	}
	switch {
	case ta.kind == tb.kind:
		return 0
	case tb.kind == tokEnd && fuzzy:
		return 0
	case ta.kind == tokSuffix && ta.suffix < suffixNone:
		return -1
	case tb.kind == tokSuffix && tb.suffix < suffixNone:
		return 1
	case ta.kind > tb.kind:
		return -1
	}
	return 1
}

// Operator bits of apk's dependency operators.
const (
	OpEqual   = 1
	OpLess    = 2
	OpGreater = 4
	OpFuzzy   = 8
)

// ParseOp is apk_version_result_mask_blob: "<", "<=", "=", ">=", ">", "~",
// "<~", ">~" (and any other combination of those characters) to a mask of
// Op bits; 0 for anything else.
func ParseOp(op string) int {
	r := 0
	for i := 0; i < len(op); i++ {
		switch op[i] {
		case '<':
			r |= OpLess
		case '>':
			r |= OpGreater
		case '=':
			r |= OpEqual
		case '~':
			r |= OpFuzzy | OpEqual
		default:
			return 0
		}
	}
	return r
}

// Match is apk_version_match: whether "a op b" holds, op being a mask from
// ParseOp. With OpFuzzy, a equals b when b is a prefix of a token by token.
func Match(a string, op int, b string) bool {
	const anyOrder = OpEqual | OpLess | OpGreater
	if op&anyOrder == anyOrder {
		return true
	}
	var res int
	switch compare(a, b, op&OpFuzzy != 0) {
	case -1:
		res = OpLess
	case 1:
		res = OpGreater
	default:
		res = OpEqual
	}
	return res&op != 0
}

func span(s string, class func(byte) bool) int {
	i := 0
	for i < len(s) && class(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isLower(c byte) bool    { return c >= 'a' && c <= 'z' }
func isHexDigit(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') }
