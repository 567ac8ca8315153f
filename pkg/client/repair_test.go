package client

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// The oracle of the repair fuzz target (FuzzDecodeRepair): a connection with every property set, one of
// its values dropped, nulled or retyped, and what the decoding must give — written from the spec and
// encoding/json, not from the decoder.

// fullConnection returns a valid connection in which every property of the schema has a value.
func fullConnection(id, text string, n int) Connection {
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	tok := OAuth2Token{Token: "t" + text, IssuedAt: at, ExpiresAt: at.Add(time.Hour)}
	scopes := []string{"a", text, "b"}[:1+n%3]
	return Connection{
		ID: id, ProjectID: "proj", Provider: "salesforce" + text, AuthScheme: AuthSchemeOAuth2AuthorizationCode,
		Status: ConnectionStatusWorking, CreateTime: at, UpdateTime: at.Add(time.Minute), APIKey: "k" + text,
		ProviderConsumerRef: "pc", ProviderWorkspaceRef: "w" + text,
		Group:    Group{GroupRef: "g", GroupName: "G" + text, ProjectID: "proj", CreateTime: at, UpdateTime: at},
		Consumer: Consumer{ConsumerRef: "c", ConsumerName: text + "C", ProjectID: "proj", CreateTime: at, UpdateTime: at},
		ProviderApp: ProviderApp{ID: "pa", ProjectID: "proj", Provider: "salesforce", ClientID: "cl" + text, CreateTime: at,
			ExternalRef: "x", Scopes: scopes, Metadata: ProviderAppMetadata{
				AuthQueryParams: map[string][]string{"prompt": {"consent", text}},
				ProviderParams:  map[string]string{"tenant": text + "t"}}},
		OAuth2AuthorizationCode: OAuth2AuthorizationCode{AccessToken: tok, RefreshToken: tok, Scopes: scopes},
		ProviderMetadata: ProviderMetadata{"instanceUrl": {Value: "https://x" + text, Source: ProviderMetadataInfoSourceToken,
			DisplayName: "Instance URL"}, "k" + text: {Value: "v", Source: ProviderMetadataInfoSourceInput}},
	}
}

// pointers returns the JSON pointer of every value in v (a tree from json.Unmarshal into any) but the root,
// sorted.
func pointers(v any, at jsontext.Pointer, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := at.AppendToken(k)
			out = pointers(e, p, append(out, string(p)))
		}
	case []any:
		for i, e := range v {
			p := at.AppendToken(strconv.Itoa(i))
			out = pointers(e, p, append(out, string(p)))
		}
	}
	if at == "" {
		slices.Sort(out)
	}
	return out
}

// mutation is what is done to one value.
type mutation int

const (
	drop mutation = iota
	null
	retype
)

// mutate returns a copy of the tree v with the value at p dropped (an array element is nulled instead: it
// keeps its place), nulled or replaced by one of another JSON type; m is what was done.
func mutate(v any, p string, m mutation) (any, mutation) {
	tokens := strings.Split(p, "/")[1:]
	var walk func(v any, i int) any
	walk = func(v any, i int) any {
		var cur any
		key := strings.NewReplacer("~1", "/", "~0", "~").Replace(tokens[i])
		switch v := v.(type) {
		case map[string]any:
			c := make(map[string]any, len(v))
			for k, e := range v {
				c[k] = e
			}
			if i+1 < len(tokens) {
				c[key] = walk(c[key], i+1)
				return c
			}
			cur = c[key]
			if m == drop {
				delete(c, key)
				return c
			}
			c[key] = replacement(cur, m)
			return c
		case []any:
			c := slices.Clone(v)
			n, _ := strconv.Atoi(key)
			if i+1 < len(tokens) {
				c[n] = walk(c[n], i+1)
				return c
			}
			if m == drop {
				m = null
			}
			c[n] = replacement(c[n], m)
			return c
		}
		panic("no value at " + p)
	}
	out := walk(v, 0)
	if m == drop && isIndex(p) {
		m = null
	}
	return out, m
}

func isIndex(p string) bool {
	_, err := strconv.Atoi(p[strings.LastIndexByte(p, '/')+1:])
	return err == nil
}

// replacement is null, or a value of another JSON type than cur.
func replacement(cur any, m mutation) any {
	if m == null {
		return nil
	}
	if _, ok := cur.(string); ok {
		return []any{7.0, "x"}
	}
	return "x"
}

// requiredAt reports whether the model requires the property at p (false for an array element or a map
// entry): see properties.
func requiredAt(t *testing.T, p string) bool {
	typ := reflect.TypeFor[Connection]()
	tokens := strings.Split(p, "/")[1:]
	for i, tok := range tokens {
		last := i == len(tokens)-1
		switch typ.Kind() {
		case reflect.Struct:
			props, required := properties(typ)
			if props[tok] == nil {
				t.Fatalf("the model has no property at %s (%s)", p, tok)
			}
			if last {
				return slices.Contains(required, tok)
			}
			typ = props[tok]
		case reflect.Map, reflect.Slice:
			if last {
				return false
			}
			typ = typ.Elem()
		default:
			t.Fatalf("the model has no property at %s (%s)", p, tok)
		}
	}
	return false
}

// kindOf is the issue a mutation makes.
func kindOf(m mutation) DecodeIssueKind {
	return [...]DecodeIssueKind{drop: DecodeIssueMissing, null: DecodeIssueNull, retype: DecodeIssueWrongType}[m]
}

// marshal is json.Marshal for the test's own values.
func marshal(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
