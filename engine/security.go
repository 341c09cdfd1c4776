package engine

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
)

// This file holds the engine's security middleware around provider
// dispatch: the Authorizer as providers reach it, the per-user quota of
// calls in flight (Options.MaxPendingPerUser) and the audit log of method
// calls (Options.Audit). The rights themselves are checked where the
// spec orders it: Enable when a Services is opened and on every read,
// security.MethodRights (MethodExecute) in step 5 of every method call
// (Services.prepare).

// Authorizer returns the engine's Authorizer (Options.Authorizer), nil
// when the engine checks no rights. The __SystemSecurity provider finds
// the namespace security descriptors through it.
func (s *Services) Authorizer() security.Authorizer { return s.e.opts.Authorizer }

// userCount is the number of calls a user has in flight.
type userCount struct{ n atomic.Int64 }

// admitUser counts o against its caller's quota, or refuses it with
// WBEM_E_QUOTA_VIOLATION. Calls of the in-process identity are not
// counted. It does not allocate once the user has been seen.
func (e *Engine) admitUser(o *op) error {
	id := security.IdentityFrom(o.caller)
	if id == security.Process() {
		return nil
	}
	v, ok := e.users.Load(id.User)
	if !ok {
		v, _ = e.users.LoadOrStore(id.User, new(userCount))
	}
	c := v.(*userCount)
	if c.n.Add(1) > int64(e.opts.MaxPendingPerUser) {
		c.n.Add(-1)
		return status.New(status.WBEM_E_QUOTA_VIOLATION,
			"too many calls in flight for user %s (limit %d)", id.User, e.opts.MaxPendingPerUser)
	}
	o.user = c
	return nil
}

// releaseUser ends o's count against its user's quota.
func (e *Engine) releaseUser(o *op) {
	if o.user != nil {
		o.user.n.Add(-1)
	}
}

// PendingForUser returns the number of calls user has in flight (the
// count MaxPendingPerUser bounds).
func (e *Engine) PendingForUser(user string) int {
	if v, ok := e.users.Load(user); ok {
		return int(v.(*userCount).n.Load())
	}
	return 0
}

// refused writes the audit line of o, refused with err before it
// started (admission quotas), and returns err.
func (e *Engine) refused(o *op, err error) error {
	if e.opts.Audit != nil {
		e.audit(security.IdentityFrom(o.caller), o.svc.ns, o.pathText, o.method, status.Code(err), 0)
	}
	return err
}

// audit writes the audit line of o, which ended with hr.
func (o *op) audit(hr status.HRESULT) {
	var d time.Duration
	if !o.started.IsZero() {
		d = time.Since(o.started)
	}
	o.svc.e.audit(security.IdentityFrom(o.caller), o.svc.ns, o.pathText, o.method, hr, d)
}

// audit writes one audit line.
func (e *Engine) audit(id *security.Identity, ns, path, method string, hr status.HRESULT, d time.Duration) {
	var user, source string
	if id != nil {
		user, source = id.User, id.Source
	}
	e.opts.Audit.LogAttrs(context.Background(), slog.LevelInfo, "ExecMethod",
		slog.String("user", user),
		slog.String("source", source),
		slog.String("namespace", ns),
		slog.String("path", path),
		slog.String("method", method),
		slog.String("code", hr.Hex()),
		slog.String("status", hr.String()),
		slog.Duration("duration", d),
	)
}
