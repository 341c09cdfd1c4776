package wbemd

import (
	"io"
	"net/http"
	"time"
)

// limits applies Options.ReadTimeout to the reading of request bodies and
// Options.WriteTimeout to the writing of responses.
//
// They are not http.Server's ReadTimeout and WriteTimeout on purpose: the
// server's ReadTimeout stays armed while the handler runs and, when it
// expires, cancels the request's context, which would cancel any method
// call that takes longer than the timeout; its WriteTimeout counts the
// handler's time as well, which would drop the response of such a call.
// Here the body must arrive within ReadTimeout (the deadline is lifted
// once it has), and a response must be accepted by the client within
// WriteTimeout from its first byte, so a slow or stalled client cannot
// hold a connection, while a slow provider is bounded only by the
// operation timeouts.
func (s *Server) limits(next http.Handler) http.Handler {
	rt, wt := s.opts.ReadTimeout, s.opts.WriteTimeout
	if rt == 0 && wt == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if rt > 0 && r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			if rc.SetReadDeadline(time.Now().Add(rt)) == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
			}
		}
		if wt > 0 {
			w = &deadlineWriter{ResponseWriter: w, rc: rc, d: wt}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline once the body has been read to its
// end, so that net/http's background read (which watches for the client
// going away while the handler runs) does not time out and cancel the
// request. A body that is not read to its end keeps the deadline for
// net/http's discarding of the rest.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

// Read reads the body and lifts the deadline at its end.
func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// deadlineWriter sets the write deadline when the response starts.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	d       time.Duration
	started bool
}

func (w *deadlineWriter) start() {
	if !w.started {
		w.started = true
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.d))
	}
}

// WriteHeader starts the response (informational answers other than
// 101 do not).
func (w *deadlineWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.start()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write starts the response if needed and writes p.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController (Flush, Hijack, deadlines) the
// underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends what is buffered (http.Flusher).
func (w *deadlineWriter) Flush() {
	w.start()
	_ = w.rc.Flush()
}
