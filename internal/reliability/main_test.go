package reliability_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// No goroutine may outlive the suite: every cell closes its fake server and its transport's idle
// connections, and every blocked handler is released when its test ends. This is goleak.VerifyTestMain,
// except that the check also runs when a test failed (the TestRegression_ tests fail until their bug is
// fixed; a leak must not hide behind them).
func TestMain(m *testing.M) {
	code := m.Run()
	if err := goleak.Find(); err != nil {
		fmt.Fprintf(os.Stderr, "goleak: goroutines outlived the tests: %v\n", err)
		code = 1
	}
	os.Exit(code)
}
