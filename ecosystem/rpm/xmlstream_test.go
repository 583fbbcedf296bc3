package rpm

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestTokenizerBounded checks that a hostile attribute value fails at the
// budget instead of being buffered whole.
func TestTokenizerBounded(t *testing.T) {
	huge := io.MultiReader(strings.NewReader(`<metadata packages="1"><package a="`), infiniteA{})
	r := NewPrimaryReader(huge, "huge.xml")
	_, err := r.Next()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if r.s.budget.left > 0 {
		t.Fatalf("budget not used up: %d left", r.s.budget.left)
	}
	if c := r.s.z.ScratchCap(); c > 2*MaxPackageSize {
		t.Fatalf("token buffer grew to %d bytes, over twice the %d budget", c, MaxPackageSize)
	}
}

type infiniteA struct{}

func (infiniteA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}
