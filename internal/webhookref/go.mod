// A module of its own, so that Standard Webhooks' reference library, which only this test uses, stays out of
// the SDK's go.mod and so out of every user's go.sum (see doc.go).
module github.com/ampersand-sdk/ampersand-go/internal/webhookref

go 1.26.0

replace github.com/ampersand-sdk/ampersand-go => ../..

require (
	github.com/ampersand-sdk/ampersand-go v0.0.0-00010101000000-000000000000
	github.com/standard-webhooks/standard-webhooks/libraries v1.3.0
)

require github.com/go-json-experiment/json v1.27.2 // indirect
