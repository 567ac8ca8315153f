package amptest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// DeliveryFaultKind is the way a fault breaks a delivery attempt (see Server.InjectDeliveryFault).
type DeliveryFaultKind int

const (
	// DeliveryDrop loses the attempt: nothing reaches the endpoint, and the server retries as after a
	// broken connection.
	DeliveryDrop DeliveryFaultKind = iota
	// DeliveryDelay waits DeliveryFault.Delay (real time) before sending the attempt; Close ends the wait.
	DeliveryDelay
	// DeliveryDuplicate sends the attempt twice, with the same message id, timestamp and signature: the
	// endpoint must recognize the second by its id.
	DeliveryDuplicate
	// DeliveryBadSignature signs the attempt with a key that is not the endpoint's: a verifying endpoint
	// refuses it (client.ErrWebhookSignature), and the server retries.
	DeliveryBadSignature
)

var deliveryFaultNames = []string{"DeliveryDrop", "DeliveryDelay", "DeliveryDuplicate", "DeliveryBadSignature"}

// String returns the name of the constant, e.g. "DeliveryDrop".
func (k DeliveryFaultKind) String() string {
	if k >= 0 && int(k) < len(deliveryFaultNames) {
		return deliveryFaultNames[k]
	}
	return "DeliveryFaultKind(" + strconv.Itoa(int(k)) + ")"
}

// DeliveryFault describes how the next matching delivery attempts misbehave.
type DeliveryFault struct {
	Kind DeliveryFaultKind
	// Type limits the fault to notifications of this type; "" matches every type.
	Type client.NotificationType
	// Delay is DeliveryDelay's wait.
	Delay time.Duration
	// Times is how many attempts the fault applies to; 0 means 1. Each retry is an attempt.
	Times int
}

type deliveryFaultEntry struct {
	fault DeliveryFault
	left  int
}

// InjectDeliveryFault makes the next f.Times delivery attempts of a notification of f.Type (any type when
// empty) misbehave as f.Kind says, to any endpoint. An attempt takes the oldest pending fault that matches.
// It panics on an unknown Kind or a negative Times or Delay.
func (s *Server) InjectDeliveryFault(f DeliveryFault) {
	switch {
	case f.Kind < DeliveryDrop || f.Kind > DeliveryBadSignature:
		panic(fmt.Sprintf("amptest: InjectDeliveryFault: unknown kind %v", f.Kind))
	case f.Times < 0 || f.Delay < 0:
		panic(fmt.Sprintf("amptest: InjectDeliveryFault: negative Times %d or Delay %v", f.Times, f.Delay))
	}
	d := s.hooks
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, &deliveryFaultEntry{fault: f, left: max(f.Times, 1)})
}

// takeFault consumes one use of the oldest pending delivery fault matching typ.
func (d *deliverer) takeFault(typ client.NotificationType) (DeliveryFault, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, e := range d.faults {
		if e.fault.Type != "" && e.fault.Type != typ {
			continue
		}
		if e.left--; e.left == 0 {
			d.faults = append(d.faults[:i], d.faults[i+1:]...)
		}
		return e.fault, true
	}
	return DeliveryFault{}, false
}
