package main

// The CSV files a run writes. Every one goes through encoding/csv: a header
// row, then one row per record, "\n" line ends, and a field quoted only
// when it needs it (a comma, a quote, a line break, a leading space), so a
// layer name that heads a column reads back as it is. Numbers are written
// by formatFloat.

import (
	"encoding/csv"
	"io"
	"math"
	"slices"
	"strconv"
)

// writeCSV writes the header row and then the rows.
func writeCSV(w io.Writer, header []string, rows ...[]string) error {
	cw := csv.NewWriter(w)
	cw.Write(header) // an error sticks in cw until Flush
	for _, r := range rows {
		cw.Write(r)
	}
	cw.Flush()
	return cw.Error()
}

// formatFloat writes a float so that it reads back exactly, and writes
// NaN and infinities as nan, inf and -inf (what numpy and pandas read).
func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// CSVHeader is the header row of WriteCSV.
func (ri *RunInfo) CSVHeader() []string {
	h := []string{"epoch", "loss_train", "acc_train", "loss_test", "acc_test"}
	for _, name := range ri.Linear {
		h = append(h, "wamp_"+name)
	}
	return h
}

// CSVRow is the row of WriteCSV for one epoch.
func (ri *RunInfo) CSVRow(e EpochInfo) []string {
	r := []string{strconv.Itoa(e.Epoch), formatFloat(e.LossTrain), formatFloat(e.AccTrain), formatFloat(e.LossTest), formatFloat(e.AccTest)}
	for _, a := range e.WeightAmp {
		r = append(r, formatFloat(a))
	}
	return r
}

// WriteCSV writes the run info with a header row, one row per epoch
// (epoch 0 is the initial network). Accuracies are fractions in [0, 1];
// wamp_<layer> is that linear layer's mean |W| divided by its initial value.
func (ri *RunInfo) WriteCSV(w io.Writer) error {
	rows := make([][]string, len(ri.Epochs))
	for i, e := range ri.Epochs {
		rows[i] = ri.CSVRow(e)
	}
	return writeCSV(w, ri.CSVHeader(), rows...)
}

// WriteWeightsCSV writes only the weight amplitudes: epoch, then one column
// per linear layer (every column is 1 in the initial row).
func (ri *RunInfo) WriteWeightsCSV(w io.Writer) error {
	rows := make([][]string, len(ri.Epochs))
	for i, e := range ri.Epochs {
		rows[i] = slices.Delete(ri.CSVRow(e), 1, 5) // WriteCSV's row without the losses and accuracies
	}
	return writeCSV(w, append([]string{"epoch"}, ri.Linear...), rows...)
}
