package amptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// validationOptions returns the openapi3filter options used for requests and responses. Authentication is
// checked by the server before validation, so the filter's own security check accepts everything.
func validationOptions() *openapi3filter.Options {
	o := &openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true,
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	}
	o.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		if p := fieldPath(err.JSONPointer()); p != "" {
			return p + ": " + err.Reason
		}
		return err.Reason
	})
	return o
}

// validateRequest checks x's request against the spec and returns one issue per violation (none when valid).
func validateRequest(x *exchange) []client.InputValidationIssue {
	x.resetBody()
	in := &openapi3filter.RequestValidationInput{
		Request:    x.r,
		PathParams: x.params,
		Route:      x.route,
		Options:    validationOptions(),
	}
	err := openapi3filter.ValidateRequest(context.WithoutCancel(x.r.Context()), in)
	x.resetBody()
	if err == nil {
		return nil
	}
	var issues []client.InputValidationIssue
	collectRequestIssues(err, &issues)
	if len(issues) == 0 {
		issues = append(issues, client.InputValidationIssue{Detail: err.Error()})
	}
	sort.SliceStable(issues, func(i, j int) bool {
		a, b := issues[i], issues[j]
		if a.In != b.In {
			return a.In < b.In
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Detail < b.Detail
	})
	return issues
}

// collectRequestIssues appends to issues one entry per violation found in err, as returned by ValidateRequest.
func collectRequestIssues(err error, issues *[]client.InputValidationIssue) {
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			collectRequestIssues(e, issues)
		}
		return
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		*issues = append(*issues, client.InputValidationIssue{Detail: err.Error()})
		return
	}
	switch {
	case re.Parameter != nil:
		*issues = append(*issues, parameterIssues(re)...)
	case re.RequestBody != nil:
		*issues = append(*issues, bodyIssues(re)...)
	default:
		*issues = append(*issues, client.InputValidationIssue{Detail: re.Error()})
	}
}

// parameterIssues describes an invalid path, query or header parameter.
func parameterIssues(re *openapi3filter.RequestError) []client.InputValidationIssue {
	p := re.Parameter
	base := client.InputValidationIssue{In: client.InputValidationIssueIn(p.In), Name: p.Name}
	if re.Input != nil && re.Input.Request != nil {
		switch p.In {
		case openapi3.ParameterInQuery:
			if v, ok := re.Input.Request.URL.Query()[p.Name]; ok && len(v) > 0 {
				base.Value = v[0]
			}
		case openapi3.ParameterInPath:
			if v, ok := re.Input.PathParams[p.Name]; ok {
				base.Value = v
			}
		}
	}
	leaves := schemaLeaves(re.Err)
	if len(leaves) == 0 {
		issue := base
		issue.Detail = parameterReason(re)
		return []client.InputValidationIssue{issue}
	}
	out := make([]client.InputValidationIssue, 0, len(leaves))
	for _, se := range leaves {
		issue := base
		issue.Detail = se.Reason
		out = append(out, issue)
	}
	return out
}

func parameterReason(re *openapi3filter.RequestError) string {
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return "parameter is required but missing or empty"
	case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
		return "parameter must not be empty"
	case re.Err != nil:
		return re.Err.Error()
	default:
		return re.Reason
	}
}

// bodyIssues describes an invalid request body: missing, of the wrong content type, not decodable, or not
// matching the schema (one issue per violated field, named by its path, e.g. "connection.basicAuth.username").
func bodyIssues(re *openapi3filter.RequestError) []client.InputValidationIssue {
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return []client.InputValidationIssue{{In: client.InputValidationIssueInBody, Detail: "request body is required"}}
	case re.Err == nil && strings.HasPrefix(re.Reason, "header Content-Type"):
		ct := ""
		if re.Input != nil && re.Input.Request != nil {
			ct = re.Input.Request.Header.Get("Content-Type")
		}
		return []client.InputValidationIssue{{
			In:     client.InputValidationIssueInHeader,
			Name:   "Content-Type",
			Detail: fmt.Sprintf("content type %q is not supported; send application/json", ct),
			Value:  ct,
		}}
	}
	leaves := schemaLeaves(re.Err)
	if len(leaves) == 0 {
		detail := re.Reason
		if re.Err != nil {
			detail = re.Reason + ": " + re.Err.Error()
		}
		if re.Reason == "failed to decode request body" {
			detail = "request body is not valid JSON: " + re.Err.Error()
		}
		return []client.InputValidationIssue{{In: client.InputValidationIssueInBody, Detail: detail}}
	}
	out := make([]client.InputValidationIssue, 0, len(leaves))
	for _, se := range leaves {
		out = append(out, client.InputValidationIssue{
			In:     client.InputValidationIssueInBody,
			Name:   fieldPath(se.JSONPointer()),
			Detail: se.Reason,
		})
	}
	return out
}

// schemaLeaves returns the innermost schema errors within err, looking through "allOf" combinations so that each
// violated field is reported on its own rather than as "doesn't match all schemas from allOf".
func schemaLeaves(err error) []*openapi3.SchemaError {
	switch e := err.(type) {
	case nil:
		return nil
	case *openapi3.SchemaError:
		if e.SchemaField == "allOf" && e.Origin != nil {
			if nested := schemaLeaves(e.Origin); len(nested) > 0 {
				return nested
			}
		}
		return []*openapi3.SchemaError{e}
	case openapi3.MultiError:
		var out []*openapi3.SchemaError
		for _, sub := range e {
			out = append(out, schemaLeaves(sub)...)
		}
		return out
	case interface{ Unwrap() []error }:
		var out []*openapi3.SchemaError
		for _, sub := range e.Unwrap() {
			out = append(out, schemaLeaves(sub)...)
		}
		return out
	case interface{ Unwrap() error }:
		return schemaLeaves(e.Unwrap())
	}
	return nil
}

// fieldPath renders a JSON pointer's segments as a field path: ["connection","basicAuth","username"] is
// "connection.basicAuth.username" and ["updateMask","0"] is "updateMask[0]".
func fieldPath(segments []string) string {
	var b strings.Builder
	for _, s := range segments {
		if _, err := strconv.Atoi(s); err == nil && b.Len() > 0 {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// validateReply checks a reply the fake is about to send against the spec. A non-nil error means the fake has a
// bug; the server then answers 500 instead, so the bug cannot hide behind a lenient client.
func validateReply(x *exchange, rp *reply) error {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    x.r,
			PathParams: x.params,
			Route:      x.route,
		},
		Status:  rp.status,
		Header:  rp.header,
		Body:    io.NopCloser(bytes.NewReader(rp.body)),
		Options: validationOptions(),
	}
	in.Options.IncludeResponseStatus = true
	if err := openapi3filter.ValidateResponse(context.WithoutCancel(x.r.Context()), in); err != nil {
		return err
	}
	if rp.status == http.StatusNoContent && len(rp.body) > 0 {
		return errors.New("a 204 reply must have no body")
	}
	return nil
}
