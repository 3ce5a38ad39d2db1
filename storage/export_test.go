package storage

// Poll is Watch's one poll, for tests that must not wait on a ticker.
var Poll = (*DB).poll
