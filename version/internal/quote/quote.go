// Package quote quotes untrusted strings for error messages: versions come
// from input lines up to 64 KiB long (vercmp --batch) and from repository
// metadata, and a message that repeats one whole floods a terminal or a log
// line without saying more than its first bytes do.
package quote

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxBytes is how much of a string Short quotes.
const MaxBytes = 64

// Short is s quoted as %q does, cut after MaxBytes bytes (at a character
// boundary) with the full length said, so a reader knows it was cut:
// "1.0_99999…" (20004 bytes).
func Short(s string) string {
	if len(s) <= MaxBytes {
		return strconv.Quote(s)
	}
	cut := MaxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}
