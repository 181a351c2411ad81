package haproxy

import (
	"net/netip"
	"strings"
	"testing"
)

// TestFilterState: only servers the next configuration has under the same
// backend, name, address and port keep their health across a reload.
func TestFilterState(t *testing.T) {
	state := "1\n" +
		"# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord\n" +
		"3 web_v4 1 node1 10.0.0.11 0 0 1 1 5 8 2 0 6 0 0 0 - 30080 -\n" +
		"3 web_v4 2 node2 10.0.0.12 2 0 1 1 9 15 3 3 6 0 0 0 - 30080 -\n" +
		"4 web_v6 1 node1 fd00::11 0 0 1 1 5 8 2 0 6 0 0 0 - 30080 -\n" +
		"5 gone_v4 1 node1 10.0.0.11 0 0 1 1 5 8 2 0 6 0 0 0 - 31000 -\n"
	ap := netip.MustParseAddrPort
	cfg := Config{Frontends: []Frontend{
		{Name: "web_v4", Servers: []Server{{Name: "node1", Addr: ap("10.0.0.11:30080")}, {Name: "node2", Addr: ap("10.0.0.12:30081")}}},
		{Name: "web_v6", Servers: []Server{{Name: "node1", Addr: ap("[fd00::11]:30080")}}},
	}}
	got := string(FilterState([]byte(state), cfg))
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 4 || lines[0] != "1" || !strings.HasPrefix(lines[1], "# be_id") ||
		!strings.HasPrefix(lines[2], "3 web_v4 1 node1 ") || !strings.HasPrefix(lines[3], "4 web_v6 1 node1 ") {
		t.Errorf("kept:\n%s\nwant the version, the header, web_v4/node1 and web_v6/node1 (node2's port changed, gone_v4 is gone)", got)
	}
	if out := FilterState(nil, cfg); len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("an empty state became %q", out)
	}
}
