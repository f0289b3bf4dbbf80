package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/render"
)

// Console stands in for Slack in the demo: alerts print as plain text and
// commands typed on a line are answered with the same renderings Slack
// shows. It is safe for concurrent use; output from alerts and answers does
// not interleave.
type Console struct {
	mu       sync.Mutex
	out      io.Writer
	sent     int
	actions  ConsoleHandler
	episodes *Episodes
}

// ConsoleHandler answers a console line the read-only commands do not
// know, such as an action command or "confirm"; ok is false for a line it
// does not know either.
type ConsoleHandler func(ctx context.Context, command, args string) (answer render.Message, ok bool)

// HandleOther routes the lines the read-only commands do not know to h.
// Call it before Serve.
func (c *Console) HandleOther(h ConsoleHandler) { c.actions = h }

// NewConsole returns a Console writing to out.
func NewConsole(out io.Writer) *Console { return &Console{out: out} }

// Send implements delivery.Sender by printing the message.
func (c *Console) Send(_ context.Context, m render.Message, replyTo string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	title := "alert"
	if replyTo != "" {
		title = "alert, continued in the thread of " + replyTo
	}
	c.printf("\n── %s %s\n%s", title, strings.Repeat("─", max(0, 60-len(title))), m.Plain)
	return "console-" + strconv.Itoa(c.sent), nil
}

// Println writes a line of its own, such as a banner.
func (c *Console) Println(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.printf("%s\n", s)
}

func (c *Console) printf(format string, args ...any) {
	fmt.Fprintf(c.out, format, args...)
}

// Serve reads commands from in, one a line ("/orgs low", "/org acme",
// "help"), and prints the answers until in ends, "quit" is typed or ctx
// ends. The slash is optional.
func (c *Console) Serve(ctx context.Context, in io.Reader, cmds *commands.Commands) error {
	lines := make(chan string)
	errs := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errs <- sc.Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return err
		case text := <-lines:
			text = strings.TrimSpace(text)
			if text == "" {
				continue
			}
			cmd, args, _ := strings.Cut(text, " ")
			c.mu.Lock()
			answers, ok := c.episodeCommand(strings.ToLower(strings.TrimPrefix(cmd, "/")), strings.TrimSpace(args), cmds)
			if ok {
				c.printAnswers(text, answers)
				c.mu.Unlock()
				continue
			}
			c.mu.Unlock()
			switch strings.ToLower(strings.TrimPrefix(cmd, "/")) {
			case "quit", "exit":
				return nil
			case "org", "orgs", "digest":
			default:
				if c.actions != nil {
					// Actions may call the vendor: not under the lock.
					if answer, ok := c.actions(ctx, cmd, args); ok {
						c.mu.Lock()
						c.printf("\n── %s %s\n%s", text, strings.Repeat("─", max(0, 60-len(text))), answer.Plain)
						c.mu.Unlock()
						continue
					}
				}
				cmd, args = "/org", "help"
			}
			c.mu.Lock()
			c.printAnswers(text, cmds.Handle(cmd, args))
			c.mu.Unlock()
		}
	}
}

// printAnswers prints the answers to what was typed; c.mu must be held.
func (c *Console) printAnswers(typed string, answers []render.Message) {
	for i, answer := range answers {
		title := typed
		if i > 0 {
			title += " (continued)"
		}
		c.printf("\n── %s %s\n%s", title, strings.Repeat("─", max(0, 60-len(title))), answer.Plain)
	}
}
