package render

// Slack's limits as render keeps to them, for the escaping and limits
// checks of the external tests.
const (
	MaxTopText     = maxTopText
	MaxBlocks      = maxBlocks
	MaxHeaderText  = maxHeaderText
	MaxSectionText = maxSectionText
	MaxFields      = maxFields
	MaxFieldText   = maxFieldText
	MaxContextText = maxContextText
	// CutShort is the bot's own italic note on an answer it had to cut.
	CutShort = cutShort
)
