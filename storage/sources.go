package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/feedloom/feedloom/feeds"
)

// upsertStateSQL saves a source's fetch state, creating the source when the
// config never named it (URL and ConfigHash are only set on creation; they
// belong to SyncSources). It returns the source's id.
const upsertStateSQL = `INSERT INTO sources (name, url, config_hash, redirect_url, etag, last_modified,
	last_fetch, last_success, last_status, last_error, failures, next_attempt, gone, item_count, language, feed_title)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
	redirect_url = excluded.redirect_url, etag = excluded.etag, last_modified = excluded.last_modified,
	last_fetch = excluded.last_fetch, last_success = excluded.last_success,
	last_status = excluded.last_status, last_error = excluded.last_error,
	failures = excluded.failures, next_attempt = excluded.next_attempt,
	gone = excluded.gone, item_count = excluded.item_count, language = excluded.language,
	feed_title = excluded.feed_title
RETURNING id`

func stateArgs(st feeds.SourceState) []any {
	return []any{st.Name, st.URL, st.ConfigHash, st.RedirectURL, st.ETag, st.LastModified,
		nullMS(st.LastFetch), nullMS(st.LastSuccess), st.LastStatus, st.LastError, st.Failures,
		nullMS(st.NextAttempt), st.Gone, st.ItemCount, st.Language, st.FeedTitle}
}

// configHash is the hash SyncSources stores for a source's configuration; a
// change of any configured field (URL, title, tags, schedule) counts as the
// admin's intervention and clears Gone, the remembered redirect and backoff.
func configHash(s feeds.Source) string {
	h := sha256.New()
	for _, f := range []string{s.URL, s.Title, strings.Join(s.Tags, "\x1f"), s.Schedule} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SyncSources makes the stored sources match the config: each is created or
// updated by name; a changed configuration clears Gone, the redirect, the
// backoff (and the validators when the URL changed). Sources no longer
// configured are kept (their articles still name them) but marked inactive,
// so SourceStates and Stats leave them out.
func (db *DB) SyncSources(ctx context.Context, srcs []feeds.Source) error {
	// Always a content change: pages show the configured sources' names.
	err := db.writeTx(ctx, func(tx *sql.Tx) (bool, error) {
		if _, err := tx.ExecContext(ctx, `UPDATE sources SET active = 0 WHERE active = 1`); err != nil {
			return false, err
		}
		for _, s := range srcs {
			if s.Name == "" {
				return false, errors.New("source without a name")
			}
			hash := configHash(s)
			var oldHash, oldURL string
			err := tx.QueryRowContext(ctx, `SELECT config_hash, url FROM sources WHERE name = ?`, s.Name).
				Scan(&oldHash, &oldURL)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				_, err = tx.ExecContext(ctx, `INSERT INTO sources (name, url, config_hash) VALUES (?, ?, ?)`,
					s.Name, s.URL, hash)
			case err != nil:
			case oldHash == hash:
				_, err = tx.ExecContext(ctx, `UPDATE sources SET active = 1 WHERE name = ?`, s.Name)
			default:
				_, err = tx.ExecContext(ctx, `UPDATE sources SET active = 1, url = ?, config_hash = ?,
					gone = 0, redirect_url = '', failures = 0, next_attempt = NULL,
					etag = CASE WHEN url = ? THEN etag ELSE '' END,
					last_modified = CASE WHEN url = ? THEN last_modified ELSE '' END
					WHERE name = ?`, s.URL, hash, s.URL, s.URL, s.Name)
			}
			if err != nil {
				return false, fmt.Errorf("source %s: %w", s.Name, err)
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("sync sources: %w", err)
	}
	return nil
}

const stateCols = `s.name, s.url, s.redirect_url, s.config_hash, s.etag, s.last_modified, s.last_fetch,
	s.last_success, s.last_status, s.last_error, s.failures, s.next_attempt, s.gone, s.item_count, s.language, s.feed_title,
	s.carriage_count`

func scanState(sc interface{ Scan(...any) error }) (feeds.SourceState, error) {
	var st feeds.SourceState
	var lastFetch, lastSuccess, next sql.NullInt64
	err := sc.Scan(&st.Name, &st.URL, &st.RedirectURL, &st.ConfigHash, &st.ETag, &st.LastModified,
		&lastFetch, &lastSuccess, &st.LastStatus, &st.LastError, &st.Failures, &next, &st.Gone,
		&st.ItemCount, &st.Language, &st.FeedTitle, &st.ArticleCount)
	st.LastFetch, st.LastSuccess, st.NextAttempt = fromNullMS(lastFetch), fromNullMS(lastSuccess), fromNullMS(next)
	return st, err
}

// SourceState returns one source's stored fetch state (with ArticleCount),
// or feeds.ErrNotFound.
func (db *DB) SourceState(ctx context.Context, name string) (feeds.SourceState, error) {
	st, err := scanState(db.state.QueryRowContext(ctx, name))
	if errors.Is(err, sql.ErrNoRows) {
		return feeds.SourceState{}, fmt.Errorf("source %q: %w", name, feeds.ErrNotFound)
	}
	if err != nil {
		return feeds.SourceState{}, fmt.Errorf("source %q: %w", name, db.faults.note(err))
	}
	return st, nil
}

// SourceStates returns the state of every configured (active) source, by name,
// for /sources and the scheduler's start-up.
func (db *DB) SourceStates(ctx context.Context) (_ []feeds.SourceState, err error) {
	defer func() { err = db.faults.note(err) }()
	rows, err := db.r.QueryContext(ctx, `SELECT `+stateCols+` FROM sources s WHERE s.active = 1 ORDER BY s.name`)
	if err != nil {
		return nil, fmt.Errorf("source states: %w", err)
	}
	defer closeRows(rows, &err)
	var out []feeds.SourceState
	for rows.Next() {
		st, err := scanState(rows)
		if err != nil {
			return nil, fmt.Errorf("source states: %w", err)
		}
		out = append(out, st)
	}
	return out, nil
}

// SaveFetchState stores a source's fetch state after an attempt that stored
// no articles (a 304, a failure). URL and ConfigHash are left as SyncSources
// set them; a source the config never named is created. It bumps
// StateGeneration only, not Generation. It may share a transaction with
// other writes queued for the writer at the same time (writeGrouped).
func (db *DB) SaveFetchState(ctx context.Context, st feeds.SourceState) error {
	if st.Name == "" {
		return errors.New("save fetch state: source without a name")
	}
	_, err := db.writeGrouped(ctx, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		var id int64
		return false, tx.StmtContext(ctx, db.st.upsertState).QueryRowContext(ctx, stateArgs(st)...).Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("save fetch state of %s: %w", st.Name, err)
	}
	return nil
}

// SourceFeedTitles returns the title each source's feed gives itself, by
// source name, for sources configured without a title; sources whose feed
// has none are absent.
func (db *DB) SourceFeedTitles(ctx context.Context) (_ map[string]string, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, feed_title FROM sources WHERE feed_title != ''`)
	if err != nil {
		return nil, fmt.Errorf("source feed titles: %w", db.faults.note(err))
	}
	defer closeRows(rows, &err)
	out := map[string]string{}
	for rows.Next() {
		var name, title string
		if err := rows.Scan(&name, &title); err != nil {
			return nil, fmt.Errorf("source feed titles: %w", err)
		}
		out[name] = title
	}
	return out, nil
}

// SourceLanguages returns the language each source's feed declares, by
// source name, for the lang attributes of pages; sources without one are
// absent. It reads one small column, unlike SourceStates' article counts.
func (db *DB) SourceLanguages(ctx context.Context) (_ map[string]string, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, language FROM sources WHERE language != ''`)
	if err != nil {
		return nil, fmt.Errorf("source languages: %w", err)
	}
	defer closeRows(rows, &err)
	out := map[string]string{}
	for rows.Next() {
		var name, lang string
		if err := rows.Scan(&name, &lang); err != nil {
			return nil, fmt.Errorf("source languages: %w", err)
		}
		out[name] = lang
	}
	return out, nil
}
