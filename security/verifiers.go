package security

// FirstKnown returns a PasswordVerifier that checks the users of file
// against file and everyone else against other (PAM, for local accounts).
// A nil file sends everyone to other.
func FirstKnown(file *PasswordFile, other PasswordVerifier) PasswordVerifier {
	if file == nil {
		return other
	}
	return firstKnown{file: file, other: other}
}

type firstKnown struct {
	file  *PasswordFile
	other PasswordVerifier
}

// Verify implements PasswordVerifier.
func (f firstKnown) Verify(user, password string) (*Identity, error) {
	if f.file.has(user) {
		return f.file.Verify(user, password)
	}
	return f.other.Verify(user, password)
}

// has reports whether the file lists user.
func (p *PasswordFile) has(user string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refreshLocked() != nil {
		return true // let Verify report the unusable file
	}
	_, ok := p.index[user]
	return ok
}
