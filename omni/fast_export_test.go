package omni

// DecodeStd is the encoding/json decoder that Decode replaced, kept as the
// reference for the differential tests and the fuzzer.
var DecodeStd = decodeStd

// ScanBufSize is the size of the decoder's read buffer, for tests that
// put a token across its end.
const ScanBufSize = scanBufSize
