package speaker

import (
	"net/netip"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
)

// TestTrimmedObjectsWorkInInformers: the trimmed objects give the informer
// machinery what it reads (key, resourceVersion) and deep-copy apart.
func TestTrimmedObjectsWorkInInformers(t *testing.T) {
	svc := lbService("web", webIP)
	svc.ResourceVersion = "42"
	es := slice("web", "web-1", ep{me, ready})
	es.ResourceVersion = "43"
	trimmedSvc, err := trimService(svc)
	if err != nil {
		t.Fatal(err)
	}
	trimmedSlice, err := trimSlice(me)(es)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		obj       any
		key, rv   string
		transform func(any) (any, error)
	}{
		{trimmedSvc, "default/web", "42", trimService},
		{trimmedSlice, "default/web-1", "43", trimSlice(me)},
	} {
		if key, err := cache.MetaNamespaceKeyFunc(tt.obj); err != nil || key != tt.key {
			t.Errorf("key of %T = %q (%v), want %q", tt.obj, key, err, tt.key)
		}
		m, err := meta.Accessor(tt.obj)
		if err != nil || m.GetResourceVersion() != tt.rv {
			t.Errorf("resourceVersion of %T = %v (%v), want %s", tt.obj, m, err, tt.rv)
		}
		if again, _ := tt.transform(tt.obj); again != tt.obj {
			t.Errorf("transforming a trimmed %T again changed it", tt.obj)
		}
	}

	cs := trimmedSvc.(*cachedService)
	if !cs.announce || len(cs.svc.ips) != 1 || cs.svc.ips[0] != netip.MustParseAddr(webIP[0]) {
		t.Errorf("trimmed Service = %+v, want announceable with %v", cs, webIP)
	}
	cp := cs.DeepCopyObject().(*cachedService)
	cp.svc.ips[0] = netip.MustParseAddr("192.0.2.1")
	if cs.svc.ips[0] != netip.MustParseAddr(webIP[0]) {
		t.Error("the deep copy of a trimmed Service shares its addresses")
	}
	sl := trimmedSlice.(*cachedSlice)
	if sl.service != "default/web" || !sl.ready.local {
		t.Errorf("trimmed slice = %+v, want a local ready endpoint of default/web", sl)
	}
}
