//go:build race

package main

// The race detector's runtime allocates for its own bookkeeping when
// goroutines synchronize, so allocation counts across threads mean nothing
// under -race (see TestTrainingStepAllocatesNothing).
func init() { raceDetector = true }
