package scenarios

import (
	"fmt"
	"slices"

	"github.com/lblab/lblab/internal/topology"
)

// All returns every check in topology.ScenarioNames order.
func All() []Check {
	return []Check{
		checkBGPSessions(),
		checkLBIPAllocated(),
		checkECMPRIB(),
		checkECMPFIB(),
		checkReachability(),
		checkDataplaneRules(),
		checkWithdrawOnDelete(),
		checkETPLocal(),
		checkSourceRanges(),
		checkNodeFailover(),
	}
}

// Select returns the named checks in the order given; unknown names are an
// error that lists the known ones.
func Select(names []string) ([]Check, error) {
	all := All()
	var out []Check
	for _, n := range names {
		i := slices.IndexFunc(all, func(c Check) bool { return c.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown scenario %q (known: %v)", n, topology.ScenarioNames)
		}
		out = append(out, all[i])
	}
	return out, nil
}
