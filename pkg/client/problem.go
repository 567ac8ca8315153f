package client

import (
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"time"
)

// String prints the fields that are set, as text for a log line: strings quoted (so the server's control
// characters are escaped), times in RFC 3339, Retryable as true, false or unset (the server did not say),
// and each issue's location, detail and value. %v and %+v of a Problem or a *Problem print this.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString("Problem{")
	sep := ""
	field := func(name string, v any) {
		fmt.Fprintf(&b, "%s%s: %v", sep, name, v)
		sep = ", "
	}
	str := func(name, v string) {
		if v != "" {
			field(name, fmt.Sprintf("%q", v))
		}
	}
	str("title", p.Title)
	if p.Status != 0 {
		field("status", p.Status)
	}
	str("detail", p.Detail)
	str("remedy", p.Remedy)
	str("requestId", p.RequestID)
	retryable := "unset"
	if p.Retryable != nil {
		retryable = fmt.Sprint(*p.Retryable)
	}
	field("retryable", retryable)
	if !p.RetryAfter.IsZero() {
		field("retryAfter", p.RetryAfter.Format(time.RFC3339Nano))
	}
	str("type", p.Type)
	str("subsystem", p.Subsystem)
	if !p.Time.IsZero() {
		field("time", p.Time.Format(time.RFC3339Nano))
	}
	if len(p.Causes) > 0 {
		field("causes", fmt.Sprintf("%q", p.Causes))
	}
	str("supportEmail", p.SupportEmail)
	str("supportPhone", p.SupportPhone)
	str("supportUrl", p.SupportURL)
	str("instance", p.Instance)
	str("href", p.Href)
	if len(p.Context) > 0 {
		ctx, _ := json.Marshal(p.Context)
		field("context", fmt.Sprintf("%q", ctx))
	}
	if len(p.Issues) > 0 {
		issues := make([]string, len(p.Issues))
		for i, is := range p.Issues {
			issues[i] = issueText(is)
		}
		field("issues", "["+strings.Join(issues, "; ")+"]")
	}
	b.WriteString("}")
	return b.String()
}

// issueText prints an issue as "in name: detail (value v)".
func issueText(is InputValidationIssue) string {
	var b strings.Builder
	if is.In != "" {
		b.WriteString(string(is.In) + " ")
	}
	fmt.Fprintf(&b, "%q", is.Name)
	for _, s := range []string{is.Title, is.Detail} {
		if s != "" {
			fmt.Fprintf(&b, ": %q", s)
		}
	}
	if is.Value != nil {
		v, _ := json.Marshal(is.Value)
		fmt.Fprintf(&b, " (value %q)", v)
	}
	return b.String()
}

// parseProblem decodes an error body as a problem document when its media type is JSON (application/json,
// application/problem+json or any +json type) and it has at least one problem field.
func parseProblem(contentType string, body []byte) *Problem {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	var p Problem
	if json.Unmarshal(body, &p) != nil && !salvageProblem(body, &p) {
		return nil
	}
	if p.Type == "" && p.Title == "" && p.Status == 0 && p.Detail == "" && p.RequestID == "" {
		return nil
	}
	return &p
}

// salvageProblem decodes what it can of a problem whose strict decoding failed (a malformed time, a string
// status …): each top-level field on its own, skipping those that do not fit. It reports whether the body
// is a JSON object at all.
func salvageProblem(body []byte, p *Problem) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return false
	}
	*p = Problem{}
	for k, v := range fields {
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		var field Problem
		if json.Unmarshal(one, &field) == nil {
			_ = json.Unmarshal(one, p)
		}
	}
	return true
}
