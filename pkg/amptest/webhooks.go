package amptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

// DefaultDeliverySchedule is how long the server waits before each retry of a notification that was not
// answered with a 2xx: six attempts in all, the last about 16 seconds after the first. Ampersand (through
// Svix) retries over hours; a test suite cannot wait that long. WithDeliverySchedule changes it.
var DefaultDeliverySchedule = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

// DeliveryAttemptTimeout bounds one delivery attempt, from sending the request to reading the answer; an
// attempt that takes longer fails and is retried.
const DeliveryAttemptTimeout = 5 * time.Second

// maxDeliveries is how many delivery attempts the server keeps for Deliveries; older ones are dropped.
const maxDeliveries = 1000

// WithWebhook registers a webhook endpoint: the server delivers every connection lifecycle notification to
// url (an http or https URL), signed with secret ("whsec_<base64>", as client.NewWebhook reads it), the way
// Ampersand delivers them through Svix. Pass it more than once for several endpoints.
//
// The notifications and what sends them: connection.created (generateConnection, an OAuth consent for
// oauthConnect, a completed customAuthConnect), connection.updated (updateConnection, an OAuth consent for
// oauthUpdate), connection.refreshed (getConnection with refresh renewing the access token),
// connection.deleted (deleteConnection) and connection.error (RevokeGrant, and a refresh of a revoked
// connection). Reads, refused requests, faults that skip the operation and SeedConnection send nothing.
//
// Deliveries are asynchronous: the API call that caused one has answered before it is sent, and a slow or
// dead endpoint never slows or fails an API call. An attempt that is not answered with a 2xx is retried on
// the delivery schedule (DefaultDeliverySchedule, or WithDeliverySchedule) with the same message id and a
// fresh timestamp and signature. Every attempt is recorded (Deliveries, WaitForDelivery), and attempts can
// be faulted (InjectDeliveryFault). Close stops them at once.
//
// NewServer panics when url is not an absolute http(s) URL or the secret is malformed.
func WithWebhook(endpointURL, secret string) Option {
	return func(c *config) {
		u, err := url.Parse(endpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.errs = append(c.errs, fmt.Errorf("WithWebhook: %q is not an absolute http(s) URL", endpointURL))
			return
		}
		w, err := client.NewWebhook(secret)
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("WithWebhook: %w", err))
			return
		}
		c.hooks.endpoints = append(c.hooks.endpoints, endpoint{url: endpointURL, signer: w})
	}
}

// WithDeliverySchedule sets the waits before the retries of a notification: len(waits)+1 attempts in all.
// No waits means a single attempt. NewServer panics on a negative wait.
func WithDeliverySchedule(waits ...time.Duration) Option {
	return func(c *config) {
		for _, w := range waits {
			if w < 0 {
				c.errs = append(c.errs, fmt.Errorf("WithDeliverySchedule: negative wait %v", w))
				return
			}
		}
		c.hooks.schedule = append([]time.Duration{}, waits...)
		c.hooks.scheduleSet = true
	}
}

type webhookConfig struct {
	endpoints   []endpoint
	schedule    []time.Duration
	scheduleSet bool
}

type endpoint struct {
	url    string
	signer *client.Webhook
}

// Delivery is one attempt to deliver a notification to an endpoint, as Deliveries and WaitForDelivery report
// it.
type Delivery struct {
	MessageID  string                  // the svix-id: the same for every attempt of one notification
	Type       client.NotificationType // the notificationType
	URL        string                  // the endpoint
	Attempt    int                     // 1 for the first attempt, 2 for the first retry …
	Time       time.Time               // when the attempt was signed (svix-timestamp), in real time
	Header     http.Header             // the request's headers: svix-id, svix-timestamp, svix-signature …
	Body       []byte                  // the notification
	StatusCode int                     // the endpoint's answer; 0 when there was none
	Answer     []byte                  // the start of the answer's body, at most 4 KiB
	Err        string                  // why there was no answer (a broken connection, a timeout, a dropped attempt)
	Fault      DeliveryFaultKind       // the fault applied to this attempt, if Faulted
	Faulted    bool
}

// OK reports whether the endpoint answered the attempt with a 2xx: the notification is delivered.
func (d Delivery) OK() bool { return d.StatusCode >= 200 && d.StatusCode < 300 }

// message is one notification, delivered to every endpoint.
type message struct {
	id   string
	typ  client.NotificationType
	body []byte
}

// deliverer sends the notifications of one Server.
type deliverer struct {
	cfg    webhookConfig
	http   *http.Client
	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	records []Delivery
	changed chan struct{} // closed and replaced when a record is added
	faults  []*deliveryFaultEntry
	sent    int  // messages enqueued, for tests
	stopped bool // set by stop: no delivery starts after it
}

func newDeliverer(cfg webhookConfig) *deliverer {
	if !cfg.scheduleSet {
		cfg.schedule = DefaultDeliverySchedule
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &deliverer{
		cfg: cfg,
		http: &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(), // its own idle connections, closed by stop
			Timeout:       DeliveryAttemptTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		ctx: ctx, cancel: cancel, changed: make(chan struct{}),
	}
}

// stop ends every delivery in progress (an attempt in flight is cancelled, a wait for a retry ends) and
// returns once they have.
func (d *deliverer) stop() {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
	d.http.CloseIdleConnections()
}

// notify sends a notification about rec to every endpoint, asynchronously. The caller holds s.mu (the
// record is read here, before the goroutines start).
func (s *Server) notify(typ client.NotificationType, rec *record, errs ...string) {
	d := s.hooks
	if len(d.cfg.endpoints) == 0 {
		return
	}
	data := client.ConnectionData{
		ProjectID: rec.conn.ProjectID, ConnectionID: rec.conn.ID, Provider: rec.conn.Provider,
		GroupRef: rec.conn.Group.GroupRef, ConsumerRef: rec.conn.Consumer.ConsumerRef,
		ConsumerName: rec.conn.Consumer.ConsumerName,
	}
	var payload any
	switch typ {
	case client.NotificationTypeConnectionCreated:
		payload = client.ConnectionCreatedNotificationPayload{NotificationType: typ, Data: data}
	case client.NotificationTypeConnectionUpdated:
		payload = client.ConnectionUpdatedNotificationPayload{NotificationType: typ, Data: data}
	case client.NotificationTypeConnectionRefreshed:
		payload = client.ConnectionRefreshedNotificationPayload{NotificationType: typ, Data: data}
	case client.NotificationTypeConnectionDeleted:
		payload = client.ConnectionDeletedNotificationPayload{NotificationType: typ, Data: data}
	case client.NotificationTypeConnectionError:
		payload = client.ConnectionErrorNotificationPayload{NotificationType: typ, Data: client.ConnectionErrorData{
			ProjectID: data.ProjectID, ConnectionID: data.ConnectionID, Provider: data.Provider,
			GroupRef: data.GroupRef, ConsumerRef: data.ConsumerRef, ConsumerName: data.ConsumerName, Errors: errs,
		}}
	default:
		panic("amptest: notify: unknown notification type " + string(typ))
	}
	body, err := json.Marshal(payload)
	if err != nil {
		panic("amptest: notify: " + err.Error()) // the generated models always encode
	}
	m := message{id: "msg_" + randomHex(12), typ: typ, body: body}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	d.sent++
	for _, ep := range d.cfg.endpoints {
		d.wg.Add(1)
		go d.deliver(m, ep)
	}
}

// deliver makes the attempts of one message to one endpoint, until one is answered with a 2xx, the schedule
// runs out or the server closes.
func (d *deliverer) deliver(m message, ep endpoint) {
	defer d.wg.Done()
	for attempt := 1; ; attempt++ {
		if d.attempt(m, ep, attempt) || attempt > len(d.cfg.schedule) || !sleep(d.ctx, d.cfg.schedule[attempt-1]) {
			return
		}
	}
}

// attempt sends m once (twice for a duplicate fault), records the outcome and reports whether it was
// delivered.
func (d *deliverer) attempt(m message, ep endpoint, n int) bool {
	f, faulted := d.takeFault(m.typ)
	if faulted && f.Kind == DeliveryDelay && !sleep(d.ctx, f.Delay) {
		return false
	}
	now := time.Now()
	signer := ep.signer
	if faulted && f.Kind == DeliveryBadSignature {
		signer = wrongSigner
	}
	rec := Delivery{
		MessageID: m.id, Type: m.typ, URL: ep.url, Attempt: n, Time: now, Body: m.body,
		Header: http.Header{
			"Content-Type":   {"application/json"},
			"User-Agent":     {"amptest-webhooks"},
			"Svix-Id":        {m.id},
			"Svix-Timestamp": {strconv.FormatInt(now.Unix(), 10)},
			"Svix-Signature": {signer.Sign(m.id, now, m.body)},
		},
		Fault: f.Kind, Faulted: faulted,
	}
	if faulted && f.Kind == DeliveryDrop {
		rec.Err = "dropped by a DeliveryDrop fault: never sent"
		d.add(rec)
		return false
	}
	sends := 1
	if faulted && f.Kind == DeliveryDuplicate {
		sends = 2
	}
	ok := false
	for range sends {
		r := d.post(ep.url, rec)
		d.add(r)
		ok = ok || r.OK()
	}
	return ok
}

// post sends one attempt and returns its record with the answer.
func (d *deliverer) post(to string, rec Delivery) Delivery {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, to, bytes.NewReader(rec.Body))
	if err != nil {
		rec.Err = err.Error()
		return rec
	}
	req.Header = rec.Header.Clone()
	resp, err := d.http.Do(req)
	if err != nil {
		rec.Err = err.Error()
		return rec
	}
	defer resp.Body.Close()
	rec.StatusCode = resp.StatusCode
	rec.Answer, _ = io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	return rec
}

// wrongSigner signs the attempts of a DeliveryBadSignature fault: a key no endpoint has.
var wrongSigner = func() *client.Webhook {
	w, err := client.NewWebhook("whsec_YW1wdGVzdDogbm90IHRoZSBlbmRwb2ludCdzIHNlY3JldA==")
	if err != nil {
		panic(err)
	}
	return w
}()

func (d *deliverer) add(rec Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.records) == maxDeliveries {
		// A new array: WaitForDelivery reads snapshots of the old one without the lock.
		d.records = append(make([]Delivery, 0, maxDeliveries), d.records[1:]...)
	}
	d.records = append(d.records, rec)
	close(d.changed)
	d.changed = make(chan struct{})
}

// sleep waits for t; it returns false when ctx ends first.
func sleep(ctx context.Context, t time.Duration) bool {
	timer := time.NewTimer(t)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Deliveries returns every delivery attempt so far (the newest 1000), oldest first. The headers and bodies
// are copies.
func (s *Server) Deliveries() []Delivery {
	d := s.hooks
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Delivery, len(d.records))
	for i, r := range d.records {
		out[i] = cloneDelivery(r)
	}
	return out
}

func cloneDelivery(r Delivery) Delivery {
	r.Header = r.Header.Clone()
	r.Body = bytes.Clone(r.Body)
	r.Answer = bytes.Clone(r.Answer)
	return r
}

// WaitForDelivery returns the first delivery attempt, already recorded or still to come, for which match
// returns true, or ctx's error once ctx ends. It never sleeps: it wakes when an attempt is recorded. For
// example, the first connection.created that the endpoint accepted:
//
//	d, err := srv.WaitForDelivery(ctx, func(d amptest.Delivery) bool {
//		return d.Type == client.NotificationTypeConnectionCreated && d.OK()
//	})
func (s *Server) WaitForDelivery(ctx context.Context, match func(Delivery) bool) (Delivery, error) {
	d := s.hooks
	for {
		d.mu.Lock()
		records, changed := d.records, d.changed
		d.mu.Unlock()
		for _, r := range records {
			if match(cloneDelivery(r)) {
				return cloneDelivery(r), nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Delivery{}, fmt.Errorf("amptest: WaitForDelivery: %w", ctx.Err())
		}
	}
}
