package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/resellerbot/resellerbot/internal/config"
)

const usageText = `resellerbot: Slack alerts and lookups for OmniDimension resellers.

Usage:
  resellerbot demo                               try it: fake API, console chat, no tokens
  resellerbot run   --config FILE                the bot: Slack socket mode, scheduler, HTTP
  resellerbot poll  --config FILE [--dry-run] [--json]
                                                 one poll cycle, alerts to stdout
  resellerbot check --config FILE                validate config, API key and Slack tokens
  resellerbot audit --config FILE [--json]      the log of actions taken from Slack
  resellerbot healthcheck [--url URL]            probe /healthz (for container health checks)
  resellerbot version

Run "resellerbot COMMAND -h" for a command's flags.
`

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env is what a command may use of the process, so tests can run commands
// in-process with their own streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usageText)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "demo":
		err = cmdDemo(ctx, args[1:], e)
	case "run":
		err = cmdRun(ctx, args[1:], e)
	case "poll":
		err = cmdPoll(ctx, args[1:], e)
	case "check":
		err = cmdCheck(ctx, args[1:], e)
	case "audit":
		err = cmdAudit(ctx, args[1:], e)
	case "healthcheck":
		err = cmdHealthcheck(ctx, args[1:], e)
	case "version", "--version", "-version":
		fmt.Fprintln(e.stdout, versionString())
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usageText)
	default:
		fmt.Fprintf(e.stderr, "resellerbot: unknown command %q\n\n%s", args[0], usageText)
		return exitUsage
	}
	return exitCode(err, e.stderr)
}

// usageError is bad usage or bad configuration: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode prints err, if any, and maps it to an exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue usageError
	var ce *config.Error
	switch {
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			fmt.Fprintf(stderr, "resellerbot: %s\n", p)
		}
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "resellerbot: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "resellerbot: %v\n", err)
	return exitFailure
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("resellerbot "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses, turning flag errors into usage errors and rejecting
// stray arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
