package main

// Tests of the output formats: CSV fields that need quotes get them, a
// resumed run's copy of the earlier rows gives back the bytes it read, and
// the pictures' text is escaped.

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A layer name with a comma or a quote heads a column that reads back as
// the name; plain fields are written bare, as the goldens hold them.
func TestWriteCSVQuotes(t *testing.T) {
	ri := &RunInfo{Linear: []string{"Linear_1", `a,b "c"`}}
	ri.Epochs = []EpochInfo{{Epoch: 0, LossTrain: 0.5, AccTrain: 1, LossTest: math.NaN(), AccTest: math.NaN(), WeightAmp: []float64{1, 1}}}
	var b bytes.Buffer
	if err := ri.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "epoch,loss_train,acc_train,loss_test,acc_test,wamp_Linear_1,\"wamp_a,b \"\"c\"\"\"\n0,0.5,1,nan,nan,1,1\n"
	if b.String() != want {
		t.Errorf("WriteCSV:\ngot  %q\nwant %q", b.String(), want)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][6] != `wamp_a,b "c"` {
		t.Errorf("read back: %q, %v; want the column wamp_a,b \"c\"", rows, err)
	}
}

// copyRowsBefore copies the rows before an epoch, quoted fields included,
// byte for byte, and stops at the first row that is not an earlier epoch.
func TestCopyRowsBefore(t *testing.T) {
	const file = "epoch,\"x,y\",z\n0,1,\"a,b\"\n1,2,\" c\"\n2,3,d\n3,4,e\n"
	path := filepath.Join(t.TempDir(), "run.csv")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from int
		want string
	}{
		{0, ""},
		{2, "0,1,\"a,b\"\n1,2,\" c\"\n"},
		{9, "0,1,\"a,b\"\n1,2,\" c\"\n2,3,d\n3,4,e\n"},
	} {
		var b bytes.Buffer
		if err := copyRowsBefore(&b, path, tc.from); err != nil || b.String() != tc.want {
			t.Errorf("copyRowsBefore(from %d) = %q, %v; want %q", tc.from, b.String(), err, tc.want)
		}
	}

	// A row that is not an epoch ends the copy, as the end of the file does.
	if err := os.WriteFile(path, []byte("epoch,z\n0,a\ntotal,b\n1,c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := copyRowsBefore(&b, path, 9); err != nil || b.String() != "0,a\n" {
		t.Errorf("copyRowsBefore with a row \"total\" = %q, %v; want %q", b.String(), err, "0,a\n")
	}

	// A file that is not CSV is an error naming it, not rows dropped.
	if err := os.WriteFile(path, []byte("epoch,z\n0,a\"b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	err := copyRowsBefore(&b, path, 9)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("copyRowsBefore of a broken file: got %v; want an error naming %s", err, path)
	}
}

// Every CSV writer's header, for the record: the columns the docs list.
func TestCSVHeaders(t *testing.T) {
	var b bytes.Buffer
	if err := writeSpiralCSV(&b, nil); err != nil || b.String() != "eta,epoch,loss_train,acc_train,loss_test,acc_test\n" {
		t.Errorf("writeSpiralCSV(no runs) = %q, %v", b.String(), err)
	}
	b.Reset()
	if err := (&marginWatch{}).WriteCSV(&b); err != nil || b.String() != "epoch,max_abs_logit,min_log_p_true\n" {
		t.Errorf("marginWatch.WriteCSV(no epochs) = %q, %v", b.String(), err)
	}
	b.Reset()
	ri := &RunInfo{Linear: []string{"L1", "L2"}}
	if err := ri.WriteWeightsCSV(&b); err != nil || !slices.Equal(strings.Split(b.String(), "\n"), []string{"epoch,L1,L2", ""}) {
		t.Errorf("WriteWeightsCSV(no epochs) = %q, %v", b.String(), err)
	}
}

// Text that XML would misread, in a chart's title and a series' name,
// reads back as it was written: the SVG is well-formed.
func TestSVGTextEscaped(t *testing.T) {
	const odd = `a<b & "c" 'd' >`
	c := &LineChart{Title: odd, XLabel: "epoch", YLabel: odd, Series: []Series{{Name: odd, X: []float64{0, 1}, Y: []float64{1, 2}}}}
	var b bytes.Buffer
	if err := c.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	var texts, names []string
	d := xml.NewDecoder(&b)
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
			for _, a := range tok.Attr {
				if tok.Name.Local == "g" && a.Name.Local == "data-name" {
					names = append(names, a.Value)
				}
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if !slices.Contains(texts, odd) || !slices.Equal(names, []string{odd}) {
		t.Errorf("texts %q, series names %q; want the title and the series named %q", texts, names, odd)
	}
}

// The page's one-line architecture is MLP.String's description: the same
// parts in the same order, a linear layer with its widths.
func TestArchitectureIsStringOnOneLine(t *testing.T) {
	for _, tc := range []struct {
		net  *MLP
		want string
	}{
		{NewXORNet(newRNG(1)), "Linear_1 (2→4), ReLU_1, Linear_OUT (4→2), Softmax_OUT; loss CE"},
		{NewMNISTNet([]int{6}, false, newRNG(1)), "Linear_1 (784→6), ReLU_1, Linear_OUT (6→10); loss CE_logits; output Softmax_OUT"},
	} {
		got := architecture(tc.net)
		if got != tc.want {
			t.Errorf("architecture = %q; want %q", got, tc.want)
		}
		lines := strings.Split(strings.TrimSpace(tc.net.String()), "\n")[1:]
		parts := strings.FieldsFunc(got, func(r rune) bool { return r == ',' || r == ';' })
		if len(parts) != len(lines) {
			t.Fatalf("architecture has %d parts, String %d lines:\n%s\n%s", len(parts), len(lines), got, tc.net)
		}
		for i, p := range parts {
			name, _, _ := strings.Cut(strings.TrimSpace(p), " (")
			if !strings.HasPrefix(strings.TrimSpace(lines[i]), name+":") {
				t.Errorf("part %d of the architecture is %q, line %d of String %q", i, name, i, lines[i])
			}
		}
	}
}
