// Package table prints kubectl-style tables (no borders, upper-case headers)
// with olekukonko/tablewriter, for every lblab verb that lists things.
package table
