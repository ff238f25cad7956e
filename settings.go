package main

// The settings of a run: what the command line asked for (main.go parses
// and validates it), a plain value that every step of a run may read.

import (
	"strconv"
	"strings"
)

// usageError is a problem with the command line, found while parsing it
// or while making its directories ready before any work: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// settings is what the command line asked for, validated (parseFlags, with
// a loaded network's settings restored): a plain value.
type settings struct {
	exp    string // the experiment's name
	epochs int
	batch  int
	eta    float64
	etaSet bool   // -eta was given (spiral then runs that eta only)
	seed   uint32 // numpy's RandomState takes seeds from 0 to 2³² − 1
	out    string
	writes bool // the experiment writes files into out (gradcheck does not)
	quiet  bool
	// shuffle reorders the training samples every epoch, drawing from
	// the generator that drew the weights (the lab: batches in order).
	shuffle bool
	tol     float64 // -exp gradcheck: the largest relative error that passes
	save    string  // -save FILE: write the trained network there ("": don't)
	load    string  // -load FILE: start from this network instead of a new one
	plot    bool    // write pictures (SVG, PNG) and the HTML page

	// MNIST only.
	dataDir  string // -data; "" means $MNIST_DIR, else ./data/mnist
	download bool   // fetch missing files from a public mirror
	limit    int    // train on the first limit images (0: all)
	hidden   []int  // hidden layer widths
	naive    bool   // Assignment 1 pipeline: Softmax layer + plain cross-entropy
}

// defaultOut is -out's default.
const defaultOut = "out"

// etaLabel formats a learning rate the way the command line takes it.
func etaLabel(eta float64) string { return strconv.FormatFloat(eta, 'g', -1, 64) }

// joinEtas writes learning rates as a list: 0.2, 1, 5.
func joinEtas(etas []float64) string {
	s := make([]string, len(etas))
	for i, e := range etas {
		s[i] = etaLabel(e)
	}
	return strings.Join(s, ", ")
}
