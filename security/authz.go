package security

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gowbem/gowbem/status"
)

// This file holds NamespaceAuthorizer: the Authorizer of WMI's namespace
// security descriptors (spec §10), with its defaults (DD-35).
//
// Which descriptor applies to a namespace: the nearest one, walking from
// the namespace up to root, that is either set on that namespace (through
// SetSD, kept in an SDStore) or a built-in default for it. When it is the
// namespace's own descriptor, all its ACEs count; when it belongs to an
// ancestor, only the ACEs marked inherit count. A descriptor set on a
// namespace replaces the default of that namespace; the default of a
// namespace nearer than an ancestor's descriptor shields it from the
// ancestor (a descriptor set on root does not change root/cimv2 while
// root/cimv2 has its default).
//
// On top of the ACEs, administrators always keep OwnerRights: Enable,
// ReadControl and WriteDAC (the implicit rights of an object's owner in
// Windows, plus the right to connect), so a descriptor can never lock them
// out of repairing it. Every access needs Enable, plus RemoteAccess for
// remote callers (§10.2 order 1); a remote administrator can be shut out
// by taking RemoteAccess away, a local one cannot.

// SecurityNamespace is the namespace in which RepositorySDStore keeps the
// descriptors set on namespaces (as WMI keeps security in root/SECURITY).
// Its default descriptor gives access to administrators only.
const SecurityNamespace = "root/security"

// SystemSecurityClass is the class whose methods (GetSD, SetSD,
// GetCallerAccessRights) read and change namespace security. The object
// manager lets every caller with Enable call them (MethodRights); the
// methods check ReadControl and WriteDAC themselves.
const SystemSecurityClass = "__SystemSecurity"

// MethodRights returns the right the object manager checks before a
// method of class runs (spec §10.2 order 3): MethodExecute, except for
// __SystemSecurity, whose methods any enabled caller may call (§10.1).
func MethodRights(class string) Rights {
	if len(class) == len(SystemSecurityClass) && strings.EqualFold(class, SystemSecurityClass) {
		return Enable
	}
	return MethodExecute
}

// OwnerRights are the rights administrators have on every namespace
// whatever its descriptor says: enough to connect, read the descriptor
// and change it.
const OwnerRights = Enable | ReadControl | WriteDAC

// serverUID is the account the server process runs as (-1 where there
// are no uids).
var serverUID = os.Getuid()

// IsAdministrator reports whether id belongs to the Administrators
// trustee: an administrator (Identity.Admin: root, or a member of a
// configured admin group), or a local caller running as the account the
// server itself runs as, who can read and change the server's data files
// anyway: a Unix-socket peer with that uid (Method "peercred", the
// kernel's word) or the in-process identity (Method "local", Process()).
// An identity of any other method is never an administrator by its uid
// alone, so that one built without a uid (0 by default) is not root.
func IsAdministrator(id *Identity) bool {
	if id == nil {
		return false
	}
	if id.Admin {
		return true
	}
	return !id.Remote && id.UID >= 0 && id.UID == serverUID && (id.Method == "peercred" || id.Method == "local")
}

// DefaultSDs returns the built-in descriptors (DD-35), by namespace:
//
//	root           allow Administrators 0x6003F inherit
//	root/cimv2     allow Administrators 0x6003F inherit
//	               allow "Authenticated Users" 0x13 inherit
//	root/security  allow Administrators 0x6003F inherit
//
// So administrators have every right everywhere, remotely too (WMI gives
// Administrators Remote Enable); other users may connect, read, call
// methods and write through providers in root/cimv2 and its children,
// locally only, since remote access needs RemoteAccess, which they lack
// until it is granted. Every other namespace (root/default, root/test,
// the ones users create) inherits root's: administrators only.
// root/security holds the stored descriptors and has its own default so
// that what is granted on root with inherit does not reach it.
func DefaultSDs() map[string]*SecurityDescriptor {
	admins := ACE{Type: Allow, Trustee: Administrators, Rights: AdminRights, Inherit: true}
	users := ACE{Type: Allow, Trustee: AuthenticatedUsers, Rights: UserRights, Inherit: true}
	return map[string]*SecurityDescriptor{
		"root":            {ACEs: []ACE{admins}},
		"root/cimv2":      {ACEs: []ACE{admins, users}},
		SecurityNamespace: {ACEs: []ACE{admins}},
	}
}

// SDStore keeps the descriptors set on namespaces, in the text form
// (SecurityDescriptor.String). RepositorySDStore keeps them in the
// repository; MemorySDStore in memory.
type SDStore interface {
	// LoadSDs returns the text of every stored descriptor by namespace
	// name (any case, '/' separators).
	LoadSDs() (map[string]string, error)
	// SaveSD stores text as the descriptor set on namespace ns, or
	// removes the descriptor when text is empty. by names who made the
	// change, for the record.
	SaveSD(ns, text, by string) error
}

// NamespaceAuthorizerOptions configure NewNamespaceAuthorizer.
type NamespaceAuthorizerOptions struct {
	// Store keeps the descriptors set on namespaces; nil keeps them in
	// memory only (a new MemorySDStore).
	Store SDStore
	// Defaults are the descriptors that apply where none is set, by
	// namespace; nil means DefaultSDs(). They are copied.
	Defaults map[string]*SecurityDescriptor
	// Logger receives changes of descriptors (Info) and stored
	// descriptors that do not parse (Error); nil discards.
	Logger *slog.Logger
}

// NamespaceAuthorizer is the Authorizer of namespace security
// descriptors. It answers from an in-memory copy of the stored
// descriptors that SetSD updates together with the store, so every call
// sees every change made through it at once (DD-36) while a check costs
// a few map look-ups and no allocation. Changes made to the store behind
// its back (another NamespaceAuthorizer, or a program writing the
// repository directly) are seen after Reload: use one NamespaceAuthorizer
// per store. It is safe for concurrent use.
type NamespaceAuthorizer struct {
	store    SDStore
	log      *slog.Logger
	defaults map[string]*sdEntry // immutable

	mu  sync.Mutex // serialises SetSD and Reload
	set atomic.Pointer[map[string]*sdEntry]
}

var _ Authorizer = (*NamespaceAuthorizer)(nil)

// sdEntry is a descriptor of one namespace.
type sdEntry struct {
	ns       string // the namespace as named when set
	sd       *SecurityDescriptor
	modified bool // set through SetSD/the store, not a default
}

// ErrEmptySD is returned by SetSD for a descriptor without ACEs. Such a
// descriptor would leave the namespace to administrators alone; say so
// with a deny ACE, or remove the namespace's descriptor (nil) to inherit
// again.
var ErrEmptySD = errors.New("security: a security descriptor without ACEs is refused; remove the descriptor to inherit, or deny explicitly")

// NewNamespaceAuthorizer loads the stored descriptors and returns the
// authorizer. A stored descriptor that does not parse is logged and
// replaced by one without ACEs (only administrators keep access there,
// through their implicit rights), so a damaged store fails closed.
func NewNamespaceAuthorizer(opts NamespaceAuthorizerOptions) (*NamespaceAuthorizer, error) {
	if opts.Store == nil {
		opts.Store = NewMemorySDStore()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Defaults == nil {
		opts.Defaults = DefaultSDs()
	}
	a := &NamespaceAuthorizer{store: opts.Store, log: opts.Logger, defaults: make(map[string]*sdEntry, len(opts.Defaults))}
	for ns, sd := range opts.Defaults {
		if sd == nil {
			continue
		}
		if err := sd.Validate(); err != nil {
			return nil, fmt.Errorf("security: default descriptor of %s: %w", ns, err)
		}
		a.defaults[nsKey(ns)] = &sdEntry{ns: nsName(ns), sd: sd.Clone()}
	}
	if err := a.Reload(); err != nil {
		return nil, err
	}
	return a, nil
}

// Reload rereads the store. It is needed only after the store was
// changed other than through SetSD.
func (a *NamespaceAuthorizer) Reload() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	texts, err := a.store.LoadSDs()
	if err != nil {
		return fmt.Errorf("security: loading namespace security descriptors: %w", err)
	}
	m := make(map[string]*sdEntry, len(texts))
	for ns, text := range texts {
		sd, err := ParseSD(text)
		if err == nil && len(sd.ACEs) == 0 {
			err = ErrEmptySD
		}
		if err != nil {
			a.log.Error("stored security descriptor is invalid; only administrators keep access to the namespace until it is set again",
				"namespace", ns, "err", err)
			sd = &SecurityDescriptor{}
		}
		m[nsKey(ns)] = &sdEntry{ns: nsName(ns), sd: sd, modified: true}
	}
	a.set.Store(&m)
	return nil
}

// Authorize implements Authorizer: the caller needs the rights asked for,
// Enable (every access does), and RemoteAccess when remote. A refusal is
// WBEM_E_ACCESS_DENIED naming the missing rights.
func (a *NamespaceAuthorizer) Authorize(_ context.Context, id *Identity, ns string, want Rights) error {
	need := want | Enable
	if id != nil && id.Remote {
		need |= RemoteAccess
	}
	have := a.AccessRights(id, ns)
	if have&need == need {
		return nil
	}
	return accessDenied(id, ns, need&^have)
}

// accessDenied builds the refusal.
func accessDenied(id *Identity, ns string, missing Rights) error {
	who := "anonymous caller"
	if id != nil && id.User != "" {
		who = "user " + id.User
	}
	if id != nil && id.Remote && missing&RemoteAccess != 0 {
		return status.New(status.WBEM_E_ACCESS_DENIED,
			"access denied: %s may not use namespace %s remotely (missing rights: %s)", who, ns, missing)
	}
	return status.New(status.WBEM_E_ACCESS_DENIED,
		"access denied: %s lacks the right(s) %s on namespace %s", who, missing, ns)
}

// AccessRights returns the rights id has on namespace ns: what the
// applicable descriptor gives, plus OwnerRights for administrators. It is what __SystemSecurity.GetCallerAccessRights
// reports. A nil id has no rights.
func (a *NamespaceAuthorizer) AccessRights(id *Identity, ns string) Rights {
	if id == nil {
		return 0
	}
	admin := IsAdministrator(id)
	var r Rights
	if e, own := a.lookup(nsKey(ns)); e != nil {
		r = e.sd.rights(id, admin, !own)
	}
	if admin {
		r |= OwnerRights
	}
	return r
}

// lookup returns the descriptor that applies to the namespace with key
// key, and whether it is the namespace's own (else an ancestor's, whose
// inheritable ACEs apply).
func (a *NamespaceAuthorizer) lookup(key string) (e *sdEntry, own bool) {
	set := *a.set.Load()
	for k := key; ; {
		if e := set[k]; e != nil {
			return e, k == key
		}
		if e := a.defaults[k]; e != nil {
			return e, k == key
		}
		switch i := strings.LastIndexByte(k, '/'); {
		case i >= 0:
			k = k[:i]
		case k != "root":
			// A top-level namespace other than root (interop) is
			// treated as a child of root.
			k = "root"
		default:
			return nil, false
		}
	}
}

// EffectiveSD describes the descriptor that applies to a namespace.
type EffectiveSD struct {
	// Namespace is the namespace asked about.
	Namespace string
	// SD holds the ACEs that apply to Namespace: all of the descriptor
	// when it is the namespace's own, the inheritable ones when it is an
	// ancestor's. It is a copy.
	SD *SecurityDescriptor
	// From is the namespace the descriptor belongs to: Namespace, or the
	// ancestor it is inherited from. It is empty when no descriptor
	// applies (then nobody but administrators has access).
	From string
	// Default reports a built-in default (DefaultSDs) rather than a
	// descriptor set with SetSD.
	Default bool
}

// Inherited reports whether the descriptor comes from an ancestor.
func (e *EffectiveSD) Inherited() bool { return e.From != "" && nsKey(e.From) != nsKey(e.Namespace) }

// String returns the text form of the descriptor, after comment lines
// saying where it comes from. It is what __SystemSecurity.GetSD returns;
// ParseSD reads it back (the comments are ignored).
func (e *EffectiveSD) String() string {
	var b strings.Builder
	b.WriteString("# security descriptor of namespace " + e.Namespace + ": ")
	switch {
	case e.From == "":
		b.WriteString("none applies (administrators only)\n")
	case e.Inherited() && e.Default:
		b.WriteString("inherited from the built-in default of " + e.From + "\n")
	case e.Inherited():
		b.WriteString("inherited from " + e.From + "\n")
	case e.Default:
		b.WriteString("the built-in default\n")
	default:
		b.WriteString("set on this namespace\n")
	}
	if e.Inherited() {
		b.WriteString("# (setting it here gives this namespace a descriptor of its own)\n")
	}
	b.WriteString("# administrators always keep Enable, ReadControl and WriteDAC\n")
	b.WriteString(e.SD.String())
	return b.String()
}

// Effective returns the descriptor that applies to namespace ns.
func (a *NamespaceAuthorizer) Effective(ns string) *EffectiveSD {
	out := &EffectiveSD{Namespace: nsName(ns), SD: &SecurityDescriptor{}}
	key := nsKey(ns)
	e, own := a.lookup(key)
	if e == nil {
		return out
	}
	out.From, out.Default = e.ns, !e.modified
	if own {
		out.From = out.Namespace
		out.SD = e.sd.Clone()
	} else {
		out.SD = e.sd.Inherited()
	}
	return out
}

// SetSD sets sd as the descriptor of namespace ns, replacing the default
// or inherited one there, or removes the namespace's descriptor when sd
// is nil (it then inherits again, or gets its default back). The change
// is stored first and applies to the next call. by is who makes the
// change (for the log and the store; may be nil). A descriptor without
// ACEs is ErrEmptySD; an invalid one is refused. The caller checks
// WriteDAC (the __SystemSecurity provider does).
func (a *NamespaceAuthorizer) SetSD(ns string, sd *SecurityDescriptor, by *Identity) error {
	name, key := nsName(ns), nsKey(ns)
	if key == "" {
		return errors.New("security: SetSD: the namespace is empty")
	}
	text := ""
	if sd != nil {
		if len(sd.ACEs) == 0 {
			return ErrEmptySD
		}
		if err := sd.Validate(); err != nil {
			return err
		}
		sd = sd.Clone()
		text = sd.String()
	}
	who := ""
	if by != nil {
		who = by.User
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.store.SaveSD(name, text, who); err != nil {
		return fmt.Errorf("security: storing the security descriptor of %s: %w", name, err)
	}
	m := maps.Clone(*a.set.Load())
	if sd == nil {
		delete(m, key)
	} else {
		m[key] = &sdEntry{ns: name, sd: sd, modified: true}
	}
	a.set.Store(&m)
	if sd == nil {
		a.log.Info("namespace security descriptor removed", "namespace", name, "by", who)
	} else {
		a.log.Info("namespace security descriptor set", "namespace", name, "by", who, "aces", len(sd.ACEs))
	}
	return nil
}

// nsName returns a namespace name with '/' separators and without
// leading or trailing separators.
func nsName(ns string) string {
	if strings.IndexByte(ns, '\\') >= 0 {
		ns = strings.ReplaceAll(ns, `\`, "/")
	}
	return strings.Trim(ns, "/")
}

// nsKey returns the look-up key of a namespace: nsName lower-cased. It
// does not allocate for a name that is already in that form.
func nsKey(ns string) string {
	for i := 0; i < len(ns); i++ {
		if c := ns[i]; c == '\\' || (c >= 'A' && c <= 'Z') || c >= 0x80 || ((i == 0 || i == len(ns)-1) && c == '/') {
			return strings.ToLower(nsName(ns))
		}
	}
	return ns
}

// MemorySDStore is an SDStore in memory, for tests and embedding. It is
// safe for concurrent use.
type MemorySDStore struct {
	mu sync.Mutex
	m  map[string]storedSD
}

type storedSD struct{ ns, text string }

var _ SDStore = (*MemorySDStore)(nil)

// NewMemorySDStore returns an empty MemorySDStore.
func NewMemorySDStore() *MemorySDStore { return &MemorySDStore{m: make(map[string]storedSD)} }

// LoadSDs implements SDStore.
func (s *MemorySDStore) LoadSDs() (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.m))
	for _, v := range s.m {
		out[v.ns] = v.text
	}
	return out, nil
}

// SaveSD implements SDStore; by is not kept.
func (s *MemorySDStore) SaveSD(ns, text, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if text == "" {
		delete(s.m, nsKey(ns))
		return nil
	}
	s.m[nsKey(ns)] = storedSD{ns: nsName(ns), text: text}
	return nil
}
