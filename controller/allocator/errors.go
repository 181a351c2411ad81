package allocator

import (
	"errors"
	"strings"
)

// Reason classifies allocation failures (event reasons and metric labels).
type Reason string

// Failure reasons.
const (
	ReasonExhausted      Reason = "PoolExhausted"     // no free address of a family
	ReasonNoPool         Reason = "NoPool"            // no pool the Service may use
	ReasonUnknownPool    Reason = "UnknownPool"       // the requested pool does not exist
	ReasonPoolNotAllowed Reason = "PoolNotAllowed"    // the pool's selectors exclude the Service
	ReasonNotInPool      Reason = "NotInPool"         // a requested address is in no (or another) pool
	ReasonInUse          Reason = "IPInUse"           // a requested address is used and cannot be shared
	ReasonBuggyIP        Reason = "BuggyIP"           // a requested .0/.255 address in an avoidBuggyIPs pool
	ReasonNoFamily       Reason = "FamilyUnavailable" // the pool has no address of a family the Service needs
	ReasonInvalid        Reason = "InvalidRequest"    // the request contradicts itself
)

// Error is an allocation failure with a reason and a message for people.
type Error struct {
	Reason  Reason
	Message string
}

func (e *Error) Error() string { return e.Message }

func fail(r Reason, msg string) *Error { return &Error{Reason: r, Message: msg} }

// ReasonOf returns the reason of an allocation error, or "" for others.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// combine merges the failures of several candidate pools: when one was
// exhausted, exhaustion is the reason (that pool would have served);
// otherwise the first pool's reason.
func combine(errs []*Error) *Error {
	if len(errs) == 1 {
		return errs[0]
	}
	reason := errs[0].Reason
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Message
		if e.Reason == ReasonExhausted {
			reason = ReasonExhausted
		}
	}
	return fail(reason, "no IPPool can give this Service its addresses: "+strings.Join(msgs, "; "))
}
