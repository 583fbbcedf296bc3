package xmltok

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// tokBufferSize is the read-ahead between the budget and the Tokenizer,
// and so also how far past a limit a document may be read.
const tokBufferSize = 64 << 10

// maxTokInternedValue: longer attribute values (hrefs, checksums) are rarely
// repeated, so they are not worth a cache slot.
const maxTokInternedValue = 48

// attrChunkSize is how many attributes are allocated at once. A kept
// element holds on to its chunk, 14 KB; the parsers keep none past a package.
const attrChunkSize = 256

// byte classes for the scanning loops.
var (
	textStop  [256]bool // ends a run of plain character data
	dataStop  [256]bool // ends character data that can be returned in place
	valueStop [256]bool // ends an attribute value that can be returned in place
	nameByte  [256]bool // may continue a name (all bytes >= 0x80 do, as in encoding/xml)
)

func init() {
	for _, c := range []byte("<&>\r\n'\"") {
		textStop[c] = true
	}
	for _, c := range []byte("<&\r>") {
		dataStop[c] = true
	}
	for _, c := range []byte("<&\r'\"") {
		valueStop[c] = true
	}
	for c := 0; c < 256; c++ {
		b := byte(c)
		nameByte[c] = 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' ||
			b == '_' || b == ':' || b == '.' || b == '-' || b >= utf8.RuneSelf
	}
}

// Tokenizer reads raw XML tokens. Its zero value is ready after Init.
type Tokenizer struct {
	src     io.Reader
	buf     []byte // buf[0] is the byte before buf[1:end], kept so ungetc works across refills
	pos     int
	end     int
	pending error // read error that came with the last bytes, reported once they are used
	rerr    error // sticky, like Decoder.err: io.EOF, a read error or a *xml.SyntaxError
	lines   int   // newlines in the input before buf[lineAt]
	lineAt  int
	scratch []byte // bytes of the current token
	names   []byte
	strs    Interner     // names and short attribute values
	recent  [512]string  // a direct-mapped cache in front of strs: no hashing for a hit
	values  [4096]string // recent attribute values, direct-mapped

	attrChunk []xml.Attr // unused rest of the chunk attributes are carved from
	nsRecent  [256]struct {
		full string
		name xml.Name
	}

	needClose bool
	toClose   xml.Name

	// The tokens handed out, as pointers: boxing a StartElement, an
	// EndElement or a CharData in an xml.Token allocates, a pointer does
	// not. Each is overwritten by the next call.
	startTok xml.StartElement
	endTok   xml.EndElement
	charTok  xml.CharData
}

func (z *Tokenizer) Init(r io.Reader) {
	z.src = r
	z.buf = make([]byte, 1+tokBufferSize)
	z.pos, z.end, z.lineAt = 1, 1, 1
	// Never nil: text returns nil for an error, and an empty value is
	// out[:0] of this.
	z.scratch = make([]byte, 0, 512)
}

// line is the 1-based line of the current position.
func (z *Tokenizer) Line() int {
	if z.lineAt < z.pos {
		z.lines += bytes.Count(z.buf[z.lineAt:z.pos], []byte{'\n'})
		z.lineAt = z.pos
	}
	return z.lines + 1
}

func (z *Tokenizer) syntaxError(msg string) error {
	z.rerr = &xml.SyntaxError{Msg: msg, Line: z.Line()}
	return z.rerr
}

// fill refills the buffer once it is used up, keeping the last byte.
func (z *Tokenizer) fill() bool {
	if z.rerr != nil {
		return false
	}
	if z.pending != nil {
		z.rerr, z.pending = z.pending, nil
		return false
	}
	shift := z.end - 1
	if z.lineAt <= shift {
		z.lines += bytes.Count(z.buf[z.lineAt:shift], []byte{'\n'})
		z.lineAt = 0
	} else {
		z.lineAt -= shift
	}
	z.buf[0] = z.buf[shift]
	z.pos, z.end = 1, 1
	for tries := 0; ; tries++ {
		n, err := z.src.Read(z.buf[1:])
		z.end = 1 + n
		if err != nil {
			if n > 0 {
				z.pending = err
				return true
			}
			z.rerr = err
			return false
		}
		if n > 0 {
			return true
		}
		if tries == 100 {
			z.rerr = io.ErrNoProgress
			return false
		}
	}
}

func (z *Tokenizer) getc() (byte, bool) {
	if z.pos >= z.end && !z.fill() {
		return 0, false
	}
	b := z.buf[z.pos]
	z.pos++
	return b, true
}

func (z *Tokenizer) mustgetc() (byte, bool) {
	b, ok := z.getc()
	if !ok && z.rerr == io.EOF {
		z.syntaxError("unexpected EOF")
	}
	return b, ok
}

// ungetc steps back over the byte just read.
func (z *Tokenizer) ungetc() {
	z.pos--
	if z.pos < z.lineAt {
		if z.buf[z.pos] == '\n' {
			z.lines--
		}
		z.lineAt = z.pos
	}
}

func (z *Tokenizer) space() {
	for {
		if z.pos >= z.end && !z.fill() {
			return
		}
		switch z.buf[z.pos] {
		case ' ', '\r', '\n', '\t':
			z.pos++
		default:
			return
		}
	}
}

// intern returns b as a string, shared with earlier equal strings. The
// same few dozen names and values make up most of a document, so a slot
// chosen from the length and end bytes usually already holds b, and
// comparing it is cheaper than hashing b for the map.
// internValue shares repeated attribute values (flags, epochs, checksum
// types, common dependency names) through a direct-mapped cache only:
// sizes, times and versions are mostly unique, and would fill a map with
// strings nothing else shares.
func (z *Tokenizer) internValue(b []byte) string {
	if len(b) > maxTokInternedValue {
		return string(b)
	}
	h := uint(len(b))
	for _, c := range b {
		h = h*31 + uint(c)
	}
	slot := &z.values[h%uint(len(z.values))]
	if *slot != string(b) {
		*slot = string(b)
	}
	return *slot
}

func (z *Tokenizer) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	slot := &z.recent[(len(b)*31+int(b[0])*7+int(b[len(b)-1]))&(len(z.recent)-1)]
	if *slot == string(b) {
		return *slot
	}
	s := z.strs.Get(b)
	*slot = s
	return s
}

// rawToken is encoding/xml's Decoder.rawToken, case for case, except that
// start and end elements and character data come as *xml.StartElement,
// *xml.EndElement and *xml.CharData, valid until the next call.
func (z *Tokenizer) RawToken() (xml.Token, error) {
	if z.rerr != nil {
		return nil, z.rerr
	}
	if z.needClose {
		z.needClose = false
		z.endTok.Name = z.toClose
		return &z.endTok, nil
	}
	b, ok := z.getc()
	if !ok {
		return nil, z.rerr
	}
	if b != '<' {
		z.ungetc()
		data := z.text(-1, false)
		if data == nil {
			return nil, z.rerr
		}
		z.charTok = data
		return &z.charTok, nil
	}
	if b, ok = z.mustgetc(); !ok {
		return nil, z.rerr
	}
	switch b {
	case '/':
		name, ok := z.nsname()
		if !ok {
			if z.rerr == nil {
				z.syntaxError("expected element name after </")
			}
			return nil, z.rerr
		}
		z.space()
		if b, ok = z.mustgetc(); !ok {
			return nil, z.rerr
		}
		if b != '>' {
			return nil, z.syntaxError("invalid characters between </" + name.Local + " and >")
		}
		z.endTok.Name = name
		return &z.endTok, nil
	case '?':
		return z.procInst()
	case '!':
		return z.bang()
	}
	z.ungetc()
	return z.startElement()
}

func (z *Tokenizer) procInst() (xml.Token, error) {
	target, ok := z.name()
	if !ok {
		if z.rerr == nil {
			z.syntaxError("expected target name after <?")
		}
		return nil, z.rerr
	}
	z.space()
	data := z.scratch[:0]
	var b0 byte
	for {
		b, ok := z.mustgetc()
		if !ok {
			return nil, z.rerr
		}
		data = append(data, b)
		if b0 == '?' && b == '>' {
			break
		}
		b0 = b
	}
	z.scratch = data
	data = data[:len(data)-2]
	if target == "xml" {
		content := string(data)
		if ver := procInstParam("version", content); ver != "" && ver != "1.0" {
			z.rerr = fmt.Errorf("xml: unsupported version %q; only version 1.0 is supported", ver)
			return nil, z.rerr
		}
		if enc := procInstParam("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") {
			z.rerr = fmt.Errorf("xml: encoding %q declared but Decoder.CharsetReader is nil", enc)
			return nil, z.rerr
		}
	}
	return xml.ProcInst{Target: target, Inst: data}, nil
}

// bang reads what follows "<!": a comment, a CDATA section or a directive.
func (z *Tokenizer) bang() (xml.Token, error) {
	b, ok := z.mustgetc()
	if !ok {
		return nil, z.rerr
	}
	switch b {
	case '-':
		if b, ok = z.mustgetc(); !ok {
			return nil, z.rerr
		}
		if b != '-' {
			return nil, z.syntaxError("invalid sequence <!- not part of <!--")
		}
		data := z.scratch[:0]
		var b0, b1 byte
		for {
			if b, ok = z.mustgetc(); !ok {
				return nil, z.rerr
			}
			data = append(data, b)
			if b0 == '-' && b1 == '-' {
				if b != '>' {
					return nil, z.syntaxError(`invalid sequence "--" not allowed in comments`)
				}
				break
			}
			b0, b1 = b1, b
		}
		z.scratch = data
		return xml.Comment(data[:len(data)-3]), nil
	case '[':
		for i := 0; i < 6; i++ {
			if b, ok = z.mustgetc(); !ok {
				return nil, z.rerr
			}
			if b != "CDATA["[i] {
				return nil, z.syntaxError("invalid <![ sequence")
			}
		}
		data := z.text(-1, true)
		if data == nil {
			return nil, z.rerr
		}
		z.charTok = data
		return &z.charTok, nil
	}
	// A directive (<!DOCTYPE ...>): kept whole, with quoted angle brackets
	// not counting for nesting and comments replaced by a space.
	data := append(z.scratch[:0], b)
	var inquote byte
	depth := 0
	for {
		if b, ok = z.mustgetc(); !ok {
			return nil, z.rerr
		}
		if inquote == 0 && b == '>' && depth == 0 {
			break
		}
	handle:
		data = append(data, b)
		switch {
		case b == inquote:
			inquote = 0
		case inquote != 0:
		case b == '\'' || b == '"':
			inquote = b
		case b == '>':
			depth--
		case b == '<':
			const open = "!--"
			for i := 0; i < len(open); i++ {
				if b, ok = z.mustgetc(); !ok {
					return nil, z.rerr
				}
				if b != open[i] {
					data = append(data, open[:i]...)
					depth++
					goto handle
				}
			}
			data = data[:len(data)-1]
			var b0, b1 byte
			for {
				if b, ok = z.mustgetc(); !ok {
					return nil, z.rerr
				}
				if b0 == '-' && b1 == '-' && b == '>' {
					break
				}
				b0, b1 = b1, b
			}
			data = append(data, ' ')
		}
	}
	z.scratch = data
	return xml.Directive(data), nil
}

func (z *Tokenizer) startElement() (xml.Token, error) {
	name, ok := z.nsname()
	if !ok {
		if z.rerr == nil {
			z.syntaxError("expected element name after <")
		}
		return nil, z.rerr
	}
	var attrs [8]xml.Attr
	attr := attrs[:0]
	empty := false
	for {
		z.space()
		b, ok := z.mustgetc()
		if !ok {
			return nil, z.rerr
		}
		if b == '/' {
			empty = true
			if b, ok = z.mustgetc(); !ok {
				return nil, z.rerr
			}
			if b != '>' {
				return nil, z.syntaxError("expected /> in element")
			}
			break
		}
		if b == '>' {
			break
		}
		z.ungetc()
		var a xml.Attr
		if a.Name, ok = z.nsname(); !ok {
			if z.rerr == nil {
				z.syntaxError("expected attribute name in element")
			}
			return nil, z.rerr
		}
		z.space()
		if b, ok = z.mustgetc(); !ok {
			return nil, z.rerr
		}
		if b != '=' {
			return nil, z.syntaxError("attribute name without = in element")
		}
		z.space()
		if b, ok = z.mustgetc(); !ok {
			return nil, z.rerr
		}
		if b != '"' && b != '\'' {
			return nil, z.syntaxError("unquoted or missing attribute value in element")
		}
		data := z.text(int(b), false)
		if data == nil {
			return nil, z.rerr
		}
		a.Value = z.internValue(data)
		attr = append(attr, a)
	}
	if empty {
		z.needClose = true
		z.toClose = name
	}
	// Callers may keep the element, so its attributes are never reused;
	// they are carved out of a shared chunk so as to allocate once per
	// chunk rather than once per element.
	var out []xml.Attr
	if n := len(attr); n > 0 {
		if len(z.attrChunk) < n {
			z.attrChunk = make([]xml.Attr, max(attrChunkSize, n))
		}
		out = z.attrChunk[:n:n]
		z.attrChunk = z.attrChunk[n:]
		copy(out, attr)
	}
	z.startTok = xml.StartElement{Name: name, Attr: out}
	return &z.startTok, nil
}

// readName appends a name to dst: bytes up to the first single-byte
// character not valid in names. It reports false, without an error unless
// the input ended, when there is no name.
func (z *Tokenizer) readName(dst []byte) ([]byte, bool) {
	b, ok := z.mustgetc()
	if !ok {
		return dst, false
	}
	if !nameByte[b] {
		z.ungetc()
		return dst, false
	}
	dst = append(dst, b)
	for {
		if z.pos >= z.end {
			if _, ok := z.mustgetc(); !ok {
				return dst, false
			}
			z.ungetc()
		}
		i := z.pos
		for i < z.end && nameByte[z.buf[i]] {
			i++
		}
		dst = append(dst, z.buf[z.pos:i]...)
		z.pos = i
		if i < z.end {
			return dst, true
		}
	}
}

func (z *Tokenizer) name() (string, bool) {
	var ok bool
	z.names, ok = z.readName(z.names[:0])
	if !ok {
		return "", false
	}
	if !isXMLName(z.names) {
		z.syntaxError("invalid XML name: " + string(z.names))
		return "", false
	}
	return z.intern(z.names), true
}

// nsname reads a name and splits it at its colon. Names seen before and
// wholly in the buffer are looked up where they lie, in a direct-mapped
// cache of earlier results: a document uses a few dozen names, and this is
// run for every element and attribute.
func (z *Tokenizer) nsname() (xml.Name, bool) {
	if i := z.pos; i < z.end {
		j := i
		for j < z.end && nameByte[z.buf[j]] {
			j++
		}
		if j < z.end && j > i {
			b := z.buf[i:j]
			slot := &z.nsRecent[(len(b)*31+int(b[0])*7+int(b[len(b)-1]))%len(z.nsRecent)]
			if slot.full == string(b) {
				z.pos = j
				return slot.name, true
			}
			name, ok := z.nsnameSlow()
			if ok {
				slot.full, slot.name = z.intern(b), name
			}
			return name, ok
		}
	}
	return z.nsnameSlow()
}

func (z *Tokenizer) nsnameSlow() (xml.Name, bool) {
	s, ok := z.name()
	if !ok {
		return xml.Name{}, false
	}
	if strings.Count(s, ":") > 1 {
		return xml.Name{}, false
	}
	space, local, ok := strings.Cut(s, ":")
	if !ok || space == "" || local == "" {
		return xml.Name{Local: s}, true
	}
	// Substrings of an interned string need no table of their own.
	return xml.Name{Space: space, Local: local}, true
}

// isXMLName checks the Name production. ASCII is decided here; for the
// rare name with other characters encoding/xml itself is asked, as the
// target of a processing instruction, rather than copying its Unicode
// tables.
func isXMLName(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	c := s[0]
	ascii := true
	if c < utf8.RuneSelf && !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':') {
		return false
	}
	for _, c := range s {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return true
	}
	doc := make([]byte, 0, len(s)+4)
	doc = append(append(append(doc, "<?"...), s...), "?>"...)
	t, err := xml.NewDecoder(bytes.NewReader(doc)).RawToken()
	pi, ok := t.(xml.ProcInst)
	return err == nil && ok && pi.Target == string(s)
}

// text reads character data, a quoted attribute value (quote is the quote
// byte) or a CDATA section, decoding entities and line ends. It returns nil
// on error, which is left in z.rerr.
func (z *Tokenizer) text(quote int, cdata bool) []byte {
	if !cdata {
		if data, done := z.textInPlace(quote); done {
			return data
		}
	}
	var b0, b1 byte
	trunc := 0
	out := z.scratch[:0]
	defer func() { z.scratch = out[:0] }()
input:
	for {
		if z.pos >= z.end && !z.fill() {
			if cdata {
				if z.rerr == io.EOF {
					z.syntaxError("unexpected EOF in CDATA section")
				}
				return nil
			}
			break input
		}
		// The common case: a run of bytes that need no attention.
		if start, i := z.pos, z.pos; !textStop[z.buf[i]] {
			for i < z.end && !textStop[z.buf[i]] {
				i++
			}
			out = append(out, z.buf[start:i]...)
			if i-start >= 2 {
				b0, b1 = z.buf[i-2], z.buf[i-1]
			} else {
				b0, b1 = b1, z.buf[start]
			}
			z.pos = i
			continue
		}
		b := z.buf[z.pos]
		z.pos++
		if quote < 0 && b0 == ']' && b1 == ']' && b == '>' {
			if cdata {
				trunc = 2
				break input
			}
			z.syntaxError("unescaped ]]> not in CDATA section")
			return nil
		}
		if b == '<' && !cdata {
			if quote >= 0 {
				z.syntaxError("unescaped < inside quoted string")
				return nil
			}
			z.ungetc()
			break input
		}
		if quote >= 0 && b == byte(quote) {
			break input
		}
		if b == '&' && !cdata {
			var ok bool
			if out, ok = z.entity(out); !ok {
				return nil
			}
			b0, b1 = 0, 0
			continue input
		}
		if b == '\r' {
			out = append(out, '\n')
		} else if b1 == '\r' && b == '\n' {
			// \r\n: the \n is already written.
		} else {
			out = append(out, b)
		}
		b0, b1 = b1, b
	}
	return z.validate(out[:len(out)-trunc])
}

// textInPlace is text for the common case of character data or a value
// that ends within the buffer and needs no decoding: it returns the bytes
// where they lie, valid until the buffer is refilled (the next token), and
// done. Otherwise it consumes nothing and returns done false.
func (z *Tokenizer) textInPlace(quote int) (data []byte, done bool) {
	stop := &dataStop
	if quote >= 0 {
		stop = &valueStop
	}
	i := z.pos
	for i < z.end && !stop[z.buf[i]] {
		i++
	}
	if i >= z.end {
		return nil, false
	}
	switch c := z.buf[i]; {
	case quote < 0 && c == '<':
		data, z.pos = z.buf[z.pos:i], i
	case quote >= 0 && c == byte(quote):
		data, z.pos = z.buf[z.pos:i], i+1
	default:
		return nil, false
	}
	return z.validate(data), true
}

// validate checks that text is UTF-8 of XML characters, returning it, or
// nil with the error in z.rerr.
func (z *Tokenizer) validate(data []byte) []byte {
	for i := 0; i < len(data); {
		c := data[i]
		if c >= 0x20 && c < utf8.RuneSelf || c == '\n' || c == '\t' || c == '\r' {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			z.syntaxError("invalid UTF-8")
			return nil
		}
		if !isInCharacterRange(r) {
			z.syntaxError(fmt.Sprintf("illegal character code %U", r))
			return nil
		}
		i += size
	}
	return data
}

// entity decodes the reference after '&' onto out; false on error.
func (z *Tokenizer) entity(out []byte) ([]byte, bool) {
	before := len(out)
	out = append(out, '&')
	b, ok := z.mustgetc()
	if !ok {
		return out, false
	}
	var r rune = -1
	if b == '#' {
		out = append(out, b)
		if b, ok = z.mustgetc(); !ok {
			return out, false
		}
		base := rune(10)
		if b == 'x' {
			base = 16
			out = append(out, b)
			if b, ok = z.mustgetc(); !ok {
				return out, false
			}
		}
		var n rune
		digits, over := 0, false
		for {
			var d rune
			switch {
			case '0' <= b && b <= '9':
				d = rune(b - '0')
			case base == 16 && 'a' <= b && b <= 'f':
				d = rune(b-'a') + 10
			case base == 16 && 'A' <= b && b <= 'F':
				d = rune(b-'A') + 10
			default:
				d = -1
			}
			if d < 0 {
				break
			}
			out = append(out, b)
			digits++
			if !over {
				n = n*base + d
				over = n > utf8.MaxRune
			}
			if b, ok = z.mustgetc(); !ok {
				return out, false
			}
		}
		if b != ';' {
			z.ungetc()
		} else {
			out = append(out, ';')
			if digits > 0 && !over {
				r = n
			}
		}
	} else {
		z.ungetc()
		start := len(out)
		if out, ok = z.readName(out); !ok && z.rerr != nil {
			return out, false
		}
		if b, ok = z.mustgetc(); !ok {
			return out, false
		}
		if b != ';' {
			z.ungetc()
		} else {
			switch string(out[start:]) {
			case "lt":
				r = '<'
			case "gt":
				r = '>'
			case "amp":
				r = '&'
			case "apos":
				r = '\''
			case "quot":
				r = '"'
			}
			out = append(out, ';')
		}
	}
	if r >= 0 {
		return utf8.AppendRune(out[:before], r), true
	}
	ent := string(out[before:])
	if ent[len(ent)-1] != ';' {
		ent += " (no semicolon)"
	}
	z.syntaxError("invalid character entity " + ent)
	return out, false
}

// isInCharacterRange is the Char production of XML 1.0, section 2.2.
func isInCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// procInstParam is encoding/xml's procInst: the value of param="..." in
// the XML declaration, parsed as loosely as it does.
func procInstParam(param, s string) string {
	param += "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// Interner shares strings that repeat across a document (element and
// attribute names, short values). It stops adding once full, so a hostile
// document cannot make it grow without bound. The zero value is ready.
type Interner struct {
	m map[string]string
}

const maxInterned = 1 << 14

// Get returns b as a string, the same string for the same bytes while the
// interner has room.
func (in *Interner) Get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= 256 {
		if in.m == nil {
			in.m = make(map[string]string)
		}
		if len(in.m) < maxInterned {
			in.m[s] = s
		}
	}
	return s
}

// ScratchCap is the capacity of the buffer the current token is built in:
// what a reader that bounds a document's bytes per element checks to know
// the tokenizer's memory is bounded too.
func (z *Tokenizer) ScratchCap() int { return cap(z.scratch) }
