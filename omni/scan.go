package omni

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// scanner is a small JSON tokenizer over an io.Reader, the lower half of
// decodeFast. It reads through a fixed buffer that it refills as it goes, so
// memory holds one buffer of the body, never the whole body; a token longer
// than the buffer (a 10 MB name) is gathered in a scratch buffer that grows.
//
// It follows RFC 8259 as encoding/json does: strings may hold any escape,
// surrogate pairs are joined, a lone surrogate or invalid UTF-8 becomes
// U+FFFD; numbers must match the grammar; whitespace is space, tab, CR and
// LF only. Nesting deeper than maxDepth is an error, and skipping a value
// uses an explicit stack, so no input can exhaust the goroutine stack.
//
// Every method that hits the end of the buffer refills it; when the reader
// fails, the method returns the reader's error wrapped (errors.Is finds it),
// or io.ErrUnexpectedEOF when the body ended mid-value.
type scanner struct {
	r   io.Reader
	buf []byte // fixed size; buf[pos:end] is read but not yet consumed
	pos int
	end int
	off int64 // offset in the body of buf[0], for error messages
	// rerr is the reader's error once it returned one; io.EOF at the end.
	rerr error

	// While capturing, every consumed byte from buf[capFrom:] on is also
	// kept in capBuf, across refills (see startCapture).
	capturing bool
	capFrom   int
	capBuf    []byte

	strBuf []byte // scratch for strings that span refills or need unescaping
	num    []byte // scratch for numbers that span refills
	stack  []byte // open containers while skipping a value
}

const (
	scanBufSize = 64 << 10
	// maxDepth bounds nesting like encoding/json's scanner does: counted
	// from the start of each value that encoding/json would read with one
	// Decoder.Decode call (a top-level field's value, one organization).
	maxDepth = 10000
)

// errInvalidRead is returned for a reader that reports reading more bytes
// than it was given room for.
var errInvalidRead = errors.New("reader returned an invalid count")

// readError wraps the reader's error so that the message says where it came
// from while errors.Is still finds it.
type readError struct{ err error }

func (e *readError) Error() string { return "reading the response: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// syntaxError is a violation of the JSON grammar.
type syntaxError struct {
	msg string
	off int64
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s (at byte %d)", e.msg, e.off) }

func (s *scanner) syntaxErr(msg string) error {
	return &syntaxError{msg: msg, off: s.off + int64(s.pos)}
}

// invalidChar reports the byte at s.pos, which is out of place.
func (s *scanner) invalidChar(context string) error {
	return s.syntaxErr("invalid character " + quoteChar(s.buf[s.pos]) + " " + context)
}

func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

// fill reads more of the body into the buffer, first moving the unconsumed
// bytes to its front. It reports whether it added any; when it did not,
// s.rerr says why.
func (s *scanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	if s.capturing {
		s.capBuf = append(s.capBuf, s.buf[s.capFrom:s.pos]...)
		s.capFrom = 0
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.off += int64(s.pos)
		s.pos, s.end = 0, n
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		if n < 0 || n > len(s.buf)-s.end {
			n, err = 0, errInvalidRead
		}
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

// ensure tries to have n unconsumed bytes in the buffer (n is small); it
// reports whether it has. Having fewer is not an error by itself: the
// caller reports one (endErr) when it needs a byte that is not there.
func (s *scanner) ensure(n int) bool {
	for s.end-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// endErr is the error for input that stopped mid-value.
func (s *scanner) endErr() error {
	if s.rerr == nil || s.rerr == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return &readError{s.rerr}
}

// peek skips whitespace and returns the next byte without consuming it.
func (s *scanner) peek() (byte, error) {
	if s.pos < s.end {
		if c := s.buf[s.pos]; c > ' ' {
			return c, nil
		}
	}
	return s.peekSlow()
}

func (s *scanner) peekSlow() (byte, error) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, nil
			}
		}
		if !s.fill() {
			return 0, s.endErr()
		}
	}
}

// atEOF skips whitespace and reports whether the body ends there. A reader
// error is returned as such.
func (s *scanner) atEOF() (bool, error) {
	_, err := s.peek()
	if err == nil {
		return false, nil
	}
	if s.rerr == io.EOF {
		return true, nil
	}
	return false, err
}

// expect consumes the byte c, which must come next after whitespace.
func (s *scanner) expect(c byte, context string) error {
	if s.pos < s.end && s.buf[s.pos] == c {
		s.pos++
		return nil
	}
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return s.invalidChar(context)
	}
	s.pos++
	return nil
}

// literal consumes true, false or null, whose first byte is next.
func (s *scanner) literal(lit string) error {
	if s.end-s.pos < len(lit) {
		s.ensure(len(lit))
	}
	for i := 1; i < len(lit); i++ {
		if s.pos+i >= s.end {
			s.pos += i
			return s.endErr()
		}
		if s.buf[s.pos+i] != lit[i] {
			s.pos += i
			return s.invalidChar("in literal " + lit + " (expecting " + quoteChar(lit[i]) + ")")
		}
	}
	s.pos += len(lit)
	return nil
}

// member moves to the next member of an object whose '{' has been
// consumed. It returns false after consuming the closing '}'; otherwise the
// key's opening quote is next.
func (s *scanner) member(first bool) (bool, error) { return s.more(first, '}') }

// element moves to the next element of an array whose '[' has been
// consumed. It returns false after consuming the closing ']'.
func (s *scanner) element(first bool) (bool, error) { return s.more(first, ']') }

// more moves to the next member or element of the object or array whose
// opening byte has been consumed; close is its closing byte, and first says
// whether none came yet.
func (s *scanner) more(first bool, close byte) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == close {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			if close == '}' {
				return false, s.invalidChar("after object key:value pair")
			}
			return false, s.invalidChar("after array element")
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return false, err
		}
	}
	switch {
	case close == '}' && c != '"':
		return false, s.invalidChar("looking for beginning of object key string")
	case close == ']' && c == ']':
		return false, s.invalidChar("looking for beginning of value")
	}
	return true, nil
}

// isNumByte holds the bytes that may appear in a JSON number.
var isNumByte = [256]bool{
	'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true, '8': true, '9': true,
	'-': true, '+': true, '.': true, 'e': true, 'E': true,
}

// number consumes a number, whose first byte is next, and returns its text,
// valid until the next call.
func (s *scanner) number() ([]byte, error) {
	start, i := s.pos, s.pos
	for i < s.end && isNumByte[s.buf[i]] {
		i++
	}
	var b []byte
	if i < s.end || s.rerr != nil {
		b = s.buf[start:i]
		s.pos = i
	} else {
		// The number may go on past the buffer.
		s.num = append(s.num[:0], s.buf[start:i]...)
		s.pos = i
		for s.fill() {
			i = s.pos
			for i < s.end && isNumByte[s.buf[i]] {
				i++
			}
			s.num = append(s.num, s.buf[s.pos:i]...)
			s.pos = i
			if i < s.end {
				break
			}
		}
		b = s.num
	}
	if !validNumber(b) {
		if s.pos == s.end && s.rerr != nil && s.rerr != io.EOF {
			return nil, s.endErr()
		}
		return nil, &syntaxError{msg: "invalid number " + strconv.Quote(trim(string(b), 24)), off: s.off + int64(s.pos-len(b))}
	}
	return b, nil
}

// validNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false
	}
	switch {
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		d := i + 1
		if i = digits(b, d); i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		if i = digits(b, i); i == d {
			return false
		}
	}
	return i == len(b)
}

// digits returns where the run of digits that starts at b[i] ends.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// startCapture starts keeping a copy of the bytes consumed from now on;
// endCapture stops and returns them (valid until the next capture).
func (s *scanner) startCapture() {
	s.capturing = true
	s.capFrom = s.pos
	s.capBuf = s.capBuf[:0]
}

func (s *scanner) endCapture() []byte {
	s.capBuf = append(s.capBuf, s.buf[s.capFrom:s.pos]...)
	s.capturing = false
	return s.capBuf
}

// skip consumes one value of any type, checking its syntax. depth is how
// many containers are open around it, counted as maxDepth counts them.
func (s *scanner) skip(depth int) error {
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	for {
		// A value.
		c, err := s.peek()
		if err != nil {
			return err
		}
		switch {
		case c == '{' || c == '[':
			if depth+len(stack)+1 > maxDepth {
				return s.syntaxErr(fmt.Sprintf("nested deeper than %d", maxDepth))
			}
			s.pos++
			stack = append(stack, c)
			close := byte('}')
			if c == '[' {
				close = ']'
			}
			c, err := s.peek()
			if err != nil {
				return err
			}
			if c == close {
				s.pos++
				stack = stack[:len(stack)-1]
				break
			}
			if close == '}' {
				if err := s.skipKey(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			if _, err := s.str(strSkip); err != nil {
				return err
			}
		case c == 't':
			err = s.literal("true")
		case c == 'f':
			err = s.literal("false")
		case c == 'n':
			err = s.literal("null")
		case c == '-' || ('0' <= c && c <= '9'):
			_, err = s.number()
		default:
			return s.invalidChar("looking for beginning of value")
		}
		if err != nil {
			return err
		}
		// After a value: close containers, or go on to the next element.
		for {
			if len(stack) == 0 {
				return nil
			}
			c, err := s.peek()
			if err != nil {
				return err
			}
			top := stack[len(stack)-1]
			if c == ',' {
				s.pos++
				if top == '{' {
					if err := s.skipKey(); err != nil {
						return err
					}
				}
				break
			}
			if (top == '{' && c == '}') || (top == '[' && c == ']') {
				s.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			if top == '{' {
				return s.invalidChar("after object key:value pair")
			}
			return s.invalidChar("after array element")
		}
	}
}

// skipKey consumes an object key and its colon.
func (s *scanner) skipKey() error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c != '"' {
		return s.invalidChar("looking for beginning of object key string")
	}
	if _, err := s.str(strSkip); err != nil {
		return err
	}
	return s.expect(':', "after object key")
}
