package amptest

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// WithOAuthRedirectURL sets where the consent page sends the customer's browser after Allow or Deny, as a
// provider sends it back to the redirect URI of an OAuth app: a 303 to rawURL with connection_id=<ID> added
// to its query after Allow, or error=access_denied and error_description after Deny. Without it, Allow and
// Deny end on a page of the fake (200 "Connection created", 403 "Access denied"). The URL must be absolute
// http or https; NewServer panics otherwise. The real API has no such setting among the operations of this
// SDK: there the customer ends on Ampersand's page.
func WithOAuthRedirectURL(rawURL string) Option {
	return func(c *config) {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.errs = append(c.errs, fmt.Errorf("WithOAuthRedirectURL: %q is not an absolute http or https URL", rawURL))
			return
		}
		c.redirect = rawURL
	}
}

// The decisions of the consent form.
const (
	decisionAllow = "allow"
	decisionDeny  = "deny"
)

// usableState returns the flow of state, or the page saying why it cannot be used. The caller holds s.mu.
func (s *Server) usableState(state string, now time.Time) (*oauthState, *reply) {
	st := s.st.states[state]
	switch {
	case st == nil:
		return nil, flowFailure(codeUnknown, "This authorization URL was not issued by this server: its state is unknown.")
	case st.used:
		return nil, flowFailure(codeUsed, "This authorization URL was already used; each one works once. Ask for a new one.")
	case now.Sub(st.issued) > FlowLifetime:
		return nil, flowFailure(codeExpired, fmt.Sprintf("This authorization URL expired: it was issued at %s and "+
			"lasts %v. Ask for a new one.", st.issued.Format(time.RFC3339), FlowLifetime))
	}
	return st, nil
}

// oauthConsentPage is a browser's GET of an authorization URL: the provider's consent page, whose form
// POSTs the customer's decision to the same path. It changes nothing.
func (s *Server) oauthConsentPage(x *exchange) *reply {
	state := x.r.URL.Query().Get("state")
	s.mu.Lock()
	defer s.mu.Unlock()
	st, fail := s.usableState(state, s.now())
	if fail != nil {
		return fail
	}
	v := consentView{Action: oauthConsentPath, State: state, Scopes: defaultScopes}
	if st.connectionID == "" {
		p := st.params
		v.Provider, v.ConsumerName, v.ConsumerRef = p.Provider, p.ConsumerName, p.ConsumerRef
		v.GroupName, v.GroupRef = p.GroupName, p.GroupRef
	} else if rec := st.pr.conns[st.connectionID]; rec == nil {
		return browserPage(http.StatusNotFound, codeNotFound, "Connection not found",
			fmt.Sprintf("Connection %s, which this URL re-authorizes, no longer exists.", st.connectionID))
	} else {
		c := rec.conn
		v.Provider, v.ConsumerName, v.ConsumerRef = c.Provider, c.Consumer.ConsumerName, c.Consumer.ConsumerRef
		v.GroupName, v.GroupRef, v.ConnectionID = c.Group.GroupName, c.Group.GroupRef, c.ID
		if len(c.OAuth2AuthorizationCode.Scopes) > 0 {
			v.Scopes = c.OAuth2AuthorizationCode.Scopes
		}
	}
	return consentPage(http.StatusOK, "Connect "+v.Provider+"?", v)
}

// oauthConsent is the customer's decision — the POST of the consent form, or the GET of a client that is not
// a browser, which allows at once — and Ampersand's callback: Allow creates the connection or re-authorizes
// it, Deny changes nothing; either uses the state up. The reply names the connection in the
// HeaderConnectionID header and is a 303 to the redirect URL when one is set (WithOAuthRedirectURL), else a
// page.
func (s *Server) oauthConsent(x *exchange) *reply {
	state, decision := x.r.URL.Query().Get("state"), decisionAllow
	if x.r.Method == http.MethodPost {
		form, err := url.ParseQuery(string(x.body))
		if err != nil {
			return browserPage(http.StatusBadRequest, "", "Bad request", "The consent form could not be read: "+err.Error())
		}
		state, decision = form.Get("state"), form.Get("decision")
		if decision != decisionAllow && decision != decisionDeny {
			return browserPage(http.StatusBadRequest, "", "Bad request",
				fmt.Sprintf("The consent form's decision is %q: it must be %q or %q.", decision, decisionAllow, decisionDeny))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st, fail := s.usableState(state, now)
	if fail != nil {
		return fail
	}
	if decision == decisionDeny {
		st.used = true
		if s.st.redirect != "" {
			return redirectBack(s.st.redirect, url.Values{
				"error": {codeDenied}, "error_description": {"The customer denied access."},
			})
		}
		return browserPage(http.StatusForbidden, codeDenied, "Access denied",
			"The customer denied access. Nothing was changed; you can close this window.")
	}
	rec := s.grant(st, now)
	if rec == nil {
		return browserPage(http.StatusNotFound, codeNotFound, "Connection not found",
			fmt.Sprintf("Connection %s, which this URL re-authorizes, no longer exists.", st.connectionID))
	}
	var page *reply
	if s.st.redirect != "" {
		page = redirectBack(s.st.redirect, url.Values{"connection_id": {rec.conn.ID}})
	} else {
		title := "Connection created"
		if st.connectionID != "" {
			title = "Connection re-authorized"
		}
		page = browserPage(http.StatusOK, "", title, fmt.Sprintf(
			"The customer granted access to %s. Connection %s is ready; you can close this window.",
			rec.conn.Provider, rec.conn.ID))
	}
	page.header.Set(HeaderConnectionID, rec.conn.ID)
	return page
}

// grant creates the connection of st (a connect) or renews its tokens (an update), and uses st up; nil when
// the connection to renew was deleted. The caller holds s.mu.
func (s *Server) grant(st *oauthState, now time.Time) *record {
	var rec *record
	if st.connectionID == "" {
		p := st.params
		rec = s.st.generate(st.pr, client.GenerateConnectionParams{
			Provider: p.Provider, GroupRef: p.GroupRef, GroupName: p.GroupName, ConsumerRef: p.ConsumerRef,
			ConsumerName: p.ConsumerName, ProviderWorkspaceRef: p.ProviderWorkspaceRef,
			ProviderMetadata:        p.ProviderMetadata,
			OAuth2AuthorizationCode: mintTokens(now, defaultScopes),
		}, now)
	} else if rec = st.pr.conns[st.connectionID]; rec == nil {
		return nil
	} else {
		scopes := rec.conn.OAuth2AuthorizationCode.Scopes
		if len(scopes) == 0 {
			scopes = defaultScopes
		}
		rec.conn.OAuth2AuthorizationCode = mintTokens(now, scopes)
		rec.conn.UpdateTime = now
		rec.revoked = false
	}
	rec.conn.Status = client.ConnectionStatusWorking
	st.used = true
	if st.connectionID == "" {
		s.notify(client.NotificationTypeConnectionCreated, rec)
	} else {
		s.notify(client.NotificationTypeConnectionUpdated, rec)
	}
	return rec
}

// redirectBack is a 303 to target with params added to its query (WithOAuthRedirectURL checked target).
func redirectBack(target string, params url.Values) *reply {
	u, _ := url.Parse(target)
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return &reply{status: http.StatusSeeOther, header: http.Header{
		"Location": {u.String()}, "Cache-Control": {"no-store"}, "Content-Type": {"text/html; charset=utf-8"},
	}, body: []byte(`<!doctype html><a href="` + template.HTMLEscapeString(u.String()) + `">Continue</a>` + "\n")}
}

// consentView is what the consent page shows.
type consentView struct {
	Action, State                       string
	Provider, ConsumerName, ConsumerRef string
	GroupName, GroupRef, ConnectionID   string
	Scopes                              []string
}

// pageTemplate lays out every page of the fake's browser steps: a heading, then either a message or the
// consent form.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>amptest: {{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:34rem;margin:4rem auto;background:#fff;border-radius:12px;padding:2rem 2.5rem;box-shadow:0 2px 12px #0002}
h1{font-size:1.4rem;margin-top:0}.who{background:#f4f5f7;border-radius:8px;padding:.8rem 1rem}
.note{color:#667;font-size:.85rem;margin-top:2rem}form{display:flex;gap:1rem;margin-top:1.5rem}
button{font-size:1rem;padding:.6rem 1.6rem;border-radius:8px;border:1px solid #99a;background:#fff;cursor:pointer}
button.allow{background:#1b6ef3;border-color:#1b6ef3;color:#fff}
</style></head>
<body><main>
<h1>{{.Title}}</h1>
{{with .Consent}}<p>An app asks for access to your <b>{{.Provider}}</b> account{{if .ConnectionID}}, to renew connection <code>{{.ConnectionID}}</code>{{end}}.</p>
<p class="who">For <b>{{or .ConsumerName .ConsumerRef}}</b> (consumer <code>{{.ConsumerRef}}</code>)
in <b>{{or .GroupName .GroupRef}}</b> (group <code>{{.GroupRef}}</code>).<br>
Scopes: {{range $i, $s := .Scopes}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="state" value="{{.State}}">
<button class="allow" type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>{{else}}<p>{{.Message}}</p>{{end}}
<p class="note">amptest: a simulated provider of the fake Ampersand API, for tests.</p>
</main></body></html>
`))

// consentPage renders pageTemplate with a consent form.
func consentPage(status int, title string, v consentView) *reply {
	return renderPage(status, "", map[string]any{"Title": title, "Consent": v})
}

// renderPage renders pageTemplate; data has Title and either Consent or Message. code, when set, goes in
// the HeaderError header.
func renderPage(status int, code string, data map[string]any) *reply {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		panic(errors.Join(errors.New("amptest: rendering a page"), err)) // the template and data are ours
	}
	h := http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Cache-Control": {"no-store"}}
	if code != "" {
		h.Set(HeaderError, code)
	}
	return &reply{status: status, header: h, body: b.Bytes()}
}
