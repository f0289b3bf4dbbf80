package rendertest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/bot/render"
)

// Golden compares v, as indented JSON, with testdata/golden/NAME.json, or
// rewrites the file when update is set (each package's -update flag).
func Golden(t *testing.T, update bool, name string, v any) {
	t.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the package's tests with -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update rewrites it):\n%s", path, t.Name(), out.String())
	}
}

// MessageJSON is how a golden file holds a message: the notification text,
// the Block Kit JSON as Slack receives it, and the console's plain text.
func MessageJSON(t *testing.T, m render.Message) any {
	t.Helper()
	return struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
		Plain  []string        `json:"plain"`
	}{m.Text, BlocksJSON(t, m), strings.Split(strings.TrimRight(m.Plain, "\n"), "\n")}
}
