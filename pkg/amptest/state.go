package amptest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// accessTokenLifetime is how long the access tokens the fake mints stay valid.
const accessTokenLifetime = time.Hour

// store is the fake's state: projects and their connections, groups and consumers. It is not safe for
// concurrent use; Server.mu guards it.
type store struct {
	projects []*project
	byID     map[string]*project
	byName   map[string]*project
}

type project struct {
	Project
	conns     map[string]*record
	order     []*record // creation order; the order of listConnections
	groups    map[string]gen.Group
	consumers map[string]gen.Consumer
}

// record is one stored connection. conn holds everything the Connection schema can carry, credentials
// included (apiKey and every oauth2AuthorizationCode token); the other credentials live beside it.
type record struct {
	conn       gen.Connection
	basicAuth  gen.BasicAuth
	clientCred gen.OAuth2ClientCredentials
	passCred   gen.OAuth2PasswordCredentials
	customAuth map[string]any
}

func newStore() *store {
	return &store{byID: map[string]*project{}, byName: map[string]*project{}}
}

// declare adds a project given to WithProject.
func (st *store) declare(p Project) error {
	if p.ID == "" {
		p.ID = newUUID()
	}
	for _, key := range []string{p.ID, p.Name} {
		if key == "" {
			continue
		}
		if _, taken := st.byID[key]; taken {
			return fmt.Errorf("project identifier %q is used twice", key)
		}
		if _, taken := st.byName[key]; taken {
			return fmt.Errorf("project identifier %q is used twice", key)
		}
	}
	st.add(p)
	return nil
}

func (st *store) add(p Project) *project {
	pr := &project{
		Project:   p,
		conns:     map[string]*record{},
		groups:    map[string]gen.Group{},
		consumers: map[string]gen.Consumer{},
	}
	st.projects = append(st.projects, pr)
	st.byID[p.ID] = pr
	if p.Name != "" {
		st.byName[p.Name] = pr
	}
	return pr
}

// lookup finds a project by ID, then by name.
func (st *store) lookup(idOrName string) *project {
	if p, ok := st.byID[idOrName]; ok {
		return p
	}
	return st.byName[idOrName]
}

// project finds a project by ID or name, creating it (named idOrName, with a random ID) on first use.
func (st *store) project(idOrName string) *project {
	if p := st.lookup(idOrName); p != nil {
		return p
	}
	return st.add(Project{ID: newUUID(), Name: idOrName})
}

// connection finds a connection of the project idOrName; it never creates the project.
func (st *store) connection(idOrName, connectionID string) *record {
	if p := st.lookup(idOrName); p != nil {
		return p.conns[connectionID]
	}
	return nil
}

// credential is one way of giving a connection's credential in GenerateConnectionParams.
type credential struct {
	field  string
	scheme gen.AuthScheme
	mask   gen.UpdateMaskField // the update mask that rotates it; empty when it cannot be updated
}

var credentials = []credential{
	{"apiKey", gen.AuthSchemeAPIKey, gen.UpdateMaskFieldAPIKey},
	{"basicAuth", gen.AuthSchemeBasic, gen.UpdateMaskFieldBasicAuth},
	{"oauth2ClientCredentials", gen.AuthSchemeOAuth2ClientCredentials, gen.UpdateMaskFieldOAuth2ClientCredentials},
	{"oauth2PasswordCredentials", gen.AuthSchemeOAuth2Password, gen.UpdateMaskFieldOAuth2PasswordCredentials},
	{"oauth2AuthorizationCode", gen.AuthSchemeOAuth2AuthorizationCode, ""},
}

// credentialValue returns the value of the credential field of p, as the generated model holds it.
func credentialValue(p *gen.GenerateConnectionParams, field string) any {
	switch field {
	case "apiKey":
		return p.APIKey
	case "basicAuth":
		return p.BasicAuth
	case "oauth2ClientCredentials":
		return p.OAuth2ClientCredentials
	case "oauth2PasswordCredentials":
		return p.OAuth2PasswordCredentials
	case "oauth2AuthorizationCode":
		return p.OAuth2AuthorizationCode
	}
	panic("amptest: unknown credential field " + field)
}

func isZero(v any) bool { return v == nil || reflect.ValueOf(v).IsZero() }

// checkGenerate returns the problems of a generateConnection body that the schema cannot express: empty
// required values, more than one credential, and OAuth2 tokens without a value.
func checkGenerate(p *gen.GenerateConnectionParams) []gen.InputValidationIssue {
	var issues []gen.InputValidationIssue
	for _, f := range []struct{ name, value string }{
		{"provider", p.Provider}, {"groupRef", p.GroupRef}, {"consumerRef", p.ConsumerRef},
	} {
		if f.value == "" {
			issues = append(issues, bodyIssue(f.name, f.name+" must not be empty"))
		}
	}
	var given []string
	for _, c := range credentials {
		if !isZero(credentialValue(p, c.field)) {
			given = append(given, c.field)
		}
	}
	if len(given) > 1 {
		for _, field := range given {
			issues = append(issues, bodyIssue(field, fmt.Sprintf(
				"give at most one credential; the body has %d: %s", len(given), strings.Join(given, ", "))))
		}
	}
	code := p.OAuth2AuthorizationCode
	for _, t := range []struct {
		name  string
		token gen.OAuth2Token
	}{{"accessToken", code.AccessToken}, {"refreshToken", code.RefreshToken}} {
		if !isZero(t.token) && t.token.Token == "" {
			field := "oauth2AuthorizationCode." + t.name + ".token"
			issues = append(issues, bodyIssue(field, field+" must not be empty"))
		}
	}
	return issues
}

func bodyIssue(name, detail string) gen.InputValidationIssue {
	return gen.InputValidationIssue{In: gen.InputValidationIssueInBody, Name: name, Detail: detail}
}

// generate stores a new connection built from params, which checkGenerate has accepted. Every call creates a
// new connection, even for refs seen before: only the group and consumer are shared.
func (st *store) generate(pr *project, params gen.GenerateConnectionParams, now time.Time) *record {
	group, ok := pr.groups[params.GroupRef]
	if !ok {
		group = gen.Group{GroupRef: params.GroupRef, GroupName: params.GroupName, ProjectID: pr.ID, CreateTime: now}
		if group.GroupName == "" {
			group.GroupName = params.GroupRef
		}
		pr.groups[params.GroupRef] = group
	}
	consumer, ok := pr.consumers[params.ConsumerRef]
	if !ok {
		consumer = gen.Consumer{
			ConsumerRef: params.ConsumerRef, ConsumerName: params.ConsumerName, ProjectID: pr.ID, CreateTime: now,
		}
		if consumer.ConsumerName == "" {
			consumer.ConsumerName = params.ConsumerRef
		}
		pr.consumers[params.ConsumerRef] = consumer
	}
	rec := &record{
		conn: gen.Connection{
			ID:                   newUUID(),
			ProjectID:            pr.ID,
			Provider:             params.Provider,
			Group:                group,
			Consumer:             consumer,
			ProviderWorkspaceRef: params.ProviderWorkspaceRef,
			ProviderMetadata:     maps.Clone(params.ProviderMetadata),
			AuthScheme:           gen.AuthSchemeNone,
			Status:               gen.ConnectionStatusCreated,
			CreateTime:           now,
			UpdateTime:           now,
			APIKey:               params.APIKey,
		},
		basicAuth:  params.BasicAuth,
		clientCred: cloneClientCred(params.OAuth2ClientCredentials),
		passCred:   clonePassCred(params.OAuth2PasswordCredentials),
		customAuth: cloneMap(params.CustomAuth),
	}
	for _, c := range credentials {
		if !isZero(credentialValue(&params, c.field)) {
			rec.conn.AuthScheme = c.scheme
		}
	}
	if rec.conn.AuthScheme == gen.AuthSchemeOAuth2AuthorizationCode {
		code := params.OAuth2AuthorizationCode
		code.Scopes = slices.Clone(code.Scopes)
		rec.conn.OAuth2AuthorizationCode = code
		if code.AccessToken.Token == "" {
			renewAccessToken(rec, now)
		}
	}
	pr.conns[rec.conn.ID] = rec
	pr.order = append(pr.order, rec)
	return rec
}

// renewAccessToken gives rec a new access token valid from now, as a successful refresh does.
func renewAccessToken(rec *record, now time.Time) {
	rec.conn.OAuth2AuthorizationCode.AccessToken = gen.OAuth2Token{
		Token:     "amptest-access-" + randomHex(16),
		IssuedAt:  now,
		ExpiresAt: now.Add(accessTokenLifetime),
	}
	rec.conn.Status = gen.ConnectionStatusCreated
	rec.conn.UpdateTime = now
}

// refresh applies getConnection's refresh mode: force renews the access token of an OAuth2 authorization-code
// connection, ifExpired renews it when it expired before now. Other auth schemes have no token to refresh.
func refresh(rec *record, mode gen.RefreshMode, now time.Time) {
	if rec.conn.AuthScheme != gen.AuthSchemeOAuth2AuthorizationCode {
		return
	}
	switch mode {
	case gen.RefreshModeForce:
		renewAccessToken(rec, now)
	case gen.RefreshModeIfExpired:
		if rec.conn.OAuth2AuthorizationCode.AccessToken.ExpiresAt.Before(now) {
			renewAccessToken(rec, now)
		}
	}
}

// allowedMasks lists the update masks valid for rec, in the style of the upstream API's remedy.
func allowedMasks(rec *record) string {
	masks := []string{string(gen.UpdateMaskFieldProviderWorkspaceRef), string(gen.UpdateMaskFieldProviderMetadata)}
	for _, c := range credentials {
		if c.scheme == rec.conn.AuthScheme && c.mask != "" {
			masks = append(masks, string(c.mask))
		}
	}
	return "Allowed masks: '" + strings.Join(masks, ", ") + "'"
}

// maskValue returns the value in req that the update mask field names.
func maskValue(req *gen.ConnectionRequest, field gen.UpdateMaskField) any {
	switch field {
	case gen.UpdateMaskFieldProviderWorkspaceRef:
		return req.ProviderWorkspaceRef
	case gen.UpdateMaskFieldProviderMetadata:
		return req.ProviderMetadata
	case gen.UpdateMaskFieldAPIKey:
		return req.APIKey
	case gen.UpdateMaskFieldBasicAuth:
		return req.BasicAuth
	case gen.UpdateMaskFieldOAuth2ClientCredentials:
		return req.OAuth2ClientCredentials
	case gen.UpdateMaskFieldOAuth2PasswordCredentials:
		return req.OAuth2PasswordCredentials
	}
	return nil
}

// checkUpdate returns the problems of an update of rec: an empty mask, a credential mask that does not match
// the connection's auth scheme, or a masked field with no value in the body.
func checkUpdate(rec *record, params *gen.UpdateConnectionParams) []gen.InputValidationIssue {
	if len(params.UpdateMask) == 0 {
		return []gen.InputValidationIssue{bodyIssue("updateMask", "updateMask must name at least one field")}
	}
	var issues []gen.InputValidationIssue
	for i, field := range params.UpdateMask {
		if scheme, ok := maskScheme(field); ok && scheme != rec.conn.AuthScheme {
			issue := bodyIssue(fmt.Sprintf("updateMask[%d]", i), fmt.Sprintf(
				"%s does not match the connection's auth scheme %q", field, rec.conn.AuthScheme))
			issue.Value = string(field)
			issues = append(issues, issue)
			continue
		}
		if isZero(maskValue(&params.Connection, field)) {
			issues = append(issues, bodyIssue("connection."+string(field), fmt.Sprintf(
				"updateMask names %s but connection.%s is absent or empty", field, field)))
		}
	}
	return issues
}

// maskScheme returns the auth scheme a credential update mask belongs to; ok is false for the masks that are
// not credentials.
func maskScheme(field gen.UpdateMaskField) (scheme gen.AuthScheme, ok bool) {
	for _, c := range credentials {
		if c.mask != "" && c.mask == field {
			return c.scheme, true
		}
	}
	return "", false
}

// applyUpdate sets the fields of rec named in the mask, which checkUpdate has accepted.
func applyUpdate(rec *record, params *gen.UpdateConnectionParams, now time.Time) {
	c := &params.Connection
	for _, field := range params.UpdateMask {
		switch field {
		case gen.UpdateMaskFieldProviderWorkspaceRef:
			rec.conn.ProviderWorkspaceRef = c.ProviderWorkspaceRef
		case gen.UpdateMaskFieldProviderMetadata:
			rec.conn.ProviderMetadata = maps.Clone(c.ProviderMetadata)
		case gen.UpdateMaskFieldAPIKey:
			rec.conn.APIKey = c.APIKey
		case gen.UpdateMaskFieldBasicAuth:
			rec.basicAuth = c.BasicAuth
		case gen.UpdateMaskFieldOAuth2ClientCredentials:
			rec.clientCred = cloneClientCred(c.OAuth2ClientCredentials)
		case gen.UpdateMaskFieldOAuth2PasswordCredentials:
			rec.passCred = clonePassCred(c.OAuth2PasswordCredentials)
		}
	}
	rec.conn.UpdateTime = now
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// randomHex returns n random bytes in hexadecimal.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
