package netns

import "testing"

func TestSpeakerArgv(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want bool
	}{
		{[]string{"/work/bin/lblab", "speaker", "--node=node1"}, true},
		{[]string{"/root/.cache/lblab/metallb/v0.15.2/bin/speaker", "--port=7473"}, true},
		{[]string{"/root/.cache/lblab/metallb/v0.15.2/bin/metallb-speaker", "--port=7473", "--node-name=node1"}, true},
		{[]string{"/root/.cache/lblab/metallb/v0.15.2/bin/metallb-controller", "--port=7472"}, false},
		{[]string{"/root/.cache/lblab/kube-vip/v1.0.0/bin/kube-vip", "manager"}, true},
		{[]string{"/root/.cache/lblab/kube-vip/v1.0.0/bin/kube-vip", "manifest", "rbac"}, false},
		{[]string{"/work/bin/lblab", "controller"}, false},
		{[]string{"/root/.cache/lblab/metallb/v0.15.2/bin/controller", "--port=7472"}, false},
		{[]string{"sh", "-c", "speaker"}, false},
		{[]string{"/usr/sbin/nginx", "-c", "speaker.conf"}, false},
		{nil, false},
	} {
		if got := speakerArgv(tc.argv); got != tc.want {
			t.Errorf("speakerArgv(%q) = %v, want %v", tc.argv, got, tc.want)
		}
	}
}
