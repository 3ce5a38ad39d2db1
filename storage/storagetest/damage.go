package storagetest

import (
	"math/rand/v2"
	"os"
	"testing"
)

// DamageMiddle overwrites 64 KB in the middle of the file at path with
// fixed noise, as a failing disk or a stray write would: the damage the
// corruption tests look for. The file must be larger than 128 KB.
func DamageMiddle(t testing.TB, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64 << 10
	if fi.Size() < 2*n {
		t.Fatalf("%s has %d bytes: too small to damage its middle", path, fi.Size())
	}
	junk := make([]byte, n)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range junk {
		junk[i] = byte(r.Uint32())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(junk, fi.Size()/2-n/2); err != nil {
		_ = f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
