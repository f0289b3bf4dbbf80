package slacktest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Files: Slack's external upload flow, as slack-go's UploadFileContext
// drives it. files.getUploadURLExternal (filename, length) hands out an
// upload_url and a file ID; the bytes are POSTed there; then
// files.completeUploadExternal (files [{id,title}], channel_id,
// initial_comment or blocks, thread_ts) shares the file, which appears in
// the channel as a message with files.

// MaxAltText is the longest alt_txt files.getUploadURLExternal accepts.
const MaxAltText = 1000

// File is a file uploaded through the external upload flow.
type File struct {
	// ID is the file ID files.getUploadURLExternal returned.
	ID string
	// Name is the filename, and AltText and SnippetType the optional
	// arguments, given to files.getUploadURLExternal.
	Name, AltText, SnippetType string
	// Length is the size in bytes announced to files.getUploadURLExternal.
	Length int
	// Content is the bytes POSTed to the upload_url; Uploaded says whether
	// they arrived.
	Content  []byte
	Uploaded bool
	// Title is the title given to files.completeUploadExternal (default:
	// Name).
	Title string
	// Completed is set by files.completeUploadExternal.
	Completed bool
	// Channels are the channels the file was shared in, empty for a
	// private file; ThreadTS the thread, and InitialComment the message
	// text, it was shared with.
	Channels       []string
	ThreadTS       string
	InitialComment string
}

// Files returns the files whose upload was started, in that order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.fileOrder))
	for _, id := range s.fileOrder {
		out = append(out, cloneFile(*s.files[id]))
	}
	return out
}

func cloneFile(f File) File {
	f.Content = bytes.Clone(f.Content)
	f.Channels = slices.Clone(f.Channels)
	return f
}

// uploadURLLocked implements files.getUploadURLExternal.
func (s *Server) uploadURLLocked(p url.Values) apiResult {
	length, err := strconv.Atoi(p.Get("length"))
	switch {
	case p.Get("filename") == "":
		return invalidArguments("[ERROR] missing required field: filename")
	case err != nil || length <= 0:
		return errResult("missing_argument")
	case utf8.RuneCountInString(p.Get("alt_txt")) > MaxAltText:
		return errResult("alt_txt_too_large")
	}
	f := &File{
		ID:          "F" + strings.ToUpper(randomID(5)),
		Name:        p.Get("filename"),
		AltText:     p.Get("alt_txt"),
		SnippetType: p.Get("snippet_type"),
		Length:      length,
	}
	s.files[f.ID] = f
	s.fileOrder = append(s.fileOrder, f.ID)
	return okResult(map[string]any{"upload_url": s.hs.URL + "/upload/v1/" + f.ID, "file_id": f.ID})
}

// serveUpload accepts a file's bytes on /upload/v1/<file id>, raw or as
// multipart form data, and answers like Slack: 200 "OK - <size>".
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/v1/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodySize))
	call := Call{Method: MethodUpload, Token: requestToken(r, nil), Body: body, At: time.Now()}
	content, readErr := uploadedBytes(r.Header.Get("Content-Type"), body)

	s.mu.Lock()
	res := s.uploadLocked(r.Method, id, content, readErr)
	s.recordLocked(&call, res)
	s.mu.Unlock()
	s.log.Debug("slacktest: upload", "file", id, "bytes", len(content), "status", res.status)
	res.write(w)
}

func (s *Server) uploadLocked(httpMethod, id string, content []byte, readErr error) apiResult {
	if f := s.takeFaultLocked(MethodUpload, nil); f != nil {
		return f.result()
	}
	f := s.files[id]
	switch {
	case httpMethod != http.MethodPost:
		return textResult(http.StatusMethodNotAllowed, "method_not_allowed")
	case f == nil || f.Completed:
		return textResult(http.StatusNotFound, "file_not_found")
	case readErr != nil:
		return textResult(http.StatusBadRequest, "invalid_form_data: "+readErr.Error())
	case len(content) != f.Length:
		// Slack takes the announced length as the file's size; a bot
		// that announces another gets a broken file. Refuse, to show it.
		return textResult(http.StatusBadRequest, "length_mismatch: announced "+strconv.Itoa(f.Length)+" bytes, sent "+strconv.Itoa(len(content)))
	}
	f.Content, f.Uploaded = content, true
	return textResult(http.StatusOK, "OK - "+strconv.Itoa(len(content)))
}

// uploadedBytes takes the file out of an upload's body: the first file
// part of multipart form data (slack-go sends one named "file"), else the
// body itself.
func uploadedBytes(contentType string, body []byte) ([]byte, error) {
	mt, params, _ := mime.ParseMediaType(contentType)
	if mt != "multipart/form-data" {
		return body, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, errors.New("no file part")
		}
		if part.FileName() != "" {
			return io.ReadAll(part)
		}
	}
}

// completeUploadLocked implements files.completeUploadExternal.
func (s *Server) completeUploadLocked(p url.Values) apiResult {
	var wanted []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(p.Get("files")), &wanted); err != nil || len(wanted) == 0 {
		return invalidArguments("[ERROR] files must be a non-empty array of {id, title}")
	}
	for _, w := range wanted {
		if f := s.files[w.ID]; f == nil || !f.Uploaded || f.Completed {
			return errResult("file_not_found")
		}
	}
	channels, code := s.shareChannelsLocked(p)
	if code != "" {
		return errResult(code)
	}
	var blocks json.RawMessage
	if p.Get("initial_comment") == "" {
		if blocks, code = validateBlocks([]byte(p.Get("blocks"))); code != "" {
			return errResult(code)
		}
	}
	thread := p.Get("thread_ts")
	if len(channels) == 1 {
		if thread, code = s.threadParentLocked(channels[0], thread); code != "" {
			return errResult(code)
		}
	}

	var ids []string
	var objs []map[string]any
	for _, w := range wanted {
		f := s.files[w.ID]
		f.Title = cmp.Or(w.Title, f.Name)
		f.Completed, f.Channels, f.ThreadTS, f.InitialComment = true, channels, thread, p.Get("initial_comment")
		ids = append(ids, f.ID)
		objs = append(objs, s.fileJSON(f))
	}
	for _, ch := range channels {
		s.appendMessageLocked(Message{
			Channel:  ch,
			User:     BotUserID,
			Text:     p.Get("initial_comment"),
			ThreadTS: thread,
			Blocks:   blocks,
			Files:    slices.Clone(ids),
			Raw:      withoutToken(p),
			files:    objs,
		})
	}
	return okResult(map[string]any{"files": objs})
}

// shareChannelsLocked reads channel_id and channels, each a channel the
// bot may post in. s.mu must be held.
func (s *Server) shareChannelsLocked(p url.Values) ([]string, string) {
	var ids []string
	if id := p.Get("channel_id"); id != "" {
		ids = append(ids, id)
	}
	for id := range strings.SplitSeq(p.Get("channels"), ",") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for i, id := range ids {
		ch, code := s.readableChannelLocked(id)
		if code != "" {
			return nil, code
		}
		ids[i] = ch.id
	}
	return ids, ""
}

// fileJSON is a file object as Slack lists it.
func (s *Server) fileJSON(f *File) map[string]any {
	ext := strings.TrimPrefix(path.Ext(f.Name), ".")
	mimetype := mime.TypeByExtension(path.Ext(f.Name))
	if mimetype == "" {
		mimetype = "application/octet-stream"
	}
	now := time.Now().Unix()
	return map[string]any{
		"id":          f.ID,
		"created":     now,
		"timestamp":   now,
		"name":        f.Name,
		"title":       f.Title,
		"mimetype":    mimetype,
		"filetype":    ext,
		"user":        BotUserID,
		"size":        len(f.Content),
		"mode":        "hosted",
		"is_external": false,
		"is_public":   len(f.Channels) > 0,
		"alt_txt":     f.AltText,
		"channels":    f.Channels,
		"permalink":   "https://" + TeamDomain + ".slack.com/files/" + BotUserID + "/" + f.ID + "/" + url.PathEscape(f.Name),
	}
}
