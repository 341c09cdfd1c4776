package mof

import "io/fs"

// Default limits used for zero fields of Options.
const (
	DefaultMaxFileSize     = 64 << 20  // 64 MiB per file
	DefaultMaxTotalSize    = 512 << 20 // 512 MiB for a file and all its includes
	DefaultMaxDepth        = 64        // nesting of embedded instances and arrays in values
	DefaultMaxIncludeDepth = 64        // nesting of #pragma include
	DefaultMaxStringSize   = 16 << 20  // 16 MiB per string value
	DefaultMaxErrors       = 10        // errors gathered before giving up
)

// maxDepthCap bounds Options.MaxDepth so that recursion cannot exhaust the
// stack whatever the caller asks for.
const maxDepthCap = 10000

// Options control parsing and loading. The zero Options is ready to use:
// each zero (or negative) limit takes its Default value.
type Options struct {
	// FS, if set, is the file system ParseFile reads from; paths are then
	// slash-separated fs.FS paths and includes may not leave it. If nil,
	// ParseFile reads the operating system's files.
	FS fs.FS
	// MaxFileSize is the largest file accepted, in bytes.
	MaxFileSize int64
	// MaxTotalSize is the most bytes ParseFile reads for a file and all
	// its includes together.
	MaxTotalSize int64
	// MaxDepth is how deeply values may nest (an instance embedded in an
	// instance, an array of instances...). It is capped at 10000.
	MaxDepth int
	// MaxIncludeDepth is how deeply includes may nest.
	MaxIncludeDepth int
	// MaxStringSize is the longest string value, in bytes of UTF-8, after
	// adjacent literals are concatenated.
	MaxStringSize int
	// MaxErrors is how many errors are gathered before parsing stops.
	MaxErrors int
}

func (o Options) withDefaults() Options {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.MaxTotalSize <= 0 {
		o.MaxTotalSize = DefaultMaxTotalSize
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxDepth > maxDepthCap {
		o.MaxDepth = maxDepthCap
	}
	if o.MaxIncludeDepth <= 0 {
		o.MaxIncludeDepth = DefaultMaxIncludeDepth
	}
	if o.MaxStringSize <= 0 {
		o.MaxStringSize = DefaultMaxStringSize
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = DefaultMaxErrors
	}
	return o
}
