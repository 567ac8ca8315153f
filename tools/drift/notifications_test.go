package drift

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ampersand-sdk/ampersand-go/api"
)

// notificationSchemas are the connection lifecycle notifications that api/openapi.yaml copies from Ampersand's
// published notification schemas. No operation reaches them, so Check does not compare them: this test does.
var notificationSchemas = []string{
	"ConnectionCreatedNotificationPayload",
	"ConnectionUpdatedNotificationPayload",
	"ConnectionRefreshedNotificationPayload",
	"ConnectionDeletedNotificationPayload",
	"ConnectionErrorNotificationPayload",
}

func loadUpstreamNotifications(t *testing.T) *openapi3.T {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "reference", "ampersand-notifications.json")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("SKIP: upstream notification schemas not found at %s: NOT checked", path)
	}
	doc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// compareNotifications compares each notification schema of ours with upstream's of the same name.
func compareNotifications(ours, upstream *openapi3.T) []Difference {
	return CompareSchemas(ours, upstream, notificationSchemas...)
}

func TestOurNotificationSchemasMatchUpstream(t *testing.T) {
	up := loadUpstreamNotifications(t)
	ours := parse(t, "api/openapi.yaml", string(api.OpenAPIYAML()))
	if d := compareNotifications(ours, up); len(d) > 0 {
		t.Fatalf("api/openapi.yaml's notification schemas drift from upstream's:\n%v", d)
	}
}

func TestNotificationDriftIsCaught(t *testing.T) {
	up := loadUpstreamNotifications(t)
	yaml := string(api.OpenAPIYAML())
	edited := strings.Replace(yaml, "      required: [projectId, connectionId, provider, groupRef, consumerRef, consumerName]",
		"      required: [projectId, connectionId, provider, groupRef, consumerRef]", 1)
	edited = strings.Replace(edited, "          enum: [connection.error]", "          enum: [connection.failed]", 1)
	if edited == yaml {
		t.Fatal("the edits matched nothing in api/openapi.yaml")
	}
	d := compareNotifications(parse(t, "api/openapi.yaml", edited), up)
	got := fmt.Sprint(d)
	for _, want := range []string{"ConnectionCreatedNotificationPayload .data required consumerName", "ConnectionErrorNotificationPayload .notificationType enum"} {
		if !strings.Contains(got, want) {
			t.Errorf("differences %q lack %q", got, want)
		}
	}
}
