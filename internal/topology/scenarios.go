package topology

// The names of the checks `lblab verify` runs. This is the one list of
// them: topology files are validated against it, and package scenarios
// maps each name to its check (and refuses to start when one is missing).
const (
	ScenarioBGPSessions      = "bgp-sessions"
	ScenarioLBIPAllocated    = "lb-ip-allocated"
	ScenarioECMPRIB          = "ecmp-rib"
	ScenarioECMPFIB          = "ecmp-fib"
	ScenarioL2Owner          = "l2-owner"
	ScenarioReachability     = "reachability"
	ScenarioDataplaneRules   = "dataplane-rules"
	ScenarioWithdrawOnDelete = "withdraw-on-delete"
	ScenarioETPLocal         = "etp-local"
	ScenarioSourceRanges     = "source-ranges"
	ScenarioLBClass          = "lb-class"
	ScenarioNodeFailover     = "node-failover"
	ScenarioL2Failover       = "l2-failover"
	// External load balancer labs (externalLB).
	ScenarioExternalLBBackends = "external-lb-backends"
	ScenarioNodePortOnly       = "nodeport-only"
	// Labs with an API server VIP (controlPlane).
	ScenarioCPVIP      = "cp-vip"
	ScenarioCPFailover = "cp-failover"
)

// ScenarioNames are the check names, in the order they run.
var ScenarioNames = []string{
	ScenarioBGPSessions,
	ScenarioLBIPAllocated,
	ScenarioECMPRIB,
	ScenarioECMPFIB,
	ScenarioL2Owner,
	ScenarioExternalLBBackends,
	ScenarioNodePortOnly,
	ScenarioCPVIP,
	ScenarioReachability,
	ScenarioDataplaneRules,
	ScenarioWithdrawOnDelete,
	ScenarioETPLocal,
	ScenarioSourceRanges,
	ScenarioLBClass,
	ScenarioNodeFailover,
	ScenarioL2Failover,
	ScenarioCPFailover,
}
