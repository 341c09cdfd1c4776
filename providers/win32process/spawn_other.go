//go:build !unix

package win32process

// spawnSupported reports whether Create can start processes here.
const spawnSupported = false

// spawn is never called where spawnSupported is false.
func (p *Provider) spawn(*startSpec) (uint32, uint32) { return 0, ReturnUnknownFailure }
