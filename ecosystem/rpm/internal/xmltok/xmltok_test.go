package xmltok

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ulikunitz/xz"
)

// rawResult is a document's token sequence and how it ended.
type rawResult struct {
	toks []xml.Token
	err  error // io.EOF for a clean end
}

// maxDiffTokens bounds a run, in case a tokenizer stops making progress.
const maxDiffTokens = 1 << 20

func normalize(t xml.Token) xml.Token {
	switch t := t.(type) {
	case *xml.StartElement:
		return normalize(*t)
	case *xml.EndElement:
		return *t
	case *xml.CharData:
		return normalize(*t)
	case xml.StartElement:
		// encoding/xml gives an empty non-nil slice, the tokenizer nil.
		if len(t.Attr) == 0 {
			t.Attr = nil
		}
		return xml.CopyToken(t)
	}
	return xml.CopyToken(t)
}

func stdRawTokens(in []byte) rawResult {
	return rawTokens(xml.NewDecoder(bytes.NewReader(in)).RawToken)
}

func ourRawTokens(r io.Reader) rawResult {
	var z Tokenizer
	z.Init(r)
	return rawTokens(z.RawToken)
}

// rawTokens reads next to its error (io.EOF at a clean end), at most
// maxDiffTokens tokens.
func rawTokens(next func() (xml.Token, error)) rawResult {
	var res rawResult
	for len(res.toks) < maxDiffTokens {
		t, err := next()
		if err != nil {
			res.err = err
			return res
		}
		res.toks = append(res.toks, normalize(t))
	}
	res.err = errors.New("too many tokens")
	return res
}

// compareTokenizers runs both tokenizers over in, the new one also reading
// a byte at a time (every byte a buffer refill) and in uneven chunks, and
// reports the first difference.
func compareTokenizers(t *testing.T, in []byte) {
	t.Helper()
	want := stdRawTokens(in)
	readers := map[string]io.Reader{
		"whole":     bytes.NewReader(in),
		"bytewise":  iotest.OneByteReader(bytes.NewReader(in)),
		"half":      iotest.HalfReader(bytes.NewReader(in)),
		"data+eof":  iotest.DataErrReader(bytes.NewReader(in)),
		"chunks-7":  &chunkReader{r: bytes.NewReader(in), n: 7},
		"chunks-3k": &chunkReader{r: bytes.NewReader(in), n: 3001},
	}
	for name, r := range readers {
		got := ourRawTokens(r)
		n := min(len(got.toks), len(want.toks))
		for i := 0; i < n; i++ {
			if !reflect.DeepEqual(got.toks[i], want.toks[i]) {
				t.Fatalf("%s: token %d: got %#v, encoding/xml %#v\ninput %q", name, i, got.toks[i], want.toks[i], in)
			}
		}
		if len(got.toks) != len(want.toks) {
			t.Fatalf("%s: %d tokens (then %v), encoding/xml %d (then %v)\ninput %q",
				name, len(got.toks), got.err, len(want.toks), want.err, in)
		}
		if (got.err == io.EOF) != (want.err == io.EOF) {
			t.Fatalf("%s: ended with %v, encoding/xml with %v\ninput %q", name, got.err, want.err, in)
		}
		// Syntax errors match in message and line too, so that a
		// ParseError reads the same as before.
		var gse, wse *xml.SyntaxError
		if errors.As(want.err, &wse) {
			if !errors.As(got.err, &gse) || *gse != *wse {
				t.Fatalf("%s: error %v, encoding/xml %v\ninput %q", name, got.err, want.err, in)
			}
		} else if want.err != io.EOF && (got.err == nil || got.err.Error() != want.err.Error()) {
			t.Fatalf("%s: error %v, encoding/xml %v\ninput %q", name, got.err, want.err, in)
		}
	}
}

// chunkReader returns at most n bytes a read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// tokenizerSeeds are the rpm fixtures' documents (decompressed) and hand-written
// documents for each construct the tokenizer handles.
func tokenizerSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	err := filepath.WalkDir("../../testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var compression string
		switch {
		case strings.HasSuffix(path, ".xml"):
		case strings.HasSuffix(path, ".xml.gz"):
			compression = "gz"
		case strings.HasSuffix(path, ".xml.xz"):
			compression = "xz"
		case strings.HasSuffix(path, ".xml.bz2"):
			compression = "bz2"
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := io.ReadAll(decompress(t, compression, data))
		if err != nil {
			return err
		}
		seeds = append(seeds, doc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		``,
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<metadata xmlns="http://example.org/metadata/common" xmlns:rpm="http://example.org/metadata/rpm" packages="1">` +
			`<package type="rpm"><rpm:entry name='a&amp;b' flags="GE" ver="1&#46;0&#x2e;1"/></package></metadata>`,
		`<?xml version='1.0' encoding='utf-8' standalone="yes"?><a/>`,
		`<?xml version="1.1"?><a/>`,
		`<?xml version="1.0" encoding="latin1"?><a/>`,
		`<?pi some data ?? ?><!-- a comment - with dashes --><a>x</a>`,
		`<!DOCTYPE metadata [ <!ENTITY e "<>"> <!-- c --> ]><metadata/>`,
		`<a><![CDATA[<b>&amp;]]]]><![CDATA[>]]></a>`,
		"<a>\r\nx\ry\r\r\n&#13;\n</a>",
		`<a b="&lt;&gt;&amp;&apos;&quot;" c='"' d="'"/>`,
		`<a>&#x10FFFF;&#1114112;&#0;&#xD800;&#;&#x;&amp</a>`,
		`<a>&unknown;</a>`,
		`<a>]]></a>`,
		`<a b="]]>"/>`,
		`<a b="<"/>`,
		`<a b=c/>`,
		`<a b/>`,
		`<a b="1" b="2"/>`,
		`<1a/>`,
		`<a:b:c/>`,
		`<:a/><a:/>`,
		`<é/><aé/><a·/>`,
		"<a>\xff</a>",
		"<a>\x01</a>",
		`</a>`,
		`<a></b>`,
		`<a`,
		`<a b="`,
		`<!-- -- -->`,
		`<!- x -->`,
		`<![CDAT[x]]>`,
		`<![CDATA[x`,
		`<a>x`,
		`<? ?>`,
		`<a / >`,
		`< a/>`,
		`<a >  </a  >`,
		`<a>&#x41;&#65</a>`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// TestTokenizerMatchesEncodingXML holds the tokenizer to encoding/xml's
// RawToken over the fixtures, hand-written edge cases and random mutations
// of both. Divergences kept on purpose: none in tokens and errors; the
// tokenizer hands out start and end elements and character data as
// pointers and gives nil rather than an empty Attr slice, which normalize
// accounts for.
func TestTokenizerMatchesEncodingXML(t *testing.T) {
	seeds := tokenizerSeeds(t)
	if len(seeds) < 10 {
		t.Fatalf("only %d seed documents", len(seeds))
	}
	for _, s := range seeds {
		compareTokenizers(t, s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const specials = "<>&;#x/?!-[]\"'= :\r\n\xc3\xa9\x00"
	for i := 0; i < 3000; i++ {
		src := seeds[rng.IntN(len(seeds))]
		start := rng.IntN(len(src) + 1)
		end := min(len(src), start+rng.IntN(400))
		doc := append([]byte(nil), src[start:end]...)
		for j := rng.IntN(4); j > 0 && len(doc) > 0; j-- {
			doc[rng.IntN(len(doc))] = specials[rng.IntN(len(specials))]
		}
		compareTokenizers(t, doc)
	}
}

func FuzzTokenizerMatchesEncodingXML(f *testing.F) {
	for _, s := range tokenizerSeeds(f) {
		if len(s) > 4096 {
			// Whole fixtures are slow to minimize; their packages are seeds.
			seedPackagesIfAny(f, s)
			continue
		}
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		compareTokenizers(t, in)
	})
}

// seedPackagesIfAny adds each package of a large document as a document
// of its own (whole fixtures are slow to minimize), or its first 4 KiB when
// it lists no packages.
func seedPackagesIfAny(f *testing.F, doc []byte) {
	start, end := bytes.Index(doc, []byte("<package")), bytes.LastIndex(doc, []byte("</package>"))
	if start < 0 || end < start {
		f.Add(doc[:4096])
		return
	}
	head, tail := doc[:start], doc[end+len("</package>"):]
	for _, one := range bytes.SplitAfter(doc[start:end+len("</package>")], []byte("</package>")) {
		if len(bytes.TrimSpace(one)) > 0 {
			f.Add(append(append(append([]byte(nil), head...), one...), tail...))
		}
	}
}

// decompress reads a fixture file in the compression its name ends in.
func decompress(t testing.TB, compression string, data []byte) io.Reader {
	t.Helper()
	var (
		r   io.Reader
		err error
	)
	switch compression {
	case "":
		return bytes.NewReader(data)
	case "gz":
		r, err = gzip.NewReader(bytes.NewReader(data))
	case "bz2":
		r = bzip2.NewReader(bytes.NewReader(data))
	case "xz":
		r, err = xz.NewReader(bytes.NewReader(data))
	default:
		t.Fatalf("no decompressor for %q", compression)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// BenchmarkRawToken reads the rpm fixture's primary.xml, repeated to a few
// MB, with this tokenizer and with encoding/xml's RawToken.
func BenchmarkRawToken(b *testing.B) {
	var doc []byte
	for _, s := range tokenizerSeeds(b) {
		if bytes.Contains(s, []byte("<metadata")) && len(s) > len(doc) {
			doc = s
		}
	}
	start, end := bytes.Index(doc, []byte("<package")), bytes.LastIndex(doc, []byte("</package>"))+len("</package>")
	var big bytes.Buffer
	big.Write(doc[:start])
	for big.Len() < 4<<20 {
		big.Write(doc[start:end])
	}
	big.Write(doc[end:])
	in := big.Bytes()
	for _, bc := range []struct {
		name string
		next func(io.Reader) func() (xml.Token, error)
	}{
		{"xmltok", func(r io.Reader) func() (xml.Token, error) {
			var z Tokenizer
			z.Init(r)
			return z.RawToken
		}},
		{"encoding-xml", func(r io.Reader) func() (xml.Token, error) { return xml.NewDecoder(r).RawToken }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				next := bc.next(bytes.NewReader(in))
				for {
					if _, err := next(); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
}
