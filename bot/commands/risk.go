package commands

import "github.com/resellerbot/resellerbot/omni"

// CompareRisk orders orgs as /orgs lists them, riskiest first: by runway,
// least first, orgs whose calls are free last, ties to the smaller balance,
// then the name. The digest and the Home tab share it, so every list of
// orgs reads in the same order.
func CompareRisk(a, b *omni.Org) int { return compareRisk(a, b) }
