package client

import (
	"encoding/json"
	"mime"
	"strings"
)

// parseProblem decodes an error body as a problem document when its media type is JSON (application/json,
// application/problem+json or any +json type) and it has at least one problem field.
func parseProblem(contentType string, body []byte) *Problem {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	var p Problem
	if decodeJSONBytes(body, &p) != nil && !salvageProblem(body, &p) {
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
