package websub

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// Bounds on a subscription request.
const (
	maxRequestBytes  = 16 << 10
	maxCallbackBytes = 2048
	topicTimeout     = 10 * time.Second
)

// request is one checked subscription request.
type request struct {
	mode   string // "subscribe" or "unsubscribe"
	key    subKey
	lease  time.Duration
	secret string
}

// requestError is a refused request: the status and the message sent.
type requestError struct {
	code int
	msg  string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// ServeHTTP answers a subscription request (POST, form-encoded): 202 when
// it is accepted and its intent will be verified, else 4xx or 503 with a
// one-line reason.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	if !st.Enabled {
		answer(w, http.StatusNotFound, "websub is disabled")
		return
	}
	req, err := h.parse(w, r, st)
	if err == nil {
		err = h.accept(req, st)
	}
	var re *requestError
	switch {
	case errors.As(err, &re):
		answer(w, re.code, re.msg)
	case err != nil:
		h.log.Error("websub: subscription request", "error", err)
		answer(w, http.StatusInternalServerError, "internal server error")
	default:
		answer(w, http.StatusAccepted, "accepted; the callback will be asked to verify")
	}
}

// answer writes a short plain-text answer.
func answer(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}

// parse reads and checks the request's hub.* parameters.
func (h *Hub) parse(w http.ResponseWriter, r *http.Request, st *Settings) (request, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if err := r.ParseForm(); err != nil {
		return request{}, badRequest("the body must be a form (application/x-www-form-urlencoded) of at most %d bytes", maxRequestBytes)
	}
	f := r.PostForm
	req := request{mode: f.Get("hub.mode"), secret: f.Get("hub.secret")}
	if req.mode != "subscribe" && req.mode != "unsubscribe" {
		return request{}, badRequest("hub.mode must be subscribe or unsubscribe, got %q", req.mode)
	}
	callback, err := checkCallback(f.Get("hub.callback"), st.IsPrivate)
	if err != nil {
		return request{}, err
	}
	req.key = subKey{topic: f.Get("hub.topic"), callback: callback}
	if req.key.topic == "" {
		return request{}, badRequest("hub.topic is missing")
	}
	if len(req.secret) > MaxSecretBytes {
		return request{}, badRequest("hub.secret must be at most %d bytes", MaxSecretBytes)
	}
	if req.lease, err = leaseOf(f.Get("hub.lease_seconds"), st); err != nil {
		return request{}, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), topicTimeout)
	defer cancel()
	if _, err := h.o.Render(ctx, req.key.topic); errors.Is(err, feeds.ErrNotFound) {
		return request{}, badRequest("hub.topic %q is not a feed published here", req.key.topic)
	} else if err != nil {
		return request{}, &requestError{http.StatusServiceUnavailable, "the topic cannot be rendered now; try again later"}
	}
	return req, nil
}

// checkCallback reports whether raw can be a callback: an absolute
// http(s) URL without fragment, not an IP literal that private refuses (a
// name resolving to a private address is refused when it is dialled).
func checkCallback(raw string, private func(net.IP) bool) (string, error) {
	if raw == "" {
		return "", badRequest("hub.callback is missing")
	}
	if len(raw) > maxCallbackBytes {
		return "", badRequest("hub.callback must be at most %d bytes", maxCallbackBytes)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return "", badRequest("hub.callback must be an absolute http(s) URL without fragment")
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && private != nil && private(ip) {
		return "", badRequest("hub.callback %s is a private address", u.Hostname())
	}
	return raw, nil
}

// leaseOf is the lease granted for a hub.lease_seconds value ("" asks for
// the default), bounded by the settings.
func leaseOf(v string, st *Settings) (time.Duration, error) {
	if v == "" {
		return st.Lease, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, badRequest("hub.lease_seconds must be a positive integer, got %q", v)
	}
	if n > int64(st.MaxLease/time.Second) {
		return st.MaxLease, nil
	}
	return max(time.Duration(n)*time.Second, st.MinLease), nil
}

// accept reserves room for a subscription and queues the verification of
// its intent. An unsubscription of nothing is accepted and dropped.
func (h *Hub) accept(req request, st *Settings) error {
	reserved := false
	if req.mode == "subscribe" {
		var err error
		if reserved, err = h.reserve(req.key, st); err != nil {
			return &requestError{http.StatusTooManyRequests, err.Error()}
		}
	} else if _, ok := h.Lookup(req.key.topic, req.key.callback); !ok {
		return nil
	}
	if !h.enqueue(func(ctx context.Context) { h.verify(ctx, req, reserved) }) {
		if reserved {
			h.release(req.key)
		}
		return &requestError{http.StatusServiceUnavailable, "the hub is busy; try again later"}
	}
	return nil
}

// verify asks the callback to confirm the request by echoing a random
// challenge, then records or ends the subscription.
func (h *Hub) verify(ctx context.Context, req request, reserved bool) {
	err := h.challenge(ctx, req)
	if err != nil {
		if reserved {
			h.release(req.key)
		}
		h.log.Info("websub: verification failed", "mode", req.mode, "topic", req.key.topic, "callback", req.key.callback, "error", err)
		return
	}
	if req.mode == "unsubscribe" {
		h.remove(ctx, req.key, "unsubscribed")
		return
	}
	now := h.o.Now()
	s := feeds.Subscription{Topic: req.key.topic, Callback: req.key.callback, Secret: req.secret,
		Expires: now.Add(req.lease), Created: now}
	if err := h.o.Store.SaveSubscription(ctx, s); err != nil {
		if reserved {
			h.release(req.key)
		}
		h.log.Error("websub: save subscription", "topic", s.Topic, "callback", s.Callback, "error", err)
		return
	}
	h.mu.Lock()
	h.addLocked(s)
	known := h.sums[s.Topic] != ""
	h.mu.Unlock()
	if !known {
		h.remember(ctx, []string{s.Topic})
	}
	h.log.Info("websub: subscribed", "topic", s.Topic, "callback", s.Callback, "lease", req.lease, "signed", s.Secret != "")
}

// challenge is the verification of intent: a GET of the callback with the
// hub.* parameters added to its own query, which must answer 2xx with the
// challenge as its body.
func (h *Hub) challenge(ctx context.Context, req request) error {
	u, err := url.Parse(req.key.callback)
	if err != nil {
		return err
	}
	q := url.Values{"hub.mode": {req.mode}, "hub.topic": {req.key.topic}, "hub.challenge": {randomToken()}}
	if req.mode == "subscribe" {
		q.Set("hub.lease_seconds", strconv.FormatInt(int64(req.lease/time.Second), 10))
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += q.Encode()
	get, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := h.settings.Load().Client.Do(get)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("callback answered %s", resp.Status)
	}
	if !bytes.Equal(bytes.TrimSpace(body), []byte(q.Get("hub.challenge"))) {
		return errors.New("callback did not echo the challenge")
	}
	return nil
}

// randomToken is 128 random bits in hex: challenges and secrets.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
