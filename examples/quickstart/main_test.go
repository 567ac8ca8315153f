package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestQuickstartRunsOfflineAgainstTheFake(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{} // no AMPERSAND_API_KEY: the in-process fake
	if err := run(context.Background(), &out, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"using a fake Ampersand API at http://127.0.0.1:",
		"1. generate a hubspot connection", "(apiKey, created)",
		"2. list", "3. get it with its credentials", "apiKey:     demo…",
		"4. rotate", "workspace:  quickstart-workspace",
		"5. delete it", "6. get it again", "not found, as expected: 404", "Done.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestQuickstartNeedsAProjectForTheRealAPI(t *testing.T) {
	env := map[string]string{"AMPERSAND_API_KEY": "k"}
	err := run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "AMPERSAND_PROJECT") {
		t.Fatalf("err = %v", err)
	}
}
