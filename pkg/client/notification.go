package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Notification is a verified notification from Ampersand, as Webhook.Verify, VerifyRequest and Handler
// return it.
//
// Payload holds the decoded body, whose Go type follows Type:
//
//	switch p := n.Payload.(type) {
//	case *client.ConnectionCreatedNotificationPayload:   // connection.created: p.Data.ConnectionID …
//	case *client.ConnectionUpdatedNotificationPayload:   // connection.updated
//	case *client.ConnectionRefreshedNotificationPayload: // connection.refreshed
//	case *client.ConnectionDeletedNotificationPayload:   // connection.deleted
//	case *client.ConnectionErrorNotificationPayload:     // connection.error: p.Data.Errors
//	case *client.UnknownNotification:                    // any other notificationType, with its raw JSON
//	}
//
// A notification of a type this package does not know (installation.created, read.backfill.done, a type
// added later …) is an *UnknownNotification, never an error, so a new type on the sender's side breaks no
// receiver.
//
// # Duplicates
//
// A sender retries a message until an attempt is answered with a 2xx, and a 2xx can be lost on the way
// back, so the same message can arrive more than once. Every attempt of one message carries the same ID (a
// fresh Timestamp and signature each time): a receiver that must act once per message records the IDs it
// has handled (for at least as long as the sender retries; Svix retries for up to about a day) and skips one
// it has seen, ideally in the same transaction as the action.
type Notification struct {
	ID        string           // the message id (svix-id or webhook-id): the same for every retry of a message
	Timestamp time.Time        // when this attempt was signed (svix-timestamp or webhook-timestamp)
	Type      NotificationType // the body's notificationType, known to this package or not
	Payload   any              // one of the payload types above, or *UnknownNotification
	Body      []byte           // the verified raw body
	// Issues are the repairs of a body that drifts from the schema (a property absent, null or of the wrong
	// type, kept at its zero value), as for API replies; WithWebhookStrictDecoding makes any an error.
	Issues []DecodeIssue
}

// UnknownNotification is the Payload of a notification whose notificationType this package does not decode:
// its Type and its whole raw JSON body, for the program to decode itself.
type UnknownNotification struct {
	Type string
	Raw  json.RawMessage
}

// decodeNotification decodes a verified body into its payload type, by the SDK's decoding policy (see
// DecodeIssue): a property that is absent, null or of the wrong type keeps its zero value and is reported in
// Notification.Issues, or, with WithWebhookStrictDecoding, fails with ErrWebhookMalformedBody. A body that is
// no JSON object, or has no notificationType, fails in both modes.
func decodeNotification(id string, t time.Time, body []byte, strict bool) (*Notification, error) {
	var head struct {
		NotificationType *string `json:"notificationType"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWebhookMalformedBody, err)
	}
	if head.NotificationType == nil {
		return nil, fmt.Errorf("%w: no notificationType", ErrWebhookMalformedBody)
	}
	n := &Notification{ID: id, Timestamp: t, Type: NotificationType(*head.NotificationType), Body: body}
	c, ok := notificationCodecs[n.Type]
	if !ok {
		n.Payload = &UnknownNotification{Type: *head.NotificationType, Raw: json.RawMessage(body)}
		return n, nil
	}
	payload := reflect.New(c.typ)
	rep := &report{op: string(n.Type), strict: strict}
	d := newDecoder(bytes.NewReader(body), rep)
	defer d.release()
	err := d.start('{', "a notification object")
	if err == nil {
		_, err = d.value(c, payload.Elem())
	}
	if err == nil {
		err = d.end()
	}
	if err == nil {
		err = rep.strictError()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrWebhookMalformedBody, n.Type, err)
	}
	n.Payload, n.Issues = payload.Interface(), rep.issues
	return n, nil
}

// notificationCodecs are the decoders of the payload types, by notification type.
var notificationCodecs = map[NotificationType]*codec{
	NotificationTypeConnectionCreated:   codecOf(reflect.TypeFor[ConnectionCreatedNotificationPayload]()),
	NotificationTypeConnectionUpdated:   codecOf(reflect.TypeFor[ConnectionUpdatedNotificationPayload]()),
	NotificationTypeConnectionRefreshed: codecOf(reflect.TypeFor[ConnectionRefreshedNotificationPayload]()),
	NotificationTypeConnectionDeleted:   codecOf(reflect.TypeFor[ConnectionDeletedNotificationPayload]()),
	NotificationTypeConnectionError:     codecOf(reflect.TypeFor[ConnectionErrorNotificationPayload]()),
}
