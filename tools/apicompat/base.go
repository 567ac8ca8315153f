package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/mod/semver"
)

// Base is the commit whose API the working tree is classified against.
type Base struct {
	Rev     string // what names it: a tag, $API_BASE's value, HEAD or HEAD~1
	Commit  string // its full hash
	Version string // the release it is, when Rev is a v* tag ("v0.1.0"); CHANGELOG sections after it count
	Why     string // why it was chosen, for the report
}

// String is the base as the report prints it: "v0.1.0 (the newest v* tag reachable from HEAD)".
func (b Base) String() string { return b.Rev + " (" + b.Why + ")" }

// chooseBase picks the commit to compare the working tree with, in this order:
//
//  1. explicit (-base, make's API_BASE), when set: whoever sets it knows what the change is relative to;
//  2. the newest v* release tag reachable from HEAD, by semantic version: the API users have. A tag on HEAD
//     itself counts only when the working tree differs from HEAD, so that on a release commit the check
//     compares the release with the previous one;
//  3. with no tag, HEAD when the working tree differs from it (uncommitted changes are compared with the
//     committed code), else HEAD~1 (the last commit's changes; in a pull request's merge commit, those of
//     the pull request);
//  4. HEAD, when there is no HEAD~1 (the first commit, or a shallow clone: fetch with fetch-depth: 0).
func chooseBase(root, explicit string) (Base, error) {
	if _, err := git(root, "rev-parse", "--git-dir"); err != nil {
		return Base{}, fmt.Errorf("%s is not a git work tree: %w", root, err)
	}
	if explicit != "" {
		commit, err := git(root, "rev-parse", "--verify", "--quiet", explicit+"^{commit}")
		if err != nil {
			return Base{}, fmt.Errorf("API_BASE=%s names no commit here (in a shallow clone, fetch it first)", explicit)
		}
		return Base{Rev: explicit, Commit: commit, Why: "API_BASE"}, nil
	}
	status, err := git(root, "status", "--porcelain")
	if err != nil {
		return Base{}, err
	}
	dirty := status != ""
	tags, err := git(root, "tag", "--merged", "HEAD", "--list", "v*")
	if err != nil {
		return Base{}, err
	}
	atHead := map[string]bool{}
	if out, err := git(root, "tag", "--points-at", "HEAD", "--list", "v*"); err == nil {
		for _, t := range strings.Fields(out) {
			atHead[t] = true
		}
	}
	newest := ""
	for _, t := range strings.Fields(tags) {
		if semver.IsValid(t) && (dirty || !atHead[t]) && (newest == "" || semver.Compare(t, newest) > 0) {
			newest = t
		}
	}
	if newest != "" {
		commit, err := git(root, "rev-parse", newest+"^{commit}")
		if err != nil {
			return Base{}, err
		}
		return Base{Rev: newest, Commit: commit, Version: newest, Why: "the newest v* tag reachable from HEAD"}, nil
	}
	head, err := git(root, "rev-parse", "HEAD")
	if err != nil {
		return Base{}, err
	}
	shallow, _ := git(root, "rev-parse", "--is-shallow-repository")
	note := ""
	if shallow == "true" {
		note = "; shallow clone: tags and history may be missing, fetch with fetch-depth: 0"
	}
	if dirty {
		return Base{Rev: "HEAD", Commit: head, Why: "no v* tag; the working tree against the committed code" + note}, nil
	}
	if parent, err := git(root, "rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"); err == nil {
		return Base{Rev: "HEAD~1", Commit: parent, Why: "no v* tag and a clean working tree: the last commit's changes" + note}, nil
	}
	return Base{Rev: "HEAD", Commit: head, Why: "no v* tag, clean working tree and no HEAD~1: nothing to classify" + note}, nil
}

// extract writes the tree of commit (the part under root) into a new temporary directory, which the caller
// removes.
func extract(root, commit string) (string, error) {
	dir, err := os.MkdirTemp("", "apicompat-base-")
	if err != nil {
		return "", err
	}
	treeish := commit
	if prefix, err := git(root, "rev-parse", "--show-prefix"); err == nil && prefix != "" {
		treeish += ":" + strings.TrimSuffix(prefix, "/") // root is a subdirectory of the work tree
	}
	cmd := exec.Command("git", "archive", "--format=tar", treeish)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	untarErr := untar(stdout, dir)
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("git archive %s: %v: %s", commit, err, strings.TrimSpace(stderr.String()))
	}
	if untarErr != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("git archive %s: %w", commit, untarErr)
	}
	return dir, nil
}

// untar writes the directories, regular files and symbolic links of a tar stream under dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, dir+string(filepath.Separator)) {
			continue // the global pax header, or a path that would leave dir
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(name, 0o755)
		case tar.TypeReg:
			err = writeFile(name, tr, os.FileMode(h.Mode)&0o777|0o600)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, name)
		}
		if err != nil {
			return err
		}
	}
}

func writeFile(name string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// git runs git in dir and returns its trimmed standard output.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
