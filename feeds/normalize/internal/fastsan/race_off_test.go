//go:build !race

package fastsan_test

const raceEnabled = false
