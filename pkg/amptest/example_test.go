package amptest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// Test your own code against the fake: point the SDK client at it, seed state, inject faults, and assert on
// what the server stored and received. In a test, use t.Cleanup(srv.Close) and t.Fatal instead of log.Fatal.
func Example() {
	srv := amptest.NewServer()
	defer srv.Close()
	c, err := client.New(client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// Seed the state your code expects.
	seeded, err := srv.SeedConnection("my-project", client.GenerateConnectionParams{
		Provider: "salesforce", GroupRef: "group-1", ConsumerRef: "consumer-1", APIKey: "secret",
	})
	if err != nil {
		log.Fatal(err)
	}

	// The code under test; here, one SDK call that meets a 503 first and is retried.
	srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: 503, Header: http.Header{"Retry-After": {"0"}}})
	conn, err := c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: seeded.ID})
	fmt.Println(conn.Provider, err)

	// Errors look like the real API's.
	_, err = c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: "my-project", ConnectionID: "nope"})
	fmt.Println(errors.Is(err, client.ErrNotFound))

	// Assert on what the server received and stored.
	for _, r := range srv.Requests() {
		fmt.Println(r.Operation, r.Method, r.Header.Get("X-Api-Key"))
	}
	fmt.Println(len(srv.Connections("my-project")), "connection stored")
	// Output:
	// salesforce <nil>
	// true
	// getConnection GET [REDACTED]
	// getConnection GET [REDACTED]
	// getConnection GET [REDACTED]
	// 1 connection stored
}

// The fake with plain net/http, as any HTTP client in any language would use it: create a connection, list it,
// then look at what the server stored and received.
func Example_rawHTTP() {
	srv := amptest.NewServer(amptest.WithProject(amptest.Project{ID: "proj-123", Name: "my-project"}))
	defer srv.Close()

	call := func(method, path, body string, into any) string {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, srv.URL+path, rd)
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("X-Api-Key", srv.APIKey)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			log.Fatal(err)
		}
		return resp.Status
	}

	var created client.Connection
	status := call(http.MethodPost, "/projects/my-project/connections:generate",
		`{"provider":"hubspot","groupRef":"group-1","groupName":"Acme","consumerRef":"consumer-1","apiKey":"secret"}`,
		&created)
	fmt.Println(status, created.Provider, created.AuthScheme, created.Status, created.ProjectID)
	fmt.Printf("credentials in the reply: %q\n", created.APIKey)

	var list []client.Connection
	status = call(http.MethodGet, "/projects/proj-123/connections?provider=hubspot", "", &list)
	fmt.Println(status, len(list), list[0].ID == created.ID, list[0].Group.GroupName, list[0].Consumer.ConsumerName)

	stored := srv.Connections("my-project")
	fmt.Printf("stored: %d, apiKey %q\n", len(stored), stored[0].APIKey)
	for _, r := range srv.Requests() {
		fmt.Println(r.Operation, r.Method, r.Path, r.Header.Get("X-Api-Key"))
	}
	// Output:
	// 201 Created hubspot apiKey created proj-123
	// credentials in the reply: ""
	// 200 OK 1 true Acme consumer-1
	// stored: 1, apiKey "secret"
	// generateConnection POST /v1/projects/my-project/connections:generate [REDACTED]
	// listConnections GET /v1/projects/proj-123/connections [REDACTED]
}
