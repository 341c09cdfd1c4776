// Package mof is the front end of the MOF (Managed Object Format) compiler:
// a lexer and a recursive-descent parser for DMTF DSP0004 MOF, as used by
// the DMTF CIM Schema and by WMI and OMI MOF files, producing an abstract
// syntax tree (AST), plus a loader that reads files in UTF-8 or UTF-16,
// follows #pragma include and enforces limits on hostile input.
//
// The package knows nothing of the CIM model or of repositories: turning the
// AST into classes, qualifier types and instances is the compiler's job.
// Every AST node carries the Pos it was written at so that the compiler can
// report its own errors as file:line:col.
//
// Entry points:
//
//   - Parse parses one file held in memory; include pragmas are kept but not
//     followed. It never panics, whatever the input.
//   - ParseFile reads a file from disk (or from Options.FS), follows
//     includes, and returns every file read. File.All walks the productions
//     in source order with includes expanded where they appear, which is the
//     order in which pragmas such as namespace take effect.
//
// Errors are *Error values (file, line, column, message), gathered in an
// ErrorList up to Options.MaxErrors.
package mof
