package web

import "net/http"

// AnswersFromCache reports whether ServeHTTP would answer r from the cache,
// before routing: the tests compare such answers with routed ones.
func (h *Handler) AnswersFromCache(r *http.Request) bool { return h.cached(r) != nil }
