package websub

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// Errors of reserve: the limits a new subscription would break.
var (
	errTopicFull = errors.New("this topic has as many subscribers as the hub allows")
	errHostFull  = errors.New("the callback's host has as many subscriptions as the hub allows")
	errHubFull   = errors.New("the hub has as many subscriptions as it allows")
)

// callbackHost is the host a callback's subscriptions are counted under.
func callbackHost(callback string) string {
	u, err := url.Parse(callback)
	if err != nil {
		return callback
	}
	return strings.ToLower(u.Hostname())
}

// reserve counts a subscription about to be verified against the limits.
// A renewal of a verified or pending subscription needs no new room.
// It reports whether it reserved room (to release on failure).
func (h *Hub) reserve(k subKey, s *Settings) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[k] != nil || h.pending[k] {
		return false, nil
	}
	host := callbackHost(k.callback)
	switch {
	case len(h.subs)+len(h.pending) >= s.MaxTotal:
		return false, errHubFull
	case h.perTopic[k.topic] >= s.MaxPerTopic:
		return false, errTopicFull
	case h.perHost[host] >= s.MaxPerHost:
		return false, errHostFull
	}
	h.pending[k] = true
	h.perTopic[k.topic]++
	h.perHost[host]++
	return true, nil
}

// release gives back the room reserve took for a subscription whose
// verification failed.
func (h *Hub) release(k subKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.pending[k] {
		return
	}
	delete(h.pending, k)
	h.uncountLocked(k)
}

func (h *Hub) uncountLocked(k subKey) {
	host := callbackHost(k.callback)
	if h.perTopic[k.topic]--; h.perTopic[k.topic] <= 0 {
		delete(h.perTopic, k.topic)
		delete(h.sums, k.topic)
	}
	if h.perHost[host]--; h.perHost[host] <= 0 {
		delete(h.perHost, host)
	}
}

// addLocked records a verified subscription, or renews the one it
// replaces (keeping its pending delivery).
func (h *Hub) addLocked(s feeds.Subscription) {
	k := subKey{s.Topic, s.Callback}
	if cur := h.subs[k]; cur != nil {
		cur.Subscription = s
		return
	}
	if h.pending[k] {
		delete(h.pending, k) // its room is already counted
	} else {
		h.perTopic[k.topic]++
		h.perHost[callbackHost(k.callback)]++
	}
	h.subs[k] = &sub{Subscription: s, host: callbackHost(s.Callback)}
}

// removeLocked forgets a verified subscription; false when there was none.
func (h *Hub) removeLocked(k subKey) bool {
	if h.subs[k] == nil {
		return false
	}
	delete(h.subs, k)
	h.uncountLocked(k)
	return true
}

// remove forgets a subscription here and in the store.
func (h *Hub) remove(ctx context.Context, k subKey, why string) {
	h.mu.Lock()
	removed := h.removeLocked(k)
	h.mu.Unlock()
	if !removed {
		return
	}
	if err := h.o.Store.DeleteSubscription(ctx, k.topic, k.callback); err != nil {
		h.log.Error("websub: delete subscription", "topic", k.topic, "callback", k.callback, "error", err)
	}
	h.log.Info("websub: subscription ended", "topic", k.topic, "callback", k.callback, "reason", why)
}

// expire ends the subscriptions whose lease ended by now.
func (h *Hub) expire(ctx context.Context, now time.Time) {
	h.mu.Lock()
	var gone []subKey
	for k, s := range h.subs {
		if !s.Expires.After(now) {
			gone = append(gone, k)
		}
	}
	for _, k := range gone {
		h.removeLocked(k)
	}
	h.mu.Unlock()
	if len(gone) == 0 {
		return
	}
	if _, err := h.o.Store.DeleteExpiredSubscriptions(ctx, now); err != nil {
		h.log.Error("websub: delete expired subscriptions", "error", err)
	}
	for _, k := range gone {
		h.log.Info("websub: subscription ended", "topic", k.topic, "callback", k.callback, "reason", "lease expired")
	}
}

// topics are the topics that have verified subscribers.
func (h *Hub) topics() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.perTopic))
	seen := map[string]bool{}
	for k := range h.subs {
		if !seen[k.topic] {
			seen[k.topic] = true
			out = append(out, k.topic)
		}
	}
	return out
}
