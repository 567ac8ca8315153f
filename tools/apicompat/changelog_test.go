package main

import (
	"reflect"
	"testing"
)

const changelogFixture = `# Changelog

## [Unreleased]

### Breaking

- ` + "`Remove`" + ` is gone; use
  ` + "`Added`" + `.
* Second entry.

### Added

- Not breaking.

## [0.3.0] - 2026-03-01

### Breaking

- In 0.3.0.

## [0.2.0]

### breaking

- In 0.2.0.
`

func TestBreakingEntries(t *testing.T) {
	unreleased := []Entry{{"Unreleased", "`Remove` is gone; use `Added`."}, {"Unreleased", "Second entry."}}
	for _, tc := range []struct {
		base string
		want []Entry
	}{
		{"", unreleased},
		{"v0.3.0", unreleased},
		{"v0.2.0", append(unreleased[:2:2], Entry{"0.3.0", "In 0.3.0."})},
		{"v0.1.0", append(unreleased[:2:2], Entry{"0.3.0", "In 0.3.0."}, Entry{"0.2.0", "In 0.2.0."})},
	} {
		if got := breakingEntries(changelogFixture, tc.base); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("base %q:\n got %q\nwant %q", tc.base, got, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		text, name string
		want       bool
	}{
		{"`Connection.ID` is a UUID", "Connection.ID", true},
		{"gen.Connection.ID is a UUID.", "Connection.ID", true},
		{"Connection.IDs is a list", "Connection.ID", false},
		{"XConnection.ID", "Connection.ID", false},
		{"Connection changed", "Connection.ID", false},
		{"ConnectionsGet, then ConnectionsGet.", "ConnectionsGet", true},
		{"ConnectionsGetter and ConnectionsGet", "ConnectionsGet", true},
		{"ConnectionsGetter", "ConnectionsGet", false},
	} {
		if got := names(tc.text, tc.name); got != tc.want {
			t.Errorf("names(%q, %q) = %v, want %v", tc.text, tc.name, got, tc.want)
		}
	}
}

func TestNameForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Connection.ID", []string{"Connection.ID"}},
		{"(*Client).Do", []string{"(*Client).Do", "Client.Do"}},
		{"(*Set[T]).Add", []string{"(*Set[T]).Add", "Set.Add"}},
		{"Pair[K, V].Swap", []string{"Pair[K, V].Swap", "Pair.Swap"}},
		{"otel", []string{"otel"}},
	} {
		if got := nameForms(tc.name); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("nameForms(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
