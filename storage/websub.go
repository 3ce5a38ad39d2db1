package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// The subscriptions of feedloom's WebSub hub. They are neither content nor
// fetch state (no page shows them), so their writes leave both generations
// alone and go through rawTx, not writeTx.

// SaveSubscription stores s, replacing the subscription of the same topic
// and callback (a renewal: new lease, maybe a new secret).
func (db *DB) SaveSubscription(ctx context.Context, s feeds.Subscription) error {
	err := db.rawTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO websub_subscriptions (topic, callback, secret, expires, created)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, expires = excluded.expires`,
			s.Topic, s.Callback, s.Secret, ms(s.Expires), ms(s.Created))
		return err
	})
	if err != nil {
		return fmt.Errorf("save subscription: %w", err)
	}
	return nil
}

// DeleteSubscription removes the subscription of topic and callback; one
// that does not exist is not an error (unsubscribing twice is harmless).
func (db *DB) DeleteSubscription(ctx context.Context, topic, callback string) error {
	err := db.rawTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM websub_subscriptions WHERE topic = ? AND callback = ?`, topic, callback)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete subscription: %w", err)
	}
	return nil
}

// DeleteExpiredSubscriptions removes every subscription whose lease ended
// at or before now and returns how many there were.
func (db *DB) DeleteExpiredSubscriptions(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.rawTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM websub_subscriptions WHERE expires <= ?`, ms(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired subscriptions: %w", err)
	}
	return int(n), nil
}

// Subscriptions returns every stored subscription, expired or not, by
// topic and callback. The hub bounds how many there are.
func (db *DB) Subscriptions(ctx context.Context) (_ []feeds.Subscription, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT topic, callback, secret, expires, created
		FROM websub_subscriptions ORDER BY topic, callback`)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", db.faults.note(err))
	}
	defer closeRows(rows, &err)
	var out []feeds.Subscription
	for rows.Next() {
		var s feeds.Subscription
		var expires, created int64
		if err := rows.Scan(&s.Topic, &s.Callback, &s.Secret, &expires, &created); err != nil {
			return nil, fmt.Errorf("subscriptions: %w", err)
		}
		s.Expires, s.Created = fromMS(expires), fromMS(created)
		out = append(out, s)
	}
	return out, nil
}

// SaveUpstream stores feedloom's subscription for a source, replacing
// the one it had.
func (db *DB) SaveUpstream(ctx context.Context, u feeds.Upstream) error {
	err := db.rawTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO websub_upstream (source, hub, topic, token, secret, expires, requested)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source) DO UPDATE SET hub = excluded.hub, topic = excluded.topic, token = excluded.token,
				secret = excluded.secret, expires = excluded.expires, requested = excluded.requested`,
			u.Source, u.Hub, u.Topic, u.Token, u.Secret, nullMSZero(u.Expires), ms(u.Requested))
		return err
	})
	if err != nil {
		return fmt.Errorf("save upstream subscription: %w", err)
	}
	return nil
}

// DeleteUpstream forgets feedloom's subscription for a source.
func (db *DB) DeleteUpstream(ctx context.Context, source string) error {
	err := db.rawTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM websub_upstream WHERE source = ?`, source)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete upstream subscription: %w", err)
	}
	return nil
}

// Upstreams returns feedloom's subscriptions, by source.
func (db *DB) Upstreams(ctx context.Context) (_ []feeds.Upstream, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT source, hub, topic, token, secret, expires, requested
		FROM websub_upstream ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("upstream subscriptions: %w", db.faults.note(err))
	}
	defer closeRows(rows, &err)
	var out []feeds.Upstream
	for rows.Next() {
		var u feeds.Upstream
		var expires, requested int64
		if err := rows.Scan(&u.Source, &u.Hub, &u.Topic, &u.Token, &u.Secret, &expires, &requested); err != nil {
			return nil, fmt.Errorf("upstream subscriptions: %w", err)
		}
		if expires != 0 {
			u.Expires = fromMS(expires)
		}
		u.Requested = fromMS(requested)
		out = append(out, u)
	}
	return out, nil
}

// nullMSZero is a time as unix milliseconds, 0 for the zero time.
func nullMSZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}
