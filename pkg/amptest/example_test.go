package amptest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/ampersand-sdk/ampersand-go/gen"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
)

// A fake Ampersand API for a test: create a connection, list it, then look at what the server stored and
// received. In a test, use t.Cleanup(srv.Close) and t.Fatal instead of log.Fatal.
func Example() {
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

	var created gen.Connection
	status := call(http.MethodPost, "/projects/my-project/connections:generate",
		`{"provider":"hubspot","groupRef":"group-1","groupName":"Acme","consumerRef":"consumer-1","apiKey":"secret"}`,
		&created)
	fmt.Println(status, created.Provider, created.AuthScheme, created.Status, created.ProjectID)
	fmt.Printf("credentials in the reply: %q\n", created.APIKey)

	var list []gen.Connection
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
