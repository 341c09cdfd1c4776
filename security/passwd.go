package security

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// The password file holds the users that may log in with HTTP Basic. It
// is a text file, one user a line:
//
//	# comment
//	name:bcrypt-hash:local-account
//
// name is the login name (no colon, no control characters, at most
// MaxUserNameLength bytes). bcrypt-hash is a bcrypt hash ($2a$, $2b$ or
// $2y$), or "*" for a user who may not log in with a password (a
// client-certificate user that only needs a mapping). local-account is
// the local account the user acts as, or empty: an unmapped user, who has
// no UID and so cannot create processes. Blank lines and lines starting
// with "#" are kept as they are when the file is rewritten.
//
// The file must be private: mode 0600 (or stricter), owned by root or by
// the server's user. It is always rewritten atomically (a temporary file
// in the same directory, then a rename).

// MaxUserNameLength bounds the length of a user name in bytes.
const MaxUserNameLength = 256

// MaxPasswordLength is the longest password bcrypt can hash, in bytes.
const MaxPasswordLength = 72

// DefaultPasswordCacheTTL is how long a verified name and password are
// remembered (see PasswordOptions.CacheTTL).
const DefaultPasswordCacheTTL = 5 * time.Minute

// passwordCacheSize bounds the verified-password cache.
const passwordCacheSize = 4096

// Errors of the password file.
var (
	// ErrBadCredentials is the answer to a wrong password or an unknown
	// user (the two are not told apart).
	ErrBadCredentials = errors.New("security: invalid user name or password")
	// ErrUserExists is returned by AddUser for a name already in the file.
	ErrUserExists = errors.New("security: user already exists")
	// ErrNoSuchUser is returned by the changes of a user not in the file.
	ErrNoSuchUser = errors.New("security: no such user")
	// ErrInvalidPassword is returned for an empty password or one longer
	// than MaxPasswordLength bytes.
	ErrInvalidPassword = errors.New("security: the password must have 1 to 72 bytes")
)

// PermissionError reports a secret file (the password file, the TLS key)
// that group or others can access, or that belongs to an account other
// than root or the server's user.
type PermissionError struct {
	// Path is the file.
	Path string
	// Mode is its permission bits.
	Mode fs.FileMode
	// Owner is the file's owner uid when the owner is the problem, else
	// -1.
	Owner int
}

// Error implements error.
func (e *PermissionError) Error() string {
	if e.Owner >= 0 {
		return fmt.Sprintf("security: %s belongs to uid %d: it must belong to root or to uid %d (chown)", e.Path, e.Owner, os.Geteuid())
	}
	return fmt.Sprintf("security: %s has mode %04o: group and others must have no access (chmod 600 %s)", e.Path, e.Mode, e.Path)
}

// PasswordSyntaxError reports a malformed line of the password file.
type PasswordSyntaxError struct {
	// Path is the file ("" when parsing bytes).
	Path string
	// Line is the 1-based line number.
	Line int
	// Msg says what is wrong.
	Msg string
}

// Error implements error.
func (e *PasswordSyntaxError) Error() string {
	return fmt.Sprintf("security: %s:%d: %s", e.Path, e.Line, e.Msg)
}

// PasswordOptions configure LoadPasswordFile. The zero value is usable.
type PasswordOptions struct {
	// AdminGroups are the local groups whose members are administrators
	// (Identity.Admin). Mapping to the root account always makes an
	// administrator. Default none.
	AdminGroups []string
	// Cost is the bcrypt cost of new hashes; default bcrypt.DefaultCost.
	Cost int
	// CacheTTL is how long a verified name and password are remembered,
	// so that clients sending Basic credentials with every request (as
	// CIM-XML clients do) do not pay a bcrypt comparison each time. The
	// cache holds keyed hashes, never passwords, and an entry is only
	// used while the user's hash in the file is unchanged. Default
	// DefaultPasswordCacheTTL; negative disables the cache.
	CacheTTL time.Duration
	// Logger receives warnings (a mapped local account that does not
	// exist); default slog.Default().
	Logger *slog.Logger
	// RecheckInterval is how often the file's modification stamp is
	// checked for changes made by other processes (wbem user add); 0
	// checks at every login. wbemd uses one second, so that a busy
	// server does not stat the file for every request.
	RecheckInterval time.Duration
}

// UserInfo describes one user of the password file.
type UserInfo struct {
	// Name is the login name.
	Name string
	// LocalAccount is the mapped local account ("" when unmapped).
	LocalAccount string
	// PasswordLogin reports whether the user has a password ("*" in the
	// file means certificate-only).
	PasswordLogin bool
}

// PasswordFile is a loaded password file. It notices when the file
// changes on disk (another process ran `wbem user add`) and reloads it
// before the next verification. A PasswordFile is safe for concurrent
// use.
type PasswordFile struct {
	path string
	opts PasswordOptions
	log  *slog.Logger
	key  []byte // HMAC key of the verified-password cache

	mu    sync.Mutex
	lines []pwLine
	index map[string]int // name → index in lines
	stamp fileStamp
	// checked is when the stamp was last compared with the file.
	checked time.Time
	err     error // why the file on disk is unusable; logins fail meanwhile
	cache   map[[sha256.Size]byte]cacheEntry

	dmu     sync.Mutex
	dummies map[int][]byte // cost → hash of a random password
}

// pwLine is one line of the file: a user, or text kept as it is.
type pwLine struct {
	text    string // comment or blank line when name == ""
	name    string
	hash    string
	account string
}

type cacheEntry struct {
	hash    string
	expires time.Time
}

// fileStamp tells whether the file changed since it was read.
type fileStamp struct {
	fi fs.FileInfo // nil when the file did not exist
}

func (s fileStamp) same(fi fs.FileInfo) bool {
	if s.fi == nil || fi == nil {
		return s.fi == nil && fi == nil
	}
	return os.SameFile(s.fi, fi) && s.fi.ModTime().Equal(fi.ModTime()) && s.fi.Size() == fi.Size() &&
		s.fi.Mode() == fi.Mode() && changeStamp(s.fi) == changeStamp(fi)
}

// bcryptCompares counts bcrypt comparisons, for the tests of the rate
// limiting.
var bcryptCompares atomic.Int64

// LoadPasswordFile reads the password file at path. A file that does not
// exist is an empty file (no user can log in with a password; AddUser
// creates it). A file that group or others can access is refused with a
// *PermissionError, a malformed one with a *PasswordSyntaxError. opts may be nil.
func LoadPasswordFile(path string, opts *PasswordOptions) (*PasswordFile, error) {
	p := &PasswordFile{path: path, cache: make(map[[sha256.Size]byte]cacheEntry), dummies: make(map[int][]byte)}
	if opts != nil {
		p.opts = *opts
	}
	if p.opts.Cost == 0 {
		p.opts.Cost = bcrypt.DefaultCost
	}
	if p.opts.Cost < bcrypt.MinCost || p.opts.Cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("security: bcrypt cost %d is outside %d..%d", p.opts.Cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if p.opts.CacheTTL == 0 {
		p.opts.CacheTTL = DefaultPasswordCacheTTL
	}
	p.log = p.opts.Logger
	if p.log == nil {
		p.log = slog.Default()
	}
	p.key = make([]byte, 32)
	if _, err := rand.Read(p.key); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.reloadLocked(); err != nil {
		return nil, err
	}
	return p, nil
}

// Path returns the file's path.
func (p *PasswordFile) Path() string { return p.path }

// reloadLocked reads the file from disk, whatever its stamp.
func (p *PasswordFile) reloadLocked() error {
	f, err := os.Open(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		p.lines, p.index, p.stamp, p.err = nil, map[string]int{}, fileStamp{}, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("security: password file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("security: password file: %w", err)
	}
	if err := checkPrivate(p.path, fi); err != nil {
		return err
	}
	data, err := readAllLimited(f, 16<<20)
	if err != nil {
		return fmt.Errorf("security: password file %s: %w", p.path, err)
	}
	lines, index, err := parsePasswd(data)
	if err != nil {
		var se *PasswordSyntaxError
		if errors.As(err, &se) {
			se.Path = p.path
		}
		return err
	}
	p.lines, p.index, p.stamp, p.err = lines, index, fileStamp{fi: fi}, nil
	return nil
}

// refreshLocked reloads the file when it changed on disk. A file that
// became unusable makes every login fail (and is logged once) until it is
// fixed.
func (p *PasswordFile) refreshLocked() error {
	if iv := p.opts.RecheckInterval; iv > 0 && p.err == nil {
		now := time.Now()
		if now.Sub(p.checked) < iv {
			return nil
		}
		p.checked = now
	}
	fi, err := os.Stat(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		fi, err = nil, nil
	}
	if err == nil && p.err == nil && p.stamp.same(fi) {
		return nil
	}
	if err == nil {
		err = p.reloadLocked()
	}
	if err != nil {
		if p.err == nil || p.err.Error() != err.Error() {
			p.log.Error("password file unusable; password logins fail until it is fixed", "path", p.path, "err", err)
		}
		p.err = err
		return err
	}
	return nil
}

func readAllLimited(f *os.File, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}

// parsePasswd parses the password file's content.
func parsePasswd(data []byte) ([]pwLine, map[string]int, error) {
	var lines []pwLine
	index := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSuffix(sc.Text(), "\r")
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			lines = append(lines, pwLine{text: text})
			continue
		}
		f := strings.Split(text, ":")
		if len(f) != 3 {
			return nil, nil, &PasswordSyntaxError{Line: n, Msg: fmt.Sprintf("want name:hash:local-account, found %d fields", len(f))}
		}
		if err := checkUserName(f[0]); err != nil {
			return nil, nil, &PasswordSyntaxError{Line: n, Msg: err.Error()}
		}
		if err := checkHash(f[1]); err != nil {
			return nil, nil, &PasswordSyntaxError{Line: n, Msg: fmt.Sprintf("user %q: %v", f[0], err)}
		}
		if err := checkAccountName(f[2]); err != nil {
			return nil, nil, &PasswordSyntaxError{Line: n, Msg: fmt.Sprintf("user %q: %v", f[0], err)}
		}
		if _, dup := index[f[0]]; dup {
			return nil, nil, &PasswordSyntaxError{Line: n, Msg: fmt.Sprintf("user %q appears twice", f[0])}
		}
		index[f[0]] = len(lines)
		lines = append(lines, pwLine{name: f[0], hash: f[1], account: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, &PasswordSyntaxError{Line: n + 1, Msg: err.Error()}
	}
	return lines, index, nil
}

// checkUserName validates a login name.
func checkUserName(name string) error {
	switch {
	case name == "":
		return errors.New("empty user name")
	case len(name) > MaxUserNameLength:
		return fmt.Errorf("user name longer than %d bytes", MaxUserNameLength)
	case !utf8.ValidString(name):
		return errors.New("user name is not UTF-8")
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("user name %q starts or ends with white space", name)
	}
	for _, r := range name {
		if r == ':' || unicode.IsControl(r) {
			return fmt.Errorf("user name %q contains %q", name, r)
		}
	}
	return nil
}

// checkAccountName validates a local account name ("" is no mapping).
func checkAccountName(name string) error {
	if len(name) > MaxUserNameLength {
		return fmt.Errorf("local account longer than %d bytes", MaxUserNameLength)
	}
	for _, r := range name {
		if r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("local account %q contains %q", name, r)
		}
	}
	return nil
}

// checkHash validates a stored hash.
func checkHash(h string) error {
	if h == "*" {
		return nil
	}
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return fmt.Errorf("not a bcrypt hash (or \"*\"): %v", err)
	}
	return nil
}

func checkPassword(pw string) error {
	if pw == "" || len(pw) > MaxPasswordLength {
		return ErrInvalidPassword
	}
	return nil
}

// Verify checks name and password against the file and returns the
// user's identity: User name, the mapped local account's UID, GIDs and
// groups (UID -1 when unmapped), Remote true, Method "basic"; the caller
// sets Source. A wrong password and an unknown user both give
// ErrBadCredentials after the same work: an unknown user's password is
// compared with a dummy hash of the file's highest cost. While the file
// is unusable (see LoadPasswordFile) every call fails with that error.
func (p *PasswordFile) Verify(name, password string) (*Identity, error) {
	p.mu.Lock()
	if err := p.refreshLocked(); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	var hash, acct string
	known := false
	if i, ok := p.index[name]; ok && p.lines[i].hash != "*" {
		hash, acct, known = p.lines[i].hash, p.lines[i].account, true
	}
	cost := p.maxCostLocked()
	var ckey [sha256.Size]byte
	useCache := p.opts.CacheTTL > 0 && known
	if useCache {
		ckey = p.cacheKey(name, password)
		if e, ok := p.cache[ckey]; ok && e.hash == hash && time.Now().Before(e.expires) {
			p.mu.Unlock()
			return p.identity(name, acct), nil
		}
	}
	p.mu.Unlock()

	target := []byte(hash)
	if !known {
		target = p.dummy(cost)
	}
	pw := []byte(password)
	tooLong := len(pw) > MaxPasswordLength
	if tooLong {
		pw = pw[:MaxPasswordLength]
	}
	bcryptCompares.Add(1)
	err := bcrypt.CompareHashAndPassword(target, pw)
	if err != nil || !known || tooLong {
		return nil, ErrBadCredentials
	}
	if useCache {
		p.mu.Lock()
		if len(p.cache) >= passwordCacheSize {
			now := time.Now()
			for k, e := range p.cache {
				if !now.Before(e.expires) {
					delete(p.cache, k)
				}
			}
			if len(p.cache) >= passwordCacheSize {
				clear(p.cache)
			}
		}
		p.cache[ckey] = cacheEntry{hash: hash, expires: time.Now().Add(p.opts.CacheTTL)}
		p.mu.Unlock()
	}
	return p.identity(name, acct), nil
}

// cacheKey is the key of name and password in the verified-password
// cache: an HMAC with a key of this process, so the cache holds nothing
// an attacker can test passwords against without that key.
func (p *PasswordFile) cacheKey(name, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var k [sha256.Size]byte
	m.Sum(k[:0])
	return k
}

// maxCostLocked returns the highest bcrypt cost in the file (the options'
// cost when it has none).
func (p *PasswordFile) maxCostLocked() int {
	cost := 0
	for _, l := range p.lines {
		if l.name == "" || l.hash == "*" {
			continue
		}
		if c, err := bcrypt.Cost([]byte(l.hash)); err == nil && c > cost {
			cost = c
		}
	}
	if cost == 0 {
		cost = p.opts.Cost
	}
	return cost
}

// dummy returns the hash of a random password at cost, made once.
func (p *PasswordFile) dummy(cost int) []byte {
	p.dmu.Lock()
	defer p.dmu.Unlock()
	if h, ok := p.dummies[cost]; ok {
		return h
	}
	pw := make([]byte, 32)
	_, _ = rand.Read(pw)
	h, err := bcrypt.GenerateFromPassword(pw[:24], cost)
	if err != nil {
		// Cannot happen for a valid cost; an invalid hash still makes
		// the comparison fail.
		h = []byte("$2a$10$invalidinvalidinvalidinvalidinvalidinvalidinvalidinv")
	}
	p.dummies[cost] = h
	return h
}

// identity is the identity of user name mapped to the local account acct.
func (p *PasswordFile) identity(name, acct string) *Identity {
	id := &Identity{User: name, UID: -1, Remote: true, Method: "basic"}
	if acct == "" {
		return id
	}
	a, err := accounts.byName(acct)
	if err != nil {
		p.log.Warn("password file: the mapped local account does not exist; the user is unmapped", "user", name, "local_account", acct, "err", err)
		return id
	}
	a.apply(id, p.opts.AdminGroups)
	return id
}

// MappedIdentity returns the identity of a user authenticated another way
// (a client certificate): the user's mapping in the file when there is
// one, else an unmapped identity (UID -1). Method and Source are left for
// the caller to set. A file that became unusable gives the unmapped
// identity.
func (p *PasswordFile) MappedIdentity(name string) *Identity {
	p.mu.Lock()
	acct := ""
	if err := p.refreshLocked(); err == nil {
		if i, ok := p.index[name]; ok {
			acct = p.lines[i].account
		}
	}
	p.mu.Unlock()
	id := p.identity(name, acct)
	id.Method = ""
	return id
}

// Users lists the users in file order.
func (p *PasswordFile) Users() ([]UserInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.reloadLocked(); err != nil {
		return nil, err
	}
	var out []UserInfo
	for _, l := range p.lines {
		if l.name != "" {
			out = append(out, UserInfo{Name: l.name, LocalAccount: l.account, PasswordLogin: l.hash != "*"})
		}
	}
	return out, nil
}

// AddUser adds a user with password and local account (empty for an
// unmapped user; the account need not exist yet). An empty password adds
// a user who cannot log in with a password ("*", for client
// certificates). It fails with ErrUserExists for a name already there.
// The file (and its directory) is created when missing.
func (p *PasswordFile) AddUser(name, password, localAccount string) error {
	if err := checkUserName(name); err != nil {
		return fmt.Errorf("security: %w", err)
	}
	if err := checkAccountName(localAccount); err != nil {
		return fmt.Errorf("security: %w", err)
	}
	hash := "*"
	if password != "" {
		h, err := p.hash(password)
		if err != nil {
			return err
		}
		hash = h
	}
	return p.change(func() error {
		if _, ok := p.index[name]; ok {
			return fmt.Errorf("%w: %s", ErrUserExists, name)
		}
		if len(p.lines) == 0 {
			p.lines = append(p.lines, pwLine{text: "# gowbem password file: name:bcrypt-hash:local-account (docs/SECURITY.md)"})
		}
		p.lines = append(p.lines, pwLine{name: name, hash: hash, account: localAccount})
		return nil
	})
}

// SetPassword changes the password of user name.
func (p *PasswordFile) SetPassword(name, password string) error {
	hash, err := p.hash(password)
	if err != nil {
		return err
	}
	return p.change(func() error {
		i, ok := p.index[name]
		if !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchUser, name)
		}
		p.lines[i].hash = hash
		return nil
	})
}

// SetLocalAccount maps user name to a local account ("" unmaps it).
func (p *PasswordFile) SetLocalAccount(name, localAccount string) error {
	if err := checkAccountName(localAccount); err != nil {
		return fmt.Errorf("security: %w", err)
	}
	return p.change(func() error {
		i, ok := p.index[name]
		if !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchUser, name)
		}
		p.lines[i].account = localAccount
		return nil
	})
}

// DeleteUser removes user name.
func (p *PasswordFile) DeleteUser(name string) error {
	return p.change(func() error {
		i, ok := p.index[name]
		if !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchUser, name)
		}
		p.lines = append(p.lines[:i], p.lines[i+1:]...)
		return nil
	})
}

func (p *PasswordFile) hash(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), p.opts.Cost)
	if err != nil {
		return "", fmt.Errorf("security: %w", err)
	}
	return string(h), nil
}

// change rereads the file, applies edit and writes the file back
// atomically.
func (p *PasswordFile) change(edit func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.reloadLocked(); err != nil {
		return err
	}
	if err := edit(); err != nil {
		_ = p.reloadLocked()
		return err
	}
	var buf bytes.Buffer
	for _, l := range p.lines {
		if l.name == "" {
			buf.WriteString(l.text)
		} else {
			buf.WriteString(l.name + ":" + l.hash + ":" + l.account)
		}
		buf.WriteByte('\n')
	}
	if err := WriteFileAtomic(p.path, buf.Bytes(), 0o600); err != nil {
		_ = p.reloadLocked()
		return err
	}
	return p.reloadLocked()
}

// WriteFileAtomic writes data to path through a temporary file in the
// same directory, synced and renamed over path, so that readers see the
// old or the new content and never a part. The file gets mode perm (and
// the directory is created with 0700 when missing).
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
