package related

import (
	"testing"
	"unsafe"
)

// TestArtLayout keeps an article's record one cache line (see art) and the
// memory estimate in Stats honest.
func TestArtLayout(t *testing.T) {
	if got := unsafe.Sizeof(art{}); got != artBytes {
		t.Errorf("art is %d bytes, artBytes says %d", got, artBytes)
	}
}
