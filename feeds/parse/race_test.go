//go:build race

package parse_test

// raceEnabled: under the race detector (which makes gofeed ~50x slower and
// checks nothing for a single-threaded parse) the largest corpus files are
// left to the ordinary run.
const raceEnabled = true
