// Command quickstart runs the whole life of a connection — generate, list, get with credentials, update,
// delete, and a get that finds nothing — printing each step.
//
// With no AMPERSAND_API_KEY set it starts a fake Ampersand API in-process (package amptest) and needs no
// network. With AMPERSAND_API_KEY and AMPERSAND_PROJECT set it runs against the real API, creating (and then
// deleting) a connection for AMPERSAND_PROVIDER (default "hubspot") with an API-key credential
// (AMPERSAND_PROVIDER_API_KEY).
//
//	go run ./examples/quickstart    # or: make demo
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run is the program, with its output and environment as parameters so that a test can run it.
func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	var opts []client.Option
	project := getenv("AMPERSAND_PROJECT")
	provider, credential := or(getenv("AMPERSAND_PROVIDER"), "hubspot"), or(getenv("AMPERSAND_PROVIDER_API_KEY"), "demo-api-key-1")
	if getenv("AMPERSAND_API_KEY") == "" {
		srv := amptest.NewServer()
		defer srv.Close()
		project = "quickstart"
		opts = append(opts, client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
		fmt.Fprintf(out, "No AMPERSAND_API_KEY: using a fake Ampersand API at %s\n\n", srv.URL)
	} else if project == "" {
		return errors.New("AMPERSAND_API_KEY is set: set AMPERSAND_PROJECT to the project to use too (or unset the key to use the fake API)")
	} else {
		fmt.Fprintf(out, "Using the Ampersand API, project %s\n\n", project)
	}
	c, err := client.New(opts...)
	if err != nil {
		return err
	}
	suffix := strconv.FormatInt(time.Now().Unix(), 36)
	groupRef, consumerRef := "quickstart-group-"+suffix, "quickstart-consumer-"+suffix

	step(out, 1, "generate a %s connection for group %s", provider, groupRef)
	conn, err := c.Connections.Generate(ctx, client.GenerateConnectionRequest{
		ProjectIDOrName: project,
		Params: client.GenerateConnectionParams{
			Provider: provider, GroupRef: groupRef, GroupName: "Quickstart group",
			ConsumerRef: consumerRef, ConsumerName: "Quickstart consumer", APIKey: credential,
		},
	})
	if err != nil {
		return err
	}
	show(out, conn)

	step(out, 2, "list the project's %s connections of group %s", provider, groupRef)
	conns, err := c.Connections.List(ctx, client.ListConnectionsRequest{ProjectIDOrName: project, Provider: provider, GroupRef: groupRef})
	if err != nil {
		return err
	}
	for _, cn := range conns {
		show(out, &cn)
	}

	step(out, 3, "get it with its credentials")
	conn, err = c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: project, ConnectionID: conn.ID, IncludeCreds: true})
	if err != nil {
		return err
	}
	show(out, conn)
	fmt.Fprintf(out, "    apiKey:     %s\n", mask(conn.APIKey))

	step(out, 4, "rotate its API key and set its workspace")
	conn, err = c.Connections.Update(ctx, client.UpdateConnectionRequest{
		ProjectIDOrName: project, ConnectionID: conn.ID,
		Params: client.UpdateConnectionParams{
			UpdateMask: []client.UpdateMaskField{client.UpdateMaskFieldAPIKey, client.UpdateMaskFieldProviderWorkspaceRef},
			Connection: client.ConnectionRequest{APIKey: credential + "-rotated", ProviderWorkspaceRef: "quickstart-workspace"},
		},
	})
	if err != nil {
		return err
	}
	show(out, conn)

	step(out, 5, "delete it")
	if err := c.Connections.Delete(ctx, client.DeleteConnectionRequest{ProjectIDOrName: project, ConnectionID: conn.ID}); err != nil {
		return err
	}
	fmt.Fprintln(out, "    deleted")

	step(out, 6, "get it again")
	_, err = c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: project, ConnectionID: conn.ID})
	var apiErr *client.APIError
	if !errors.Is(err, client.ErrNotFound) || !errors.As(err, &apiErr) {
		return fmt.Errorf("want not found after delete, got %v", err)
	}
	fmt.Fprintf(out, "    not found, as expected: %d %s (request %s)\n", apiErr.StatusCode, apiErr.Problem.Detail, apiErr.RequestID())
	fmt.Fprintln(out, "\nDone.")
	return nil
}

func step(out io.Writer, n int, format string, args ...any) {
	fmt.Fprintf(out, "%d. %s\n", n, fmt.Sprintf(format, args...))
}

func show(out io.Writer, c *client.Connection) {
	fmt.Fprintf(out, "    connection: %s\n    provider:   %s (%s, %s)\n    group:      %s / consumer: %s\n",
		c.ID, c.Provider, c.AuthScheme, c.Status, c.Group.GroupRef, c.Consumer.ConsumerRef)
	if c.ProviderWorkspaceRef != "" {
		fmt.Fprintf(out, "    workspace:  %s\n", c.ProviderWorkspaceRef)
	}
}

// mask shows the first characters of a secret only.
func mask(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[:4] + "…"
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
