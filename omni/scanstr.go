package omni

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// The scanner's strings: str reads one in place when it can, strSlow when
// it spans refills, holds escapes or invalid UTF-8.

// strMode says what str returns.
type strMode int

const (
	strText strMode = iota // the text: unescaped, invalid UTF-8 replaced
	strRaw                 // the bytes between the quotes, escapes as sent
	strSkip                // nothing: the string is only checked
)

// plainASCII holds the string bytes that need no attention: printable
// ASCII other than the quote and the backslash.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialBytes marks the high bit of each byte of w (little-endian) that
// is not plain ASCII: a quote, a backslash, a control byte or one of 0x80
// and above. Bytes above a marked byte may be marked wrongly, so only the
// lowest mark is exact.
func specialBytes(w uint64) uint64 {
	hasZero := func(v uint64) uint64 { return (v - lsb) & ^v & msb }
	return hasZero(w^(lsb*'"')) | hasZero(w^(lsb*'\\')) | ((w - lsb*0x20) & ^w & msb) | (w & msb)
}

// str consumes a string, whose opening quote is next, and returns its
// contents as mode says. The result is valid until the next call.
func (s *scanner) str(mode strMode) ([]byte, error) {
	// Fast path: the whole string is in the buffer, printable ASCII
	// without escapes, or any bytes in raw and skip mode.
	start := s.pos + 1
	i := start
	buf := s.buf[:s.end]
	// Eight bytes at a time up to the first that is not plain ASCII.
	for i+8 <= len(buf) {
		w := binary.LittleEndian.Uint64(buf[i:])
		if m := specialBytes(w); m != 0 {
			i += bits.TrailingZeros64(m) / 8
			break
		}
		i += 8
	}
	for i < len(buf) && plainASCII[buf[i]] {
		i++
	}
	if i < len(buf) && buf[i] == '"' {
		s.pos = i + 1
		return buf[start:i], nil
	}
	if mode != strText {
		for i < len(buf) && (plainASCII[buf[i]] || buf[i] >= 0x80) {
			i++
		}
		if i < len(buf) && buf[i] == '"' {
			s.pos = i + 1
			return buf[start:i], nil
		}
	} else if i < len(buf) && buf[i] >= 0x80 {
		// Valid UTF-8 needs no copy either.
		for i < len(buf) {
			c := buf[i]
			if plainASCII[c] {
				i++
				continue
			}
			if c < 0x80 {
				break
			}
			if !utf8.FullRune(buf[i:]) {
				break // maybe cut by the buffer's end: take the slow path
			}
			r, n := utf8.DecodeRune(buf[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		if i < len(buf) && buf[i] == '"' {
			s.pos = i + 1
			return buf[start:i], nil
		}
	}
	return s.strSlow(mode)
}

// strSlow is str for strings that span refills, hold escapes or invalid
// UTF-8. It starts over at the opening quote.
func (s *scanner) strSlow(mode strMode) ([]byte, error) {
	s.pos++
	out := s.strBuf[:0]
	for {
		if s.pos >= s.end && !s.fill() {
			return nil, s.endErr()
		}
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			s.strBuf = out
			return out, nil
		case c == '\\':
			var err error
			if out, err = s.escape(out, mode); err != nil {
				return nil, err
			}
		case c < 0x20:
			return nil, s.invalidChar("in string literal")
		case c < 0x80 || mode != strText:
			// Copy the run of ordinary bytes at once.
			j := s.pos + 1
			for j < s.end && (plainASCII[s.buf[j]] || (s.buf[j] >= 0x80 && mode != strText)) {
				j++
			}
			if mode != strSkip {
				out = append(out, s.buf[s.pos:j]...)
			}
			s.pos = j
		default:
			if s.end-s.pos < utf8.UTFMax {
				s.ensure(utf8.UTFMax)
			}
			r, n := utf8.DecodeRune(s.buf[s.pos:s.end])
			if r == utf8.RuneError && n == 1 {
				out = append(out, "\uFFFD"...)
			} else {
				out = append(out, s.buf[s.pos:s.pos+n]...)
			}
			s.pos += n
		}
	}
}

// escape consumes the escape sequence at s.pos and appends what it stands
// for (strText) or itself (strRaw) to out.
func (s *scanner) escape(out []byte, mode strMode) ([]byte, error) {
	if !s.ensure(2) {
		s.pos = s.end
		return nil, s.endErr()
	}
	c := s.buf[s.pos+1]
	var r rune
	switch c {
	case '"', '\\', '/':
		r = rune(c)
	case 'b':
		r = '\b'
	case 'f':
		r = '\f'
	case 'n':
		r = '\n'
	case 'r':
		r = '\r'
	case 't':
		r = '\t'
	case 'u':
		var err error
		if r, err = s.hex4(); err != nil {
			return nil, err
		}
		switch mode {
		case strRaw:
			out = append(out, s.buf[s.pos:s.pos+6]...)
			s.pos += 6
			return out, nil
		case strSkip:
			s.pos += 6
			return out, nil
		}
		s.pos += 6
		if utf16.IsSurrogate(r) {
			// Join a pair; anything else is U+FFFD, and what follows a
			// lone surrogate is read on its own, as encoding/json does.
			r2 := rune(-1)
			if s.ensure(6) && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
				if v, ok := parseHex4(s.buf[s.pos+2 : s.pos+6]); ok {
					r2 = v
				}
			}
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				s.pos += 6
				r = dec
			} else {
				r = utf8.RuneError
			}
		}
		return utf8.AppendRune(out, r), nil
	default:
		s.pos++
		return nil, s.invalidChar("in string escape code")
	}
	switch mode {
	case strRaw:
		out = append(out, '\\', c)
	case strText:
		out = append(out, byte(r))
	}
	s.pos += 2
	return out, nil
}

// hex4 checks and reads the four hex digits of the \u escape at s.pos.
func (s *scanner) hex4() (rune, error) {
	s.ensure(6)
	for k := 2; k < 6; k++ {
		if s.pos+k >= s.end {
			s.pos = s.end
			return 0, s.endErr()
		}
		if !isHex(s.buf[s.pos+k]) {
			s.pos += k
			return 0, s.invalidChar("in \\u hexadecimal character escape")
		}
	}
	r, _ := parseHex4(s.buf[s.pos+2 : s.pos+6])
	return r, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func parseHex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
