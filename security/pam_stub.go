//go:build !(pam && linux && cgo)

package security

import "errors"

// ErrPAMUnavailable is returned by NewPAMVerifier in builds without PAM
// (build with -tags pam, cgo and the PAM headers to have it).
var ErrPAMUnavailable = errors.New("security: this build has no PAM support (build with -tags pam)")

// NewPAMVerifier returns ErrPAMUnavailable: this build has no PAM.
func NewPAMVerifier(service string, adminGroups []string) (PasswordVerifier, error) {
	return nil, ErrPAMUnavailable
}
