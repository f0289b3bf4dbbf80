package omni

import (
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FlagInfo describes one dashboard menu flag: the vendor's key and the words
// support staff read in Slack.
type FlagInfo struct {
	Key   string
	Label string
}

// knownFlags is the vendor's schema of menu flags, in the order the dashboard
// and the API list them. Its index is the bit of a flag in Flags.known, so
// entries may be appended but never reordered.
var knownFlags = [...]FlagInfo{
	{"is_bots_menu_access", "Bots"},
	{"is_leads_access", "Leads"},
	{"is_voice_cloning_access", "Voice cloning"},
	{"is_workflow_access", "Workflows"},
	{"is_asr_evaluation_menu_access", "ASR evaluation"},
	{"is_train_with_call_recording_menu_access", "Train with call recordings"},
	{"is_call_logs_menu_access", "Call logs"},
	{"is_call_simulation_menu_access", "Call simulation"},
	{"access_to_monitor_live_call", "Live call monitoring"},
	{"is_whatsapp_flow_enabled", "WhatsApp flows"},
	{"is_billing_menu_access", "Billing"},
	{"is_knowledge_base_access", "Knowledge base"},
	{"is_integration_access", "Integrations"},
	{"is_phone_number_access", "Phone numbers"},
	{"is_bulk_call_access", "Bulk calls"},
	{"is_analytics_access", "Analytics"},
	{"is_omni_crm_access", "Omni CRM"},
}

// KnownFlags returns the menu flags the bot knows, in the vendor's order.
func KnownFlags() []FlagInfo {
	return slices.Clone(knownFlags[:])
}

// knownIndex returns the bit of a known flag, or -1.
func knownIndex(key string) int {
	for i := range knownFlags {
		if knownFlags[i].Key == key {
			return i
		}
	}
	return -1
}

// FlagLabel returns the human label of a menu flag. A key the bot does not
// know yet gets a label derived from the key ("is_sms_campaign_access" reads
// "Sms campaign"), so new vendor flags are shown rather than dropped.
func FlagLabel(key string) string {
	if i := knownIndex(key); i >= 0 {
		return knownFlags[i].Label
	}
	s := strings.TrimPrefix(key, "is_")
	for _, suffix := range []string{"_menu_access", "_access", "_enabled"} {
		if t, ok := strings.CutSuffix(s, suffix); ok && t != "" {
			s = t
			break
		}
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", " "))
	if s == "" {
		return key
	}
	first, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(first)) + s[size:]
}

// Flags is the set of dashboard menus switched on for a user (or, for the
// reseller's access control, the menus the reseller may grant). A flag absent
// from the payload counts as off, so only enabled flags are kept: known ones
// as bits, unknown ones by key, sorted.
//
// The zero value is the empty set. Flags is a value type; Set returns nothing
// but must be called on an addressable value.
type Flags struct {
	known uint32
	extra []string
}

// Set switches a flag on or off.
func (f *Flags) Set(key string, on bool) {
	if i := knownIndex(key); i >= 0 {
		if on {
			f.known |= 1 << i
		} else {
			f.known &^= 1 << i
		}
		return
	}
	i, found := slices.BinarySearch(f.extra, key)
	switch {
	case on && !found:
		// Clip: the backing array may be shared with copies of f.
		f.extra = slices.Insert(slices.Clip(f.extra), i, key)
	case !on && found:
		f.extra = slices.Delete(slices.Clone(f.extra), i, i+1)
	}
}

// Has reports whether a flag is on.
func (f Flags) Has(key string) bool {
	if i := knownIndex(key); i >= 0 {
		return f.known&(1<<i) != 0
	}
	_, found := slices.BinarySearch(f.extra, key)
	return found
}

// Len is the number of flags switched on.
func (f Flags) Len() int { return bits.OnesCount32(f.known) + len(f.extra) }

// Keys lists the flags switched on: known flags in the vendor's order, then
// unknown ones sorted by key.
func (f Flags) Keys() []string {
	keys := make([]string, 0, f.Len())
	for i := range knownFlags {
		if f.known&(1<<i) != 0 {
			keys = append(keys, knownFlags[i].Key)
		}
	}
	return append(keys, f.extra...)
}

// Equal reports whether both sets hold the same flags. It does not allocate,
// because the alert engine compares every user on every poll.
func (f Flags) Equal(g Flags) bool {
	return f.known == g.known && slices.Equal(f.extra, g.extra)
}

// Minus returns the flags on in f but not in g, in Keys order. The bot uses it
// to mark menus a user has beyond the reseller's own access control.
func (f Flags) Minus(g Flags) []string {
	var keys []string
	for i := range knownFlags {
		if f.known&^g.known&(1<<i) != 0 {
			keys = append(keys, knownFlags[i].Key)
		}
	}
	for _, k := range f.extra {
		if _, found := slices.BinarySearch(g.extra, k); !found {
			keys = append(keys, k)
		}
	}
	return keys
}

// Changed lists every flag that differs between f and g, in Keys order.
func (f Flags) Changed(g Flags) []string {
	if f.Equal(g) {
		return nil
	}
	keys := append(f.Minus(g), g.Minus(f)...)
	slices.SortFunc(keys, compareFlagKeys)
	return keys
}

// compareFlagKeys orders known flags by the vendor's order, before unknown
// flags, which sort by key.
func compareFlagKeys(a, b string) int {
	ia, ib := knownIndex(a), knownIndex(b)
	switch {
	case ia >= 0 && ib >= 0:
		return ia - ib
	case ia >= 0:
		return -1
	case ib >= 0:
		return 1
	}
	return strings.Compare(a, b)
}

// KnownBits and Extra expose the compact form for storage encoders; see
// FlagsFrom.
func (f Flags) KnownBits() uint32 { return f.known }

// Extra lists the enabled flags the bot does not know, sorted. The caller
// must not modify the returned slice.
func (f Flags) Extra() []string { return f.extra }

// FlagsFrom rebuilds Flags from KnownBits and Extra, as read back from
// storage. Extra must be sorted and hold no known key.
func FlagsFrom(known uint32, extra []string) Flags {
	if len(extra) == 0 {
		extra = nil
	}
	return Flags{known: known & (1<<len(knownFlags) - 1), extra: extra}
}
