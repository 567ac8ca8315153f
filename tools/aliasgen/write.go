package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// docs holds the doc comments of gen's declarations, as text (comment markers removed).
type docs struct {
	types    map[string]string  // type name → its doc
	consts   map[string]string  // constant name → its doc
	comments map[string]string  // constant name → its line comment
	fields   map[string][]field // struct type name → its exported JSON fields, in order
}

// field is one exported field of a gen struct, for the field list of its alias's doc: go doc shows an
// alias's own comment, never the fields of the struct it stands for.
type field struct {
	name, typ, json, doc string
}

func genDocs(files []*srcFile) docs {
	d := docs{types: map[string]string{}, consts: map[string]string{}, comments: map[string]string{},
		fields: map[string][]field{}}
	for _, f := range files {
		for _, decl := range f.file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					doc := s.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					d.types[s.Name.Name] = doc.Text()
					if st, ok := s.Type.(*ast.StructType); ok {
						d.fields[s.Name.Name] = structFields(st)
					}
				case *ast.ValueSpec:
					if gd.Tok != token.CONST {
						continue
					}
					for _, n := range s.Names {
						d.consts[n.Name] = s.Doc.Text()
						d.comments[n.Name] = strings.Join(strings.Fields(s.Comment.Text()), " ")
					}
				}
			}
		}
	}
	return d
}

// structFields returns the exported fields of st that have a JSON name (not "-").
func structFields(st *ast.StructType) []field {
	var out []field
	for _, f := range st.Fields.List {
		if f.Tag == nil {
			continue
		}
		tag, _ := strconv.Unquote(f.Tag.Value)
		jsonName, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
		if jsonName == "" || jsonName == "-" {
			continue
		}
		for _, n := range f.Names {
			if n.IsExported() {
				out = append(out, field{name: n.Name, typ: types.ExprString(f.Type), json: jsonName, doc: f.Doc.Text()})
			}
		}
	}
	return out
}

// fieldList is the "Fields:" paragraph of a struct alias's doc: one item per field with its Go name, its type
// (gen types the client names are links), its JSON name and the first line of its gen comment (oapi-codegen
// writes the spec's description there as "Name Description"; examples and value lists are left to the types).
func fieldList(fields []field, q string, clientName map[string]string) string {
	if len(fields) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n\nFields:\n")
	for _, f := range fields {
		typ := link(strings.ReplaceAll(f.typ, q+".", ""), "", clientName)
		fmt.Fprintf(&b, "  - %s %s, JSON %q", f.name, typ, f.json)
		first, _, _ := strings.Cut(strings.TrimSpace(f.doc), "\n")
		if first = strings.TrimPrefix(first, f.name+" "); first != "" {
			b.WriteString(": " + lowerFirst(link(first, "", clientName), clientName))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// render returns the formatted generated file.
func render(m *model, d docs) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(ownHeader + " DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package %s\n\n", m.pkgName)
	if len(m.types) == 0 && len(m.consts) == 0 {
		return format.Source(b.Bytes())
	}
	fmt.Fprintf(&b, "import %s\n", strconv.Quote(m.gen.Path()))
	q := m.gen.Name()

	// One section per gen type, in name order: its alias (unless hand-written code declares it), then the
	// constants of its values.
	names := append([]string(nil), m.types...)
	for t := range m.consts {
		if !slices.Contains(names, t) {
			names = append(names, t)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(m.types, name) {
			b.WriteString("\n")
			writeComment(&b, "", typeDoc(name, q, d.types[name], m.clientName)+fieldList(d.fields[name], q, m.clientName))
			fmt.Fprintf(&b, "type %s = %s.%s\n", name, q, name)
		}
		consts := m.consts[name]
		if len(consts) == 0 {
			continue
		}
		b.WriteString("\n")
		writeComment(&b, "", fmt.Sprintf("The values of [%s] (the constants of [%s.%s]).", m.clientName[name], q, name))
		b.WriteString("const (\n")
		for _, c := range consts {
			writeComment(&b, "\t", d.consts[c])
			fmt.Fprintf(&b, "\t%s = %s.%s", c, q, c)
			if com := d.comments[c]; com != "" {
				b.WriteString(" // " + com)
			}
			b.WriteString("\n")
		}
		b.WriteString(")\n")
		// A function listing the values (for validation, completion and help), not a variable: nobody can
		// change what it returns for everyone.
		enum := m.clientName[name]
		fmt.Fprintf(&b, "\n// %sValues returns the values of [%s], in name order.\nfunc %sValues() []%s {\n\treturn []%s{%s}\n}\n",
			enum, enum, enum, enum, enum, strings.Join(consts, ", "))
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the output: %v\n%s", err, b.Bytes())
	}
	return out, nil
}

func writeComment(b *bytes.Buffer, indent, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, " \t\n")
		if line == "" {
			b.WriteString(indent + "//\n")
		} else {
			b.WriteString(indent + "// " + line + "\n")
		}
	}
}

// typeDoc rewrites gen's doc of type name for the alias in package client. oapi-codegen writes
// "Name Description"; the alias reads "Name is [gen.Name]: description", with the gen types the client can
// name turned into doc links under their client names (InputValidationProblem becomes [Problem]). A
// Go-style doc ("Name is …", "Name defines …") is kept and followed by "It is [gen.Name].". The paragraphs
// after the first (examples, value lists) are kept as they are.
func typeDoc(name, q, doc string, clientName map[string]string) string {
	ref := "[" + q + "." + name + "]"
	first, more, _ := strings.Cut(strings.TrimSpace(doc), "\n\n")
	if more != "" {
		more = "\n\n" + more
	}
	switch rest, ok := strings.CutPrefix(first, name+" "); {
	case first == "":
		return name + " is " + ref + "."
	case ok && startsLower(rest):
		return first + " It is " + ref + "." + more
	case ok:
		return name + " is " + ref + ": " + lowerFirst(link(rest, name, clientName), clientName) + more
	default:
		return name + " is " + ref + ": " + lowerFirst(link(first, name, clientName), clientName) + more
	}
}

func startsLower(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLower(r)
}

// lowerFirst lower-cases the first letter of s unless its first word is an identifier or an acronym
// (OAuth2, API, a type name).
func lowerFirst(s string, idents map[string]string) string {
	word, _, _ := strings.Cut(s, " ")
	if strings.HasPrefix(word, "[") || idents[strings.TrimRight(word, ".,:;")] != "" {
		return s
	}
	runes := []rune(word)
	if len(runes) == 0 || !unicode.IsUpper(runes[0]) {
		return s
	}
	if len(runes) > 1 && (unicode.IsUpper(runes[1]) || unicode.IsDigit(runes[1])) {
		return s
	}
	for _, r := range runes[1:] {
		if unicode.IsUpper(r) || unicode.IsDigit(r) {
			return s // CamelCase: an identifier
		}
	}
	return string(unicode.ToLower(runes[0])) + s[utf8.RuneLen(runes[0]):]
}

// link turns the whole words of s that are gen types the client can name (other than self) into doc links
// to the client's name, outside `code spans`.
func link(s, self string, clientName map[string]string) string {
	var b strings.Builder
	inCode := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '`' {
			inCode = !inCode
		}
		if inCode || !isIdentStart(r) || (i > 0 && isIdentRune(lastRune(s[:i]))) {
			b.WriteRune(r)
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !isIdentRune(r) {
				break
			}
			j += size
		}
		word := s[i:j]
		if c := clientName[word]; c != "" && word != self {
			b.WriteString("[" + c + "]")
		} else {
			b.WriteString(word)
		}
		i = j
	}
	return b.String()
}

func isIdentStart(r rune) bool { return unicode.IsLetter(r) || r == '_' }
func isIdentRune(r rune) bool  { return isIdentStart(r) || unicode.IsDigit(r) }
func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}
