package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// credentialFlags are the flags that give a connection's credential, shared by generate and update. Secret
// values are read from files (or stdin with -), never taken from the command line.
type credentialFlags struct {
	apiKeyFile        string
	basicUsername     string
	basicPasswordFile string
	clientID          string
	clientSecretFile  string
	scopes            []string
}

// credentialFlagNames are the names of the credential flags.
var credentialFlagNames = []string{
	"api-key-credential-file", "basic-username", "basic-password-file", "client-id", "client-secret-file", "scopes",
}

// credentialHelp documents the credential flags in generate's and update's help.
const credentialHelp = `Credential (at most one kind; secrets are read from files, or stdin with -, never from flag values):
  API key:                   --api-key-credential-file FILE
  basic auth:                --basic-username USER --basic-password-file FILE
  OAuth2 client credentials: --client-id ID --client-secret-file FILE [--scopes a,b]
Trailing line breaks are removed from what the files hold. Other credentials (OAuth2 password grant,
OAuth2 authorization-code tokens, custom auth) and provider metadata: use --params-file.`

// register adds the credential flags to cmd.
func (cf *credentialFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&cf.apiKeyFile, "api-key-credential-file", "", "read the provider API key from `FILE` (- for stdin)")
	f.StringVar(&cf.basicUsername, "basic-username", "", "the basic-auth `USER` (with --basic-password-file)")
	f.StringVar(&cf.basicPasswordFile, "basic-password-file", "", "read the basic-auth password from `FILE` (- for stdin)")
	f.StringVar(&cf.clientID, "client-id", "", "OAuth2 client-credentials client `ID` (with --client-secret-file)")
	f.StringVar(&cf.clientSecretFile, "client-secret-file", "", "read the OAuth2 client secret from `FILE` (- for stdin)")
	f.StringSliceVar(&cf.scopes, "scopes", nil, "OAuth2 client-credentials `SCOPES`, comma-separated (with --client-id)")
	cmd.MarkFlagsRequiredTogether("basic-username", "basic-password-file")
	cmd.MarkFlagsRequiredTogether("client-id", "client-secret-file")
	for _, name := range []string{"api-key-credential-file", "basic-password-file", "client-secret-file"} {
		_ = cmd.MarkFlagFilename(name)
	}
	noFlagValues(cmd, "basic-username", "client-id", "scopes")
}

// credential is the credential given by the flags.
type credential struct {
	mask        client.UpdateMaskField // the update mask field it sets; "" when no credential was given
	flags       string                 // the flags that gave it, for messages
	apiKey      string
	basicAuth   client.BasicAuth
	clientCreds client.OAuth2ClientCredentials
}

// read reads the credential the flags of cmd give, and its secret file. It refuses more than one kind of
// credential, empty values and --scopes without a client ID.
func (cf *credentialFlags) read(a *app, cmd *cobra.Command) (credential, error) {
	changed := cmd.Flags().Changed
	var kinds []credential
	if changed("api-key-credential-file") {
		kinds = append(kinds, credential{mask: client.UpdateMaskFieldAPIKey, flags: "--api-key-credential-file"})
	}
	if changed("basic-username") || changed("basic-password-file") {
		kinds = append(kinds, credential{mask: client.UpdateMaskFieldBasicAuth, flags: "--basic-username/--basic-password-file"})
	}
	if changed("client-id") || changed("client-secret-file") || changed("scopes") {
		kinds = append(kinds, credential{mask: client.UpdateMaskFieldOAuth2ClientCredentials, flags: "--client-id/--client-secret-file"})
	}
	switch len(kinds) {
	case 0:
		return credential{}, nil
	case 1:
	default:
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = k.flags
		}
		return credential{}, usageErrorf("give one credential, not %s", strings.Join(names, " and "))
	}
	cred := kinds[0]
	var err error
	switch cred.mask {
	case client.UpdateMaskFieldAPIKey:
		cred.apiKey, err = a.readSecret("api-key-credential-file", cf.apiKeyFile)
	case client.UpdateMaskFieldBasicAuth:
		if cf.basicUsername == "" {
			return credential{}, usageErrorf("--basic-username is empty")
		}
		cred.basicAuth.Username = cf.basicUsername
		cred.basicAuth.Password, err = a.readSecret("basic-password-file", cf.basicPasswordFile)
	case client.UpdateMaskFieldOAuth2ClientCredentials:
		if !changed("client-id") {
			return credential{}, usageErrorf("--scopes needs --client-id and --client-secret-file")
		}
		if cf.clientID == "" {
			return credential{}, usageErrorf("--client-id is empty")
		}
		cred.clientCreds.ClientID = cf.clientID
		cred.clientCreds.Scopes = cf.scopes
		cred.clientCreds.ClientSecret, err = a.readSecret("client-secret-file", cf.clientSecretFile)
	}
	if err != nil {
		return credential{}, err
	}
	return cred, nil
}

// changedFlags returns the flags among names that were given on cmd's command line, as "--name".
func changedFlags(cmd *cobra.Command, names []string) []string {
	var out []string
	for _, name := range names {
		if cmd.Flags().Changed(name) {
			out = append(out, "--"+name)
		}
	}
	return out
}
