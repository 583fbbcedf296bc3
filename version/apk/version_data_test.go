package apk

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestVersionData runs apk-tools' own test vectors the way its unit test
// (test/unit/version_test.c) does: "ver1 op ver2" must hold, "ver1 !op
// ver2" must not, "ver" must be valid and "!ver" invalid; '#' starts a
// comment.
func TestVersionData(t *testing.T) {
	f, err := os.Open("testdata/version.data")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line, cases := 0, 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		cases++
		var ok, invert bool
		if v1, rest, found := strings.Cut(text, " "); found {
			op, v2, found := strings.Cut(rest, " ")
			if !found {
				t.Fatalf("version.data:%d: %q is neither a version nor a comparison", line, text)
			}
			op, invert = strings.CutPrefix(op, "!")
			ok = Match(v1, ParseOp(op), v2)
		} else {
			var v string
			v, invert = strings.CutPrefix(text, "!")
			ok = Validate(v) == nil
		}
		if ok == invert {
			t.Errorf("version.data:%d: %s does not hold", line, text)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cases < 600 {
		t.Fatalf("only %d cases read from version.data", cases)
	}
	t.Logf("apk-tools version.data: %d cases, all hold", cases)
}
