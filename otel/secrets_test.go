package ampotel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// No span, event, status, link or metric holds the API key, a credential, a connection ID or a query value,
// whatever the operation and however it ends — even when the server's error messages name the connection.
func TestNoSecretsInTelemetry(t *testing.T) {
	const (
		apiKey      = "canary-KEY-7f3a91c2e5d8"
		seedCred    = "canary-SEEDCRED-0b5e6d"
		genCred     = "canary-GENCRED-44e1a9"
		updCred     = "canary-UPDCRED-9d02f7"
		missingConn = "canary-CONN-b41d6e"
		groupRef    = "canary-GROUP-c3d2"
	)
	h := newHarness(t, []amptest.Option{amptest.WithAPIKey(apiKey)}, client.WithAPIKey(apiKey))
	ctx := context.Background()
	seeded := seed(t, h.srv, seedCred)

	// A retried failure whose problem names the connection, and whose reason the retry event carries.
	h.srv.InjectFault(amptest.OpGetConnection, amptest.Fault{
		Status: 503, Header: http.Header{"Retry-After": {"0"}},
		Problem: &client.Problem{Detail: "connection " + seeded.ID + " is busy; key " + apiKey},
	})
	if _, err := h.c.Connections.Get(ctx, client.GetConnectionRequest{
		ProjectIDOrName: project, ConnectionID: seeded.ID, IncludeCreds: true, Refresh: client.RefreshModeForce,
	}); err != nil {
		t.Fatal(err)
	}
	gen, err := h.c.Connections.Generate(ctx, client.GenerateConnectionRequest{ProjectIDOrName: project,
		Params: client.GenerateConnectionParams{Provider: "hubspot", GroupRef: groupRef, ConsumerRef: "consumer-9", APIKey: genCred}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Connections.List(ctx, client.ListConnectionsRequest{ProjectIDOrName: project, GroupRef: groupRef}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Connections.Update(ctx, client.UpdateConnectionRequest{ProjectIDOrName: project, ConnectionID: gen.ID,
		Params: client.UpdateConnectionParams{
			UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldAPIKey},
			Connection: client.ConnectionRequest{APIKey: updCred},
		}}); err != nil {
		t.Fatal(err)
	}
	// Failures whose messages hold a connection ID.
	err = h.get(ctx, missingConn)
	if err == nil || !strings.Contains(err.Error(), missingConn) {
		t.Fatalf("the 404's message %v does not name the connection: this test would not see a leak", err)
	}
	if _, err := h.c.OAuth.Update(ctx, client.OAuthUpdateRequest{ProjectIDOrName: project, ConnectionID: seeded.ID}); err == nil {
		t.Fatal("oauthUpdate of an apiKey connection succeeded")
	}
	if err := h.c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: project, ConnectionID: gen.ID}); err != nil {
		t.Fatal(err)
	}

	ended := h.rec.Ended()
	if len(spans(h.rec, trace.SpanKindInternal)) != 7 || len(spans(h.rec, trace.SpanKindClient)) != 8 {
		t.Fatalf("%d spans", len(ended))
	}
	var dump strings.Builder
	stubs := tracetest.SpanStubsFromReadOnlySpans(ended)
	js, err := json.Marshal(stubs)
	if err != nil {
		t.Fatal(err)
	}
	dump.Write(js)
	for _, s := range ended {
		fmt.Fprintf(&dump, "\n%s %+v %+v %+v %+v", s.Name(), s.Attributes(), s.Events(), s.Status(), s.Links())
	}
	rm := collect(t, h.reader)
	js, err = json.Marshal(rm)
	if err != nil {
		t.Fatal(err)
	}
	dump.Write(js)
	fmt.Fprintf(&dump, "\n%+v", rm)

	text := dump.String()
	for _, secret := range []string{apiKey, seedCred, genCred, updCred, missingConn, seeded.ID, gen.ID, groupRef, "includeCreds", "refresh="} {
		if i := strings.Index(text, secret); i >= 0 {
			t.Errorf("telemetry holds %q: …%s…", secret, text[max(i-200, 0):min(i+100, len(text))])
		}
	}
	for _, s := range spans(h.rec, trace.SpanKindClient) {
		if u, _ := attr(s, "url.full"); !strings.Contains(u.AsString(), "/v1/") || strings.Contains(u.AsString(), "?") {
			t.Errorf("url.full %q", u.AsString())
		}
	}
	if !strings.Contains(text, project) {
		t.Error("the project is on no span: the dump is missing something")
	}
}
