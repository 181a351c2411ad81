package speaker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// statusDebounce gathers the changes of a burst into one write.
const statusDebounce = 100 * time.Millisecond

// statusLoop writes the SpeakerStatus after changes, at most once per
// StatusInterval, and again after a failed write.
func (s *Speaker) statusLoop(ctx context.Context) {
	var (
		last    time.Time
		written *v1alpha1.SpeakerStatusStatus
	)
	s.kickStatus()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.statusKick:
		}
		wait := max(statusDebounce, s.cfg.StatusInterval-time.Since(last))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		last = time.Now()
		st, err := s.statusNow(ctx)
		if err == nil && written != nil && sameStatus(*written, st) {
			continue
		}
		if err == nil {
			err = s.writeStatus(ctx, st)
		}
		if err != nil {
			s.log.Error("failed to write SpeakerStatus; retrying", "error", err)
			time.AfterFunc(s.cfg.StatusInterval, s.kickStatus)
			continue
		}
		written = &st
	}
}

// statusNow is the speaker's status as it is now.
func (s *Speaker) statusNow(ctx context.Context) (v1alpha1.SpeakerStatusStatus, error) {
	st := v1alpha1.SpeakerStatusStatus{Node: s.cfg.Node, LastUpdate: metav1.Now()}
	if s.cfg.L2 != nil {
		st.L2 = s.cfg.L2.Owned()
	}
	s.mu.Lock()
	ann := s.ann
	s.mu.Unlock()
	if ann == nil {
		return st, nil
	}
	sessions, err := ann.Sessions(ctx)
	if err != nil {
		return st, err
	}
	for _, x := range sessions {
		bs := v1alpha1.BGPSessionStatus{Peer: x.Peer, PeerAddress: x.Address.String(), State: x.State, PrefixesAdvertised: x.Advertised, BFD: x.BFD}
		if !x.Since.IsZero() {
			t := metav1.NewTime(x.Since.Truncate(time.Second))
			bs.Since = &t
		}
		st.Sessions = append(st.Sessions, bs)
	}
	advs := ann.Advertised()
	prefixes := make([]netip.Prefix, len(advs))
	for i, a := range advs {
		prefixes[i] = a.Prefix
	}
	slices.SortFunc(prefixes, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	for _, p := range prefixes {
		st.Advertised = append(st.Advertised, p.String())
	}
	return st, nil
}

func sameStatus(a, b v1alpha1.SpeakerStatusStatus) bool {
	a.LastUpdate, b.LastUpdate = metav1.Time{}, metav1.Time{}
	return reflect.DeepEqual(a, b)
}

// writeStatus replaces the status of the node's SpeakerStatus, creating
// the object (owned by the Node, so it goes away with it) the first time.
// One JSON patch, without reading the object first: at thousands of
// prefixes a read, a conversion and an update of the whole object cost the
// speaker and the API server several times what the write does. The
// speaker is the object's only writer.
func (s *Speaker) writeStatus(ctx context.Context, st v1alpha1.SpeakerStatusStatus) error {
	patch, err := json.Marshal([]jsonPatchOp{{Op: "add", Path: "/status", Value: st}})
	if err != nil {
		return err
	}
	c := s.cfg.Dynamic.Resource(SpeakerStatusesResource)
	_, err = c.Patch(ctx, s.cfg.Node, types.JSONPatchType, patch, metav1.PatchOptions{}, "status")
	if apierrors.IsNotFound(err) {
		if err := s.createStatusObject(ctx); err != nil {
			return err
		}
		_, err = c.Patch(ctx, s.cfg.Node, types.JSONPatchType, patch, metav1.PatchOptions{}, "status")
	}
	if err != nil {
		return fmt.Errorf("failed to update SpeakerStatus %s: %w", s.cfg.Node, err)
	}
	return nil
}

// jsonPatchOp is one operation of an RFC 6902 JSON patch. "add" of an
// existing member replaces it.
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func (s *Speaker) createStatusObject(ctx context.Context) error {
	obj := &v1alpha1.SpeakerStatus{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "SpeakerStatus"},
		ObjectMeta: metav1.ObjectMeta{Name: s.cfg.Node, Labels: map[string]string{"app.kubernetes.io/name": "lblab-speaker"}},
	}
	s.mu.Lock()
	uid := s.st.node.uid
	s.mu.Unlock()
	if uid != "" {
		obj.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: s.cfg.Node, UID: uid}}
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	_, err = s.cfg.Dynamic.Resource(SpeakerStatusesResource).Create(ctx, &unstructured.Unstructured{Object: m}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create SpeakerStatus %s: %w", s.cfg.Node, err)
	}
	return nil
}
