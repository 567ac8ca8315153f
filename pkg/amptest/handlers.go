package amptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// dispatch runs the operation of a request that passed authentication and validation.
func (s *Server) dispatch(x *exchange) *reply {
	switch x.op { // the project is in the body
	case OpOAuthConnect:
		return s.oauthConnect(x)
	case OpCustomAuthConnect:
		return s.customAuthConnect(x)
	}
	projectID, err := x.pathParam("projectIdOrName")
	if err != nil {
		return s.invalid(x, "invalid path", []client.InputValidationIssue{pathIssue("projectIdOrName", err)})
	}
	var connectionID string
	if x.op != OpListConnections && x.op != OpGenerateConnection {
		if connectionID, err = x.pathParam("connectionId"); err != nil {
			return s.invalid(x, "invalid path", []client.InputValidationIssue{pathIssue("connectionId", err)})
		}
	}
	switch x.op {
	case OpListConnections:
		return s.listConnections(x, projectID)
	case OpGenerateConnection:
		return s.generateConnection(x, projectID)
	case OpGetConnection:
		return s.getConnection(x, projectID, connectionID)
	case OpUpdateConnection:
		return s.updateConnection(x, projectID, connectionID)
	case OpDeleteConnection:
		return s.deleteConnection(x, projectID, connectionID)
	case OpOAuthUpdate:
		return s.oauthUpdate(x, projectID, connectionID)
	}
	return s.problem(x, http.StatusNotImplemented, fmt.Sprintf("amptest does not implement operation %q", x.op))
}

// pathParam returns the decoded value of a path parameter; the router hands them over percent-encoded, so
// "a%2Fb" is the single value "a/b".
func (x *exchange) pathParam(name string) (string, error) {
	return url.PathUnescape(x.params[name])
}

func pathIssue(name string, err error) client.InputValidationIssue {
	return client.InputValidationIssue{In: client.InputValidationIssueInPath, Name: name, Detail: err.Error()}
}

func (s *Server) listConnections(x *exchange, projectID string) *reply {
	q := x.r.URL.Query()
	provider, groupRef, consumerRef := q.Get("provider"), q.Get("groupRef"), q.Get("consumerRef")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []client.Connection{}
	for _, rec := range s.st.project(projectID).order {
		c := &rec.conn
		if (provider == "" || c.Provider == provider) &&
			(groupRef == "" || c.Group.GroupRef == groupRef) &&
			(consumerRef == "" || c.Consumer.ConsumerRef == consumerRef) {
			out = append(out, rec.view(hideCredentials))
		}
	}
	return jsonReply(http.StatusOK, out)
}

func (s *Server) generateConnection(x *exchange, projectID string) *reply {
	var params client.GenerateConnectionParams
	if rp := s.decodeBody(x, &params); rp != nil {
		return rp
	}
	issues := emptyCredentials(x.body)
	for _, is := range checkGenerate(&params) {
		if !slices.ContainsFunc(issues, func(o client.InputValidationIssue) bool { return o.Name == is.Name }) {
			issues = append(issues, is)
		}
	}
	if len(issues) > 0 {
		return s.invalid(x, "invalid connection", issues)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.generate(s.st.project(projectID), params, s.now())
	s.notify(client.NotificationTypeConnectionCreated, rec)
	return jsonReply(http.StatusCreated, rec.view(hideCredentials))
}

// emptyCredentials reports credentials that the body gives with an empty value ("apiKey": "",
// "oauth2AuthorizationCode": {} or an OAuth2 token whose value is ""): the generated model cannot tell them
// from absent ones, and silently creating a connection with auth scheme none would hide the mistake.
func emptyCredentials(body []byte) []client.InputValidationIssue {
	var raw map[string]any
	if json.Unmarshal(body, &raw) != nil {
		return nil
	}
	var issues []client.InputValidationIssue
	for _, c := range credentials {
		v, present := raw[c.field]
		if m, isObject := v.(map[string]any); present && (v == "" || isObject && len(m) == 0) {
			issues = append(issues, bodyIssue(c.field, c.field+" is present but empty"))
		}
	}
	code, _ := raw["oauth2AuthorizationCode"].(map[string]any)
	for _, name := range []string{"accessToken", "refreshToken"} {
		if token, ok := code[name].(map[string]any); ok && token["token"] == "" {
			field := "oauth2AuthorizationCode." + name + ".token"
			issues = append(issues, bodyIssue(field, field+" must not be empty"))
		}
	}
	return issues
}

func (s *Server) getConnection(x *exchange, projectID, connectionID string) *reply {
	q := x.r.URL.Query()
	view := hideCredentials
	switch {
	case queryBool(q, "includeRefreshToken"):
		view = showWithRefresh
	case queryBool(q, "includeCreds"):
		view = showCredentials
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connection(projectID, connectionID)
	if rec == nil {
		return s.connectionNotFound(x, projectID, connectionID)
	}
	switch refresh(rec, client.RefreshMode(q.Get("refresh")), s.now()) {
	case refreshRenewed:
		s.notify(client.NotificationTypeConnectionRefreshed, rec)
	case refreshFailed:
		s.notify(client.NotificationTypeConnectionError, rec, revokedGrantError)
	}
	return jsonReply(http.StatusOK, rec.view(view))
}

// queryBool reads a boolean query parameter that validation has accepted.
func queryBool(q url.Values, name string) bool {
	b, _ := strconv.ParseBool(q.Get(name))
	return b
}

func (s *Server) updateConnection(x *exchange, projectID, connectionID string) *reply {
	var params client.UpdateConnectionParams
	if rp := s.decodeBody(x, &params); rp != nil {
		return rp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.connection(projectID, connectionID)
	if rec == nil {
		return s.problem(x, http.StatusNotFound, notFound(projectID, connectionID))
	}
	if issues := checkUpdate(rec, &params); len(issues) > 0 {
		p := s.newProblem(x, http.StatusBadRequest, "Invalid update mask")
		p.Remedy = allowedMasks(rec)
		p.Issues = issues
		return problemReply(p)
	}
	applyUpdate(rec, &params, s.now())
	s.notify(client.NotificationTypeConnectionUpdated, rec)
	return jsonReply(http.StatusOK, rec.view(hideCredentials))
}

func (s *Server) deleteConnection(x *exchange, projectID, connectionID string) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.st.lookup(projectID)
	if pr == nil || pr.conns[connectionID] == nil {
		return s.problem(x, http.StatusNotFound, notFound(projectID, connectionID))
	}
	rec := pr.conns[connectionID]
	delete(pr.conns, connectionID)
	for i, r := range pr.order {
		if r == rec {
			pr.order = append(pr.order[:i], pr.order[i+1:]...)
			break
		}
	}
	s.notify(client.NotificationTypeConnectionDeleted, rec)
	return &reply{status: http.StatusNoContent, header: http.Header{}}
}

// connectionNotFound is the 404 problem of an unknown connection, with an issue naming the connectionId.
func (s *Server) connectionNotFound(x *exchange, projectID, connectionID string) *reply {
	p := s.newProblem(x, http.StatusNotFound, notFound(projectID, connectionID))
	p.Issues = []client.InputValidationIssue{{
		In: client.InputValidationIssueInPath, Name: "connectionId", Detail: "no such connection", Value: connectionID,
	}}
	return problemReply(p)
}

func notFound(projectID, connectionID string) string {
	return fmt.Sprintf("connection %q not found in project %q", connectionID, projectID)
}

// decodeBody decodes the validated JSON body into v; a body the model cannot hold is a 400.
func (s *Server) decodeBody(x *exchange, v any) *reply {
	if err := json.Unmarshal(x.body, v); err != nil {
		return s.invalid(x, "invalid request body", []client.InputValidationIssue{{
			In: client.InputValidationIssueInBody, Detail: "request body does not decode: " + err.Error(),
		}})
	}
	return nil
}

// marshalJSON encodes v as the fake sends it: compact JSON and a final newline.
func marshalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
