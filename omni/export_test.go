package omni

// What the reference decoder (decode_std_test.go, package omni_test) shares
// with Decode: the totals' check and the explanation of "success": false.
var (
	VendorKeys    = vendorKeys
	VendorFailure = vendorFailure
)

func CheckTotals(s *Snapshot) error { return s.checkTotals() }

// ScanBufSize is the size of the decoder's read buffer, for tests that
// put a token across its end.
const ScanBufSize = scanBufSize
