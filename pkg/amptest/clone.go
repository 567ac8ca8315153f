package amptest

import (
	"maps"
	"slices"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
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
func (rec *record) view(v credentialView) client.Connection {
	c := cloneConnection(rec.conn)
	switch v {
	case hideCredentials:
		c.APIKey = ""
		c.OAuth2AuthorizationCode = client.OAuth2AuthorizationCode{}
	case showCredentials:
		c.OAuth2AuthorizationCode.RefreshToken = client.OAuth2Token{}
	}
	return c
}

func cloneConnection(c client.Connection) client.Connection {
	c.OAuth2AuthorizationCode.Scopes = slices.Clone(c.OAuth2AuthorizationCode.Scopes)
	c.ProviderMetadata = maps.Clone(c.ProviderMetadata)
	c.ProviderApp.Scopes = slices.Clone(c.ProviderApp.Scopes)
	return c
}
