package client

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// loggedHeaders logs headers as redactHeader shows them: credentials replaced by [REDACTED], and the API key
// wherever else it appears.
type loggedHeaders struct {
	h   http.Header
	key apiKey
}

func (r loggedHeaders) LogValue() slog.Value {
	h := redactHeader(r.h, r.key)
	attrs := make([]slog.Attr, 0, len(h))
	for k, v := range h {
		if len(v) == 1 {
			attrs = append(attrs, slog.String(k, v[0]))
		} else {
			attrs = append(attrs, slog.Any(k, v))
		}
	}
	return slog.GroupValue(attrs...)
}

func (cfg *config) debug(ctx context.Context) bool {
	return cfg.logger != nil && cfg.logger.Enabled(ctx, slog.LevelDebug)
}

func (cfg *config) logRequest(ctx context.Context, op string, req *http.Request, n int) {
	if !cfg.debug(ctx) {
		return
	}
	cfg.logger.LogAttrs(ctx, slog.LevelDebug, "ampersand request",
		slog.String("operation", op), slog.Int("attempt", n),
		slog.String("method", req.Method), slog.String("url", cfg.key.redact(req.URL.String())),
		slog.Any("headers", loggedHeaders{req.Header, cfg.key}))
}

func (cfg *config) logResponse(ctx context.Context, op string, resp *http.Response, n int, took time.Duration) {
	if !cfg.debug(ctx) {
		return
	}
	cfg.logger.LogAttrs(ctx, slog.LevelDebug, "ampersand response",
		slog.String("operation", op), slog.Int("attempt", n),
		slog.Int("status", resp.StatusCode), slog.Duration("took", took),
		slog.Any("headers", loggedHeaders{resp.Header, cfg.key}))
}

// logDecision logs a failed attempt and what happens next: at debug level when it is retried or when a
// first attempt fails (the caller gets that error anyway; a 404 may be expected), at warn level when the
// call gives up after retrying.
func (cfg *config) logDecision(ctx context.Context, op string, n int, d decision, err error) {
	level, msg := slog.LevelDebug, "ampersand call failed"
	switch {
	case d.retry:
		msg = "ampersand retry"
	case n > 1:
		level = slog.LevelWarn
	}
	if cfg.logger == nil || !cfg.logger.Enabled(ctx, level) {
		return
	}
	cfg.logger.LogAttrs(ctx, level, msg,
		slog.String("operation", op), slog.Int("attempt", n),
		slog.String("error", err.Error()), // error strings are redacted by construction
		slog.String("reason", d.reason), slog.Duration("wait", d.wait))
}
