//go:build race

package scheduler_test

// raceEnabled: modernc's SQLite runs ~40× slower under the race detector,
// so the corpus test ingests a sample there.
const raceEnabled = true
