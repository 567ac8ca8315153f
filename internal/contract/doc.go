// Package contract holds the contract suite (its tests): every operation of pkg/client sent to Prism serving
// Ampersand's published OpenAPI document (an oracle this project did not write) and to pkg/amptest, which
// must agree with it. See README.md, "What the tests check", and prism/package.json for the pinned Prism.
package contract
