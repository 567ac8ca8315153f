package amptest

import (
	"maps"
	"slices"

	"github.com/ampersand-sdk/ampersand-go/gen"
)

// credentialView says which credentials a Connection shows.
type credentialView int

const (
	hideCredentials     credentialView = iota // no credentials (list, generate, update, plain get)
	showCredentials                           // apiKey, oauth2AuthorizationCode.accessToken and scopes
	showWithRefresh                           // as showCredentials, plus oauth2AuthorizationCode.refreshToken
	showAllStoredFields                       // everything stored (Server.Connections)
)

// view returns a copy of rec's connection with the credentials v allows.
func (rec *record) view(v credentialView) gen.Connection {
	c := cloneConnection(rec.conn)
	switch v {
	case hideCredentials:
		c.APIKey = ""
		c.OAuth2AuthorizationCode = gen.OAuth2AuthorizationCode{}
	case showCredentials:
		c.OAuth2AuthorizationCode.RefreshToken = gen.OAuth2Token{}
	}
	return c
}

func cloneConnection(c gen.Connection) gen.Connection {
	c.OAuth2AuthorizationCode.Scopes = slices.Clone(c.OAuth2AuthorizationCode.Scopes)
	c.ProviderMetadata = maps.Clone(c.ProviderMetadata)
	c.ProviderApp.Scopes = slices.Clone(c.ProviderApp.Scopes)
	return c
}

func cloneClientCred(c gen.OAuth2ClientCredentials) gen.OAuth2ClientCredentials {
	c.Scopes = slices.Clone(c.Scopes)
	return c
}

func clonePassCred(c gen.OAuth2PasswordCredentials) gen.OAuth2PasswordCredentials {
	c.Scopes = slices.Clone(c.Scopes)
	return c
}

// cloneMap deep-copies a decoded JSON object.
func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}
