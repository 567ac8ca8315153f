// Package kinds declares one of every kind of exported declaration, for the snapshot golden test.
package kinds

import (
	"context"
	"io"
	"time"
)

// Untyped and typed constants, an iota enum.
const (
	Version       = "1.2.3"
	MaxSize       = 1 << 20
	Timeout       = 5 * time.Second
	ModeFast Mode = iota
	ModeSlow
	unexportedConst = 1
)

// Mode is an enum.
type Mode int

// String has a value receiver.
func (m Mode) String() string { return "" }

// Vars of several types.
var (
	ErrClosed error
	Default   = &Client{}
	Hooks     map[string][]func(context.Context, ...string) (int, error)
	Events    <-chan chan<- int
	Matrix    [3][]*Mode
)

// Client has exported and unexported fields, an embedded exported type and an embedded unexported one whose
// methods are promoted.
type Client struct {
	Name string `json:"name"`
	io.Reader
	*base
	Options struct {
		Retries int
	}
	secret string
}

type base struct{ ID string }

// Close is promoted into Client's method set (through *base).
func (b *base) Close() error { return nil }

// Do has a pointer receiver and named parameters, which the snapshot leaves out.
func (c *Client) Do(ctx context.Context, names ...string) (n int, err error) { return 0, nil }

// Reader embeds io.Reader and adds a method; its method set is listed whole.
type Reader interface {
	io.Reader
	Peek(n int) ([]byte, error)
}

// Sealed cannot be implemented by other packages.
type Sealed interface {
	Kind() Mode
	sealed()
}

// Empty is an empty interface type.
type Empty interface{}

// Number is a constraint.
type Number interface {
	~int | ~int64 | ~float64
}

// Pair is a generic type.
type Pair[K comparable, V any] struct {
	Key   K
	Value V
}

// Swap is a method of a generic type.
func (p Pair[K, V]) Swap() Pair[K, V] { return p }

// Set is a generic pointer-receiver method set.
type Set[T comparable] map[T]struct{}

// Add adds v.
func (s *Set[T]) Add(v T) {}

// Sum is a generic function.
func Sum[N Number](ns ...N) N { var z N; return z }

// Map is a generic function with two type parameters.
func Map[T, U any](in []T, f func(T) U) []U { return nil }

// Alias and generic alias.
type (
	Duration          = time.Duration
	StringPair[V any] = Pair[string, V]
	Handler           func(context.Context, *Client) error
	unexportedType    int
)

// New returns a client.
func New(name string, opts ...func(*Client)) (*Client, error) { return nil, nil }

func unexportedFunc() {}
