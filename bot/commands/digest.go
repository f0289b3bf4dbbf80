package commands

import "github.com/resellerbot/resellerbot/bot/render"

// UseDigest makes /digest answer with what digest returns: the daily
// digest as of now. Call it before the first command; without it /digest
// gets the help.
func (c *Commands) UseDigest(digest func() []render.Message) { c.digest = digest }
