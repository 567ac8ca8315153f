package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// driftedJSON is a connection as a drifting server might send it: each of its schema violations is one
// issue of driftedIssues, and everything else must survive.
var driftedJSON = `{"id":"conn-1","provider":"salesforce","unknownProperty":{"a":1},
	"group":null,
	"consumer":"c-1",
	"authScheme":"oauth3","status":"working","createTime":"yesterday",
	"providerApp":{"id":"pa","projectId":"proj-1","provider":"salesforce","clientId":"` + testKey + `",
		"createTime":"2024-03-01T09:00:00Z","scopes":[["a","b"],"c"]},
	"providerMetadata":{"` + testKey + `":{"value":7,"source":"input"}},
	"providerWorkspaceRef":["` + strings.Repeat("w", 1000) + `"]}`

// driftedIssues are the issues of driftedJSON for operation op, at pointers under prefix.
func driftedIssues(op, prefix string) []client.DecodeIssue {
	issue := func(p string, k client.DecodeIssueKind, raw string) client.DecodeIssue {
		return client.DecodeIssue{Operation: op, Pointer: prefix + p, Kind: k, Raw: raw}
	}
	return []client.DecodeIssue{
		issue("/group", client.DecodeIssueNull, "null"),
		issue("/consumer", client.DecodeIssueWrongType, `"c-1"`),
		issue("/authScheme", client.DecodeIssueInvalid, `"oauth3"`),
		issue("/createTime", client.DecodeIssueInvalid, `"yesterday"`),
		issue("/providerApp/scopes/0", client.DecodeIssueWrongType, `["a","b"]`),
		issue("/providerMetadata/[REDACTED]/value", client.DecodeIssueWrongType, "7"),
		issue("/providerWorkspaceRef", client.DecodeIssueWrongType, `["`+strings.Repeat("w", 254)),
		issue("/projectId", client.DecodeIssueMissing, ""),
	}
}

// checkDrifted checks the connection decoded from driftedJSON: the repaired properties are zero (the enum
// kept as received), every other one survives.
func checkDrifted(t *testing.T, conn *client.Connection) {
	t.Helper()
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	want := client.Connection{ID: "conn-1", Provider: "salesforce", AuthScheme: "oauth3", Status: client.ConnectionStatusWorking,
		ProviderApp: client.ProviderApp{ID: "pa", ProjectID: "proj-1", Provider: "salesforce", ClientID: testKey, CreateTime: at,
			Scopes: []string{"", "c"}},
		ProviderMetadata: client.ProviderMetadata{testKey: {Source: client.ProviderMetadataInfoSourceInput}}}
	if conn == nil || !reflect.DeepEqual(*conn, want) {
		t.Fatalf("decoded %+v\nwant    %+v", conn, want)
	}
}

// issuesOf returns an option that stores a call's DecodeIssues in *dst (through a CallEnd hook).
func issuesOf(dst *[]client.DecodeIssue) client.Option {
	return client.WithHooks(client.Hooks{CallEnd: func(_ context.Context, call *client.Call, _ error) { *dst = call.DecodeIssues }})
}

// A body that breaks its schema decodes by default: each broken property keeps its zero value, its siblings
// survive, an unknown enum value is kept, and every repair is reported with its pointer, kind and raw value
// (the API key redacted, the value cut to 256 bytes); unknown properties are not issues. The logger writes
// one WARN line for the call.
func TestTolerantDecodingRepairsAndReports(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", driftedJSON) })
	var logs bytes.Buffer
	c := api.newClient(t, client.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	var issues []client.DecodeIssue
	conn, err := c.Connections.Get(bg, getReq(), issuesOf(&issues))
	if err != nil {
		t.Fatal(err)
	}
	checkDrifted(t, conn)
	if want := driftedIssues("getConnection", ""); !reflect.DeepEqual(issues, want) {
		t.Fatalf("issues:\n%q\nwant:\n%q", issues, want)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "issues=8") ||
		!strings.Contains(lines[0], "operation=getConnection") || !strings.Contains(lines[0], `first=/group kind=null`) {
		t.Errorf("log:\n%s\nwant one WARN line with the count and the first pointer", logs.String())
	}
	if strings.Contains(logs.String(), testKey) || strings.Contains(fmt.Sprint(issues), testKey) {
		t.Error("the key leaked")
	}

	logs.Reset()
	issues = nil
	api2 := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", connJSON) })
	c2 := api2.newClient(t, client.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if _, err := c2.Connections.Get(bg, getReq(), issuesOf(&issues)); err != nil || issues != nil || logs.Len() > 0 {
		t.Errorf("a valid body: %v, issues %v, log %q", err, issues, logs.String())
	}
}

// WithStrictDecoding, for the client or one call, makes any issue a DecodeError carrying all of them.
func TestStrictDecodingFailsWithTheIssues(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", driftedJSON) })
	for name, c := range map[string]struct{ client, call []client.Option }{
		"client": {client: []client.Option{client.WithStrictDecoding()}},
		"call":   {call: []client.Option{client.WithStrictDecoding()}},
	} {
		conn, err := api.newClient(t, c.client...).Connections.Get(bg, getReq(), c.call...)
		var de *client.DecodeError
		if !errors.As(err, &de) || conn != nil {
			t.Fatalf("%s: %v, %v; want a DecodeError", name, conn, err)
		}
		if want := driftedIssues("getConnection", ""); !reflect.DeepEqual(de.Issues, want) || de.Pointer != "/group" {
			t.Errorf("%s: DecodeError at %q with issues %q, want %q", name, de.Pointer, de.Issues, want)
		}
	}
}

// A list of 10,000 with one element without an id (left out) and one with a repair yields 9,999 connections
// and both issues, from List and from All; strict, List fails and All stops before the first bad element.
func TestListOfTenThousandWithBadElements(t *testing.T) {
	const n, noID, repaired = 10_000, 4321, 8765
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			conn := strings.Replace(connJSON, `"id":"conn-1"`, fmt.Sprintf(`"id":"c-%d"`, i), 1)
			switch i {
			case noID:
				conn = strings.Replace(conn, fmt.Sprintf(`"id":"c-%d"`, i), `"id":null`, 1)
			case repaired:
				conn = strings.Replace(conn, `"status":"working"`, `"status":["working"]`, 1)
			}
			b.WriteString(conn)
		}
		reply(w, 200, "application/json", b.String()+"]")
	})
	want := []client.DecodeIssue{
		{Operation: "listConnections", Pointer: fmt.Sprintf("/%d/id", noID), Kind: client.DecodeIssueNull, Raw: "null"},
		{Operation: "listConnections", Pointer: fmt.Sprintf("/%d/status", repaired), Kind: client.DecodeIssueWrongType, Raw: `["working"]`},
	}
	req := client.ListConnectionsRequest{ProjectIDOrName: "p"}
	c := api.newClient(t)
	var issues []client.DecodeIssue
	list, err := c.Connections.List(bg, req, issuesOf(&issues))
	if err != nil || len(list) != n-1 || !reflect.DeepEqual(issues, want) {
		t.Fatalf("List: %d connections, %v, issues %v; want %d and %v", len(list), err, issues, n-1, want)
	}
	if list[noID].ID != fmt.Sprintf("c-%d", noID+1) || list[repaired-1].Status != "" || list[repaired-1].Provider != "salesforce" {
		t.Errorf("List: %+v, %+v", list[noID], list[repaired-1])
	}
	ids, errs := collect(c.Connections.All(bg, req, issuesOf(&issues)), 0)
	if len(ids) != n-1 || errs != nil || !reflect.DeepEqual(issues, want) {
		t.Fatalf("All: %d connections, %v, issues %v", len(ids), errs, issues)
	}

	strict := client.WithStrictDecoding()
	var de *client.DecodeError
	if _, err := c.Connections.List(bg, req, strict); !errors.As(err, &de) || !reflect.DeepEqual(de.Issues, want) {
		t.Errorf("strict List: %v, want a DecodeError with %v", err, want)
	}
	ids, errs = collect(c.Connections.All(bg, req, strict), 0)
	if len(ids) != noID || len(errs) != 1 || !errors.As(errs[0], &de) || !reflect.DeepEqual(de.Issues, want[:1]) {
		t.Errorf("strict All: %d connections, %v; want %d, then a DecodeError with %v", len(ids), errs, noID, want[:1])
	}
}

// Identity is not repaired: a reply of one connection without a usable id is a DecodeError in both modes; and
// what is not JSON of the right overall shape is one too.
func TestDecodeErrorsInBothModes(t *testing.T) {
	for name, body := range map[string]string{
		"no id": `{"provider":"p"}`, "null id": `{"id":null}`, "numeric id": `{"id":7}`, "empty id": `{"id":""}`,
		"null body": `null`, "an array": `[]`, "a string": `"conn"`, "malformed": `{"id":"a",}`,
	} {
		api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", body) })
		for _, strict := range []bool{false, true} {
			var opts []client.Option
			if strict {
				opts = append(opts, client.WithStrictDecoding())
			}
			conn, err := api.newClient(t, opts...).Connections.Get(bg, getReq())
			var de *client.DecodeError
			if !errors.As(err, &de) || conn != nil {
				t.Errorf("%s (strict %v): %+v, %v; want a DecodeError", name, strict, conn, err)
			}
			if strings.HasSuffix(name, "id") && de != nil && de.Pointer != "/id" {
				t.Errorf("%s (strict %v): DecodeError at %q, want /id", name, strict, de.Pointer)
			}
		}
	}
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", `{"items":[]}`) })
	if _, err := api.newClient(t).Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"}); !errors.As(err, new(*client.DecodeError)) {
		t.Errorf("an object for a list: %v, want a DecodeError", err)
	}
}

// A list element whose id is the empty string is left out and reported, like one whose id is absent or null:
// one issue, at its id.
func TestListElementWithAnEmptyIDIsReported(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		reply(w, 200, "application/json", "["+strings.Replace(connJSON, `"id":"conn-1"`, `"id":""`, 1)+","+connJSON+"]")
	})
	var issues []client.DecodeIssue
	list, err := api.newClient(t).Connections.List(bg, client.ListConnectionsRequest{ProjectIDOrName: "p"}, issuesOf(&issues))
	want := []client.DecodeIssue{{Operation: "listConnections", Pointer: "/0/id", Kind: client.DecodeIssueInvalid, Raw: `""`}}
	if err != nil || len(list) != 1 || list[0].ID != "conn-1" || !reflect.DeepEqual(issues, want) {
		t.Fatalf("%d connections, %v, issues %v; want conn-1 alone and %v", len(list), err, issues, want)
	}
}

// Names match as encoding/json matches them, exactly or else case-insensitively, and an empty array decodes
// to an empty slice, not nil: the decoded connection is encoding/json's.
func TestDecodingAgreesWithEncodingJSON(t *testing.T) {
	body := strings.Replace(connJSON, `"provider":"salesforce"`, `"Provider":"salesforce","oauth2AuthorizationCode":{"scopes":[]}`, 1)
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { reply(w, 200, "application/json", body) })
	conn, err := api.newClient(t).Connections.Get(bg, getReq())
	var want client.Connection
	if jerr := json.Unmarshal([]byte(body), &want); err != nil || jerr != nil {
		t.Fatalf("%v, %v", err, jerr)
	}
	if !reflect.DeepEqual(*conn, want) || conn.Provider != "salesforce" || conn.OAuth2AuthorizationCode.Scopes == nil {
		t.Errorf("decoded %+v\nencoding/json %+v", *conn, want)
	}
}
