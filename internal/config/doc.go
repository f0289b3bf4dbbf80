// Package config is resellerbot's configuration file: its schema and
// defaults, loading with ${VAR} expansion, and validation that names the key
// of every problem. Secrets are of a type that never prints, so a
// configuration can be logged or shown in an error without leaking one.
//
// The package also knows which key sets each rule of the alert engine, so
// that a message cites the setting that fired as the file spells it, while
// the engine itself speaks only of rule identifiers.
package config
