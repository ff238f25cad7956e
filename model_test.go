package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testNets returns a network of each pipeline, trained a little so that
// the parameters are not the round numbers of the initialisation.
func testNets(t testing.TB) map[string]*MLP {
	rng := newRNG(7)
	plain := NewXORNet(newRNG(3))
	fused := NewMLP(5, []Layer{
		NewLinearLayer(5, 7, rng, "Linear_1"), NewReLULayer("ReLU_1"),
		NewLinearLayer(7, 3, rng, "Linear_OUT"),
	}, NewLossCrossEntropyForSoftmaxLogits("CE_logits"), []Layer{NewSoftmaxLayer("Softmax_OUT")})
	// Biases of every kind instead of training (which would need the lab's
	// methods: saving and loading are provided code).
	for _, net := range []*MLP{plain, fused} {
		for _, l := range net.paramLayers() {
			for i := range l.Params()[1].Data {
				l.Params()[1].Data[i] = rng.NormFloat64()
			}
		}
	}
	// Values whose shortest decimal form is long, and a negative zero.
	fused.Layers[0].(*LinearLayer).W.Data[0] = 0.1 + 0.2
	fused.Layers[0].(*LinearLayer).W.Data[1] = math.Copysign(0, -1)
	fused.Layers[0].(*LinearLayer).W.Data[2] = 5e-324
	fused.Layers[0].(*LinearLayer).W.Data[3] = math.MaxFloat64
	return map[string]*MLP{"plain": plain, "fused": fused}
}

func TestModelRoundTripIsBitExact(t *testing.T) {
	needLab(t, labForward) // Propagate
	for name, net := range testNets(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.json")
			meta := ModelMeta{Experiment: "test", Epochs: 5, Batch: 4, Eta: 0.1, Seed: math.MaxUint32, Note: "a \"quoted\" <note>",
				History: []ModelRun{{Epochs: 5, Batch: 4, Eta: 0.1, Seed: math.MaxUint32}}}
			if err := SaveModel(path, net, meta); err != nil {
				t.Fatal(err)
			}
			got, gotMeta, err := LoadModel(path)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != net.String() {
				t.Errorf("architecture:\ngot  %s\nwant %s", got, net)
			}
			if gotMeta.Seed != meta.Seed || gotMeta.Note != meta.Note || gotMeta.Eta != meta.Eta || len(gotMeta.History) != 1 || gotMeta.History[0] != meta.History[0] {
				t.Errorf("meta: got %+v; want %+v", gotMeta, meta)
			}
			if _, ok := got.Loss.(*LossCrossEntropyForSoftmaxLogits); ok != (name == "fused") {
				t.Errorf("loss: got %T", got.Loss)
			}
			wantP, gotP := net.paramLayers(), got.paramLayers()
			if len(gotP) != len(wantP) {
				t.Fatalf("got %d layers with parameters; want %d", len(gotP), len(wantP))
			}
			for l := range wantP {
				for p, w := range wantP[l].Params() {
					g := gotP[l].Params()[p]
					if g.Rows != w.Rows || g.Cols != w.Cols {
						t.Fatalf("%s param %d: got shape %s; want %s", wantP[l].Name(), p, g.Shape(), w.Shape())
					}
					for i := range w.Data {
						if math.Float64bits(g.Data[i]) != math.Float64bits(w.Data[i]) {
							t.Errorf("%s param %d [%d]: got %v; want %v (bit-exact)", wantP[l].Name(), p, i, g.Data[i], w.Data[i])
						}
					}
				}
			}
			rng := newRNG(1)
			X, _ := randomBatch(rng, 6, net.NInputs, 2)
			want, gotY := net.Propagate(X, true), got.Propagate(X, true)
			for i := range want.Data {
				if math.Float64bits(want.Data[i]) != math.Float64bits(gotY.Data[i]) && !(math.IsNaN(want.Data[i]) && math.IsNaN(gotY.Data[i])) {
					t.Fatalf("Propagate [%d]: got %v; want %v (bit-exact)", i, gotY.Data[i], want.Data[i])
				}
			}
			// Saving the loaded network again gives the same bytes.
			path2 := filepath.Join(t.TempDir(), "m2.json")
			if err := SaveModel(path2, got, gotMeta); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(path)
			b, _ := os.ReadFile(path2)
			if !bytes.Equal(a, b) {
				t.Errorf("save → load → save changed the file:\n%s\n---\n%s", a, b)
			}
		})
	}
}

func TestSaveModelRefusesNonFiniteParameters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.json")
	net := NewXORNet(newRNG(1))
	if err := SaveModel(path, net, ModelMeta{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	net.Layers[2].(*LinearLayer).W.Set(1, 0, math.NaN())
	err := SaveModel(path, net, ModelMeta{})
	if err == nil {
		t.Fatal("SaveModel of a net with a NaN weight: got no error; want one")
	}
	for _, want := range []string{path, "Linear_OUT", "W", "row 1, column 0", "diverged"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("a failed SaveModel changed the earlier file")
	}
	if err := SaveModel(path, NewXORNet(newRNG(1)), ModelMeta{Eta: math.Inf(1)}); err == nil {
		t.Errorf("SaveModel with eta +Inf: got no error; want one")
	}
}

// validModel is a small model file that the error cases below break.
const validModel = `{
  "format": "backprop-mlp",
  "version": 1,
  "meta": {"experiment": "xor", "epochs": 3, "batch": 4, "eta": 0.1, "seed": 1234},
  "inputs": 2,
  "layers": [
    {"kind": "linear", "name": "Linear_1", "inputs": 2, "units": 3,
     "W": [[1, 2, 3], [4, 5, 6]],
     "B": [0.5, -0.5, 1]},
    {"kind": "relu", "name": "ReLU_1"},
    {"kind": "linear", "name": "Linear_OUT", "inputs": 3, "units": 2,
     "W": [[1, -1], [2, -2], [3, -3]],
     "B": [0, 0]},
    {"kind": "softmax", "name": "Softmax_OUT"}
  ],
  "loss": {"kind": "cross-entropy", "name": "CE"},
  "output_layers": []
}
`

func TestLoadModelErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := decodeModel(strings.NewReader(validModel), "valid.json"); err != nil {
		t.Fatalf("the valid model: %v", err)
	}
	edit := func(old, new string) string {
		if !strings.Contains(validModel, old) {
			t.Fatalf("test bug: %q not in validModel", old)
		}
		return strings.Replace(validModel, old, new, 1)
	}
	cases := []struct {
		name, content, want string
	}{
		{"empty", "", "empty"},
		{"blank", " \n\t\n", "empty"},
		{"truncated", validModel[:len(validModel)/2], "truncated"},
		{"truncated after a key", validModel[:strings.Index(validModel, `"inputs"`)+9], "truncated"},
		{"not JSON", "W = [1, 2, 3]\n", "not valid JSON at line 1, column 1"},
		{"CSV", "epoch,loss_train\n0,1.2\n", "not valid JSON"},
		{"other JSON", `{"name": "something else"}`, "not a saved model"},
		{"other format", edit(`"backprop-mlp"`, `"keras"`), `format is "keras"`},
		{"newer version", edit(`"version": 1`, `"version": 3`), "version 3, but this program reads versions 1 to 2"},
		{"version as text", edit(`"version": 1`, `"version": "1"`), "version should be a whole number"},
		{"unknown field", edit(`"inputs": 2,`, `"inputs": 2, "optimizer": "adam",`), `unknown field "optimizer"`},
		{"trailing data", validModel + "{}", "after the model"},
		{"no inputs", edit(`"inputs": 2,`, ``), `"inputs" is 0`},
		{"no layers", edit(`"layers": [`, `"layers": [], "x": [`), "unknown field"},
		{"empty layers", strings.Replace(validModel, validModel[strings.Index(validModel, `"layers"`):strings.Index(validModel, `"loss"`)], `"layers": [], `, 1), "no layers"},
		{"unknown layer kind", edit(`"kind": "relu"`, `"kind": "tanh"`), `unknown layer kind "tanh"`},
		{"layer without kind", edit(`"kind": "relu", `, ``), `no "kind"`},
		{"layer without name", edit(`, "name": "ReLU_1"`, ``), "has no name"},
		{"null layer", edit(`{"kind": "relu", "name": "ReLU_1"}`, `null`), `line 10, column 5: layers[1] should not be null`},
		{"duplicate names", edit(`"name": "ReLU_1"`, `"name": "Linear_1"`), `both named "Linear_1"`},
		{"a comma in a name", edit(`"name": "ReLU_1"`, `"name": "ReLU,1"`), `must not hold commas, quotes or control characters`},
		{"a newline in a name", edit(`"name": "ReLU_1"`, `"name": "ReLU\n1"`), `must not hold commas, quotes or control characters`},
		{"a name of 101 bytes", edit(`"name": "ReLU_1"`, `"name": "`+strings.Repeat("r", 101)+`"`), `the name has 101 bytes (it begins "rrrrrrrrrrrrrrrrrrrr"): a name has at most 100`},
		{"a loss name of 1 MiB", edit(`"name": "CE"`, `"name": "`+strings.Repeat("L", 1<<20)+`"`), `the loss: the name has 1048576 bytes`},
		{"a comma in the loss name", edit(`"name": "CE"`, `"name": "C,E"`), `the loss: the name "C,E" has ","`},
		{"1001 layers", edit(`{"kind": "relu", "name": "ReLU_1"},`, strings.Repeat(`{"kind": "relu", "name": "R"},`, 1001)), "layers has 1004 layers: a model has at most 1000"},
		{"relu with weights", edit(`"name": "ReLU_1"`, `"name": "ReLU_1", "B": [1]`), "no sizes or parameters"},
		{"W too few rows", edit(`"W": [[1, 2, 3], [4, 5, 6]]`, `"W": [[1, 2, 3]]`), "W has 1 rows, want 2"},
		{"W row too short", edit(`[4, 5, 6]`, `[4, 5]`), "row 1 of W has 2 values, want 3"},
		{"B too long", edit(`"B": [0.5, -0.5, 1]`, `"B": [0.5, -0.5, 1, 2]`), "B has 4 values, want 3"},
		{"W missing", edit(`"W": [[1, 2, 3], [4, 5, 6]],`, ``), "W has 0 rows"},
		{"zero units", edit(`"units": 3`, `"units": 0`), "must be positive"},
		{"sizes do not chain", edit(`"inputs": 3, "units": 2,
     "W": [[1, -1], [2, -2], [3, -3]]`, `"inputs": 4, "units": 2,
     "W": [[1, -1], [2, -2], [3, -3], [4, -4]]`), "takes 4 inputs but gets 3"},
		{"NaN as text", edit(`[1, -1]`, `["NaN", -1]`), "should be a number, not a JSON string"},
		{"number too big", edit(`[1, -1]`, `[1e999, -1]`), "should be a number"},
		{"fractional size", edit(`"units": 3`, `"units": 3.5`), "units should be a whole number"},
		{"unknown loss", edit(`"kind": "cross-entropy"`, `"kind": "mse"`), `unknown loss kind "mse"`},
		{"no loss", edit(`"loss": {"kind": "cross-entropy", "name": "CE"},`, ``), `loss has no "kind"`},
		{"bad output layer", edit(`"output_layers": []`, `"output_layers": [{"kind": "sigmoid", "name": "S"}]`), `output_layers[0] "S": unknown layer kind`},
		{"negative epochs", edit(`"epochs": 3`, `"epochs": -3`), "meta epochs is -3"},
		// Strictness: what encoding/json alone would take silently.
		{"null weight", edit(`[1, -1]`, `[null, -1]`), "at line 12, column 13: layers[2].W[0][0] should not be null"},
		{"null meta", edit(`"meta": {`, `"meta": null, "x": {`), "at line 4, column 11: meta should not be null"},
		{"lower-case w", edit(`"W": [[1, 2, 3]`, `"w": [[1, 2, 3]`), `at line 8, column 6: unknown field "w" in layers[0] (keys are case-sensitive: did you mean "W"?)`},
		{"capitalised key", edit(`"inputs": 2,`, `"Inputs": 2,`), `unknown field "Inputs" in the document (keys are case-sensitive: did you mean "inputs"?)`},
		{"duplicate key", edit(`"inputs": 2,`, `"inputs": 2, "inputs": 2,`), `at line 5, column 16: the document has the key "inputs" twice`},
		{"trailing garbage", validModel + "x", "unexpected data after the model's closing brace, at line 19, column 1"},
		{"epochs near 2^63", edit(`"epochs": 3`, `"epochs": 9223372036854775000`), "meta epochs is 9223372036854775000, want 0 to 2147483647"},
		{"epochs beyond int64", edit(`"epochs": 3`, `"epochs": 1e30`), "meta.epochs should be a whole number that fits int, not 1e30"},
		{"seed beyond numpy's", edit(`"seed": 1234`, `"seed": 4294967296`), "meta seed is 4294967296, want 0 to 4294967295"},
		{"negative batch", edit(`"batch": 4`, `"batch": -4`), "meta batch is -4"},
		{"hidden not the layers'", edit(`"seed": 1234`, `"seed": 1234, "hidden": [7]`), "meta hidden is [7], but the layers' hidden widths are [3]"},
		{"pipeline not the layers'", edit(`"seed": 1234`, `"seed": 1234, "pipeline": "stable"`), `meta pipeline is "stable", but the layers and loss are the naive pipeline`},
		{"short generator state", edit(`"seed": 1234`, `"seed": 1234, "rng": {"key": [1, 2], "pos": 0}`), "meta rng has 2 key words and position 0, want 624 words"},
		{"file outside -out", edit(`"seed": 1234`, `"seed": 1234, "files": {"../xor.csv": "00"}`), `meta files has "../xor.csv"`},
		{"init amplitude 0", edit(`"seed": 1234`, `"seed": 1234, "init_mean_abs_w": [0, 1]`), "meta init_mean_abs_w has 0, want positive numbers"},
		// Where a value of the wrong type is found, and what comes first.
		{"format as a number", edit(`"backprop-mlp"`, `1`), "at line 2, column 13: format should be a string, not the number 1"},
		{"version beyond int", edit(`"version": 1`, `"version": 1e30`), "at line 3, column 14: version should be a whole number that fits int, not 1e30"},
		{"newer version with a field of another type", strings.Replace(edit(`"version": 1`, `"version": 3`), `"epochs": 3`, `"epochs": "3"`, 1), "version 3, but this program reads versions 1 to 2"},
		{"a key of another object", edit(`"seed": 1234`, `"seed": 1234, "units": 3`), `at line 4, column 84: unknown field "units" in meta (misspelt, or from another program?)`},
		{"null in files", edit(`"seed": 1234`, `"seed": 1234, "files": {"a.csv": null}`), "at line 4, column 103: meta.files.a.csv should not be null"},
		{"where an array is", "[1, 2]", "at line 1, column 1: the document should be an object, not a JSON array"},
		{"a weight of another type", edit(`[1, -1]`, `[1, true]`), "at line 12, column 16: layers[2].W[0][1] should be a number, not a JSON true or false"},
		{"an object for a weight", edit(`[1, -1]`, `[{"w": 1}, -1]`), "at line 12, column 13: layers[2].W[0][0] should be a number, not a JSON object"},
		{"a generator word beyond uint32", edit(`"seed": 1234`, `"seed": 1234, "rng": {"key": [1, 4294967296], "pos": 0}`), "at line 4, column 103: meta.rng.key[1] should be a whole number that fits uint32, not 4294967296"},
		{"a key of rng cased otherwise", edit(`"seed": 1234`, `"seed": 1234, "rng": {"Pos": 0}`), `unknown field "Pos" in meta.rng (keys are case-sensitive: did you mean "pos"?)`},
		{"a file twice", edit(`"seed": 1234`, `"seed": 1234, "files": {"a.csv": "x", "a.csv": "y"}`), `at line 4, column 108: meta.files has the key "a.csv" twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			net, _, err := LoadModel(path)
			if err == nil {
				t.Fatalf("LoadModel: got a %v; want an error mentioning %q", net, c.want)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("LoadModel error: got %q; want it to name the file and say %q", err, c.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, _, err := LoadModel(filepath.Join(dir, "nope.json"))
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("got %v; want \"does not exist\"", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, _, err := LoadModel(dir)
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("got %v; want \"is a directory\"", err)
		}
	})
}

func TestCheckModelFits(t *testing.T) {
	xor := NewXORNet(newRNG(1))
	fused := testNets(t)["fused"]
	cases := []struct {
		net         *MLP
		in, classes int
		want        string // "" for fits
	}{
		{xor, 2, 2, ""},
		{xor, 784, 10, "takes 2 inputs, but the data has 784"},
		{xor, 2, 3, "has 2 outputs, but the data has 3 classes"},
		{fused, 5, 3, ""},
		{fused, 5, 10, "has 3 outputs"},
	}
	for _, c := range cases {
		err := CheckModelFits(c.net, c.in, c.classes)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckModelFits(%d-input net, %d, %d): got %v; want %q", c.net.NInputs, c.in, c.classes, err, c.want)
		}
	}
}

// FuzzLoadModel feeds arbitrary bytes to the model reader: it must return a
// network or an error, never panic, and a network it returns must survive
// a save and load unchanged. The seeds in testdata/fuzz/FuzzLoadModel run
// with plain go test.
func FuzzLoadModel(f *testing.F) {
	f.Add([]byte(validModel))
	for _, net := range testNets(f) {
		data, err := encodeModel(net, ModelMeta{Experiment: "fuzz", Epochs: 1})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// A version 2 model with every field of meta, the generator's state
	// and the files' checksums among them.
	full := ModelMeta{Experiment: "mnist", Epochs: 3, Batch: 2, Eta: 0.5, Seed: 7, Shuffle: true, Limit: 9, Hidden: []int{4}, Pipeline: "naive",
		RNG: rngStateOf(newRNG(1)), Files: map[string]string{"mnist.csv": strings.Repeat("ab", 32)}, Stopped: true, Note: "n",
		History: []ModelRun{{Epochs: 3, Batch: 2, Eta: 0.5, Seed: 7, Shuffle: true, Limit: 9}}, InitMeanAbsW: []float64{0.5, 0.25}}
	data, err := encodeModel(NewXORNet(newRNG(2)), full)
	if err != nil {
		f.Fatal(err)
	}
	if _, got, err := decodeModel(bytes.NewReader(data), "full.json"); err != nil || !reflect.DeepEqual(got, full) {
		f.Fatalf("a version 2 model with every field of meta: got %v, meta %+v; want %+v", err, got, full)
	}
	f.Add(data)
	f.Add([]byte(""))
	f.Add([]byte("{}"))
	f.Add([]byte(`{"format": "backprop-mlp", "version": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		net, meta, err := decodeModel(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		again, err := encodeModel(net, meta)
		if err != nil {
			t.Fatalf("a loaded model cannot be saved again: %v", err)
		}
		net2, _, err := decodeModel(bytes.NewReader(again), "again.json")
		if err != nil {
			t.Fatalf("a loaded model saved again does not load: %v\n%s", err, again)
		}
		if net2.String() != net.String() {
			t.Fatalf("architecture changed in a round trip:\n%s\n%s", net, net2)
		}
	})
}

// TestLargestNamesRoundTrip: a network with as many layers and as long
// names as a model file may have runs, and its run record is one the
// results page reads: what the program writes, it can read.
func TestLargestNamesRoundTrip(t *testing.T) {
	needLab(t, labPlain)
	name := func(i int) string { return fmt.Sprintf("%0*d", maxNameBytes, i) }
	layers := []Layer{NewLinearLayer(2, 4, NewRandomState(1), name(0))}
	for i := 1; len(layers) < maxLayers-2; i++ {
		layers = append(layers, NewReLULayer(name(i)))
	}
	layers = append(layers, NewLinearLayer(4, 2, NewRandomState(2), name(maxLayers-2)), NewSoftmaxLayer(name(maxLayers-1)))
	net := NewMLP(2, layers, NewLossCrossEntropy(strings.Repeat("L", maxNameBytes)), nil)
	dir := t.TempDir()
	model := filepath.Join(dir, "m.json")
	if err := SaveModel(model, net, ModelMeta{Experiment: "xor", Batch: 4, Eta: 0.1}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runMain("-load", model, "-epochs", "1", "-q", "-out", dir); code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if !strings.Contains(string(page), name(maxLayers-1)) {
		t.Errorf("index.html does not show the run of the network with %d layers of %d-byte names", maxLayers, maxNameBytes)
	}
	// One byte more, and the model is not written: it could not be read.
	long := NewMLP(2, []Layer{NewLinearLayer(2, 2, NewRandomState(1), strings.Repeat("n", maxNameBytes+1))}, NewLossCrossEntropy("CE"), nil)
	if err := SaveModel(filepath.Join(dir, "long.json"), long, ModelMeta{Experiment: "xor"}); err == nil || !strings.Contains(err.Error(), "a name has at most 100") {
		t.Errorf("SaveModel of a %d-byte layer name: %v; want the bound, as LoadModel has it", maxNameBytes+1, err)
	}
}
