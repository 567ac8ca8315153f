// Command oauth is a small web app that connects a user's Salesforce account through Ampersand's OAuth flow,
// then shows the connection:
//
//	GET /                   a page with a "Connect Salesforce" link
//	GET /connect?user=U     asks Ampersand for an authorization URL and sends the browser there
//	GET /connection?user=U  the user's connection, once they granted access
//
// With no AMPERSAND_API_KEY set it runs against a fake Ampersand API in-process (package amptest), whose
// authorization URL plays the provider's consent page: open it, and the connection exists. With
// AMPERSAND_API_KEY and AMPERSAND_PROJECT set it uses the real API.
//
//	go run ./examples/oauth [-addr 127.0.0.1:8080]
package main

import (
	"context"
	"errors"
	"flag"
	"html/template"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve the app on")
	flag.Parse()
	var opts []client.Option
	project := os.Getenv("AMPERSAND_PROJECT")
	if os.Getenv("AMPERSAND_API_KEY") == "" {
		srv := amptest.NewServer()
		defer srv.Close()
		project = "oauth-example"
		opts = append(opts, client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
		log.Printf("no AMPERSAND_API_KEY: using a fake Ampersand API at %s", srv.URL)
	} else if project == "" {
		log.Fatal("AMPERSAND_API_KEY is set: set AMPERSAND_PROJECT too")
	}
	c, err := client.New(opts...)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("open http://%s/", *addr)
	s := &http.Server{Addr: *addr, Handler: newApp(c, project), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(s.ListenAndServe())
}

// app is the web app: every user of it is one consumer of the group "oauth-example-org".
type app struct {
	c       *client.Client
	project string
}

const groupRef = "oauth-example-org"

// newApp returns the app's handler.
func newApp(c *client.Client, project string) http.Handler {
	a := &app{c: c, project: project}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /connect", a.connect)
	mux.HandleFunc("GET /connection", a.connection)
	return mux
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<title>Connect Salesforce</title>
{{if .Connection}}<p>Connected: <code>{{.Connection.ID}}</code>, {{.Connection.Provider}}, status <b>{{.Connection.Status}}</b>.</p>
{{else if .User}}<p>No connection for {{.User}} yet. <a href="/connect?user={{.User}}">Connect Salesforce</a></p>
{{else}}<p><a href="/connect?user=jane">Connect Salesforce as jane</a></p>{{end}}
`))

type view struct {
	User       string
	Connection *client.Connection
}

func (a *app) home(w http.ResponseWriter, _ *http.Request) { render(w, view{}) }

// connect starts the flow: the browser goes to the authorization URL Ampersand minted for this user.
func (a *app) connect(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if user == "" {
		http.Error(w, "missing ?user=", http.StatusBadRequest)
		return
	}
	u, err := a.c.OAuth.Connect(r.Context(), client.OAuthConnectRequest{Params: client.OAuthConnectParams{
		ProjectIDOrName: a.project, Provider: "salesforce", GroupRef: groupRef, ConsumerRef: user, ConsumerName: user,
	}})
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	http.Redirect(w, r, u.String(), http.StatusFound) // the SDK checked it is a URL a browser may be sent to
}

// connection shows the user's connection, found by their refs.
func (a *app) connection(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	conns, err := a.c.Connections.List(r.Context(), client.ListConnectionsRequest{
		ProjectIDOrName: a.project, Provider: "salesforce", GroupRef: groupRef, ConsumerRef: user,
	})
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	v := view{User: user}
	if len(conns) > 0 {
		v.Connection = &conns[len(conns)-1]
	}
	render(w, v)
}

func render(w http.ResponseWriter, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, v); err != nil {
		log.Print(err)
	}
}

// statusOf is the status the app answers when a call to Ampersand failed.
func statusOf(err error) int {
	var invalid *client.ValidationError
	switch {
	case errors.As(err, &invalid):
		return http.StatusBadRequest
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}
