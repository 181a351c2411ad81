package speaker

import (
	"slices"
	"testing"
)

func TestSetSlice(t *testing.T) {
	ready := readiness{any: true}
	local := readiness{any: true, local: true}
	type step struct {
		name    string
		r       readiness
		deleted bool
		changed bool
		want    []sliceReadiness // the Service's slices after the step
	}
	tests := []struct {
		desc  string
		steps []step
	}{{
		desc: "add, repeat, change",
		steps: []step{
			{name: "a", r: ready, changed: true, want: []sliceReadiness{{"a", ready}}},
			{name: "a", r: ready, changed: false, want: []sliceReadiness{{"a", ready}}},
			{name: "a", r: local, changed: true, want: []sliceReadiness{{"a", local}}},
		},
	}, {
		desc: "two slices, delete one, then the other",
		steps: []step{
			{name: "a", r: ready, changed: true, want: []sliceReadiness{{"a", ready}}},
			{name: "b", r: local, changed: true, want: []sliceReadiness{{"a", ready}, {"b", local}}},
			{name: "a", deleted: true, changed: true, want: []sliceReadiness{{"b", local}}},
			{name: "b", deleted: true, changed: true, want: nil},
		},
	}, {
		desc:  "delete of an unknown slice",
		steps: []step{{name: "a", deleted: true, changed: false, want: nil}},
	}}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			st := newState("node1")
			for i, s := range tt.steps {
				if got := st.setSlice("ns/web", s.name, s.r, s.deleted); got != s.changed {
					t.Errorf("step %d: setSlice(%q, deleted=%v) = %v, want %v", i, s.name, s.deleted, got, s.changed)
				}
				got, ok := st.slices["ns/web"]
				if !slices.Equal(got, s.want) || ok != (s.want != nil) {
					t.Errorf("step %d: slices = %v (present %v), want %v", i, got, ok, s.want)
				}
			}
		})
	}
}
