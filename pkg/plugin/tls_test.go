package plugin

import (
	"encoding/pem"
	"net/http/httptest"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// TLS certificates are verified unless the user turns verification off or gives the CA,
// with the settings Grafana's HTTP settings editor writes.
func TestTLSIsVerified(t *testing.T) {
	fake := hydratest.New()
	t.Cleanup(fake.Close)
	hydratest.GenerateJob(fake, hydratest.GenOptions{N: 3})
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	const q = `{"queryType":"builds","project":"bench","jobset":"main","job":"bench"}`

	d := newInstance(t, srv.URL, `{}`, nil)
	wantFault(t, "a certificate of an unknown authority", faultQuery(t, d, q), "Give the server's CA certificate in the datasource's TLS settings")
	wantUnhealthy(t, "a certificate of an unknown authority", d, "certificate")
	wantRows(t, "verification turned off", faultQuery(t, newInstance(t, srv.URL, `{"tlsSkipVerify":true}`, nil), q), 3)
	wantRows(t, "the server's CA given", faultQuery(t, newInstance(t, srv.URL, `{"tlsAuthWithCACert":true}`,
		map[string]string{"tlsCACert": ca}), q), 3)
}
