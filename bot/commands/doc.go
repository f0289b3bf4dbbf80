// Package commands answers the bot's slash commands, /orgs and /org, from
// the latest snapshot without calling the API. An index built once per
// snapshot finds an org by id, name, prefix, part of the name or a near
// miss, in microseconds over 10,000 orgs; package render writes the answers.
package commands
