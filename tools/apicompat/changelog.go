package main

import (
	"regexp"
	"strings"

	"golang.org/x/mod/semver"
)

// Entry is one list item of a "### Breaking" subsection of CHANGELOG.md.
type Entry struct {
	Section string // the release section it is in: "Unreleased" or a version
	Text    string // the item, its continuation lines joined with spaces
}

// sectionHeading matches "## [Unreleased]", "## [0.2.0] - 2026-01-01" and "## 0.2.0"; group 1 is the name.
var sectionHeading = regexp.MustCompile(`^##\s+\[?([^\]\s]+)\]?`)

// breakingEntries returns the items of the "### Breaking" subsections of the sections of a Keep a Changelog
// file that are newer than base: "## [Unreleased]" always, and, when base is a release ("v0.1.0"), the
// sections of later versions too, so that the check still passes on the commit that renames [Unreleased]
// to the new version.
func breakingEntries(changelog, base string) []Entry {
	var out []Entry
	section, counts, breaking := "", false, false
	for _, line := range strings.Split(changelog, "\n") {
		line = strings.TrimRight(line, " \r")
		switch {
		case strings.HasPrefix(line, "## "):
			section, breaking = "", false
			if m := sectionHeading.FindStringSubmatch(line); m != nil {
				section = m[1]
			}
			v := "v" + strings.TrimPrefix(section, "v")
			counts = strings.EqualFold(section, "Unreleased") ||
				(base != "" && semver.IsValid(v) && semver.Compare(v, base) > 0)
		case strings.HasPrefix(line, "### "):
			breaking = counts && strings.EqualFold(strings.TrimSpace(line[4:]), "Breaking")
		case !breaking || line == "":
		case strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* "):
			out = append(out, Entry{Section: section, Text: strings.TrimSpace(line[2:])})
		case len(out) > 0 && out[len(out)-1].Section == section:
			out[len(out)-1].Text += " " + strings.TrimSpace(line)
		}
	}
	return out
}

// naming returns the first entry that names the declaration (see names), if any.
func naming(entries []Entry, forms []string) (Entry, bool) {
	for _, e := range entries {
		for _, f := range forms {
			if names(e.Text, f) {
				return e, true
			}
		}
	}
	return Entry{}, false
}

// names reports whether text contains name as a whole: not inside a longer identifier, so `Connection.ID`
// names Connection.ID, and so does `gen.Connection.ID`, but `Connection.IDs` and `Connection` do not.
func names(text, name string) bool {
	return regexp.MustCompile(`(^|[^\pL\pN_])` + regexp.QuoteMeta(name) + `($|[^\pL\pN_])`).MatchString(text)
}

// typeArgs matches the type arguments of a generic receiver ("[K, V]").
var typeArgs = regexp.MustCompile(`\[[^\]]*\]`)

// nameForms are the spellings that name a declaration in a CHANGELOG entry: apidiff's name ("(*Client).Do",
// "Pointer[T].Load"), the same without the receiver's pointer and type arguments ("Client.Do",
// "Pointer.Load"). A package added or removed is named by its directory.
func nameForms(name string) []string {
	forms := []string{name}
	plain := typeArgs.ReplaceAllString(name, "")
	if strings.HasPrefix(plain, "(*") {
		plain = strings.Replace(plain[2:], ")", "", 1)
	}
	if plain != name {
		forms = append(forms, plain)
	}
	return forms
}
