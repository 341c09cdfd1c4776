package security

import (
	"os/user"
	"slices"
	"strconv"
	"sync"
	"time"
)

// accountTTL is how long a looked-up local account is reused. Logins and
// connections are frequent; changes to /etc/passwd and /etc/group are
// rare, and a short delay before they apply is acceptable.
const accountTTL = 30 * time.Second

// account is what a local account contributes to an Identity.
type account struct {
	name   string
	uid    int
	gids   []int    // primary group first
	groups []string // names of gids, where they have one
}

// accountCache remembers local accounts for accountTTL, by "n:"+name and
// "u:"+uid.
type accountCache struct {
	mu sync.Mutex
	m  map[string]accountEntry
}

type accountEntry struct {
	acct    *account
	err     error
	expires time.Time
}

var accounts = &accountCache{m: make(map[string]accountEntry)}

// byName returns the local account called name.
func (c *accountCache) byName(name string) (*account, error) {
	return c.get("n:"+name, func() (*user.User, error) { return user.Lookup(name) })
}

// byUID returns the local account with the given uid.
func (c *accountCache) byUID(uid int) (*account, error) {
	return c.get("u:"+strconv.Itoa(uid), func() (*user.User, error) { return user.LookupId(strconv.Itoa(uid)) })
}

func (c *accountCache) get(key string, lookup func() (*user.User, error)) (*account, error) {
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[key]; ok && now.Before(e.expires) {
		c.mu.Unlock()
		return e.acct, e.err
	}
	c.mu.Unlock()
	var a *account
	u, err := lookup()
	if err == nil {
		a, err = newAccount(u)
	}
	c.mu.Lock()
	if len(c.m) > 4096 {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) > 4096 {
			clear(c.m)
		}
	}
	c.m[key] = accountEntry{acct: a, err: err, expires: now.Add(accountTTL)}
	c.mu.Unlock()
	return a, err
}

// newAccount reads u's ids and the names of its groups.
func newAccount(u *user.User) (*account, error) {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, err
	}
	a := &account{name: u.Username, uid: uid}
	if gid, err := strconv.Atoi(u.Gid); err == nil {
		a.gids = append(a.gids, gid)
	}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if gid, err := strconv.Atoi(s); err == nil && !slices.Contains(a.gids, gid) {
				a.gids = append(a.gids, gid)
			}
		}
	}
	a.groups = groupNames(a.gids)
	return a, nil
}

// groupNames returns the names of the groups gids that have one.
func groupNames(gids []int) []string {
	var out []string
	for _, gid := range gids {
		if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
			out = append(out, g.Name)
		}
	}
	return out
}

// isAdmin reports whether an account is an administrator: root, or a
// member of one of adminGroups.
func isAdmin(uid int, groups, adminGroups []string) bool {
	if uid == 0 {
		return true
	}
	for _, g := range groups {
		if slices.Contains(adminGroups, g) {
			return true
		}
	}
	return false
}

// apply makes id act as the local account a.
func (a *account) apply(id *Identity, adminGroups []string) {
	id.Account = a.name
	id.UID = a.uid
	id.GIDs = slices.Clone(a.gids)
	id.Groups = slices.Clone(a.groups)
	id.Admin = isAdmin(a.uid, a.groups, adminGroups)
}
