// Command speaker-bench measures the controller of a lab that is already
// up, with internal/bench (what `lblab bench` runs on labs of its own), and
// prints the report. hack/bench/speaker.sh brings the lab up first, with
// whatever flags the figure needs (--node-kernel uml, for one).
//
// -controller self measures lblab's speakers alone: the bench writes each
// Service's status as the controller would; -start-speakers runs `lblab
// speaker` in every node of a lab brought up with --controller none.
//
//	go run ./hack/bench/speaker -lab spk-bench -controller metallb
//
// It needs root, a lab with Kubernetes, and tcpdump. It prints figures and
// asserts nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/bench"
	"github.com/lblab/lblab/internal/lab"
)

func main() {
	var (
		o             bench.Options
		churn, lblab  string
		startSpeakers bool
	)
	flag.StringVar(&o.Lab, "lab", "", "lab name (a lab with Kubernetes)")
	flag.StringVar(&o.Controller, "controller", "lblab", "the lab's controller: lblab, metallb, kube-vip, or self (the bench writes the status)")
	flag.IntVar(&o.Latency, "services", 100, "Services in the latency phase (created one at a time)")
	flag.StringVar(&churn, "churn", "1000,5000", "churn sizes, comma-separated")
	flag.IntVar(&o.Parallel, "parallel", 8, "parallel API clients in the churn phases")
	flag.BoolVar(&startSpeakers, "start-speakers", false, "self mode: start `lblab speaker` in every eligible node (when the lab runs none)")
	flag.StringVar(&lblab, "lblab", "bin/lblab", "lblab binary for -start-speakers")
	flag.DurationVar(&o.ChurnWait, "churn-wait", 2*time.Minute, "how long a churn waits for every route in the TOR's FIB")
	flag.DurationVar(&o.Hold, "hold", 0, "keep each churn's Services this long before deleting them (to profile the speakers)")
	flag.Parse()
	if o.Lab == "" {
		fmt.Fprintln(os.Stderr, "usage: speaker-bench -lab NAME [-controller lblab|metallb|kube-vip|self [-start-speakers]]")
		os.Exit(2)
	}
	for _, s := range strings.Split(churn, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			o.Churn = append(o.Churn, n)
		}
	}
	o.Progress = os.Stderr
	if err := run(o, startSpeakers, lblab); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

func run(o bench.Options, startSpeakers bool, lblab string) error {
	if startSpeakers {
		t, err := lab.LoadTopology(o.Lab)
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "speaker-bench-")
		if err != nil {
			return err
		}
		var nodes []string
		for _, n := range t.Nodes.Workers() {
			nodes = append(nodes, n.Name)
		}
		cmds, err := bench.StartSpeakers(lblab, o.Lab, lab.Kubeconfig(o.Lab), dir, nodes)
		defer bench.StopSpeakers(cmds)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "speaker logs in %s\n", dir)
	}
	res, err := bench.Run(context.Background(), o)
	if err != nil {
		return err
	}
	res.Version = o.Controller
	return bench.WriteTable(os.Stdout, []*bench.Result{res})
}
