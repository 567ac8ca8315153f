package contract

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// Under WithStrictDecoding a reply with a DecodeIssue is a *DecodeError carrying the issues the default
// decoding reported for the same reply; one without is a success. Prism serves the same example replies to
// both clients (it keeps no state); the fake's replies have no issue, so the scenario must succeed there too.
func TestStrictDecodingOfTheExampleReplies(t *testing.T) {
	defaults, stricts := newServers(t), newServers(t, client.WithStrictDecoding())
	for i, s := range stricts {
		def := defaults[i]
		w, wdef := newWorld(t, s), newWorld(t, def)
		for _, c := range scenario {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				var want []client.DecodeIssue
				if s.fake == nil {
					m := def.log.len()
					if err := c.run(context.Background(), wdef); err != nil {
						t.Fatalf("default decoding: %v", err)
					}
					want = def.log.since(m)
				}
				err := c.run(context.Background(), w)
				var decErr *client.DecodeError
				switch {
				case len(want) == 0 && err != nil:
					t.Errorf("no issue by default, but strict decoding failed: %v", err)
				case len(want) > 0 && !errors.As(err, &decErr):
					t.Errorf("issues by default (%v), but strict decoding returned %v, want a DecodeError", want, err)
				case len(want) > 0 && !reflect.DeepEqual(decErr.Issues, want[:len(decErr.Issues)]):
					t.Errorf("DecodeError.Issues %v, want %v", decErr.Issues, want)
				case len(want) > 0:
					t.Logf("strict: %v", err)
				}
			})
		}
	}
}
