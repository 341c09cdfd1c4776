package security

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// File names of the self-signed certificate and key in their directory.
const (
	SelfSignedCertFile = "wbemd-cert.pem"
	SelfSignedKeyFile  = "wbemd-key.pem"
)

// selfSignedValidity is how long a generated certificate is valid. Clients
// trust it by pinning it, so it lives long; an expired one is replaced.
const selfSignedValidity = 10 * 365 * 24 * time.Hour

// EnsureSelfSigned returns the server's self-signed TLS certificate and
// key in dir (SelfSignedCertFile, SelfSignedKeyFile), creating them the
// first time: an ECDSA P-256 key (mode 0600) and a certificate for
// localhost, 127.0.0.1, ::1, the host name and hosts (names or IP
// addresses), valid for ten years. Later calls reuse them as long as they
// load and have not expired; when they have expired, or one of the two is
// missing, a new pair is made. A key file that group or others can read
// is an error (*PermissionError), and so is a pair that does not load:
// the server never overwrites what an administrator may have put there.
func EnsureSelfSigned(dir string, hosts []string) (certFile, keyFile string, err error) {
	certFile = filepath.Join(dir, SelfSignedCertFile)
	keyFile = filepath.Join(dir, SelfSignedKeyFile)
	kfi, kerr := os.Stat(keyFile)
	_, cerr := os.Stat(certFile)
	if kerr == nil && cerr == nil {
		if err := checkPrivate(keyFile, kfi); err != nil {
			return "", "", err
		}
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return "", "", fmt.Errorf("security: the TLS certificate in %s does not load (remove both files to make a new one): %w", dir, err)
		}
		if time.Now().Before(pair.Leaf.NotAfter) {
			return certFile, keyFile, nil
		}
	} else if (kerr != nil && !errors.Is(kerr, fs.ErrNotExist)) || (cerr != nil && !errors.Is(cerr, fs.ErrNotExist)) {
		return "", "", fmt.Errorf("security: TLS certificate: %w", errors.Join(kerr, cerr))
	}
	certPEM, keyPEM, err := selfSigned(hosts, time.Now())
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	if err := WriteFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := WriteFileAtomic(certFile, certPEM, 0o644); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// selfSigned makes a self-signed certificate and its key, PEM-encoded.
func selfSigned(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
		} else if h != "" && !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[len(names)-1], Organization: []string{"gowbem wbemd (self-signed)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	return certPEM, keyPEM, nil
}

// LoadCertPool reads PEM certificates (a CA bundle, for verifying client
// certificates) from file.
func LoadCertPool(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("security: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("security: %s holds no PEM certificate", file)
	}
	return pool, nil
}
