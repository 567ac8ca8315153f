package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
)

// maxInputBytes bounds what amp reads from an input file or stdin: far more than any credential or params
// document, far less than would hurt.
const maxInputBytes = 1 << 20

// readInput returns the contents of the file at path, or of stdin when path is "-". Only one flag of a
// command line may read stdin. Any failure is a usage error naming the flag.
func (a *app) readInput(flag, path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		if a.stdinUsedBy != "" {
			return nil, usageErrorf("--%s and --%s both read stdin (-): only one can", a.stdinUsedBy, flag)
		}
		a.stdinUsedBy = flag
		r = a.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, usageErrorf("--%s: %v", flag, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, usageErrorf("--%s: reading %s: %v", flag, displayPath(path), err)
	}
	if len(data) > maxInputBytes {
		return nil, usageErrorf("--%s: %s is larger than %d bytes", flag, displayPath(path), maxInputBytes)
	}
	return data, nil
}

// readSecret returns a credential stored in a file (or stdin): its contents without trailing line breaks,
// which must not be empty.
func (a *app) readSecret(flag, path string) (string, error) {
	data, err := a.readInput(flag, path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", usageErrorf("--%s: %s is empty", flag, displayPath(path))
	}
	return s, nil
}

// readParams decodes the JSON document of a --params-file into v. Unknown fields are refused, so that a
// misspelled field is not silently dropped, and so is anything after the document.
func (a *app) readParams(path string, v any) error {
	data, err := a.readInput("params-file", path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return usageErrorf("--params-file %s: not a valid document: %v", displayPath(path), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return usageErrorf("--params-file %s: unexpected data after the JSON document", displayPath(path))
	}
	return nil
}

// displayPath names an input in messages.
func displayPath(path string) string {
	if path == "-" {
		return "stdin"
	}
	return path
}
