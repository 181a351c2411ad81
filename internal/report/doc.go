// Package report renders `lblab verify` results: a table for people (one
// row per check with its status, duration and a short evidence summary),
// JSON with the full evidence, JUnit XML for CI, and one self-contained
// HTML page (inline CSS and SVG: the lab's graph, every check with its
// evidence, and node-failover's timeline of client requests).
package report
