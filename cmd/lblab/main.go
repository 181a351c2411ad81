// Command lblab reproduces and tests Kubernetes LoadBalancer topologies.
// It is also the bundled controller and speaker; see internal/cli.
package main

import (
	"os"

	"github.com/lblab/lblab/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
