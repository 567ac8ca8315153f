package client

import "sync"

// budget is a client's retry budget, a token bucket in the manner of the AWS SDKs' retry quota: it starts
// full, each retry takes tokens (a retry after a timeout takes more), each call that succeeds at once
// returns a few and a call that succeeds after retrying returns what its retries took. When a retry would
// take more than is left, it is not made and the call returns its last error. During an outage, when no call
// succeeds, the bucket empties after Capacity/RetryCost retries among all the client's calls, however many
// goroutines make them; once the server answers again, successes refill it.
type budget struct {
	mu     sync.Mutex
	tokens int
}

func newBudget(capacity int) *budget { return &budget{tokens: capacity} }

// take takes n tokens for a retry; false when fewer are left (nothing is taken then).
func (b *budget) take(n int) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// refund returns n tokens, up to capacity.
func (b *budget) refund(n, capacity int) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	b.tokens = min(b.tokens+n, capacity)
	b.mu.Unlock()
}

// left returns the tokens left (for tests and logs).
func (b *budget) left() int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}
