package amptest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// The headers of the browser steps' pages.
const (
	// HeaderConnectionID is set on the page of a successful OAuth consent (OpOAuthConsent) to the ID of the
	// connection it created or re-authorized, so that an HTTP client playing the browser can learn it.
	HeaderConnectionID = "X-Amptest-Connection-Id"
	// HeaderError is set on the page of a failed browser step to a code saying why: "access_denied" (an
	// injected 4xx FaultStatus: the consent was denied), "server_error" (an injected 5xx FaultStatus),
	// "unknown_flow", "used_flow", "expired_flow" (see ErrFlowUnknown, ErrFlowUsed, ErrFlowExpired),
	// "connection_not_found" (the connection an oauthUpdate URL re-authorizes was deleted) or
	// "invalid_callback" (a callback URL whose parameters the provider did not send).
	HeaderError = "X-Amptest-Error"
)

const (
	codeDenied          = "access_denied"
	codeServerError     = "server_error"
	codeUnknown         = "unknown_flow"
	codeUsed            = "used_flow"
	codeExpired         = "expired_flow"
	codeNotFound        = "connection_not_found"
	codeInvalidCallback = "invalid_callback"
)

// The reasons a browser step fails, as BrowserError.Err; test for them with errors.Is.
var (
	// ErrConsentDenied: the customer denied the consent (a FaultStatus with a 4xx status injected on the
	// step; see Fault).
	ErrConsentDenied = errors.New("amptest: the customer denied the consent")
	// ErrFlowUnknown: the URL's state or session was not issued by this server.
	ErrFlowUnknown = errors.New("amptest: unknown state or session")
	// ErrFlowUsed: the authorization URL was already used (each one works once), or the custom auth
	// session is already completed.
	ErrFlowUsed = errors.New("amptest: the state or session was already used")
	// ErrFlowExpired: the state or session is older than FlowLifetime.
	ErrFlowExpired = errors.New("amptest: the state or session has expired")
)

var codeErrors = map[string]error{
	codeDenied: ErrConsentDenied, codeUnknown: ErrFlowUnknown, codeUsed: ErrFlowUsed, codeExpired: ErrFlowExpired,
}

// BrowserError is the error of ApproveOAuth and CompleteCustomAuth when a browser step answers an error page.
type BrowserError struct {
	// Step is the step that failed: OpOAuthConsent, OpCustomAuthProvider or OpCustomAuthCallback.
	Step Operation
	// StatusCode is the HTTP status of the page.
	StatusCode int
	// Code is the page's HeaderError value; "" when it has none (an injected FaultHTMLPage, for example).
	Code string
	// Message is the text of the page.
	Message string
	// Err is the reason matching Code (ErrConsentDenied, ErrFlowUnknown, ErrFlowUsed, ErrFlowExpired), or nil.
	Err error
}

// Error returns "amptest: <step> failed: <status>: <message>".
func (e *BrowserError) Error() string {
	return fmt.Sprintf("amptest: %s failed: %d %s: %s", e.Step, e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// Unwrap returns Err.
func (e *BrowserError) Unwrap() error { return e.Err }

// browserStep serves a browser step; its reply is not an API reply and is not validated against the spec.
func (s *Server) browserStep(x *exchange) *reply {
	switch x.op {
	case OpOAuthConsentPage:
		return s.oauthConsentPage(x)
	case OpOAuthConsent:
		return s.oauthConsent(x)
	case OpCustomAuthProvider:
		return s.customAuthProvider(x)
	default:
		return s.customAuthCallback(x)
	}
}

// browserPage builds a small HTML page; code, when set, goes in the HeaderError header.
func browserPage(status int, code, title, message string) *reply {
	return renderPage(status, code, map[string]any{"Title": title, "Message": message})
}

// flowFailure is the page of a step whose state or session cannot be used: 400 when it is unknown, 409 when
// it was used, 410 when it expired.
func flowFailure(code, message string) *reply {
	status, title := http.StatusBadRequest, "Unknown authorization request"
	switch code {
	case codeUsed:
		status, title = http.StatusConflict, "Authorization request already used"
	case codeExpired:
		status, title = http.StatusGone, "Authorization request expired"
	}
	return browserPage(status, code, title, message)
}

// consentFailure is the page of a FaultStatus injected on a browser step: a denied consent (4xx) or a
// provider failure (5xx).
func consentFailure(status int) *reply {
	if status < 500 {
		return browserPage(status, codeDenied, "Access denied",
			"The customer denied access (amptest: injected fault). Nothing was changed.")
	}
	return browserPage(status, codeServerError, "Provider error",
		"The provider failed (amptest: injected fault). Nothing was changed.")
}

// ApproveOAuth does what the customer's browser does with an authorization URL of oauthConnect or
// oauthUpdate (client.OAuthConnect, client.OAuthUpdate): it opens the consent page and clicks Allow. It
// returns the connection the consent created or re-authorized, with its credentials (as Connection does),
// or an error saying why the consent failed: a *BrowserError for an error page (errors.Is it with
// ErrConsentDenied, ErrFlowUnknown, ErrFlowUsed or ErrFlowExpired), or the transport's error. A URL that is
// not an authorization URL of this server is refused without a request. With WithOAuthRedirectURL, it stops
// at the redirect back to the app, which it never requests.
func (s *Server) ApproveOAuth(ctx context.Context, authURL string) (client.Connection, error) {
	if _, err := s.browse(ctx, http.MethodGet, authURL, oauthConsentPath, nil); err != nil {
		return client.Connection{}, browseError("ApproveOAuth", err)
	}
	u, _ := url.Parse(authURL) // browse parsed it
	form := url.Values{"state": {u.Query().Get("state")}, "decision": {decisionAllow}}
	resp, err := s.browse(ctx, http.MethodPost, s.origin+oauthConsentPath, oauthConsentPath, form)
	if err != nil {
		return client.Connection{}, browseError("ApproveOAuth", err)
	}
	id := resp.Header.Get(HeaderConnectionID)
	if id == "" {
		return client.Connection{}, fmt.Errorf("amptest: ApproveOAuth: the consent page has no %s header", HeaderConnectionID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connectionByID(id)
	if rec == nil {
		return client.Connection{}, fmt.Errorf("amptest: ApproveOAuth: the consent page names connection %q, "+
			"which does not exist (deleted since?)", id)
	}
	return rec.view(showAllStoredFields), nil
}

// CompleteCustomAuth does what the customer's browser does with the redirect URL of a customAuthConnect
// step (client.CustomAuthRedirect.URL): it opens the provider's page, follows its redirect to Ampersand's
// callback, and returns the callback's query parameters — the provider's, such as tenant, without the
// session parameter, whose value is the sessionId — ready to be the CallbackParams of the resume call.
// A failed step is a *BrowserError (see ApproveOAuth); a URL that is not a redirect URL of this server is
// refused without a request.
func (s *Server) CompleteCustomAuth(ctx context.Context, redirectURL string) (callbackParams map[string]string, err error) {
	resp, err := s.browse(ctx, http.MethodGet, redirectURL, customAuthProviderPath, nil)
	if err != nil {
		return nil, browseError("CompleteCustomAuth", err)
	}
	if resp.Request.URL.Path != customAuthCallbackPath {
		return nil, fmt.Errorf("amptest: CompleteCustomAuth: the provider answered %d at %s without redirecting to "+
			"the callback", resp.StatusCode, resp.Request.URL.Path)
	}
	callbackParams = map[string]string{}
	for k, v := range resp.Request.URL.Query() {
		if k != "session" {
			callbackParams[k] = v[0]
		}
	}
	return callbackParams, nil
}

// browse sends a browser's request (Accept: text/html) to raw, which must be a URL of this server's origin
// with the path want: a GET, or a POST of form when it is not nil. It follows redirects within the origin, as
// a browser would, and stops at one that leaves it (to the app of WithOAuthRedirectURL). It returns the final
// reply, its body read and closed, when its status is 200 or a redirect away; an error page is a
// *BrowserError.
func (s *Server) browse(ctx context.Context, method, raw, want string, form url.Values) (*http.Response, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme+"://"+u.Host != s.origin || u.Path != want {
		return nil, fmt.Errorf("%q is not a URL of this server's %s (%s%s?…)", raw, want, s.origin, want)
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	hc := *s.ts.Client()
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		switch {
		case r.URL.Scheme+"://"+r.URL.Host != s.origin:
			return http.ErrUseLastResponse
		case len(via) >= 10:
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the page of %s: %w", resp.Request.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusSeeOther {
		code := resp.Header.Get(HeaderError)
		step := browserSteps[resp.Request.URL.Path]
		if step == OpOAuthConsent && resp.Request.Method == http.MethodGet {
			step = OpOAuthConsentPage
		}
		return nil, &BrowserError{
			Step: step, StatusCode: resp.StatusCode, Code: code,
			Message: pageText(page), Err: codeErrors[code],
		}
	}
	return resp, nil
}

// browseError returns err of browse as the error of the helper fn: a *BrowserError as it is, another error
// wrapped.
func browseError(fn string, err error) error {
	if be := (*BrowserError)(nil); errors.As(err, &be) {
		return be
	}
	return fmt.Errorf("amptest: %s: %w", fn, err)
}

var (
	// htmlChrome is what every page has besides its message: the title, the style sheet and the footnote.
	htmlChrome = regexp.MustCompile(`(?is)<title>.*?</title>|<style>.*?</style>|<p class="note">.*?</p>`)
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
)

// pageText is the text of an HTML page without its title, style, footnote, tags or extra white space; a
// heading ends with a colon ("Access denied: The customer denied access …").
func pageText(page []byte) string {
	text := htmlChrome.ReplaceAllString(string(page), " ")
	text = htmlTag.ReplaceAllString(strings.ReplaceAll(text, "</h1>", ":"), " ")
	return strings.Join(strings.Fields(html.UnescapeString(text)), " ")
}
