//go:build race

package fastsan_test

// raceEnabled: the differential tests run no goroutines, and the race
// detector makes them ~10× slower; under it they check fewer combinations.
const raceEnabled = true
