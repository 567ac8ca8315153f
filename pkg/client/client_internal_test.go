package client

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

func TestOriginRules(t *testing.T) {
	same := map[[2]string]bool{
		{"https://api.example.com/v1", "https://API.example.com:443/other"}: true,
		{"https://api.example.com/v1", "http://api.example.com/v1"}:         false, // https → http
		{"https://api.example.com/v1", "https://api.example.com:8443/v1"}:   false,
		{"https://api.example.com/v1", "https://evil.example.com/v1"}:       false,
		{"http://127.0.0.1:80/v1", "http://127.0.0.1/v1"}:                   true,
	}
	for pair, want := range same {
		a, _ := url.Parse(pair[0])
		b, _ := url.Parse(pair[1])
		if got := origin(a) == origin(b); got != want {
			t.Errorf("%s vs %s: same origin = %v", pair[0], pair[1], got)
		}
		// The redirect policy applies the same rule, against the chain's first request.
		first, _ := http.NewRequest("GET", pair[0], nil)
		req, _ := http.NewRequest("GET", pair[1], nil)
		req.Header.Set("X-Api-Key", "k")
		if err := checkRedirect(nil)(req, []*http.Request{first}); err != nil {
			t.Fatal(err)
		}
		if kept := req.Header.Get("X-Api-Key") != ""; kept != want {
			t.Errorf("redirect %s → %s: key kept = %v", pair[0], pair[1], kept)
		}
	}
	req, _ := http.NewRequest("GET", "https://x", nil)
	via := make([]*http.Request, 10)
	for i := range via {
		via[i] = req
	}
	if err := checkRedirect(nil)(req, via); err == nil {
		t.Error("11th hop allowed")
	}
}

func TestDefaultHTTPClientIsBounded(t *testing.T) {
	tr := newDefaultHTTPClient().Transport.(*http.Transport)
	if tr.TLSHandshakeTimeout == 0 || tr.ResponseHeaderTimeout == 0 || tr.IdleConnTimeout == 0 || tr.DialContext == nil {
		t.Errorf("unbounded default transport: %+v", tr)
	}
	if tr.MaxIdleConnsPerHost < 64 {
		t.Errorf("MaxIdleConnsPerHost = %d: 64 goroutines sharing a Client would churn connections", tr.MaxIdleConnsPerHost)
	}
	if a, b := newDefaultHTTPClient(), newDefaultHTTPClient(); a.Transport == b.Transport {
		t.Error("clients share a transport: no globals")
	}
}

// Plain http URLs are accepted only from a plain http loopback server (a fake); never from the real API.
func TestSafeURLScheme(t *testing.T) {
	for _, tc := range []struct {
		server string
		url    string
		ok     bool
	}{
		{DefaultServerURL, "https://login.example.com/", true},
		{DefaultServerURL, "http://login.example.com/", false},
		{DefaultServerURL, "http://127.0.0.1/authorize", false},
		{"https://127.0.0.1:8443/v1", "http://127.0.0.1/authorize", false},
		{"http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/oauth/authorize", true},
		{"http://localhost:8080/v1", "HTTPS://login.example.com/", true},
	} {
		s, err := parseServerURL("ServerURL", tc.server)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := safeURL(tc.url, s); (err == nil) != tc.ok {
			t.Errorf("server %s, URL %s: %v, want ok %v", tc.server, tc.url, err, tc.ok)
		}
	}
}

// A call's options change a clone of the client's configuration: every slice and map of it (the fields of
// nested structs included) is copied, so an option that appends or sets never reaches the client or another
// call. A new slice or map field that clone forgets fails here.
func TestCloneSharesNothing(t *testing.T) {
	var c config
	fill(reflect.ValueOf(&c).Elem())
	cp := c.clone()
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Struct:
			for i := range a.NumField() {
				walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		case reflect.Slice, reflect.Map:
			if a.Len() == 0 || a.Pointer() == b.Pointer() {
				t.Errorf("config%s: the clone shares it (or the test could not fill it)", path)
			}
		}
	}
	walk("", reflect.ValueOf(&c).Elem(), reflect.ValueOf(cp).Elem())
}

// fill gives every slice and map reachable through v's struct fields one element.
func fill(v reflect.Value) {
	v = reflect.NewAt(v.Type(), v.Addr().UnsafePointer()).Elem() // unexported fields too
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem())
	}
}

// WithRetryConfig keeps its own copy of StatusCodes: the caller may reuse its slice.
func TestRetryConfigIsCopied(t *testing.T) {
	rc := DefaultRetryConfig()
	c, err := New(WithAPIKey("k"), WithRetryConfig(rc))
	if err != nil {
		t.Fatal(err)
	}
	rc.StatusCodes[0] = "418"
	if got := c.cfg.retry.StatusCodes[0]; got != "5XX" {
		t.Errorf("the client's StatusCodes changed with the caller's slice: %q", got)
	}
}
