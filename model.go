package main

// Saved models: a network written to a JSON file (-save) and read back
// (-load) to evaluate it or to train it further.
//
// The format, version 2 (docs/model-format.md):
//
//	{
//	  "format": "backprop-mlp",
//	  "version": 2,
//	  "meta": {"experiment": "xor", "epochs": 300, "batch": 4, "eta": 0.1, "seed": 1234, ...},
//	  "inputs": 2,
//	  "layers": [
//	    {"kind": "linear", "name": "Linear_1", "inputs": 2, "units": 4,
//	     "W": [[w11, w12, w13, w14],
//	           [w21, w22, w23, w24]],
//	     "B": [b1, b2, b3, b4]},
//	    {"kind": "relu", "name": "ReLU_1"},
//	    ...
//	  ],
//	  "loss": {"kind": "cross-entropy", "name": "CE"},
//	  "output_layers": [{"kind": "softmax", "name": "Softmax_OUT"}]
//	}
//
// Layer kinds are "linear", "relu" and "softmax"; loss kinds are
// "cross-entropy" (LossCrossEntropy) and "softmax-cross-entropy"
// (LossCrossEntropyForSoftmaxLogits). W has one row per input of the layer,
// as the Matrix does. Numbers are written in Go's shortest form that reads
// back to the same float64, so a saved network is restored bit for bit.
//
// JSON has no NaN or infinity. A network with such a parameter has
// diverged and is useless to resume, so SaveModel refuses it with an error
// that names the parameter, instead of inventing an encoding for it.
//
// encoding/json reads and writes the values; strictJSON adds what it lets
// pass: a key must be spelt as above, case included (encoding/json alone
// would take "w" for "W"), no value may be null (it would read as 0), and
// no key may appear twice. Version 1 files (without the settings that
// version 2 added to meta) are read as well.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"unicode"
)

// modelFormat and modelVersion identify the files this program writes. A
// change that older programs cannot read must raise the version.
const (
	modelFormat  = "backprop-mlp"
	modelVersion = 2
)

// ModelMeta records where a saved network came from: everything that shaped
// its training, so that -load can restore it and resume the run.
type ModelMeta struct {
	Experiment string `json:"experiment"`
	Epochs     int    `json:"epochs"` // epochs trained so far, over every run
	// The settings of the latest run, which -load restores (0 or absent in
	// a version 1 file: not recorded).
	Batch    int     `json:"batch"`
	Eta      float64 `json:"eta"`
	Seed     uint64  `json:"seed"`
	Shuffle  bool    `json:"shuffle,omitempty"`
	Limit    int     `json:"limit,omitempty"`    // mnist: -limit (0: every training image)
	Hidden   []int   `json:"hidden,omitempty"`   // mnist: the hidden widths (as the layers have them)
	Pipeline string  `json:"pipeline,omitempty"` // mnist: "stable" or "naive" (as the layers are)
	// RNG is the generator's state after the last epoch when the run
	// shuffled: the resumed run draws on from there.
	RNG *rngState `json:"rng,omitempty"`
	// Files holds the SHA-256 of each CSV the latest run wrote, by name:
	// a resumed run keeps the earlier rows of the files that still match.
	Files map[string]string `json:"files,omitempty"`
	// Stopped is set when a signal stopped the latest run (always at the
	// end of an epoch); Note then says where.
	Stopped bool   `json:"stopped,omitempty"`
	Note    string `json:"note,omitempty"`
	// History lists every run that trained this network, oldest first
	// (a resumed network may have changed eta or the batch size).
	History []ModelRun `json:"history,omitempty"`
	// InitMeanAbsW is mean |W| of each linear layer of the network as it
	// was first built, so that a resumed run's weight amplitudes (the
	// wamp_ columns) continue the curve instead of restarting at 1.
	InitMeanAbsW []float64 `json:"init_mean_abs_w,omitempty"`
}

// ModelRun is one training run in ModelMeta.History.
type ModelRun struct {
	Epochs  int     `json:"epochs"`
	Batch   int     `json:"batch"`
	Eta     float64 `json:"eta"`
	Seed    uint64  `json:"seed"`
	Shuffle bool    `json:"shuffle,omitempty"`
	Limit   int     `json:"limit,omitempty"`
}

// modelFile is the JSON document: strictJSON checks its keys and types,
// decodeModel and buildLayers the values.
type modelFile struct {
	Format       string      `json:"format"`
	Version      int         `json:"version"`
	Meta         ModelMeta   `json:"meta"`
	Inputs       int         `json:"inputs"`
	Layers       []modelPart `json:"layers"`
	Loss         modelPart   `json:"loss"`
	OutputLayers []modelPart `json:"output_layers"`
}

// modelPart is a layer or the loss.
type modelPart struct {
	Kind   string      `json:"kind"`
	Name   string      `json:"name"`
	Inputs int         `json:"inputs,omitempty"` // linear only
	Units  int         `json:"units,omitempty"`
	W      [][]float64 `json:"W,omitempty"`
	B      []float64   `json:"B,omitempty"`
}

// SaveModel writes net and meta to path in the format above, atomically: a
// failure leaves any earlier file at path as it was.
func SaveModel(path string, net *MLP, meta ModelMeta) error {
	data, err := encodeModel(net, meta)
	if err != nil {
		return fmt.Errorf("saving model %s: %w", path, err)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// encodeModel returns the JSON document. encoding/json writes meta and
// every string and number; the layout of the layers is written here, as
// json.MarshalIndent would put each of the tens of thousands of weights on
// a line of its own (and compacts what a json.Marshaler returns, so no
// Marshaler can keep a row of W to a line): one line a layer, a line a row.
func encodeModel(net *MLP, meta ModelMeta) ([]byte, error) {
	if !finite(meta.Eta) {
		return nil, fmt.Errorf("meta eta is %v: JSON has no NaN or infinity", meta.Eta)
	}
	for _, v := range meta.InitMeanAbsW {
		if !finite(v) {
			return nil, fmt.Errorf("meta init_mean_abs_w has %v: JSON has no NaN or infinity", v)
		}
	}
	for _, r := range meta.History {
		if !finite(r.Eta) {
			return nil, fmt.Errorf("meta history has eta %v: JSON has no NaN or infinity", r.Eta)
		}
	}
	metaJSON, err := json.MarshalIndent(meta, "  ", "  ")
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	layers, err := partsOf("layers", net.Layers)
	if err != nil {
		return nil, err
	}
	loss := modelPart{Name: net.Loss.Name()}
	switch net.Loss.(type) {
	case *LossCrossEntropy:
		loss.Kind = "cross-entropy"
	case *LossCrossEntropyForSoftmaxLogits:
		loss.Kind = "softmax-cross-entropy"
	default:
		return nil, fmt.Errorf("loss %q is a %T, which the model format cannot store", net.Loss.Name(), net.Loss)
	}
	if err := checkName("the loss", loss.Kind, loss.Name); err != nil {
		return nil, err
	}
	outputs, err := partsOf("output_layers", net.OutputLayers)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, "{\n  \"format\": %q,\n  \"version\": %d,\n  \"meta\": %s,\n  \"inputs\": %d,\n  \"layers\": %s,\n  \"loss\": %s,\n  \"output_layers\": %s\n}\n",
		modelFormat, modelVersion, metaJSON, net.NInputs, partsJSON(layers), loss.layout(), partsJSON(outputs)), nil
}

// partsOf turns layers into the file's parts, within the bounds of
// buildLayers: what this program writes, it reads.
func partsOf(key string, layers []Layer) ([]modelPart, error) {
	if len(layers) > maxLayers {
		return nil, fmt.Errorf("%s has %d layers: a model has at most %d", key, len(layers), maxLayers)
	}
	parts := make([]modelPart, len(layers))
	for i, l := range layers {
		p := &parts[i]
		switch l := l.(type) {
		case *ReLULayer:
			p.Kind = "relu"
		case *SoftmaxLayer:
			p.Kind = "softmax"
		case *LinearLayer:
			for k, m := range []*Matrix{l.W, l.B} {
				for j, v := range m.Data {
					if !finite(v) {
						return nil, fmt.Errorf("parameter %s of layer %s is %v at row %d, column %d: the network has diverged, and JSON has no NaN or infinity",
							[]string{"W", "B"}[k], l.Name(), v, j/m.Cols, j%m.Cols)
					}
				}
			}
			p.Kind, p.Inputs, p.Units, p.W, p.B = "linear", l.W.Rows, l.W.Cols, make([][]float64, l.W.Rows), l.B.Data
			for r := range p.W {
				p.W[r] = l.W.Row(r)
			}
		default:
			return nil, fmt.Errorf("layer %q is a %T, which the model format cannot store", l.Name(), l)
		}
		p.Name = l.Name()
		if err := checkName(fmt.Sprintf("%s[%d]", key, i), p.Kind, p.Name); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// partsJSON lays out a JSON array of parts, one a line.
func partsJSON(parts []modelPart) string {
	if len(parts) == 0 {
		return "[]"
	}
	lines := make([]string, len(parts))
	for i, p := range parts {
		lines[i] = p.layout()
	}
	return "[\n    " + strings.Join(lines, ",\n    ") + "\n  ]"
}

// layout lays out a part as JSON: one line, and one more for each row of W.
func (p *modelPart) layout() string {
	name, _ := json.Marshal(p.Name) // a string always marshals
	s := fmt.Sprintf("{\"kind\": %q, \"name\": %s", p.Kind, name)
	if p.Kind == "linear" {
		s += fmt.Sprintf(", \"inputs\": %d, \"units\": %d,\n     \"W\": %s,\n     \"B\": %s", p.Inputs, p.Units, numbersJSON(p.W), numbersJSON(p.B))
	}
	return s + "}"
}

// numbersJSON lays out a row or the rows of finite numbers as JSON, with a
// space after each comma and a row a line: json.Marshal writes each number
// in the shortest form that reads back to the same float64, and its output
// holds no commas or brackets but the arrays'.
func numbersJSON(v any) []byte {
	q, _ := json.Marshal(v) // cannot fail: partsOf checked that the numbers are finite
	q = bytes.ReplaceAll(q, []byte(","), []byte(", "))
	return bytes.ReplaceAll(q, []byte("], ["), []byte("],\n           ["))
}

// LoadModel reads a network saved by SaveModel. Every problem with the file
// is an error that names the file and says what is wrong; a file that is
// not regular, larger than maxModelBytes or larger than this machine can
// decode is refused before it is read.
func LoadModel(path string) (*MLP, ModelMeta, error) {
	if err := checkModelPath(path); err != nil {
		return nil, ModelMeta{}, err
	}
	f, size, err := openRegular("model file", path)
	if err != nil {
		return nil, ModelMeta{}, fmt.Errorf("loading %w", err)
	}
	defer f.Close()
	if size > maxModelBytes {
		return nil, ModelMeta{}, fmt.Errorf("loading model %s: the file has %d bytes, more than the %d of any model of this lab", path, size, maxModelBytes)
	}
	// The bytes, the decoded arrays (8 bytes a number of at least 2
	// characters, and their slices) and the network.
	if err := checkMemory([]memNeed{{"reading the model file", 6 * float64(size)}}, "this model is too large for this machine"); err != nil {
		return nil, ModelMeta{}, fmt.Errorf("loading model %s: %w", path, err)
	}
	return decodeModel(f, path)
}

// checkModelPath checks that path is an existing regular file, so that a
// wrong -load fails before any work with a message that says why.
func checkModelPath(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("model file %s does not exist (models are written with -save FILE)", path)
	case err != nil:
		return pathProblem("model file", path, err)
	case fi.IsDir():
		return fmt.Errorf("model file %s is a directory, not a file written by -save", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("model file %s is %s, not a regular file written by -save", path, modeName(fi.Mode()))
	}
	return nil
}

// maxModelBytes bounds what decodeModel reads: far above any network of
// the lab (the MNIST net is about 1.5 MB) and far below a memory problem.
const maxModelBytes = 1 << 30

// decodeModel reads a model from r; name is the file's name for messages.
func decodeModel(r io.Reader, name string) (*MLP, ModelMeta, error) {
	fail := func(format string, a ...any) (*MLP, ModelMeta, error) {
		return nil, ModelMeta{}, fmt.Errorf("loading model %s: %s", name, fmt.Sprintf(format, a...))
	}
	data, err := io.ReadAll(io.LimitReader(r, maxModelBytes+1))
	if err != nil {
		return fail("%v", err)
	}
	if len(data) > maxModelBytes {
		return fail("the file is larger than %d bytes: not a model of this lab", maxModelBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fail("the file is empty (was the -save interrupted, or is this the wrong file?)")
	}

	// json.Unmarshal finds syntax errors and data after the document; a
	// value of the wrong type it skips, and says so at the end. The format
	// and version come next, so that another kind of JSON file or a newer
	// version gets that message rather than a complaint about some field
	// this program does not know (unless they are the values of the wrong
	// type: strictJSON says where).
	var mf modelFile
	decodeErr := json.Unmarshal(data, &mf)
	var typ *json.UnmarshalTypeError
	if decodeErr != nil && !errors.As(decodeErr, &typ) {
		return fail("%s", jsonProblem(data, decodeErr))
	}
	switch {
	case typ != nil && (typ.Field == "" || typ.Field == "format" || typ.Field == "version"):
	case mf.Format == "":
		return fail("not a saved model: it has no \"format\": %q field (models are written with -save FILE)", modelFormat)
	case mf.Format != modelFormat:
		return fail("format is %q, want %q: not a model written by this program", mf.Format, modelFormat)
	case mf.Version < 1 || mf.Version > modelVersion:
		return fail("format version %d, but this program reads versions 1 to %d", mf.Version, modelVersion)
	}
	if err := strictJSON(data, reflect.TypeOf(mf)); err != nil {
		return fail("%v", err)
	}
	if decodeErr != nil { // strictJSON finds a value of the wrong type first
		return fail("%v", decodeErr)
	}

	if mf.Inputs < 1 {
		return fail("\"inputs\" is %d, want a positive number", mf.Inputs)
	}
	if len(mf.Layers) == 0 {
		return fail("the network has no layers")
	}
	layers, err := buildLayers("layers", mf.Layers)
	if err != nil {
		return fail("%v", err)
	}
	outputs, err := buildLayers("output_layers", mf.OutputLayers)
	if err != nil {
		return fail("%v", err)
	}
	if mf.Loss.Kind != "" {
		if err := checkName("the loss", mf.Loss.Kind, mf.Loss.Name); err != nil {
			return fail("%v", err)
		}
	}
	var loss Loss
	switch mf.Loss.Kind {
	case "cross-entropy":
		loss = NewLossCrossEntropy(mf.Loss.Name)
	case "softmax-cross-entropy":
		loss = NewLossCrossEntropyForSoftmaxLogits(mf.Loss.Name)
	case "":
		return fail("the loss has no \"kind\" (want \"cross-entropy\" or \"softmax-cross-entropy\")")
	default:
		return fail("unknown loss kind %q (want \"cross-entropy\" or \"softmax-cross-entropy\")", mf.Loss.Kind)
	}
	if mf.Loss.Inputs != 0 || mf.Loss.Units != 0 || mf.Loss.W != nil || mf.Loss.B != nil {
		return fail("the loss has sizes or parameters: a loss has none")
	}
	net, err := BuildMLP(mf.Inputs, layers, loss, outputs)
	if err != nil {
		return fail("%v", err)
	}
	if err := mf.Meta.check(net); err != nil {
		return fail("%v", err)
	}
	return net, mf.Meta, nil
}

// check checks the values of meta, and that what it says of the network's
// shape is what the layers are.
func (m *ModelMeta) check(net *MLP) error {
	switch {
	case m.Epochs < 0 || m.Epochs > maxEpochs:
		return fmt.Errorf("meta epochs is %d, want 0 to %d", m.Epochs, maxEpochs)
	case m.Batch < 0:
		return fmt.Errorf("meta batch is %d, want a positive number (or 0: not recorded)", m.Batch)
	case m.Eta < 0:
		return fmt.Errorf("meta eta is %v, want a positive number (or 0: not recorded)", m.Eta)
	case m.Seed > math.MaxUint32:
		return fmt.Errorf("meta seed is %d, want 0 to %d (numpy's RandomState seeds)", m.Seed, uint32(math.MaxUint32))
	case m.Limit < 0:
		return fmt.Errorf("meta limit is %d, want 0 (every image) or more", m.Limit)
	case m.Hidden != nil && fmt.Sprint(m.Hidden) != fmt.Sprint(hiddenOf(net)):
		return fmt.Errorf("meta hidden is %v, but the layers' hidden widths are %v", m.Hidden, hiddenOf(net))
	case m.Pipeline != "" && m.Pipeline != pipelineOf(net):
		return fmt.Errorf("meta pipeline is %q, but the layers and loss are the %s pipeline", m.Pipeline, pipelineOf(net))
	case m.InitMeanAbsW != nil && len(m.InitMeanAbsW) != len(hiddenOf(net))+1:
		return fmt.Errorf("meta init_mean_abs_w has %d values, want one per linear layer, %d", len(m.InitMeanAbsW), len(hiddenOf(net))+1)
	}
	for _, v := range m.InitMeanAbsW {
		if !(v > 0) {
			return fmt.Errorf("meta init_mean_abs_w has %v, want positive numbers (mean |W| of the first network)", v)
		}
	}
	for i, r := range m.History {
		if r.Epochs < 0 || r.Epochs > maxEpochs || r.Batch < 0 || r.Eta < 0 || r.Seed > math.MaxUint32 || r.Limit < 0 {
			return fmt.Errorf("meta history[%d] has a negative or out-of-range value: %+v", i, r)
		}
	}
	if m.RNG != nil {
		if err := m.RNG.check(); err != nil {
			return err
		}
	}
	for name, sum := range m.Files {
		if name != filepath.Base(name) || strings.HasPrefix(name, ".") || len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
			return fmt.Errorf("meta files has %q: %q, want a file name and its SHA-256 in 64 hex digits", name, sum)
		}
	}
	return nil
}

// hiddenOf returns the widths of a network's linear layers but the last.
func hiddenOf(net *MLP) []int {
	var w []int
	for _, l := range net.Layers {
		if ll, ok := l.(*LinearLayer); ok {
			_, out := ll.Dims()
			w = append(w, out)
		}
	}
	if len(w) == 0 {
		return nil
	}
	return w[:len(w)-1]
}

// pipelineOf names a network's pipeline: "stable" when it trains on the
// logits with the fused loss, "naive" (Assignment 1's) otherwise.
func pipelineOf(net *MLP) string {
	if _, fused := net.Loss.(*LossCrossEntropyForSoftmaxLogits); fused {
		return "stable"
	}
	return "naive"
}

// Bounds of what a model file may name: every name is printed, heads CSV
// columns and goes with every layer into the run record, which the results
// page reads up to maxRunRecordBytes; with these bounds a run record of
// any model that loads stays far below that (a thousand layers of
// 100-byte names: about 120 KB), so what the program writes it can read.
const (
	maxNameBytes = 100  // of a layer's or the loss's name
	maxLayers    = 1000 // layers and output layers, each
)

// checkName checks a layer's or the loss's name (where says which).
func checkName(where, kind, name string) error {
	if name == "" {
		return fmt.Errorf("%s (kind %q) has no name", where, kind)
	}
	if len(name) > maxNameBytes {
		return fmt.Errorf("%s: the name has %d bytes (it begins %q): a name has at most %d", where, len(name), name[:20], maxNameBytes)
	}
	// A name heads CSV columns (wamp_<name>) and is printed: no commas,
	// quotes or control characters.
	if i := strings.IndexFunc(name, func(r rune) bool { return r == ',' || r == '"' || unicode.IsControl(r) }); i >= 0 {
		return fmt.Errorf("%s: the name %q has %q at byte %d: a layer name must not hold commas, quotes or control characters (it heads CSV columns)", where, name, name[i:i+1], i)
	}
	return nil
}

// buildLayers turns the layers of the file into Layers, checking the
// fields each kind needs and has.
func buildLayers(key string, parts []modelPart) ([]Layer, error) {
	if len(parts) > maxLayers {
		return nil, fmt.Errorf("%s has %d layers: a model has at most %d", key, len(parts), maxLayers)
	}
	var out []Layer
	for i, p := range parts {
		where := fmt.Sprintf("%s[%d]", key, i)
		if err := checkName(where, p.Kind, p.Name); err != nil {
			return nil, err
		}
		where += fmt.Sprintf(" %q", p.Name)
		switch p.Kind {
		case "relu", "softmax":
			if p.Inputs != 0 || p.Units != 0 || p.W != nil || p.B != nil {
				return nil, fmt.Errorf("%s: a %s layer has no sizes or parameters", where, p.Kind)
			}
			if p.Kind == "relu" {
				out = append(out, NewReLULayer(p.Name))
			} else {
				out = append(out, NewSoftmaxLayer(p.Name))
			}
		case "linear":
			l, err := buildLinear(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
			out = append(out, l)
		case "":
			return nil, fmt.Errorf("%s has no \"kind\" (want \"linear\", \"relu\" or \"softmax\")", where)
		default:
			return nil, fmt.Errorf("%s: unknown layer kind %q (want \"linear\", \"relu\" or \"softmax\")", where, p.Kind)
		}
	}
	return out, nil
}

func buildLinear(p modelPart) (*LinearLayer, error) {
	if p.Inputs < 1 || p.Units < 1 {
		return nil, fmt.Errorf("\"inputs\" and \"units\" must be positive, got %d and %d", p.Inputs, p.Units)
	}
	if len(p.W) != p.Inputs {
		return nil, fmt.Errorf("W has %d rows, want %d (one per input)", len(p.W), p.Inputs)
	}
	if len(p.B) != p.Units {
		return nil, fmt.Errorf("B has %d values, want %d (one per unit)", len(p.B), p.Units)
	}
	// Every row's length first: inputs × units can be far more than the
	// numbers the file holds (short rows), and must not be allocated then.
	for i, row := range p.W {
		if len(row) != p.Units {
			return nil, fmt.Errorf("row %d of W has %d values, want %d (one per unit)", i, len(row), p.Units)
		}
	}
	W := NewMatrix(p.Inputs, p.Units)
	for i, row := range p.W {
		copy(W.Row(i), row)
	}
	B := NewMatrixFrom(1, p.Units, append([]float64(nil), p.B...))
	return &LinearLayer{name: p.Name, W: W, B: B}, nil
}

// jsonProblem turns an error of json.Unmarshal other than a value of the
// wrong type into words, with the line and column where the file stops
// making sense.
func jsonProblem(data []byte, err error) string {
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		return err.Error()
	}
	// Offset counts the bytes read, the offending one included.
	line, col := lineCol(data, syn.Offset-1)
	if strings.Contains(syn.Error(), "after top-level value") {
		return fmt.Sprintf("unexpected data after the model's closing brace, at line %d, column %d", line, col)
	}
	if syn.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
		return "the file ends in the middle of the JSON: it is truncated"
	}
	return fmt.Sprintf("not valid JSON at line %d, column %d: %v", line, col, err)
}

// kindName says what JSON value a Go type decodes from.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint32:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	}
	return "an object"
}

// strictJSON checks a JSON document against the Go type t it decodes into,
// for what encoding/json takes silently or reports without saying where:
// every object key must be one of the type's (spelt exactly, case
// included) and appear once, and every value must be of its field's kind
// (never null) and a number within its range. Errors give the line, the
// column and the field (e.g. layers[2].W[0][3]). The document is valid JSON
// with nothing after it (json.Unmarshal read it first).
func strictJSON(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return (&jsonWalker{dec: dec, data: data}).value(t, "")
}

type jsonWalker struct {
	dec  *json.Decoder
	data []byte
}

// next reads a token; where says where it starts (worked out only for a
// message: counting lines for every token would take time quadratic in
// the file's size).
func (w *jsonWalker) next() (tok json.Token, where func() string, err error) {
	off := int(w.dec.InputOffset())
	for off < len(w.data) && strings.IndexByte(" \t\r\n,:", w.data[off]) >= 0 {
		off++
	}
	where = func() string {
		line, col := lineCol(w.data, int64(off))
		return fmt.Sprintf("at line %d, column %d", line, col)
	}
	if tok, err = w.dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("not valid JSON %s: %v", where(), err)
	}
	return tok, where, nil
}

// value checks the next value of the document against t; path names it.
func (w *jsonWalker) value(t reflect.Type, path string) error {
	tok, where, err := w.next()
	if err != nil {
		return err
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name, got := cmp.Or(path, "the document"), "null"
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map) {
			return w.object(t, path, name)
		}
		if v == '[' && t.Kind() == reflect.Slice {
			for i := 0; w.dec.More(); i++ {
				if err := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, _, err := w.next() // the closing bracket
			return err
		}
		got = map[json.Delim]string{'{': "a JSON object", '[': "a JSON array"}[v]
	case string:
		if t.Kind() == reflect.String {
			return nil
		}
		got = "a JSON string"
	case bool:
		if t.Kind() == reflect.Bool {
			return nil
		}
		got = "a JSON true or false"
	case json.Number:
		if k := t.Kind(); k >= reflect.Int && k <= reflect.Float64 {
			// In range if encoding/json decodes it into the field (a
			// weight, the common case, parsed as it would be, without
			// the garbage of a decoding).
			_, err := v.Float64()
			if k != reflect.Float64 {
				err = json.Unmarshal([]byte(v), reflect.New(t).Interface())
			}
			if err == nil {
				return nil
			}
			return fmt.Errorf("%s: %s should be %s that fits %s, not %s", where(), name, kindName(t), t, v)
		}
		got = "the number " + v.String()
	}
	return fmt.Errorf("%s: %s should be %s, not %s", where(), name, kindName(t), got)
}

// object checks the members of an object (its opening brace read) against
// the struct or map type t; name is path's name in a message.
func (w *jsonWalker) object(t reflect.Type, path, name string) error {
	fields := map[string]reflect.Type{}
	for i := 0; t.Kind() == reflect.Struct && i < t.NumField(); i++ {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields[key] = t.Field(i).Type
	}
	seen := map[string]bool{}
	for w.dec.More() {
		ktok, where, err := w.next()
		if err != nil {
			return err
		}
		key, _ := ktok.(string) // object keys are strings in valid JSON
		ft, ok := fields[key]
		if t.Kind() == reflect.Map {
			ft, ok = t.Elem(), true
		}
		if !ok {
			hint := "misspelt, or from another program?"
			for k := range fields {
				if strings.EqualFold(k, key) {
					hint = fmt.Sprintf("keys are case-sensitive: did you mean %q?", k)
				}
			}
			return fmt.Errorf("%s: unknown field %q in %s (%s)", where(), key, name, hint)
		}
		if seen[key] {
			return fmt.Errorf("%s: %s has the key %q twice", where(), name, key)
		}
		seen[key] = true
		if err := w.value(ft, strings.TrimPrefix(path+"."+key, ".")); err != nil {
			return err
		}
	}
	_, _, err := w.next() // the closing brace
	return err
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}
