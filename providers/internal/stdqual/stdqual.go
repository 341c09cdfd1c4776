// Package stdqual holds the standard qualifier declarations (DMTF DSP0004
// and WMI) that the MOF of every built-in provider begins with.
//
// A namespace starts without qualifier types, and a MOF compiler rejects
// qualifiers that are not declared, so each provider module prepends
// these declarations to its own MOF text:
//
//	//go:embed testmeth.mof
//	var classes []byte
//	var Module = provider.Module{..., MOF: stdqual.Prepend(classes)}
//
// The declarations are identical to those of the conformance model
// tst_methods.mof where both declare a qualifier, and two modules that
// share a namespace declare them identically, so compiling them twice is
// harmless.
package stdqual

import (
	_ "embed"
)

//go:embed qualifiers.mof
var qualifiers []byte

// MOF returns the qualifier declarations as MOF text. The slice is a copy:
// callers may modify it.
func MOF() []byte { return append([]byte(nil), qualifiers...) }

// Prepend returns the qualifier declarations followed by body, in a new
// slice, with a line break between them.
func Prepend(body []byte) []byte {
	out := make([]byte, 0, len(qualifiers)+1+len(body))
	out = append(out, qualifiers...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, body...)
}
