//go:build pam && linux && cgo

package security

/*
#cgo LDFLAGS: -lpam
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

// gowbem_conv answers PAM's password prompts with the password in data;
// any other question (a one-time code, a new password) fails the
// conversation, as a Basic login has nothing more to give.
static int gowbem_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
	if (n <= 0 || n > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
	struct pam_response *r = calloc((size_t)n, sizeof(struct pam_response));
	if (r == NULL) return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			r[i].resp = strdup((const char *)data);
			if (r[i].resp != NULL) break;
			// fall through: out of memory
		case PAM_PROMPT_ECHO_ON:
			for (int j = 0; j < i; j++) {
				if (r[j].resp != NULL) {
					explicit_bzero(r[j].resp, strlen(r[j].resp));
					free(r[j].resp);
				}
			}
			free(r);
			return PAM_CONV_ERR;
		default:
			break; // PAM_ERROR_MSG, PAM_TEXT_INFO: nothing to show them to
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int gowbem_pam_check(const char *service, const char *user, const char *password) {
	struct pam_conv conv = { gowbem_conv, (void *)password };
	pam_handle_t *h = NULL;
	int rc = pam_start(service, user, &conv, &h);
	if (rc != PAM_SUCCESS) return rc;
	rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS) rc = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	pam_end(h, rc);
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unsafe"
)

// ErrPAMUnavailable is returned by NewPAMVerifier in builds without PAM;
// this build has it.
var ErrPAMUnavailable = errors.New("security: this build has no PAM support (build with -tags pam)")

// maxPAMPassword bounds the passwords handed to PAM.
const maxPAMPassword = 4096

// pamVerifier checks passwords of local accounts with PAM.
type pamVerifier struct {
	service     string
	adminGroups []string
}

// NewPAMVerifier returns a PasswordVerifier that checks a user name and
// password with PAM under service (a file in /etc/pam.d), running both
// the auth and the account stacks. The user is the local account of that
// name (Identity.Account, UID, GIDs and groups), an administrator when it
// is root or in adminGroups. PAM modules may delay failures (pam_unix
// waits about two seconds), and pam_unix needs the server to run as root
// to check other users' passwords.
func NewPAMVerifier(service string, adminGroups []string) (PasswordVerifier, error) {
	if service == "" || strings.ContainsAny(service, "/\x00") {
		return nil, fmt.Errorf("security: invalid PAM service name %q", service)
	}
	return &pamVerifier{service: service, adminGroups: adminGroups}, nil
}

// Verify implements PasswordVerifier.
func (p *pamVerifier) Verify(user, password string) (*Identity, error) {
	if checkUserName(user) != nil || password == "" || len(password) > maxPAMPassword ||
		strings.ContainsRune(user+password, 0) {
		return nil, ErrBadCredentials
	}
	cs, cu, cp := C.CString(p.service), C.CString(user), C.CString(password)
	defer func() {
		C.explicit_bzero(unsafe.Pointer(cp), C.size_t(len(password)))
		C.free(unsafe.Pointer(cs))
		C.free(unsafe.Pointer(cu))
		C.free(unsafe.Pointer(cp))
	}()
	if rc := C.gowbem_pam_check(cs, cu, cp); rc != C.PAM_SUCCESS {
		return nil, fmt.Errorf("%w (PAM code %d)", ErrBadCredentials, int(rc))
	}
	id := &Identity{User: user, UID: -1, Remote: true, Method: "basic"}
	a, err := accounts.byName(user)
	if err != nil {
		slog.Warn("PAM accepted a user without a local account; the user is unmapped", "user", user, "err", err)
		return id, nil
	}
	a.apply(id, p.adminGroups)
	return id, nil
}
