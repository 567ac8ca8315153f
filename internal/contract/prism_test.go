package contract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// upstreamDoc is Ampersand's published document (see CONTRIBUTING.md), relative to this package.
const upstreamDoc = "../../../shared/reference/ampersand-api.bundled.json"

// prismURL is the base URL of the running Prism, set by TestMain; "" when Prism could not be had outside CI.
var prismURL string

// TestMain installs and starts Prism once for the package's tests. Outside CI a missing npm or a failed
// install skips the suite with a loud message; under CI=true it fails, never skips.
func TestMain(m *testing.M) {
	stop, err := startPrism()
	if err != nil {
		msg := "\n*** contract suite: Prism is not available, so requests are NOT checked against Ampersand's document: " + err.Error() + "\n"
		if os.Getenv("CI") == "true" {
			fmt.Fprint(os.Stderr, msg+"*** CI=true: that is a failure.\n")
			os.Exit(1)
		}
		fmt.Fprint(os.Stderr, msg+"*** (outside CI the Prism tests skip; CI fails instead)\n\n")
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// startPrism installs Prism (the version and dependency tree pinned by prism/package-lock.json) into a cache
// folder outside the tree, once per lockfile, then serves a copy of the upstream document on a loopback
// port. It returns a function that stops it.
func startPrism() (stop func(), err error) {
	stop = func() {}
	bin, err := installPrism()
	if err != nil {
		return stop, err
	}
	dir, err := os.MkdirTemp("", "ampersand-contract-")
	if err != nil {
		return stop, err
	}
	doc, err := servedDocument()
	if err != nil {
		os.RemoveAll(dir)
		return stop, err
	}
	docPath := filepath.Join(dir, "ampersand-api.json")
	if err := os.WriteFile(docPath, doc, 0o600); err != nil {
		os.RemoveAll(dir)
		return stop, err
	}
	// A port that an outgoing connection holds cannot be bound, and Prism then dies with a bare "fatal":
	// try a few ports below the kernel's ephemeral range.
	var errs []error
	for try := 0; try < 4; try++ {
		port := 20000 + rand.IntN(12000)
		kill, log, err := runPrism(bin, docPath, port)
		if err == nil {
			prismURL = fmt.Sprintf("http://127.0.0.1:%d", port)
			return func() { kill(); os.RemoveAll(dir) }, nil
		}
		errs = append(errs, fmt.Errorf("port %d: %w; its log ends: %s", port, err, tail(log.String(), 600)))
	}
	os.RemoveAll(dir)
	return stop, errors.Join(errs...)
}

// runPrism starts Prism on port and waits until it accepts connections; kill stops it.
func runPrism(bin, doc string, port int) (kill func(), log *bytes.Buffer, err error) {
	log = new(bytes.Buffer)
	cmd := exec.Command(bin, "mock", "-h", "127.0.0.1", "-p", fmt.Sprint(port), "-v", "warn", doc)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, log, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second) // a cold start on a busy 2-core machine takes a while
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return nil, log, fmt.Errorf("prism exited: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			conn.Close()
			return func() { _ = cmd.Process.Kill(); <-exited }, log, nil
		}
	}
	_ = cmd.Process.Kill()
	<-exited
	return nil, log, errors.New("prism did not listen within 60 s")
}

// installPrism returns the path of the pinned Prism, installing it with npm ci when the cache lacks it.
// AMPERSAND_PRISM names a Prism to use instead.
func installPrism() (string, error) {
	if p := os.Getenv("AMPERSAND_PRISM"); p != "" {
		return p, nil
	}
	pkg, err := os.ReadFile("prism/package.json")
	if err != nil {
		return "", err
	}
	lock, err := os.ReadFile("prism/package-lock.json")
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir() // no HOME: still outside the tree
	}
	sum := sha256.Sum256(append(pkg, lock...))
	dir := filepath.Join(cache, "ampersand-go", "prism-"+hex.EncodeToString(sum[:6]))
	bin := filepath.Join(dir, "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("npm is not installed (Prism comes from the npm registry): %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	// Install into a fresh folder and rename it into place, so that a concurrent or interrupted install never
	// leaves a half-installed Prism where the next run would take it.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "prism-install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for name, data := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", err
		}
	}
	fmt.Fprintf(os.Stderr, "contract suite: installing Prism (npm ci, pinned by internal/contract/prism) into %s\n", dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci: %w: %s", err, tail(string(out), 600))
	}
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
		if _, statErr := os.Stat(bin); statErr != nil { // not another install winning the race
			return "", err
		}
	}
	return bin, nil
}

// servedDocument is the upstream document with one change for a Prism quirk: Prism routes a request to the
// last of the paths that match it, so with upstream's order it takes PATCH
// .../connections/{id}:oauth-update for updateConnection of the connection "{id}:oauth-update". Moving the
// :oauth-update path after .../connections/{connectionId} makes it choose oauthUpdate. Nothing else changes:
// the key order of the other paths and every schema are upstream's.
func servedDocument() ([]byte, error) {
	data, err := os.ReadFile(upstreamDoc)
	if err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	const last = "/projects/{projectIdOrName}/connections/{connectionId}:oauth-update"
	dec := json.NewDecoder(bytes.NewReader(doc["paths"]))
	var out bytes.Buffer
	var moved json.RawMessage
	out.WriteByte('{')
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return nil, err
		}
		if tok == last {
			moved = item
			continue
		}
		writeMember(&out, &n, tok.(string), item)
	}
	if moved == nil {
		return nil, fmt.Errorf("the upstream document has no path %s", last)
	}
	writeMember(&out, &n, last, moved)
	out.WriteByte('}')
	doc["paths"] = out.Bytes()
	return json.Marshal(doc) // the top-level order does not matter to Prism
}

func writeMember(out *bytes.Buffer, n *int, key string, value json.RawMessage) {
	if *n > 0 {
		out.WriteByte(',')
	}
	*n++
	k, _ := json.Marshal(key)
	out.Write(k)
	out.WriteByte(':')
	out.Write(value)
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
