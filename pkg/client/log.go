package client

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// redactedHeaders logs headers with credentials replaced by [REDACTED]: the values of credential headers,
// and the API key wherever else it appears (a server or proxy may reflect it under another name).
type redactedHeaders struct {
	h      http.Header
	secret *string
}

func (r redactedHeaders) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(r.h))
	for k, v := range r.h {
		switch http.CanonicalHeaderKey(k) {
		case "X-Api-Key", "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie":
			attrs = append(attrs, slog.String(k, "[REDACTED]"))
		default:
			vals := make([]string, len(v))
			for i := range v {
				vals[i] = redact(v[i], r.secret)
			}
			if len(vals) == 1 {
				attrs = append(attrs, slog.String(k, vals[0]))
			} else {
				attrs = append(attrs, slog.Any(k, vals))
			}
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
		slog.String("method", req.Method), slog.String("url", redact(req.URL.String(), cfg.apiKeyRef)),
		slog.Any("headers", redactedHeaders{req.Header, cfg.apiKeyRef}))
}

func (cfg *config) logResponse(ctx context.Context, op string, resp *http.Response, n int, took time.Duration) {
	if !cfg.debug(ctx) {
		return
	}
	cfg.logger.LogAttrs(ctx, slog.LevelDebug, "ampersand response",
		slog.String("operation", op), slog.Int("attempt", n),
		slog.Int("status", resp.StatusCode), slog.Duration("took", took),
		slog.Any("headers", redactedHeaders{resp.Header, cfg.apiKeyRef}))
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
