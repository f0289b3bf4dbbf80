package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"

	"github.com/resellerbot/resellerbot/internal/redact"
)

// logFlags are the logging flags every long-running command takes.
type logFlags struct {
	format, level *string
}

func addLogFlags(fs *flag.FlagSet, defaultLevel string) *logFlags {
	return &logFlags{
		format: fs.String("log-format", "text", "log format: text or json"),
		level:  fs.String("log-level", defaultLevel, "log level: debug, info, warn or error"),
	}
}

// logger builds the logger the flags ask for, writing to w. Every string it
// writes passes through redaction of the given secrets, so a secret that
// slips into an error message still never reaches the log.
func (f *logFlags) logger(w io.Writer, secrets ...string) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(*f.level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", *f.level)
	}
	r := redact.New(secrets...)
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr(r)}
	switch strings.ToLower(*f.format) {
	case "text":
		return slog.New(&redactHandler{Handler: slog.NewTextHandler(w, opts), redact: r}), nil
	case "json":
		return slog.New(&redactHandler{Handler: slog.NewJSONHandler(w, opts), redact: r}), nil
	}
	return nil, usagef("--log-format %q: want text or json", *f.format)
}

// redactAttr replaces secrets inside attribute values, errors included.
func redactAttr(r *redact.Redactor) func([]string, slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		if r.Empty() {
			return a
		}
		v := a.Value.Resolve()
		var s string
		switch v.Kind() {
		case slog.KindString:
			s = v.String()
		case slog.KindAny:
			if err, ok := v.Any().(error); ok {
				s = err.Error()
			} else {
				return a
			}
		default:
			return a
		}
		if red := r.String(s); red != s {
			return slog.String(a.Key, red)
		}
		return a
	}
}

// redactHandler also redacts the message itself, which ReplaceAttr does
// not see.
type redactHandler struct {
	slog.Handler
	redact *redact.Redactor
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	if msg := h.redact.String(r.Message); msg != r.Message {
		nr := slog.NewRecord(r.Time, r.Level, msg, r.PC)
		r.Attrs(func(a slog.Attr) bool { nr.AddAttrs(a); return true })
		r = nr
	}
	return h.Handler.Handle(ctx, r)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &redactHandler{Handler: h.Handler.WithAttrs(attrs), redact: h.redact}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{Handler: h.Handler.WithGroup(name), redact: h.redact}
}
