package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// Fuzz targets for every decoder of server output. `make fuzz` runs each for FUZZTIME (10 s in CI); plain
// `go test` runs their seeds: the spec's examples (testdata/examples), the hand-written edge cases below, and testdata/fuzz.

// specExamples returns the JSON examples of the spec's operations, sorted: request and 2xx response bodies
// (success) and error response bodies (problems), from testdata/examples (internal/contract's
// TestFuzzSeedsAreTheSpecExamples checks that they are the spec's).
var specExamples = sync.OnceValues(func() (success, problems [][]byte) {
	read := func(name string) [][]byte {
		data, err := os.ReadFile("testdata/examples/" + name)
		if err != nil {
			panic(err)
		}
		return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	}
	return read("success.jsonl"), read("problems.jsonl")
})

// fuzzKey is the API key of the fuzzed client; seeds echo it in bodies.
const fuzzKey = "fuzz-key-5ecret-0001"

var (
	problemSeeds = []string{
		`{"title":"t","status":"500"}`, `{"status":503,"retryable":"yes","detail":"d"}`, `{"retryAfter":"soon","title":"t"}`,
		`{"title":"a"}{"title":"b"}`, `{"title":"a"} `, `[]`, `null`, `"title"`, `{}`, `{"TITLE":"upper","Status":400}`,
		`{"title":"a","title":"b"}`, "{\"detail\":\"\xff\xfe\"}", `{"status":1e400,"title":"t"}`, `{"status":2147483648,"title":"t"}`,
		`{"issues":[{"name":"n","value":{"deep":[1,2.5,null,true]}}],"title":"t","context":{"k":[{}]}}`,
		`{"time":"2024-01-01T00:00:00+23:59","retryAfter":"9999-12-31T23:59:59-23:59","title":"t"}`,
		`{"detail":"key ` + fuzzKey + ` refused","requestId":"` + fuzzKey + `"}`,
	}
	connectionSeeds = []string{
		`null`, `{}`, ` {"id":"a"} `, `{"id":"a"}x`, `{"id":"a"}{}`, `{"ID":"case","PROVIDER":"p"}`, `{"id":"a","id":"b"}`,
		"{\"id\":\"\xff\"}", `{"id":1}`, `{"id":null,"createTime":null}`, `{"createTime":"2024-01-01T00:00:00.123456789+01:00"}`,
		`{"createTime":"2024-01-01T00:00:00"}`, `{"providerMetadata":{"k":{"value":"v","source":"input","displayName":"d"}}}`,
		`{"oauth2AuthorizationCode":{"scopes":["a",null]}}`, `{"status":"working","authScheme":"custom"}`, `{"group":[]}`,
		`{"id":"\u0000\ud800"}`, `{"createTime":"` + fuzzKey + `"}`, `[{}]`, `[]`, `[null]`, `[{},]`, `[{"id":"a"},{"id":"b"}]`,
		// Where encoding/json's rules are subtle: Unicode case folding (K is U+212A KELVIN SIGN, ſ U+017F), exact
		// and folded duplicates, escaped names, merging repeated objects, nulls, and RFC 3339 edge cases.
		`{"api\u212Aey":"kelvin"}`, "{\"\u017Ftatus\":\"long s\"}", `{"Id":"a","id":"b"}`, `{"id":"b","Id":"a"}`, `{"\u0069d":"esc"}`,
		`{"group":{"groupRef":"a"},"group":{"groupName":"b"}}`, `{"providerMetadata":{"k":{"value":"a"},"k":{"source":"input"}}}`,
		`{"oauth2AuthorizationCode":{"scopes":["a","b"]},"oauth2AuthorizationCode":{"scopes":["c"]}}`, `{"group":null}`,
		`{"providerMetadata":{"k":null}}`, `{"providerMetadata":null}`, `{"x":{"y":[1,2e300,-0,"\ud83d\ude00"]},"id":"a"}`,
		`{"createTime":"2024-02-30T00:00:00Z"}`, `{"createTime":"2024-01-01T23:59:60Z"}`, `{"createTime":"2024-01-01T24:00:00Z"}`,
		`{"createTime":"2024-01-01t00:00:00z"}`, `{"createTime":"2024-01-01T00:00:00,5Z"}`, `{"createTime":"2024-01-01T00:00:00-00:00"}`,
		`{"createTime":"2024-01-01T00:00:00+00:60"}`, `{"createTime":"0000-01-01T00:00:00+01:00"}`, `{"createTime":""}`,
		`{"createTime":"2024-01-01T00:00:00.Z"}`, `{"createTime":" 2024-01-01T00:00:00Z"}`, "\ufeff{}", "{}\x00", "{}\f",
		`{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
		`{"x":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}`,
	}
)

func FuzzParseProblem(f *testing.F) {
	_, problems := specExamples()
	for _, p := range problems {
		f.Add("application/problem+json", p)
	}
	for i, s := range problemSeeds {
		ct := []string{"application/problem+json", "application/json; charset=utf-8", "application/vnd.x+json", "text/html"}[i%4]
		f.Add(ct, []byte(s))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		p := parseProblem(contentType, body)
		if p == nil {
			return
		}
		if mt, _, err := mime.ParseMediaType(contentType); err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			t.Fatalf("parsed a problem from media type %q", contentType)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("the problem %+v does not re-marshal: %v", p, err)
		}
		again := parseProblem("application/problem+json", out)
		if again == nil {
			t.Fatalf("the re-marshalled problem %s does not parse", out)
		}
		if out2, _ := json.Marshal(again); !bytes.Equal(out, out2) {
			t.Fatalf("re-marshalling is not stable:\n%s\n%s", out, out2)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	for _, v := range []string{"0", "120", " 7 ", "+5", "-1", "5.5", "", "1e3", "0x10", "٣", "9223372036854775807",
		"9223372036854775808", "9223372036", "9223372037", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT",
		"Fri, 02 Jan 2026 03:04:06 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT"} {
		f.Add(v, now)
	}
	f.Add("Fri, 31 Dec 9999 23:59:59 GMT", int64(math.MinInt64))
	f.Add("Mon, 01 Jan 0001 00:00:00 GMT", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, v string, nowNanos int64) {
		now := time.Unix(0, nowNanos)
		d, ok := parseRetryAfter(v, now)
		if d < 0 || !ok && d != 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", v, d, ok)
		}
		trimmed := strings.TrimSpace(v)
		if digits := strings.TrimPrefix(trimmed, "+"); digits != "" && strings.Trim(digits, "0123456789") == "" {
			// delay-seconds: exact, saturated at the largest Duration. Values beyond int64 seconds are not
			// understood (ok false) and the backoff applies; values that fit must be understood.
			want := new(big.Int)
			want.SetString(digits, 10)
			fits := want.IsInt64()
			want.Mul(want, big.NewInt(int64(time.Second)))
			if !want.IsInt64() {
				want.SetInt64(math.MaxInt64)
			}
			if ok && d != time.Duration(want.Int64()) || !ok && fits {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %v", v, d, ok, time.Duration(want.Int64()))
			}
			return
		}
		if at, err := http.ParseTime(trimmed); err == nil {
			if want := max(at.Sub(now), 0); !ok || d != want {
				t.Fatalf("parseRetryAfter(%q) at %v = %v, %v; want %v", v, now, d, ok, want)
			}
		}
	})
}

// decodeBoth decodes data as one connection (list false) or a list, read whole and one byte per Read, and
// fails t unless both readings agree.
func decodeBoth(t *testing.T, data []byte, list, strict bool) (any, []DecodeIssue, error) {
	var results [2]any
	var reps [2]report
	var errs [2]error
	for i, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
		reps[i] = report{op: "op", strict: strict}
		if list {
			var out []Connection
			errs[i] = decodeList(r, -1, &reps[i], &out)
			results[i] = out
		} else {
			out := new(Connection)
			errs[i] = decodeConnectionBody(r, &reps[i], out)
			results[i] = *out
		}
		if errs[i] == nil {
			errs[i] = reps[i].strictError()
		}
	}
	if (errs[0] == nil) != (errs[1] == nil) || errs[0] == nil && (!reflect.DeepEqual(results[0], results[1]) || !reflect.DeepEqual(reps[0].issues, reps[1].issues)) {
		t.Fatalf("whole: %v, %v; one byte per Read: %v, %v\ninput: %q", errs[0], reps[0].issues, errs[1], reps[1].issues, data)
	}
	return results[0], reps[0].issues, errs[0]
}

// Any input: the decoding never panics, reads the same whole or byte by byte, fails on what is not JSON,
// and when it reports no issue gives exactly encoding/json's result for a body that has every property the
// spec requires (the oracle in oracle_test.go, written from the spec); strict decoding fails exactly when
// the default reports an issue or fails.
func fuzzDecode(f *testing.F, list bool) {
	success, _ := specExamples()
	for _, b := range success {
		f.Add(b)
	}
	for _, s := range connectionSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, issues, err := decodeBoth(t, data, list, false)
		_, _, strictErr := decodeBoth(t, data, list, true)
		if (strictErr == nil) != (err == nil && len(issues) == 0) {
			t.Fatalf("strict: %v; default: %v, %v\ninput: %q", strictErr, err, issues, data)
		}
		if err != nil || len(issues) > 0 {
			if err == nil && !json.Valid(data) {
				t.Fatalf("not JSON, decoded: %q", data)
			}
			return
		}
		want := reflect.New(reflect.TypeOf(got))
		if errStd := json.Unmarshal(data, want.Interface()); errStd != nil || !hasRequired(t, data, list) {
			t.Fatalf("no issue, but json.Unmarshal: %v, required properties present: %v\ninput: %q", errStd, hasRequired(t, data, list), data)
		}
		if !reflect.DeepEqual(want.Elem().Interface(), got) {
			t.Fatalf("decoded values differ\ninput: %q\njson.Unmarshal: %#v\nSDK:            %#v", data, want.Elem().Interface(), got)
		}
	})
}

func FuzzDecodeConnection(f *testing.F)     { fuzzDecode(f, false) }
func FuzzDecodeConnectionList(f *testing.F) { fuzzDecode(f, true) }

// A valid connection with one value dropped, nulled or retyped (see repair_test.go), alone and as the second
// element of a list: it decodes, unless its id is the value, with every other property equal to
// encoding/json's decoding (of the body with that value absent or null) and exactly one issue, at that
// value's pointer — none for an optional property dropped. Without a usable id, one connection is a
// DecodeError and a list leaves it out with one issue at its id. Strict decoding fails whenever there is an
// issue.
func FuzzDecodeRepair(f *testing.F) {
	f.Add("c-1", "", uint16(0), uint8(0))
	f.Add("5f1c2a3b", "ü/~x", uint16(7), uint8(1))
	f.Add("id", "text", uint16(40), uint8(2))
	f.Fuzz(checkRepair)
}

// Every value of the full connection, each way: the fuzz target's check, exhaustively on one connection.
func TestRepairEveryValue(t *testing.T) {
	var tree any
	if err := json.Unmarshal(marshal(t, fullConnection("c", "t", 2)), &tree); err != nil {
		t.Fatal(err)
	}
	for pick := range len(pointers(tree, "", nil)) {
		for how := range uint8(3) {
			checkRepair(t, "c", "t", uint16(pick), how)
		}
	}
}

// checkRepair is FuzzDecodeRepair's check.
func checkRepair(t *testing.T, id, text string, pick uint16, how uint8) {
	if id == "" {
		id = "c"
	}
	var tree any
	if err := json.Unmarshal(marshal(t, fullConnection(id, text, int(pick))), &tree); err != nil {
		t.Fatal(err)
	}
	ps := pointers(tree, "", nil)
	p := ps[int(pick)%len(ps)]
	mutated, m := mutate(tree, p, mutation(how%3))
	body := marshal(t, mutated)
	wantBody := body
	if m == retype {
		nulled, _ := mutate(tree, p, null)
		wantBody = marshal(t, nulled)
	}
	var want Connection
	if err := json.Unmarshal(wantBody, &want); err != nil {
		t.Fatal(err)
	}
	var wantIssues []DecodeIssue
	if m != drop || requiredAt(t, p) {
		raw := map[mutation]string{null: "null", retype: `"x"`}[m]
		if _, ok := jsonAt(tree, p).(string); ok && m == retype {
			raw = `[7,"x"]`
		}
		wantIssues = []DecodeIssue{{Operation: "op", Pointer: p, Kind: kindOf(m), Raw: raw}}
	}
	idLost := p == "/id"
	got, issues, err := decodeBoth(t, body, false, false)
	switch {
	case idLost && err == nil:
		t.Fatalf("%s %v: decoded %+v without an id", p, m, got)
	case !idLost && (err != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(issues, wantIssues)):
		t.Fatalf("%s %v: %v, issues %v (want %v)\nbody: %s\ngot  %+v\nwant %+v", p, m, err, issues, wantIssues, body, got, want)
	}
	if _, _, err := decodeBoth(t, body, false, true); err == nil && (idLost || len(wantIssues) > 0) {
		t.Fatalf("%s %v: strict decoding succeeded", p, m)
	}
	list := []byte(`[` + string(marshal(t, tree)) + `,` + string(body) + `]`)
	gotList, issues, err := decodeBoth(t, list, true, false)
	for i := range wantIssues {
		wantIssues[i].Pointer = "/1" + wantIssues[i].Pointer
	}
	var valid Connection
	if err := json.Unmarshal(marshal(t, tree), &valid); err != nil {
		t.Fatal(err)
	}
	wantList := []Connection{valid, want}
	if idLost {
		wantList = wantList[:1]
	}
	if err != nil || !reflect.DeepEqual(issues, wantIssues) || !reflect.DeepEqual(gotList, wantList) {
		t.Fatalf("%s %v as a list element: %v, issues %v (want %v), %d connections", p, m, err, issues, wantIssues, len(gotList.([]Connection)))
	}
}

// jsonAt returns the value at p in the tree v.
func jsonAt(v any, p string) any {
	for _, tok := range strings.Split(p, "/")[1:] {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := v.(type) {
		case map[string]any:
			v = c[tok]
		case []any:
			n, _ := strconv.Atoi(tok)
			v = c[n]
		}
	}
	return v
}

// fuzzDoer answers every request with one canned response.
type fuzzDoer struct {
	status      int
	contentType string
	body        []byte
	length      int64
}

func (d fuzzDoer) Do(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: d.status, Header: http.Header{"Content-Type": {d.contentType}}, Request: r,
		Body: io.NopCloser(bytes.NewReader(d.body)), ContentLength: d.length}, nil
}

// The whole reply pipeline on arbitrary replies: a 2xx is checked by checkSuccess; any other status is an APIError with the status, the body
// capped at 64 KiB, the problem parsed from it, one attempt, and an Error() without the API key.
func FuzzAPIErrorFromResponse(f *testing.F) {
	success, problems := specExamples()
	for _, b := range problems {
		f.Add(400, "application/problem+json", b, false, true)
	}
	for _, b := range success {
		f.Add(200, "application/json", b, true, true)
		f.Add(201, "application/json", b, false, false)
	}
	for i, s := range append(problemSeeds, connectionSeeds...) {
		f.Add(200+i*37%400, "application/problem+json", []byte(s), i%2 == 0, i%3 == 0)
	}
	f.Add(502, "text/html", bytes.Repeat([]byte("<p>"+fuzzKey+"</p>"), 5000), false, true)
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte, list, knownLength bool) {
		status = 200 + int(uint(status)%400)
		d := fuzzDoer{status: status, contentType: contentType, body: body, length: -1}
		if knownLength {
			d.length = int64(len(body))
		}
		var issues []DecodeIssue
		c, err := New(WithAPIKey(fuzzKey), WithServerURL("http://127.0.0.1:1/v1"), WithHTTPClient(d), WithoutRetries(),
			WithHooks(Hooks{CallEnd: func(_ context.Context, call *Call, _ error) { issues = call.DecodeIssues }}))
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		if list {
			var l []Connection
			l, err = c.Connections.List(context.Background(), ListConnectionsRequest{ProjectIDOrName: "p"})
			got, want = &l, new([]Connection)
		} else {
			got, err = c.Connections.Get(context.Background(), GetConnectionRequest{ProjectIDOrName: "p", ConnectionID: "c"})
			want = new(Connection)
		}
		if status < 300 {
			checkSuccess(t, body, got, want, issues, err)
			return
		}
		var apiErr *APIError
		capped := bytes.ReplaceAll(body[:min(len(body), maxErrorBody)], []byte(fuzzKey), []byte("[REDACTED]"))
		switch {
		case !errors.As(err, &apiErr):
			t.Fatalf("status %d: err = %v, want an APIError", status, err)
		case apiErr.StatusCode != status || apiErr.Attempts != 1 || !bytes.Equal(apiErr.Body, capped):
			t.Fatalf("APIError: status %d, %d attempts, %d body bytes", apiErr.StatusCode, apiErr.Attempts, len(apiErr.Body))
		case !problemMatches(apiErr.Problem, parseProblem(contentType, capped)):
			t.Fatalf("APIError.Problem = %+v, want the problem parsed from the body, without the key", apiErr.Problem)
		case strings.Contains(err.Error(), fuzzKey) || len(issues) > 0:
			t.Fatalf("the key leaked: %v", err)
		case errors.Is(err, ErrNotFound) != (status == http.StatusNotFound):
			t.Fatalf("errors.Is(%d, ErrNotFound) = %v", status, errors.Is(err, ErrNotFound))
		}
	})
}

// problemMatches reports whether got is want without the key: want itself when none of its strings holds
// the key, else a problem none of whose strings does (%#v quotes every string, map keys included).
func problemMatches(got, want *Problem) bool {
	if want == nil || !strings.Contains(fmt.Sprintf("%#v", *want), fuzzKey) {
		return reflect.DeepEqual(got, want)
	}
	return got == nil || !strings.Contains(fmt.Sprintf("%#v", *got), fuzzKey)
}

// checkSuccess checks a 2xx outcome of the default (tolerant) decoding: a DecodeError for what is not JSON,
// and, when the call reports no DecodeIssue, json.Unmarshal's result for a body with every required
// property. (DecodeError strings are not checked for the key: see TestRegression_DecodeErrorShowsEchoedKey in
// internal/reliability.)
func checkSuccess(t *testing.T, body []byte, got, want any, issues []DecodeIssue, err error) {
	t.Helper()
	var decErr *DecodeError
	switch {
	case err != nil && !errors.As(err, &decErr):
		t.Fatalf("2xx: err = %v, want nil or a DecodeError", err)
	case err == nil && !json.Valid(body):
		t.Fatalf("2xx: not JSON, decoded: %q", body)
	case err != nil || len(issues) > 0:
		return
	}
	errStd := json.Unmarshal(body, want)
	_, list := want.(*[]Connection)
	if errStd != nil || !hasRequired(t, body, list) {
		t.Fatalf("no issue, but json.Unmarshal: %v, required properties present: %v\nbody: %q", errStd, hasRequired(t, body, list), body)
	}
	if w := reflect.ValueOf(want).Elem().Interface(); !reflect.DeepEqual(reflect.ValueOf(got).Elem().Interface(), w) {
		t.Fatalf("the SDK decoded %#v, json.Unmarshal %#v\nbody: %q", got, w, body)
	}
}
