package websub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// maxAnswerBytes caps what is read of a callback's answer: only the
// status matters for a delivery, the challenge for a verification.
const maxAnswerBytes = 4 << 10

// remember records the current version of each topic without delivering
// it: subscribers get the versions that come after they subscribed.
func (h *Hub) remember(ctx context.Context, topics []string) {
	for _, t := range topics {
		if d, err := h.render(ctx, t); err == nil {
			h.mu.Lock()
			if h.perTopic[t] > 0 {
				h.sums[t] = d.Sum
			}
			h.mu.Unlock()
		}
	}
}

// render is Options.Render with a log line for what is not "not ours".
func (h *Hub) render(ctx context.Context, topic string) (Document, error) {
	d, err := h.o.Render(ctx, topic)
	if err != nil && !errors.Is(err, feeds.ErrNotFound) && ctx.Err() == nil {
		h.log.Error("websub: render topic", "topic", topic, "error", err)
	}
	return d, err
}

// refresh renders every topic that has subscribers and queues the new
// version for each of them when its bytes changed. A topic that is gone
// (an output removed, a tag no article carries any more) keeps its
// subscribers until their leases end, in case it comes back.
func (h *Hub) refresh(ctx context.Context, now time.Time) {
	changed := map[string]*Document{}
	for _, t := range h.topics() {
		d, err := h.render(ctx, t)
		if err != nil {
			continue
		}
		h.mu.Lock()
		if h.sums[t] != d.Sum {
			h.sums[t] = d.Sum
			changed[t] = &d
		}
		h.mu.Unlock()
	}
	if len(changed) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, s := range h.subs {
		if doc := changed[k.topic]; doc != nil {
			s.pending, s.attempt, s.retryAt = doc, 0, now
		}
	}
}

// dispatch queues the deliveries that are due, as many as the queue takes;
// the rest wait for the next tick.
func (h *Hub) dispatch(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.subs {
		if s.pending == nil || s.busy || s.retryAt.After(now) {
			continue
		}
		s.busy = true
		job := h.deliveryJob(s, s.Subscription, s.pending)
		if !h.enqueue(job) {
			s.busy = false
			return
		}
	}
}

// deliveryJob posts doc to the subscription's callback and records the
// outcome on s (if it is still the subscription of its key).
func (h *Hub) deliveryJob(s *sub, sn feeds.Subscription, doc *Document) func(context.Context) {
	return func(ctx context.Context) {
		code, err := h.post(ctx, sn, doc)
		k := subKey{sn.Topic, sn.Callback}
		if code == http.StatusGone {
			h.remove(ctx, k, "callback answered 410 Gone")
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.subs[k] != s {
			return // ended meanwhile
		}
		s.busy = false
		if s.pending != doc {
			return // a newer version superseded this one; it goes next
		}
		if err == nil {
			s.pending, s.attempt = nil, 0
			return
		}
		s.attempt++
		if s.attempt >= h.o.Attempts {
			h.log.Warn("websub: delivery abandoned", "topic", sn.Topic, "callback", sn.Callback, "attempts", s.attempt, "error", err)
			s.pending, s.attempt = nil, 0
			return
		}
		delay := h.backoff(s.attempt)
		s.retryAt = h.o.Now().Add(delay)
		h.log.Info("websub: delivery failed, will retry", "topic", sn.Topic, "callback", sn.Callback,
			"attempt", s.attempt, "retry_in", delay, "error", err)
	}
}

// backoff is the delay before retry n (1-based): RetryBase doubled n-1
// times, at most MaxRetryDelay.
func (h *Hub) backoff(n int) time.Duration {
	d := h.o.RetryBase
	for i := 1; i < n && d < h.o.MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, h.o.MaxRetryDelay)
}

// post sends one content distribution request: the full document with
// its content type, the hub and self links, and the signature when the
// subscriber gave a secret. It returns the status and an error for any
// answer but 2xx.
func (h *Hub) post(ctx context.Context, s feeds.Subscription, doc *Document) (int, error) {
	st := h.settings.Load()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Callback, bytes.NewReader(doc.Body))
	if err != nil {
		return 0, fmt.Errorf("build delivery: %w", err)
	}
	req.Header.Set("Content-Type", doc.ContentType)
	req.Header.Add("Link", "<"+st.HubURL+`>; rel="hub"`)
	req.Header.Add("Link", "<"+s.Topic+`>; rel="self"`)
	if s.Secret != "" {
		req.Header.Set("X-Hub-Signature", Sign([]byte(s.Secret), doc.Body))
	}
	resp, err := st.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("callback answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// Sign is the X-Hub-Signature value of body under secret: HMAC-SHA256.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
