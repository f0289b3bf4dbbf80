package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"
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
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr(secrets)}
	switch strings.ToLower(*f.format) {
	case "text":
		return slog.New(&redactHandler{Handler: slog.NewTextHandler(w, opts), secrets: nonEmpty(secrets)}), nil
	case "json":
		return slog.New(&redactHandler{Handler: slog.NewJSONHandler(w, opts), secrets: nonEmpty(secrets)}), nil
	}
	return nil, usagef("--log-format %q: want text or json", *f.format)
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if len(s) >= 4 {
			out = append(out, s)
		}
	}
	return out
}

// redactAttr replaces secrets inside attribute values, errors included.
func redactAttr(secrets []string) func([]string, slog.Attr) slog.Attr {
	secrets = nonEmpty(secrets)
	return func(_ []string, a slog.Attr) slog.Attr {
		if len(secrets) == 0 {
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
		if r := redactString(s, secrets); r != s {
			return slog.String(a.Key, r)
		}
		return a
	}
}

func redactString(s string, secrets []string) string {
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// redactHandler also redacts the message itself.
type redactHandler struct {
	slog.Handler
	secrets []string
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	if len(h.secrets) > 0 {
		msg := redactString(r.Message, h.secrets)
		if msg != r.Message {
			nr := slog.NewRecord(r.Time, r.Level, msg, r.PC)
			r.Attrs(func(a slog.Attr) bool { nr.AddAttrs(a); return true })
			r = nr
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &redactHandler{Handler: h.Handler.WithAttrs(attrs), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{Handler: h.Handler.WithGroup(name), secrets: h.secrets}
}
