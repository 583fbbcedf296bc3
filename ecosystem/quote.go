package ecosystem

import (
	"strconv"
	"unicode/utf8"
)

// QuoteLimit is how many bytes of an untrusted string an error message
// shows. Names, versions and relation clauses of real indexes fit; a hostile
// one (a 5,000-byte Origin, a 120 KB version) is cut, so that one bad value
// costs a line of log, not a page, however often it is wrapped.
const QuoteLimit = 64

// Quote renders an untrusted string for an error message: Go-quoted (so
// control characters, invalid UTF-8 and quotes cannot forge or break the
// message), at most QuoteLimit bytes of it cut at a character boundary, and
// when it was cut, its full length: "aaaa…"…(5000 bytes). Every reader
// under ecosystem/ and every repository format uses it wherever a value it
// read lands in an error.
func Quote(s string) string {
	if len(s) <= QuoteLimit {
		return strconv.Quote(s)
	}
	return quotePrefix(s[:QuoteLimit+1], len(s))
}

// QuoteBytes is Quote for a byte slice, copying no more of it than it shows.
func QuoteBytes(b []byte) string {
	if len(b) <= QuoteLimit {
		return strconv.Quote(string(b))
	}
	return quotePrefix(string(b[:QuoteLimit+1]), len(b))
}

// quotePrefix quotes the first QuoteLimit bytes of p (which has one more),
// backed up to the start of a character, and appends the full length n.
func quotePrefix(p string, n int) string {
	cut := QuoteLimit
	for i := QuoteLimit; i > QuoteLimit-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			cut = i
			break
		}
	}
	return strconv.Quote(p[:cut]) + "…(" + strconv.Itoa(n) + " bytes)"
}

// Token renders a name an error message leads with ("package foo: …"): as
// written when it is a short run of printable ASCII without blanks, which
// every valid package name is, and quoted as Quote does otherwise, so that a
// hostile name is bounded and cannot pass for message text.
func Token(s string) string {
	if len(s) == 0 || len(s) > QuoteLimit {
		return Quote(s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' {
			return Quote(s)
		}
	}
	return s
}
