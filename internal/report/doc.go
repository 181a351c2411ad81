// Package report renders `lblab verify` results: a table for people (one
// row per check with its status, duration and a short evidence summary),
// JSON with the full evidence, and JUnit XML for CI.
package report
