// Package lab brings labs up and down over a Backend.
//
// It owns what is common to every backend: the lab's state directory (one
// per lab under the user's state dir), the ordered bring-up with progress
// lines, the Backend and Node abstractions, and the lab-wide lock that keeps
// two concurrent `up`s from picking the same addresses.
//
// A Backend (netns, kind) owns everything it creates and finds it again from
// the lab's name, so Delete works after an `up` that was killed halfway.
package lab
