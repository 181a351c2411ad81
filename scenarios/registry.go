package scenarios

import (
	"fmt"
	"slices"
	"sort"

	"github.com/lblab/lblab/internal/topology"
)

// registry maps each name of topology.ScenarioNames (the one list of
// check names) to the function that builds its check; All names each
// check from the key. init refuses a registry that misses a name or has
// one the list lacks.
var registry = map[string]func() Check{
	topology.ScenarioBGPSessions:        checkBGPSessions,
	topology.ScenarioLBIPAllocated:      checkLBIPAllocated,
	topology.ScenarioECMPRIB:            checkECMPRIB,
	topology.ScenarioECMPFIB:            checkECMPFIB,
	topology.ScenarioL2Owner:            checkL2Owner,
	topology.ScenarioReachability:       checkReachability,
	topology.ScenarioDataplaneRules:     checkDataplaneRules,
	topology.ScenarioWithdrawOnDelete:   checkWithdrawOnDelete,
	topology.ScenarioETPLocal:           checkETPLocal,
	topology.ScenarioSourceRanges:       checkSourceRanges,
	topology.ScenarioLBClass:            checkLBClass,
	topology.ScenarioNodeFailover:       checkNodeFailover,
	topology.ScenarioL2Failover:         checkL2Failover,
	topology.ScenarioExternalLBBackends: checkExternalLBBackends,
	topology.ScenarioNodePortOnly:       checkNodePortOnly,
	topology.ScenarioCPVIP:              checkCPVIP,
	topology.ScenarioCPFailover:         checkCPFailover,
}

func init() {
	if err := registryComplete(topology.ScenarioNames, registry); err != nil {
		panic(err)
	}
}

// registryComplete reports names without a check and checks without a name.
func registryComplete(names []string, reg map[string]func() Check) error {
	var missing, unknown []string
	for _, n := range names {
		if reg[n] == nil {
			missing = append(missing, n)
		}
	}
	for n := range reg {
		if !slices.Contains(names, n) {
			unknown = append(unknown, n)
		}
	}
	sort.Strings(unknown)
	if len(missing) > 0 || len(unknown) > 0 {
		return fmt.Errorf("scenarios: no check for %v; checks not in topology.ScenarioNames: %v", missing, unknown)
	}
	return nil
}

// All returns every check in topology.ScenarioNames order.
func All() []Check {
	out := make([]Check, 0, len(topology.ScenarioNames))
	for _, n := range topology.ScenarioNames {
		c := registry[n]()
		c.Name = n
		out = append(out, c)
	}
	return out
}

// Select returns the named checks in the order given; unknown names are an
// error that lists the known ones.
func Select(names []string) ([]Check, error) {
	var out []Check
	for _, n := range names {
		build, ok := registry[n]
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q (known: %v)", n, topology.ScenarioNames)
		}
		c := build()
		c.Name = n
		out = append(out, c)
	}
	return out, nil
}
