package amptest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// accessTokenLifetime is how long the access tokens the fake mints stay valid.
const accessTokenLifetime = time.Hour

// store is the fake's state: projects and their connections, groups and consumers, and the connect flows in
// progress. It is not safe for concurrent use; Server.mu guards it.
type store struct {
	projects []*project
	byID     map[string]*project
	byName   map[string]*project
	states   map[string]*oauthState    // by the state parameter of the authorization URL
	sessions map[string]*customSession // by sessionId
	redirect string                    // where the consent page sends the browser back (WithOAuthRedirectURL)
}

type project struct {
	Project
	conns     map[string]*record
	order     []*record // creation order; the order of listConnections
	groups    map[string]client.Group
	consumers map[string]client.Consumer
}

// record is one stored connection. conn holds everything the Connection schema can carry, credentials
// included (apiKey and every oauth2AuthorizationCode token); stored holds the values that only a request
// carries (basicAuth, oauth2ClientCredentials, oauth2PasswordCredentials, customAuth).
type record struct {
	conn    client.Connection
	stored  client.ConnectionRequest
	revoked bool // the customer revoked the grant (Server.RevokeGrant): refreshes fail until re-authorization
}

func newStore() *store {
	return &store{
		byID: map[string]*project{}, byName: map[string]*project{},
		states: map[string]*oauthState{}, sessions: map[string]*customSession{},
	}
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
		groups:    map[string]client.Group{},
		consumers: map[string]client.Consumer{},
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

// connectionByID finds a connection by its ID alone, in any project.
func (st *store) connectionByID(connectionID string) *record {
	for _, p := range st.projects {
		if rec := p.conns[connectionID]; rec != nil {
			return rec
		}
	}
	return nil
}

// credential is one way of giving a connection's credential in GenerateConnectionParams: the JSON name of
// its field, and the auth scheme it gives the connection. The update mask value that rotates it is the same
// name, when the spec defines it as one (mask).
type credential struct {
	field  string
	scheme client.AuthScheme
}

var credentials = []credential{
	{"apiKey", client.AuthSchemeAPIKey},
	{"basicAuth", client.AuthSchemeBasic},
	{"oauth2ClientCredentials", client.AuthSchemeOAuth2ClientCredentials},
	{"oauth2PasswordCredentials", client.AuthSchemeOAuth2Password},
	{"oauth2AuthorizationCode", client.AuthSchemeOAuth2AuthorizationCode},
}

// mask returns the update mask value that rotates the credential, or "" when it cannot be updated.
func (c credential) mask() client.UpdateMaskField {
	if f := client.UpdateMaskField(c.field); f.Valid() {
		return f
	}
	return ""
}

// field returns the value of the field with this JSON name in r (see client.MaskedField: the JSON name is
// the rule); nil when r has none.
func field(r *client.ConnectionRequest, name string) any {
	p, ok := client.MaskedField(r, client.UpdateMaskField(name))
	if !ok {
		return nil
	}
	return reflect.ValueOf(p).Elem().Interface()
}

// credentialValue returns the value of the credential field of p, as the generated model holds it.
func credentialValue(p *client.GenerateConnectionParams, name string) any {
	r := client.ConnectionRequest(*p) // the same fields: GenerateConnectionParams is ConnectionRequest with more required
	return field(&r, name)
}

func isZero(v any) bool { return v == nil || reflect.ValueOf(v).IsZero() }

// checkGenerate returns the problems of a generateConnection body that the schema cannot express: empty
// required values, more than one credential, and OAuth2 tokens without a value.
func checkGenerate(p *client.GenerateConnectionParams) []client.InputValidationIssue {
	issues := emptyFields("provider", p.Provider, "groupRef", p.GroupRef, "consumerRef", p.ConsumerRef)
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
		token client.OAuth2Token
	}{{"accessToken", code.AccessToken}, {"refreshToken", code.RefreshToken}} {
		if !isZero(t.token) && t.token.Token == "" {
			field := "oauth2AuthorizationCode." + t.name + ".token"
			issues = append(issues, bodyIssue(field, field+" must not be empty"))
		}
	}
	return issues
}

// emptyFields returns an issue for each empty value among the (body field name, value) pairs.
func emptyFields(pairs ...string) []client.InputValidationIssue {
	var issues []client.InputValidationIssue
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			issues = append(issues, bodyIssue(pairs[i], pairs[i]+" must not be empty"))
		}
	}
	return issues
}

func bodyIssue(name, detail string) client.InputValidationIssue {
	return client.InputValidationIssue{In: client.InputValidationIssueInBody, Name: name, Detail: detail}
}

// generate stores a new connection built from params, which checkGenerate has accepted. Every call creates a
// new connection, even for refs seen before: only the group and consumer are shared.
func (st *store) generate(pr *project, params client.GenerateConnectionParams, now time.Time) *record {
	group, ok := pr.groups[params.GroupRef]
	if !ok {
		group = client.Group{GroupRef: params.GroupRef, GroupName: params.GroupName, ProjectID: pr.ID, CreateTime: now}
		if group.GroupName == "" {
			group.GroupName = params.GroupRef
		}
		pr.groups[params.GroupRef] = group
	}
	consumer, ok := pr.consumers[params.ConsumerRef]
	if !ok {
		consumer = client.Consumer{
			ConsumerRef: params.ConsumerRef, ConsumerName: params.ConsumerName, ProjectID: pr.ID, CreateTime: now,
		}
		if consumer.ConsumerName == "" {
			consumer.ConsumerName = params.ConsumerRef
		}
		pr.consumers[params.ConsumerRef] = consumer
	}
	rec := &record{
		conn: client.Connection{
			ID:                   newUUID(),
			ProjectID:            pr.ID,
			Provider:             params.Provider,
			Group:                group,
			Consumer:             consumer,
			ProviderWorkspaceRef: params.ProviderWorkspaceRef,
			ProviderMetadata:     maps.Clone(params.ProviderMetadata),
			AuthScheme:           client.AuthSchemeNone,
			Status:               client.ConnectionStatusCreated,
			CreateTime:           now,
			UpdateTime:           now,
			APIKey:               params.APIKey,
		},
	}
	for _, name := range []string{"basicAuth", "oauth2ClientCredentials", "oauth2PasswordCredentials", "customAuth"} {
		r := client.ConnectionRequest(params)
		setStored(rec, name, field(&r, name))
	}
	for _, c := range credentials {
		if !isZero(credentialValue(&params, c.field)) {
			rec.conn.AuthScheme = c.scheme
		}
	}
	if rec.conn.AuthScheme == client.AuthSchemeOAuth2AuthorizationCode {
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
	rec.conn.OAuth2AuthorizationCode.AccessToken = client.OAuth2Token{
		Token:     accessTokenPrefix + randomHex(16),
		IssuedAt:  now,
		ExpiresAt: now.Add(accessTokenLifetime),
	}
	rec.conn.Status = client.ConnectionStatusCreated
	rec.conn.UpdateTime = now
}

// refresh applies getConnection's refresh mode: force renews the access token of an OAuth2 authorization-code
// connection, ifExpired renews it when it expired before now. Other auth schemes have no token to refresh.
// A refresh of a revoked grant fails: the token stays as it was and the status becomes bad_credentials.
func refresh(rec *record, mode client.RefreshMode, now time.Time) refreshOutcome {
	if rec.conn.AuthScheme != client.AuthSchemeOAuth2AuthorizationCode {
		return refreshNone
	}
	due := mode == client.RefreshModeForce ||
		mode == client.RefreshModeIfExpired && rec.conn.OAuth2AuthorizationCode.AccessToken.ExpiresAt.Before(now)
	switch {
	case !due:
		return refreshNone
	case rec.revoked:
		rec.conn.Status = client.ConnectionStatusBadCredentials
		rec.conn.UpdateTime = now
		return refreshFailed
	}
	renewAccessToken(rec, now)
	return refreshRenewed
}

// allowedMasks lists the update masks valid for rec, in the style of the upstream API's remedy: every mask
// that is not a credential, and the one of rec's own credential.
func allowedMasks(rec *record) string {
	var masks []string
	for _, f := range client.UpdateMaskFieldValues() {
		if scheme, ok := maskScheme(f); !ok || scheme == rec.conn.AuthScheme {
			masks = append(masks, string(f))
		}
	}
	return "Allowed masks: '" + strings.Join(masks, ", ") + "'"
}

// checkUpdate returns the problems of an update of rec: an empty mask, a credential mask that does not match
// the connection's auth scheme, or a masked field with no value in the body.
func checkUpdate(rec *record, params *client.UpdateConnectionParams) []client.InputValidationIssue {
	if len(params.UpdateMask) == 0 {
		return []client.InputValidationIssue{bodyIssue("updateMask", "updateMask must name at least one field")}
	}
	var issues []client.InputValidationIssue
	for i, f := range params.UpdateMask {
		if scheme, ok := maskScheme(f); ok && scheme != rec.conn.AuthScheme {
			issue := bodyIssue(fmt.Sprintf("updateMask[%d]", i), fmt.Sprintf(
				"%s does not match the connection's auth scheme %q", f, rec.conn.AuthScheme))
			issue.Value = string(f)
			issues = append(issues, issue)
			continue
		}
		if isZero(field(&params.Connection, string(f))) {
			issues = append(issues, bodyIssue("connection."+string(f), fmt.Sprintf(
				"updateMask names %s but connection.%s is absent or empty", f, f)))
		}
	}
	return issues
}

// maskScheme returns the auth scheme a credential update mask belongs to; ok is false for the masks that are
// not credentials.
func maskScheme(f client.UpdateMaskField) (scheme client.AuthScheme, ok bool) {
	for _, c := range credentials {
		if c.mask() != "" && c.mask() == f {
			return c.scheme, true
		}
	}
	return "", false
}

// applyUpdate sets the fields of rec named in the mask, which checkUpdate has accepted: each into the
// connection's field of the same JSON name when the Connection model has one, else among the stored values.
func applyUpdate(rec *record, params *client.UpdateConnectionParams, now time.Time) {
	for _, f := range params.UpdateMask {
		v := field(&params.Connection, string(f))
		if dst, ok := connectionField(&rec.conn, string(f)); ok {
			dst.Set(reflect.ValueOf(deepCopy(v)))
		} else {
			setStored(rec, string(f), v)
		}
	}
	rec.conn.UpdateTime = now
}

// setStored sets the stored value of the field with this JSON name to a deep copy of v.
func setStored(rec *record, name string, v any) {
	if p, ok := client.MaskedField(&rec.stored, client.UpdateMaskField(name)); ok && v != nil {
		reflect.ValueOf(p).Elem().Set(reflect.ValueOf(deepCopy(v)))
	}
}

// connectionField returns the field of c whose JSON name is name.
func connectionField(c *client.Connection, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// deepCopy returns a copy of a model value that shares no map or slice with it.
func deepCopy(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic("amptest: copying a model value: " + err.Error())
	}
	cp := reflect.New(reflect.TypeOf(v))
	if err := json.Unmarshal(b, cp.Interface()); err != nil {
		panic("amptest: copying a model value: " + err.Error())
	}
	return cp.Elem().Interface()
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
