package security

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the namespace security descriptor (spec §10.1): an
// ordered list of access control entries, its evaluation for a caller,
// and its text and JSON forms.
//
// The text form, one ACE per line:
//
//	# comment (also after an ACE)
//	allow Administrators 0x6003F inherit
//	allow "Authenticated Users" Enable,MethodExecute,WriteProvider inherit
//	allow user:alice Enable,MethodExecute,RemoteAccess
//	deny group:guests MethodExecute inherit
//
// A line is: the type (allow or deny), the trustee, the rights and, when
// the ACE applies to child namespaces as well, the word inherit. Trustees
// are user:NAME, group:NAME, Administrators, Everyone, "Authenticated
// Users", "Local Users" and "Remote Users" (the well-known names in any
// case, with or without the space or the quotes). A trustee with spaces
// or quotes is written in double quotes, with \" and \\ as escapes. Rights
// are a number (0x13, 19) or names joined by ',' or '|' (see
// ParseRights).

// ACEType says whether an ACE grants or refuses its rights.
type ACEType uint8

// ACE types.
const (
	// Allow grants the ACE's rights (ACCESS_ALLOWED_ACE).
	Allow ACEType = iota
	// Deny refuses the ACE's rights, whatever other ACEs grant
	// (ACCESS_DENIED_ACE).
	Deny
)

// String returns "allow" or "deny".
func (t ACEType) String() string {
	switch t {
	case Allow:
		return "allow"
	case Deny:
		return "deny"
	}
	return "ACEType(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (t ACEType) MarshalText() ([]byte, error) {
	if t != Allow && t != Deny {
		return nil, fmt.Errorf("security: invalid ACE type %d", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: "allow" or "deny",
// in any case.
func (t *ACEType) UnmarshalText(b []byte) error {
	switch {
	case strings.EqualFold(string(b), "allow"):
		*t = Allow
	case strings.EqualFold(string(b), "deny"):
		*t = Deny
	default:
		return fmt.Errorf("security: ACE type %q is neither allow nor deny", b)
	}
	return nil
}

// TrusteeKind is the kind of principal an ACE names.
type TrusteeKind uint8

// Trustee kinds.
const (
	// TrusteeUser matches the caller whose Identity.User is the name.
	TrusteeUser TrusteeKind = iota + 1
	// TrusteeGroup matches callers with the name among Identity.Groups.
	TrusteeGroup
	// TrusteeAdministrators matches administrators (see IsAdministrator).
	TrusteeAdministrators
	// TrusteeEveryone matches every caller, anonymous ones included.
	TrusteeEveryone
	// TrusteeAuthenticatedUsers matches every caller that authenticated
	// (Identity.Method is not "none").
	TrusteeAuthenticatedUsers
	// TrusteeLocalUsers matches callers that did not come over the
	// network (the Unix socket, in-process).
	TrusteeLocalUsers
	// TrusteeRemoteUsers matches callers that came over the network
	// (Identity.Remote).
	TrusteeRemoteUsers
)

// Trustee is the principal an ACE applies to. Name is set for users and
// groups only; it is compared exactly (Unix names are case-sensitive).
type Trustee struct {
	Kind TrusteeKind
	Name string
}

// The well-known trustees.
var (
	// Administrators are the administrators: Identity.Admin, or the
	// account the server runs as (see IsAdministrator).
	Administrators = Trustee{Kind: TrusteeAdministrators}
	// Everyone is every caller.
	Everyone = Trustee{Kind: TrusteeEveryone}
	// AuthenticatedUsers is every caller but anonymous ones.
	AuthenticatedUsers = Trustee{Kind: TrusteeAuthenticatedUsers}
	// LocalUsers is every caller that is not remote.
	LocalUsers = Trustee{Kind: TrusteeLocalUsers}
	// RemoteUsers is every remote caller.
	RemoteUsers = Trustee{Kind: TrusteeRemoteUsers}
)

// UserTrustee returns the trustee user:name.
func UserTrustee(name string) Trustee { return Trustee{Kind: TrusteeUser, Name: name} }

// GroupTrustee returns the trustee group:name.
func GroupTrustee(name string) Trustee { return Trustee{Kind: TrusteeGroup, Name: name} }

// wellKnown maps the lower-cased spellings of the well-known trustees.
var wellKnown = map[string]TrusteeKind{
	"administrators":      TrusteeAdministrators,
	"everyone":            TrusteeEveryone,
	"authenticated users": TrusteeAuthenticatedUsers,
	"authenticatedusers":  TrusteeAuthenticatedUsers,
	"local users":         TrusteeLocalUsers,
	"localusers":          TrusteeLocalUsers,
	"remote users":        TrusteeRemoteUsers,
	"remoteusers":         TrusteeRemoteUsers,
}

// maxTrusteeName bounds user and group names in ACEs.
const maxTrusteeName = 256

// String returns the trustee as the text form writes it, unquoted:
// "user:alice", "group:wheel", "Administrators", "Authenticated Users".
func (t Trustee) String() string {
	switch t.Kind {
	case TrusteeUser:
		return "user:" + t.Name
	case TrusteeGroup:
		return "group:" + t.Name
	case TrusteeAdministrators:
		return "Administrators"
	case TrusteeEveryone:
		return "Everyone"
	case TrusteeAuthenticatedUsers:
		return "Authenticated Users"
	case TrusteeLocalUsers:
		return "Local Users"
	case TrusteeRemoteUsers:
		return "Remote Users"
	}
	return "Trustee(" + strconv.Itoa(int(t.Kind)) + ")"
}

// ParseTrustee parses a trustee as String writes it (without quotes).
// The prefixes user: and group: and the well-known names may be in any
// case.
func ParseTrustee(s string) (Trustee, error) {
	if k, ok := wellKnown[strings.ToLower(s)]; ok {
		return Trustee{Kind: k}, nil
	}
	var t Trustee
	kind, name, ok := strings.Cut(s, ":")
	switch {
	case ok && strings.EqualFold(kind, "user"):
		t = UserTrustee(name)
	case ok && strings.EqualFold(kind, "group"):
		t = GroupTrustee(name)
	default:
		return Trustee{}, fmt.Errorf("unknown trustee %q (want user:NAME, group:NAME, Administrators, Everyone, \"Authenticated Users\", \"Local Users\" or \"Remote Users\")", s)
	}
	if err := t.validate(); err != nil {
		return Trustee{}, err
	}
	return t, nil
}

// validate checks the name of a user or group trustee.
func (t Trustee) validate() error {
	switch t.Kind {
	case TrusteeUser, TrusteeGroup:
	case TrusteeAdministrators, TrusteeEveryone, TrusteeAuthenticatedUsers, TrusteeLocalUsers, TrusteeRemoteUsers:
		if t.Name != "" {
			return fmt.Errorf("trustee %s takes no name", t)
		}
		return nil
	case 0:
		return errors.New("the trustee is missing")
	default:
		return fmt.Errorf("invalid trustee kind %d", t.Kind)
	}
	what := "user"
	if t.Kind == TrusteeGroup {
		what = "group"
	}
	switch {
	case t.Name == "":
		return fmt.Errorf("%s: the name is empty", t)
	case len(t.Name) > maxTrusteeName:
		return fmt.Errorf("%s name longer than %d bytes", what, maxTrusteeName)
	case !utf8.ValidString(t.Name):
		return fmt.Errorf("%s name %q is not valid UTF-8", what, t.Name)
	}
	for _, r := range t.Name {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s name %q has a control character", what, t.Name)
		}
	}
	return nil
}

// MarshalText implements encoding.TextMarshaler (String).
func (t Trustee) MarshalText() ([]byte, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (ParseTrustee).
func (t *Trustee) UnmarshalText(b []byte) error {
	v, err := ParseTrustee(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Matches reports whether the trustee names the caller id.
func (t Trustee) Matches(id *Identity) bool {
	return t.matches(id, IsAdministrator(id))
}

// matches is Matches with the caller's administrator status worked out.
func (t Trustee) matches(id *Identity, admin bool) bool {
	switch t.Kind {
	case TrusteeUser:
		return id.User == t.Name
	case TrusteeGroup:
		for _, g := range id.Groups {
			if g == t.Name {
				return true
			}
		}
		return false
	case TrusteeAdministrators:
		return admin
	case TrusteeEveryone:
		return true
	case TrusteeAuthenticatedUsers:
		return id.Method != "none"
	case TrusteeLocalUsers:
		return !id.Remote
	case TrusteeRemoteUsers:
		return id.Remote
	}
	return false
}

// Rights names, in bit order, as String and the text form write them.
var rightNames = []struct {
	r    Rights
	name string
}{
	{Enable, "Enable"},
	{MethodExecute, "MethodExecute"},
	{FullWrite, "FullWrite"},
	{PartialWrite, "PartialWrite"},
	{WriteProvider, "WriteProvider"},
	{RemoteAccess, "RemoteAccess"},
	{Subscribe, "Subscribe"},
	{Publish, "Publish"},
	{ReadControl, "ReadControl"},
	{WriteDAC, "WriteDAC"},
}

// rightAliases maps the lower-cased names ParseRights accepts: ours, the
// WMI Control names without spaces, and the C constants.
var rightAliases = func() map[string]Rights {
	m := map[string]Rights{
		"enableaccount": Enable, "wbem_enable": Enable,
		"executemethods": MethodExecute, "wbem_method_execute": MethodExecute,
		"wbem_full_write_rep":    FullWrite,
		"wbem_partial_write_rep": PartialWrite,
		"providerwrite":          WriteProvider, "wbem_write_provider": WriteProvider,
		"remoteenable": RemoteAccess, "wbem_remote_access": RemoteAccess,
		"wbem_right_subscribe": Subscribe,
		"wbem_right_publish":   Publish,
		"readsecurity":         ReadControl, "read_control": ReadControl,
		"editsecurity": WriteDAC, "write_dac": WriteDAC,
	}
	for _, n := range rightNames {
		m[strings.ToLower(n.name)] = n.r
	}
	return m
}()

// KnownRights is the union of the namespace rights of spec §10.1; other
// bits are refused in security descriptors.
const KnownRights = Enable | MethodExecute | FullWrite | PartialWrite | WriteProvider |
	RemoteAccess | Subscribe | Publish | ReadControl | WriteDAC

// AdminRights are the rights of Administrators by default (DD-35):
// 0x6003F.
const AdminRights = Enable | MethodExecute | FullWrite | PartialWrite | WriteProvider |
	RemoteAccess | ReadControl | WriteDAC

// UserRights are the rights of other users by default (DD-35): Enable,
// MethodExecute and WriteProvider, 0x13.
const UserRights = Enable | MethodExecute | WriteProvider

// String returns the names of the rights in r joined by ',', unknown bits
// as one hexadecimal number at the end, and "0" for none.
func (r Rights) String() string {
	if r == 0 {
		return "0"
	}
	var b strings.Builder
	for _, n := range rightNames {
		if r&n.r != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n.name)
		}
	}
	if rest := r &^ KnownRights; rest != 0 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString("0x")
		b.WriteString(strings.ToUpper(strconv.FormatUint(uint64(rest), 16)))
	}
	return b.String()
}

// Hex returns r as the text form writes it: "0x6003F".
func (r Rights) Hex() string {
	return "0x" + strings.ToUpper(strconv.FormatUint(uint64(r), 16))
}

// ParseRights parses a rights mask: a number (hexadecimal with 0x, or
// decimal), or names joined by ',' or '|' (Enable, MethodExecute,
// FullWrite, PartialWrite, WriteProvider, RemoteAccess, Subscribe,
// Publish, ReadControl, WriteDAC; in any case; also the WMI Control names
// EnableAccount, ExecuteMethods, ProviderWrite, RemoteEnable,
// ReadSecurity, EditSecurity and the C constants WBEM_ENABLE ...
// WRITE_DAC). Bits outside KnownRights are refused.
func ParseRights(s string) (Rights, error) {
	if s == "" {
		return 0, errors.New("rights are missing")
	}
	var r Rights
	if c := s[0]; c >= '0' && c <= '9' {
		var n uint64
		var err error
		if len(s) > 2 && (s[1] == 'x' || s[1] == 'X') && s[0] == '0' {
			n, err = strconv.ParseUint(s[2:], 16, 32)
		} else {
			n, err = strconv.ParseUint(s, 10, 32)
		}
		if err != nil {
			return 0, fmt.Errorf("rights %q: not a 32-bit number", s)
		}
		r = Rights(n)
	} else {
		for name := range strings.FieldsFuncSeq(s, func(c rune) bool { return c == ',' || c == '|' }) {
			v, ok := rightAliases[strings.ToLower(name)]
			if !ok {
				return 0, fmt.Errorf("unknown right %q (want Enable, MethodExecute, FullWrite, PartialWrite, WriteProvider, RemoteAccess, Subscribe, Publish, ReadControl, WriteDAC or a number)", name)
			}
			r |= v
		}
	}
	if r == 0 {
		return 0, fmt.Errorf("rights %q: no right", s)
	}
	if rest := r &^ KnownRights; rest != 0 {
		return 0, fmt.Errorf("rights %s: bits %s are not namespace rights (known: %s)", r.Hex(), rest.Hex(), KnownRights.Hex())
	}
	return r, nil
}

// MarshalText implements encoding.TextMarshaler: the names, as String
// writes them.
func (r Rights) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (ParseRights; "0" is
// accepted as no rights).
func (r *Rights) UnmarshalText(b []byte) error {
	if string(b) == "0" {
		*r = 0
		return nil
	}
	v, err := ParseRights(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ACE is an access control entry of a namespace security descriptor.
type ACE struct {
	// Type says whether the ACE grants or refuses Rights.
	Type ACEType `json:"type"`
	// Trustee is who the ACE applies to.
	Trustee Trustee `json:"trustee"`
	// Rights are the rights granted or refused.
	Rights Rights `json:"rights"`
	// Inherit makes the ACE apply to the child namespaces too
	// (CONTAINER_INHERIT_ACE), unless they have a descriptor of their own.
	Inherit bool `json:"inherit,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler: type, trustee and rights
// must all be given; unknown fields are refused.
func (a *ACE) UnmarshalJSON(b []byte) error {
	var v struct {
		Type    *ACEType `json:"type"`
		Trustee *Trustee `json:"trustee"`
		Rights  *Rights  `json:"rights"`
		Inherit bool     `json:"inherit"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch {
	case v.Type == nil:
		return errors.New("ACE without type")
	case v.Trustee == nil:
		return errors.New("ACE without trustee")
	case v.Rights == nil:
		return errors.New("ACE without rights")
	}
	*a = ACE{Type: *v.Type, Trustee: *v.Trustee, Rights: *v.Rights, Inherit: v.Inherit}
	return a.validate()
}

// validate checks one ACE.
func (a *ACE) validate() error {
	if a.Type != Allow && a.Type != Deny {
		return fmt.Errorf("invalid ACE type %d", a.Type)
	}
	if err := a.Trustee.validate(); err != nil {
		return err
	}
	if a.Rights == 0 {
		return fmt.Errorf("%s %s: the ACE grants or refuses no right", a.Type, a.Trustee)
	}
	if rest := a.Rights &^ KnownRights; rest != 0 {
		return fmt.Errorf("%s %s: bits %s are not namespace rights", a.Type, a.Trustee, rest.Hex())
	}
	return nil
}

// String returns the ACE as one line of the text form, without comment:
// "allow group:wheel 0x6003F inherit".
func (a ACE) String() string {
	var b strings.Builder
	a.appendText(&b)
	return b.String()
}

func (a *ACE) appendText(b *strings.Builder) {
	b.WriteString(a.Type.String())
	b.WriteByte(' ')
	writeTrustee(b, a.Trustee.String())
	b.WriteByte(' ')
	b.WriteString(a.Rights.Hex())
	if a.Inherit {
		b.WriteString(" inherit")
	}
}

// writeTrustee writes a trustee, quoted when it has characters the
// tokenizer would split on.
func writeTrustee(b *strings.Builder, s string) {
	if !strings.ContainsAny(s, " \t\"#\\") {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// Limits of a security descriptor.
const (
	// MaxACEs bounds the ACEs of one security descriptor.
	MaxACEs = 1024
	// MaxSDText bounds the text form ParseSD accepts, in bytes.
	MaxSDText = 256 << 10
)

// SecurityDescriptor is the discretionary access control list of a
// namespace (spec §10.1). The zero value has no ACEs and grants nothing.
//
// Evaluation follows Windows for a DACL in canonical order: the rights a
// caller has are the union of the rights of the allow ACEs that match
// it, minus the union of the rights of the deny ACEs that match it. A
// matching deny therefore always wins, whatever the order of the ACEs;
// the order is kept only for people reading it.
type SecurityDescriptor struct {
	// ACEs are the entries, in the order given.
	ACEs []ACE `json:"aces"`
}

// Validate checks every ACE and the limits.
func (sd *SecurityDescriptor) Validate() error {
	if len(sd.ACEs) > MaxACEs {
		return fmt.Errorf("security descriptor has %d ACEs, more than %d", len(sd.ACEs), MaxACEs)
	}
	for i := range sd.ACEs {
		if err := sd.ACEs[i].validate(); err != nil {
			return fmt.Errorf("ACE %d: %w", i+1, err)
		}
	}
	return nil
}

// Rights returns the rights the descriptor gives caller id: the union of
// the matching allow ACEs minus the union of the matching deny ACEs.
func (sd *SecurityDescriptor) Rights(id *Identity) Rights {
	return sd.rights(id, IsAdministrator(id), false)
}

// rights evaluates the ACEs for id; with inheritedOnly, only the ACEs
// that apply to child namespaces count.
func (sd *SecurityDescriptor) rights(id *Identity, admin, inheritedOnly bool) Rights {
	var allow, deny Rights
	for i := range sd.ACEs {
		a := &sd.ACEs[i]
		if inheritedOnly && !a.Inherit {
			continue
		}
		if !a.Trustee.matches(id, admin) {
			continue
		}
		if a.Type == Deny {
			deny |= a.Rights
		} else {
			allow |= a.Rights
		}
	}
	return allow &^ deny
}

// Inherited returns the descriptor child namespaces get from sd: its ACEs
// marked inherit.
func (sd *SecurityDescriptor) Inherited() *SecurityDescriptor {
	out := &SecurityDescriptor{}
	for _, a := range sd.ACEs {
		if a.Inherit {
			out.ACEs = append(out.ACEs, a)
		}
	}
	return out
}

// Clone returns a deep copy of sd.
func (sd *SecurityDescriptor) Clone() *SecurityDescriptor {
	return &SecurityDescriptor{ACEs: append([]ACE(nil), sd.ACEs...)}
}

// Equal reports whether sd and o have the same ACEs in the same order.
func (sd *SecurityDescriptor) Equal(o *SecurityDescriptor) bool {
	if len(sd.ACEs) != len(o.ACEs) {
		return false
	}
	for i := range sd.ACEs {
		if sd.ACEs[i] != o.ACEs[i] {
			return false
		}
	}
	return true
}

// String returns the text form: one ACE per line, each followed by a
// comment naming its rights. ParseSD reads it back.
func (sd *SecurityDescriptor) String() string {
	var b strings.Builder
	for i := range sd.ACEs {
		a := &sd.ACEs[i]
		a.appendText(&b)
		b.WriteString("  # ")
		b.WriteString(a.Rights.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// SDSyntaxError is an error in the text form of a security descriptor.
type SDSyntaxError struct {
	// Line is the 1-based line number.
	Line int
	// Msg describes the error.
	Msg string
}

// Error implements error.
func (e *SDSyntaxError) Error() string {
	return fmt.Sprintf("security descriptor line %d: %s", e.Line, e.Msg)
}

// ParseSD parses the text form of a security descriptor (see the
// package's sd.go comment and SecurityDescriptor.String). Blank lines and
// comments are ignored; an empty text gives a descriptor without ACEs.
// Errors are *SDSyntaxError.
func ParseSD(text string) (*SecurityDescriptor, error) {
	if len(text) > MaxSDText {
		return nil, &SDSyntaxError{Line: 1, Msg: fmt.Sprintf("the text is longer than %d bytes", MaxSDText)}
	}
	if !utf8.ValidString(text) {
		return nil, &SDSyntaxError{Line: 1 + strings.Count(text[:firstInvalid(text)], "\n"), Msg: "the text is not valid UTF-8"}
	}
	sd := &SecurityDescriptor{}
	line := 0
	for rest := text; rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		line++
		l = strings.TrimSuffix(l, "\r")
		toks, err := tokenize(l)
		if err != nil {
			return nil, &SDSyntaxError{Line: line, Msg: err.Error()}
		}
		if len(toks) == 0 {
			continue
		}
		a, err := parseACE(toks)
		if err == nil {
			err = a.validate()
		}
		if err != nil {
			return nil, &SDSyntaxError{Line: line, Msg: err.Error()}
		}
		if len(sd.ACEs) == MaxACEs {
			return nil, &SDSyntaxError{Line: line, Msg: fmt.Sprintf("more than %d ACEs", MaxACEs)}
		}
		sd.ACEs = append(sd.ACEs, a)
	}
	return sd, nil
}

func firstInvalid(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

// token is one word of a line; quoted tells a quoted string from a bare
// word.
type token struct {
	text   string
	quoted bool
}

// tokenize splits a line into bare words and double-quoted strings,
// dropping a comment that starts with '#' outside quotes.
func tokenize(l string) ([]token, error) {
	var toks []token
	for i := 0; i < len(l); {
		c := l[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '#':
			return toks, nil
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(l) && l[j] != '"'; j++ {
				if l[j] == '\\' {
					j++
					if j == len(l) || (l[j] != '"' && l[j] != '\\') {
						return nil, errors.New(`only \" and \\ may follow a backslash in a quoted trustee`)
					}
				}
				b.WriteByte(l[j])
			}
			if j == len(l) {
				return nil, errors.New("a quoted trustee is not closed")
			}
			toks = append(toks, token{text: b.String(), quoted: true})
			i = j + 1
			if i < len(l) && l[i] != ' ' && l[i] != '\t' && l[i] != '#' {
				return nil, errors.New("a quoted trustee must be followed by a space")
			}
		default:
			j := i
			for j < len(l) && l[j] != ' ' && l[j] != '\t' && l[j] != '#' && l[j] != '"' {
				j++
			}
			if j < len(l) && l[j] == '"' {
				return nil, fmt.Errorf("unexpected quote after %q", l[i:j])
			}
			toks = append(toks, token{text: l[i:j]})
			i = j
		}
	}
	return toks, nil
}

// parseACE parses the words of one ACE line.
func parseACE(toks []token) (ACE, error) {
	var a ACE
	if toks[0].quoted {
		return a, fmt.Errorf("want allow or deny, not %q", toks[0].text)
	}
	if err := a.Type.UnmarshalText([]byte(toks[0].text)); err != nil {
		return a, fmt.Errorf("want allow or deny, not %q", toks[0].text)
	}
	toks = toks[1:]
	if len(toks) == 0 {
		return a, errors.New("the trustee is missing")
	}
	name := toks[0].text
	n := 1
	if !toks[0].quoted && len(toks) > 1 && !toks[1].quoted {
		// An unquoted two-word well-known name: Local Users.
		if k, ok := wellKnown[strings.ToLower(name+" "+toks[1].text)]; ok {
			a.Trustee, n = Trustee{Kind: k}, 2
		}
	}
	if n == 1 {
		t, err := ParseTrustee(name)
		if err != nil {
			return a, err
		}
		a.Trustee = t
	}
	toks = toks[n:]
	if len(toks) == 0 {
		return a, fmt.Errorf("%s %s: the rights are missing", a.Type, a.Trustee)
	}
	if toks[0].quoted {
		return a, fmt.Errorf("rights must not be quoted: %q", toks[0].text)
	}
	r, err := ParseRights(toks[0].text)
	if err != nil {
		return a, err
	}
	a.Rights = r
	for _, t := range toks[1:] {
		switch {
		case !t.quoted && strings.EqualFold(t.text, "inherit"):
			a.Inherit = true
		case !t.quoted && strings.EqualFold(t.text, "noinherit"):
			a.Inherit = false
		default:
			return a, fmt.Errorf("unexpected %q after the rights (want inherit, or nothing)", t.text)
		}
	}
	return a, nil
}

// UnmarshalJSON implements json.Unmarshaler: {"aces": [{"type": "allow",
// "trustee": "group:wheel", "rights": "Enable,MethodExecute" (or "0x3"),
// "inherit": true}, ...]}. Unknown fields are refused and the result is
// validated.
func (sd *SecurityDescriptor) UnmarshalJSON(b []byte) error {
	type plain SecurityDescriptor
	var p plain
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return fmt.Errorf("security descriptor: %w", err)
	}
	v := SecurityDescriptor(p)
	if err := v.Validate(); err != nil {
		return fmt.Errorf("security descriptor: %w", err)
	}
	*sd = v
	return nil
}

// ParseSDAny parses a security descriptor given as JSON (text starting
// with '{', after blanks) or in the text form.
func ParseSDAny(text string) (*SecurityDescriptor, error) {
	if t := strings.TrimLeft(text, " \t\r\n"); strings.HasPrefix(t, "{") {
		sd := &SecurityDescriptor{}
		if err := json.Unmarshal([]byte(t), sd); err != nil {
			return nil, err
		}
		return sd, nil
	}
	return ParseSD(text)
}
