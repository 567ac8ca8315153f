// Command oauth is a small web app that connects a user's Salesforce account through Ampersand's OAuth flow,
// then shows the connection:
//
//	GET /                    the home page: pick a user, connect them or see their connection
//	GET /connect?user=U      asks Ampersand for an authorization URL for U and sends the browser there
//	GET /connection?user=U   U's connection, once they granted access
//	GET /callback            where the consent sends the browser back (connection_id=…, or error=…)
//	GET /reauthorize?user=U  re-authorizes U's connection (OAuth.Update), offered after a connection.error
//	POST /webhooks/ampersand the lifecycle notifications, verified (client.Webhook.Handler)
//
// The app learns of a user's connection from the connection.created notification, not by polling List, and
// of a connection whose grant was revoked from connection.error, when its page offers a re-authorization;
// connection.updated says it works again.
//
// Each user of the app is one consumer (consumerRef U) of the group "oauth-example-org". A real app takes U
// from its sign-in session, never from the URL; here the URL stands in for it.
//
// With no AMPERSAND_API_KEY set it runs against a fake Ampersand API in-process (package amptest): its
// authorization URL is a consent page with Allow and Deny, which sends the browser back to /callback. With
// AMPERSAND_API_KEY and AMPERSAND_PROJECT set it uses the real API; there the customer ends on Ampersand's
// page after the consent, and /connection?user=U shows the result. Set AMPERSAND_WEBHOOK_SECRET to the
// signing secret of a webhook endpoint registered in Ampersand's dashboard for <app>/webhooks/ampersand (a
// tunnel to it, for a local run); without it the app lists the user's connections instead.
//
//	go run ./examples/oauth [-addr 127.0.0.1:8080]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], log.Default()); err != nil {
		log.Fatal(err)
	}
}

// run serves the app until ctx ends. It binds the address before it logs "open <URL>", so that the URL
// works when it is printed (with -addr 127.0.0.1:0 it names the port the system chose).
func run(ctx context.Context, args []string, logger *log.Logger) error {
	fl := flag.NewFlagSet("oauth", flag.ContinueOnError)
	addr := fl.String("addr", "127.0.0.1:8080", "address to serve the app on")
	if err := fl.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	var opts []client.Option
	project := os.Getenv("AMPERSAND_PROJECT")
	secret := os.Getenv("AMPERSAND_WEBHOOK_SECRET")
	if os.Getenv("AMPERSAND_API_KEY") == "" {
		secret = newWebhookSecret()
		srv := amptest.NewServer(amptest.WithOAuthRedirectURL(base+"/callback"), amptest.WithWebhook(base+webhookPath, secret))
		defer srv.Close()
		project = "oauth-example"
		opts = append(opts, client.WithServerURL(srv.URL), client.WithAPIKey(srv.APIKey))
		logger.Printf("no AMPERSAND_API_KEY: using a fake Ampersand API at %s", srv.URL)
	} else if project == "" {
		return errors.New("AMPERSAND_API_KEY is set: set AMPERSAND_PROJECT too")
	}
	c, err := client.New(opts...)
	if err != nil {
		return err
	}
	var wh *client.Webhook
	if secret != "" {
		if wh, err = client.NewWebhook(secret); err != nil {
			return err
		}
	}
	s := &http.Server{Handler: newApp(c, project, wh), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = s.Close()
	}()
	logger.Printf("open %s/", base)
	if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// app is the web app: every user of it is one consumer of the group groupRef.
type app struct {
	c       *client.Client
	project string
	notes   *notifications // what the notifications said; nil without a webhook secret
}

const (
	groupRef = "oauth-example-org"
	provider = "salesforce"
)

// newApp returns the app's handler; with wh, it receives notifications at webhookPath.
func newApp(c *client.Client, project string, wh *client.Webhook) http.Handler {
	a := &app{c: c, project: project}
	mux := http.NewServeMux()
	if wh != nil {
		a.notes = newNotifications()
		mux.Handle("POST "+webhookPath, wh.Handler(a.notes.handle))
		mux.HandleFunc("GET /reauthorize", a.reauthorize)
	}
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /connect", a.connect)
	mux.HandleFunc("GET /connection", a.connection)
	mux.HandleFunc("GET /callback", a.callback)
	return mux
}

// view is what a page shows: a heading, a message, and the connection of User when there is one.
type view struct {
	Title, Message, User string
	Connection           *client.Connection
	Denied               bool
	Broken               []string // what the last connection.error said, when the connection needs re-authorizing
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · OAuth example</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
nav{margin-bottom:2rem}nav a{margin-right:1rem}.box{background:#f4f5f7;border-radius:8px;padding:1rem}
.denied{color:#a11}</style></head>
<body><nav><a href="/" id="home">Home</a>{{if .User}}<a href="/connection?user={{.User}}" id="mine">{{.User}}'s connection</a>{{end}}</nav>
<h1>{{.Title}}</h1>
{{with .Message}}<p{{if $.Denied}} class="denied"{{end}} id="message">{{.}}</p>{{end}}
{{with .Connection}}<div class="box" id="connection"><p>Connected: <code>{{.ID}}</code>, {{.Provider}}, status <b>{{.Status}}</b>.</p>
<p>For consumer <code>{{.Consumer.ConsumerRef}}</code> ({{.Consumer.ConsumerName}}) of group <code>{{.Group.GroupRef}}</code>, since {{.CreateTime.Format "2006-01-02 15:04 MST"}}.</p></div>
{{with $.Broken}}<p class="denied" id="broken">It stopped working: {{range $i, $e := .}}{{if $i}}; {{end}}{{$e}}{{end}}.</p>
<p><a href="/reauthorize?user={{$.User}}" id="reauthorize">Re-authorize {{$.User}}'s Salesforce account</a></p>{{end}}
{{else}}{{if .User}}<p><a href="/connect?user={{.User}}" id="connect">Connect {{.User}}'s Salesforce account</a></p>{{end}}{{end}}
{{if not .User}}<form action="/connect"><label>User <input name="user" value="jane" required></label>
<button type="submit" id="connect">Connect Salesforce</button>
<button type="submit" formaction="/connection" id="show">See the connection</button></form>{{end}}
</body></html>
`))

func (a *app) home(w http.ResponseWriter, _ *http.Request) {
	render(w, http.StatusOK, view{Title: "Connect Salesforce", Message: "Each user of this app is one consumer " +
		"of the group " + groupRef + ". Pick one, and connect their Salesforce account."})
}

// connect starts the flow: the browser goes to the authorization URL Ampersand minted for this user.
func (a *app) connect(w http.ResponseWriter, r *http.Request) {
	user, ok := requireUser(w, r)
	if !ok {
		return
	}
	u, err := a.c.OAuth.Connect(r.Context(), client.OAuthConnectRequest{Params: client.OAuthConnectParams{
		ProjectIDOrName: a.project, Provider: provider, GroupRef: groupRef, ConsumerRef: user, ConsumerName: user,
	}})
	if err != nil {
		failed(w, user, err)
		return
	}
	http.Redirect(w, r, u.String(), http.StatusFound) // the SDK checked it is a URL a browser may be sent to
}

// connection shows the user's connection, found by their refs.
func (a *app) connection(w http.ResponseWriter, r *http.Request) {
	user, ok := requireUser(w, r)
	if !ok {
		return
	}
	v := view{Title: user + "'s Salesforce connection", User: user}
	var err error
	if a.notes != nil {
		v.Connection, v.Broken, err = a.noted(r.Context(), user)
	} else {
		v.Connection, err = a.listed(r.Context(), user)
	}
	if err != nil {
		failed(w, user, err)
		return
	}
	if v.Connection == nil {
		v.Message = "No connection for " + user + " yet."
	}
	render(w, http.StatusOK, v)
}

// noted returns the connection the notifications named for user (nil: none yet), and what its last
// connection.error said.
func (a *app) noted(ctx context.Context, user string) (*client.Connection, []string, error) {
	st, ok := a.notes.user(user)
	if !ok {
		return nil, nil, nil
	}
	conn, err := a.c.Connections.Get(ctx, client.GetConnectionRequest{ProjectIDOrName: a.project, ConnectionID: st.connectionID})
	return conn, st.broken, err
}

// listed finds user's connection by its refs, for an app that receives no notifications.
func (a *app) listed(ctx context.Context, user string) (*client.Connection, error) {
	// ConsumerRef must not be empty here: an empty filter means "every consumer", and the page would show
	// whoever connected last (requireUser refused it).
	conns, err := a.c.Connections.List(ctx, client.ListConnectionsRequest{
		ProjectIDOrName: a.project, Provider: provider, GroupRef: groupRef, ConsumerRef: user,
	})
	if err != nil || len(conns) == 0 {
		return nil, err
	}
	return &conns[len(conns)-1], nil
}

// callback is where the consent sends the browser back: connection_id names the new connection, error says
// why there is none. A real app would also check that the connection's consumer is the signed-in user.
func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" || q.Get("connection_id") == "" {
		if e == "" {
			e = "no connection_id"
		}
		render(w, http.StatusOK, view{Title: "Not connected", Denied: true,
			Message: fmt.Sprintf("Salesforce access was denied (%s): no connection was made.", e)})
		return
	}
	conn, err := a.c.Connections.Get(r.Context(), client.GetConnectionRequest{
		ProjectIDOrName: a.project, ConnectionID: q.Get("connection_id"),
	})
	if err != nil {
		failed(w, "", err)
		return
	}
	user := conn.Consumer.ConsumerRef
	render(w, http.StatusOK, view{Title: user + "'s Salesforce connection", User: user, Connection: conn,
		Message: "Connected: " + user + " granted access to Salesforce."})
}

// requireUser returns the user of the request, or answers 400 when there is none.
func requireUser(w http.ResponseWriter, r *http.Request) (string, bool) {
	user := r.URL.Query().Get("user")
	if user == "" {
		render(w, http.StatusBadRequest, view{Title: "Which user?", Denied: true,
			Message: "This page needs ?user=: the app's user, whose connection it is."})
	}
	return user, user != ""
}

// failed answers the page of a call to Ampersand that failed.
func failed(w http.ResponseWriter, user string, err error) {
	render(w, statusOf(err), view{Title: "Ampersand call failed", User: user, Denied: true, Message: err.Error()})
}

func render(w http.ResponseWriter, status int, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
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
