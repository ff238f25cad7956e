package main

// Saved models: a network written to a JSON file (-save) and read back
// (-load) to evaluate it or to train it further.
//
// The format, version 1 (README, "Saved models, gradcheck and interrupts"):
//
//	{
//	  "format": "backprop-mlp",
//	  "version": 1,
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

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// modelFormat and modelVersion identify the files this program writes. A
// change that older programs cannot read must raise the version.
const (
	modelFormat  = "backprop-mlp"
	modelVersion = 1
)

// ModelMeta records where a saved network came from: the settings of the
// training that produced it, so that it can be reproduced or resumed.
type ModelMeta struct {
	Experiment string  `json:"experiment"`
	Epochs     int     `json:"epochs"` // epochs trained so far, over every run
	Batch      int     `json:"batch"`  // the settings of the latest run
	Eta        float64 `json:"eta"`
	Seed       uint64  `json:"seed"`
	// Stopped is set when the latest run was interrupted; Note then says
	// where (e.g. part of an epoch that is not counted in Epochs).
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
	Epochs int     `json:"epochs"`
	Batch  int     `json:"batch"`
	Eta    float64 `json:"eta"`
	Seed   uint64  `json:"seed"`
}

// modelFile is the JSON document. Every field is checked by decodeModel:
// JSON decoding only checks the types.
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

// encodeModel returns the JSON document. It is written by hand rather than
// with json.MarshalIndent, which would put every one of the tens of
// thousands of weights on a line of its own: here each row of W is a line.
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
	var b bytes.Buffer
	str := func(s string) string { q, _ := json.Marshal(s); return string(q) }
	metaJSON, err := json.MarshalIndent(meta, "  ", "  ")
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	fmt.Fprintf(&b, "{\n  \"format\": %s,\n  \"version\": %d,\n  \"meta\": %s,\n  \"inputs\": %d,\n",
		str(modelFormat), modelVersion, metaJSON, net.NInputs)
	writeLayers := func(key string, layers []Layer, last bool) error {
		fmt.Fprintf(&b, "  %s: [", str(key))
		for i, l := range layers {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n    ")
			if err := encodeLayer(&b, l, str); err != nil {
				return err
			}
		}
		if len(layers) > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString("]")
		if !last {
			b.WriteString(",")
		}
		b.WriteString("\n")
		return nil
	}
	if err := writeLayers("layers", net.Layers, false); err != nil {
		return nil, err
	}
	var lossKind string
	switch net.Loss.(type) {
	case *LossCrossEntropy:
		lossKind = "cross-entropy"
	case *LossCrossEntropyForSoftmaxLogits:
		lossKind = "softmax-cross-entropy"
	default:
		return nil, fmt.Errorf("loss %q is a %T, which the model format cannot store", net.Loss.Name(), net.Loss)
	}
	fmt.Fprintf(&b, "  \"loss\": {\"kind\": %s, \"name\": %s},\n", str(lossKind), str(net.Loss.Name()))
	if err := writeLayers("output_layers", net.OutputLayers, true); err != nil {
		return nil, err
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

func encodeLayer(b *bytes.Buffer, l Layer, str func(string) string) error {
	switch l := l.(type) {
	case *ReLULayer:
		fmt.Fprintf(b, "{\"kind\": \"relu\", \"name\": %s}", str(l.Name()))
	case *SoftmaxLayer:
		fmt.Fprintf(b, "{\"kind\": \"softmax\", \"name\": %s}", str(l.Name()))
	case *LinearLayer:
		for p, m := range []*Matrix{l.W, l.B} {
			for i, v := range m.Data {
				if !finite(v) {
					return fmt.Errorf("parameter %s of layer %s is %v at row %d, column %d: the network has diverged, and JSON has no NaN or infinity",
						[]string{"W", "B"}[p], l.Name(), v, i/m.Cols, i%m.Cols)
				}
			}
		}
		fmt.Fprintf(b, "{\"kind\": \"linear\", \"name\": %s, \"inputs\": %d, \"units\": %d,\n     \"W\": [", str(l.Name()), l.W.Rows, l.W.Cols)
		for i := 0; i < l.W.Rows; i++ {
			if i > 0 {
				b.WriteString(",\n           ")
			}
			writeFloats(b, l.W.Row(i))
		}
		b.WriteString("],\n     \"B\": ")
		writeFloats(b, l.B.Data)
		b.WriteString("}")
	default:
		return fmt.Errorf("layer %q is a %T, which the model format cannot store", l.Name(), l)
	}
	return nil
}

// writeFloats writes a JSON array of finite numbers, each in the shortest
// form that parses back to the same float64 (what encoding/json writes).
func writeFloats(b *bytes.Buffer, v []float64) {
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		q, _ := json.Marshal(x) // cannot fail: x is finite
		b.Write(q)
	}
	b.WriteByte(']')
}

// LoadModel reads a network saved by SaveModel. Every problem with the file
// is an error that names the file and says what is wrong.
func LoadModel(path string) (*MLP, ModelMeta, error) {
	if err := checkModelPath(path); err != nil {
		return nil, ModelMeta{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, ModelMeta{}, fmt.Errorf("loading model %s: %w", path, err)
	}
	defer f.Close()
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
		return fmt.Errorf("model file %s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("model file %s is a directory, not a file written by -save", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("model file %s is not a regular file", path)
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

	// First the format and version alone, so that another kind of JSON
	// file or a newer version gets that message rather than a complaint
	// about some field this program does not know.
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fail("%s", jsonProblem(data, err))
	}
	if head.Format != modelFormat {
		if head.Format == "" {
			return fail("not a saved model: it has no \"format\": %q field (models are written with -save FILE)", modelFormat)
		}
		return fail("format is %q, want %q: not a model written by this program", head.Format, modelFormat)
	}
	if head.Version != modelVersion {
		return fail("format version %d, but this program reads version %d only", head.Version, modelVersion)
	}

	var mf modelFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt field is an error, not ignored
	if err := dec.Decode(&mf); err != nil {
		return fail("%s", jsonProblem(data, err))
	}
	if dec.More() {
		return fail("unexpected data after the model's closing brace")
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
	if mf.Meta.Epochs < 0 {
		return fail("meta epochs is %d, want 0 or more", mf.Meta.Epochs)
	}
	net, err := BuildMLP(mf.Inputs, layers, loss, outputs)
	if err != nil {
		return fail("%v", err)
	}
	return net, mf.Meta, nil
}

// buildLayers turns the layers of the file into Layers, checking the
// fields each kind needs and has.
func buildLayers(key string, parts []modelPart) ([]Layer, error) {
	var out []Layer
	for i, p := range parts {
		where := fmt.Sprintf("%s[%d]", key, i)
		if p.Name == "" {
			return nil, fmt.Errorf("%s (kind %q) has no name", where, p.Kind)
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
	W := NewMatrix(p.Inputs, p.Units)
	for i, row := range p.W {
		if len(row) != p.Units {
			return nil, fmt.Errorf("row %d of W has %d values, want %d (one per unit)", i, len(row), p.Units)
		}
		copy(W.Row(i), row)
	}
	B := NewMatrixFrom(1, p.Units, append([]float64(nil), p.B...))
	return &LinearLayer{name: p.Name, W: W, B: B}, nil
}

// jsonProblem turns an error of encoding/json into words, with the line and
// column where the file stops making sense.
func jsonProblem(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "the file ends in the middle of the JSON: it is truncated"
	case errors.As(err, &syn):
		if syn.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
			return "the file ends in the middle of the JSON: it is truncated"
		}
		// Offset counts the bytes read, the offending one included.
		line, col := lineCol(data, syn.Offset-1)
		if strings.Contains(syn.Error(), "after top-level value") {
			return fmt.Sprintf("unexpected data after the model's closing brace, at line %d, column %d", line, col)
		}
		return fmt.Sprintf("not valid JSON at line %d, column %d: %v", line, col, err)
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("at line %d, column %d: %s should be %s, not a JSON %s", line, col, field, jsonTypeName(typ.Type.String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ") + " (misspelt, or from another program?)"
	}
	return err.Error()
}

func jsonTypeName(goType string) string {
	switch goType {
	case "int", "uint64":
		return "a whole number"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	if strings.HasPrefix(goType, "[]") {
		return "an array"
	}
	return "an object"
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// CheckModelFits reports whether a network takes nInputs inputs and gives
// nClasses outputs, e.g. before a model saved by the XOR experiment is
// trained on MNIST.
func CheckModelFits(net *MLP, nInputs, nClasses int) error {
	if net.NInputs != nInputs {
		return fmt.Errorf("the model takes %d inputs, but the data has %d: it was made for another data set", net.NInputs, nInputs)
	}
	width := net.NInputs
	for _, l := range net.Layers {
		if s, ok := l.(sizedLayer); ok {
			_, width = s.Dims()
		}
	}
	if width != nClasses {
		return fmt.Errorf("the model has %d outputs, but the data has %d classes: it was made for another data set", width, nClasses)
	}
	for _, l := range net.OutputLayers {
		if s, ok := l.(sizedLayer); ok {
			_, width = s.Dims()
		}
	}
	if width != nClasses {
		return fmt.Errorf("the model's output layers give %d values, but the data has %d classes", width, nClasses)
	}
	return nil
}

// checkSavePath checks a -save FILE before any work: it must not be a
// directory, and its directory must exist, unless it is the -out directory
// out, which the experiment creates.
func checkSavePath(path, out string) error {
	if path == "" {
		return errors.New("needs a file name, e.g. -save xor.json")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: give a file name, e.g. -save %s", path, filepath.Join(path, "model.json"))
	} else if err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is not a regular file", path)
	}
	dir := filepath.Dir(path)
	if filepath.Clean(dir) == filepath.Clean(out) {
		return nil
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("the directory %s of %s does not exist: create it, or save into -out's directory", dir, path)
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory, so %s cannot be written", dir, path)
	}
	return nil
}

// checkSaveWritable checks that a file can be created next to path, so
// that a -save into a read-only directory fails before training, not after.
func checkSaveWritable(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".probe-*")
	if err != nil {
		return fmt.Errorf("cannot save the model to %s: %w (choose another -save)", path, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// ---------------------------------------------------------------------------
// What the experiments use to take -load and -save.

// startNet returns the network an experiment trains: the one in cfg.load,
// checked to fit data of nInputs inputs and nClasses classes, or else a new
// one from newNet. meta describes the network's past (zero epochs for a new
// one); pass it to saveNet and continueRunInfo after training.
func (c *config) startNet(exp string, newNet func() *MLP, nInputs, nClasses int) (*MLP, ModelMeta, error) {
	if c.load == "" {
		net := newNet()
		meta := ModelMeta{Experiment: exp}
		for _, l := range net.Layers {
			if ll, ok := l.(*LinearLayer); ok {
				meta.InitMeanAbsW = append(meta.InitMeanAbsW, ll.W.MeanAbs())
			}
		}
		return net, meta, nil
	}
	net, meta, err := LoadModel(c.load)
	if err != nil {
		return nil, meta, err
	}
	if err := CheckModelFits(net, nInputs, nClasses); err != nil {
		return nil, meta, fmt.Errorf("-load %s: %v (saved by experiment %q; this is -exp %s)", c.load, err, meta.Experiment, exp)
	}
	if meta.Experiment != exp {
		fmt.Fprintf(c.stdout, "note: %s was saved by experiment %q, this is %q\n", c.load, meta.Experiment, exp)
	}
	return net, meta, nil
}

// continueRunInfo numbers the epochs of a resumed network's run info from
// the loaded network's, so that its CSV reads as a continuation. (Its
// weight amplitudes continue when Train gets meta.InitMeanAbsW as
// TrainConfig.WeightAmpRef.)
func continueRunInfo(ri *RunInfo, meta ModelMeta) {
	for i := range ri.Epochs {
		ri.Epochs[i].Epoch += meta.Epochs
	}
}

// saveNet writes net to c.save (when set) with meta brought up to date by
// this run: ri's finished epochs, the settings, whether it was stopped.
func (c *config) saveNet(net *MLP, meta ModelMeta, ri *RunInfo) error {
	if c.save == "" {
		return nil
	}
	trained := len(ri.Epochs) - 1 // epoch 0 is the starting network
	meta.Epochs += trained
	meta.Batch, meta.Eta, meta.Seed = c.batch, c.eta, uint64(c.seed)
	meta.Stopped, meta.Note = ri.Stopped, ""
	if ri.PartialBatches > 0 {
		meta.Note = fmt.Sprintf("interrupted after %d batches of epoch %d: those are in the weights but not in epochs", ri.PartialBatches, meta.Epochs+1)
	}
	if trained > 0 {
		meta.History = append(meta.History, ModelRun{Epochs: trained, Batch: c.batch, Eta: c.eta, Seed: uint64(c.seed)})
	}
	if err := SaveModel(c.save, net, meta); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "saved the network after epoch %d to %s\n", meta.Epochs, c.save)
	return nil
}

// writeRunCSV writes the run info as CSV to path (see RunInfo.WriteCSV).
// For a run resumed from a network trained for from epochs, it keeps the
// rows of epochs 0 … from−1 of the file already at path when that file
// records the run the network comes from, so that the file shows the whole
// history; kept is how many rows it kept.
func writeRunCSV(path string, ri *RunInfo, from int) (kept int, err error) {
	var earlier []string
	if from > 0 {
		earlier = earlierRows(path, ri, from)
	}
	return len(earlier), writeFileAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintln(bw, strings.Join(ri.CSVHeader(), ","))
		for _, l := range earlier {
			fmt.Fprintln(bw, l)
		}
		for _, e := range ri.Epochs {
			fmt.Fprintln(bw, strings.Join(ri.CSVRow(e), ","))
		}
		return bw.Flush()
	})
}

// earlierRows returns the rows of epochs 0 … from−1 of the CSV file at path
// if it has ri's header, rows numbered 0 … from in order, and a row for
// epoch from with the same training loss and accuracy as ri's first row:
// the same network evaluated on the same data gives the same bits, so that
// identifies the run. Otherwise (another run's file, none) it returns nil.
func earlierRows(path string, ri *RunInfo, from int) []string {
	data, err := os.ReadFile(path)
	if err != nil || len(ri.Epochs) == 0 {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) < from+2 || lines[0] != strings.Join(ri.CSVHeader(), ",") {
		return nil
	}
	for i := 0; i <= from; i++ {
		if epoch, _, _ := strings.Cut(lines[i+1], ","); epoch != strconv.Itoa(i) {
			return nil
		}
	}
	old, cur := strings.Split(lines[from+1], ","), ri.CSVRow(ri.Epochs[0])
	if len(old) != len(cur) || old[1] != cur[1] || old[2] != cur[2] {
		return nil
	}
	return lines[1 : from+1]
}
