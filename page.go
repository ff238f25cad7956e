package main

// The results page: every experiment run leaves out/<exp>.run.json (its
// settings, final figures, notes and pictures) and then rebuilds
// out/index.html from all the records in the directory, so that runs of
// different experiments accumulate on one offline page.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// pct formats a fraction as a percentage.
func pct(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

// field is one setting of a run, e.g. {"eta", "0.1"}.
type field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// picture is a chart or map of a run, a file in the out directory. Its
// caption is one line that says what to look for.
type picture struct {
	File    string `json:"file"`
	Caption string `json:"caption"`
	Group   string `json:"group,omitempty"` // pictures of a group are shown together under this heading
	Wide    bool   `json:"wide,omitempty"`  // takes a whole row of the grid, at its natural size (the digit grid)
}

// runRecord is what one experiment run leaves for the page.
type runRecord struct {
	Experiment string     `json:"experiment"`
	Title      string     `json:"title"`
	Written    string     `json:"written"` // RFC 3339
	Settings   []field    `json:"settings"`
	Header     []string   `json:"header"` // final figures: a table
	Rows       [][]string `json:"rows"`
	Notes      []string   `json:"notes,omitempty"` // divergence, stalls, hints
	Pictures   []picture  `json:"pictures"`
	Files      []string   `json:"files"` // data files (CSV) in the out directory
}

// runRecordSuffix ends the name of every run record in the out directory.
const runRecordSuffix = ".run.json"

// maxRunRecordBytes bounds what is read of a run record (they have a few
// kilobytes).
const maxRunRecordBytes = 4 << 20

// pageJob writes rec as <experiment>.run.json and rebuilds index.html.
func pageJob(out *outputs, rec *runRecord) outputJob {
	write := func() error {
		if rec.Written == "" {
			rec.Written = time.Now().Format(time.RFC3339)
		}
		err := out.write(rec.Experiment+runRecordSuffix, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rec)
		})
		if err != nil {
			return err
		}
		return out.write("index.html", func(w io.Writer) error { return writeIndex(w, out.dir) })
	}
	return outputJob{name: filepath.Join(out.dir, rec.Experiment+runRecordSuffix) + " and " + filepath.Join(out.dir, "index.html"), write: write}
}

// readRunRecords reads every run record in dir, in the order of the
// experiments registry (unknown experiments last, by name). A record that
// cannot be read is not skipped silently: it comes back as a problem that
// names the file, and the page shows it.
func readRunRecords(dir string) (recs []*runRecord, problems []string, err error) {
	// The directory's names, not a glob of it: a directory named with a
	// glob's metacharacters (out[1]) would match none of its own records.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), runRecordSuffix) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		// Only regular files of a bounded size: a FIFO or a link to
		// /dev/zero named like a record must not hang the page.
		data, err := readRegular("run record", name, maxRunRecordBytes)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		rec := &runRecord{}
		if err := json.Unmarshal(data, rec); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not a run record: %v", filepath.Base(name), err))
			continue
		}
		if rec.Experiment == "" {
			rec.Experiment = strings.TrimSuffix(filepath.Base(name), runRecordSuffix)
		}
		recs = append(recs, rec)
	}
	rank := func(exp string) int {
		if r, ok := experimentRank[exp]; ok {
			return r
		}
		return len(experimentRank)
	}
	slices.SortStableFunc(recs, func(a, b *runRecord) int {
		return cmp.Or(cmp.Compare(rank(a.Experiment), rank(b.Experiment)), strings.Compare(a.Experiment, b.Experiment))
	})
	return recs, problems, nil
}

// experimentRank orders the page as the experiments registry does: main.go
// fills it from its table (in an init: the table's run functions lead
// here, so a plain initializer would be an initialization cycle).
var experimentRank = map[string]int{}

// pageRun is a run record as the page shows it: pictures grouped, and only
// files that exist linked. The summary (figures, notes, settings) comes
// first: as the first cell of the first group's grid when that group has
// an odd number of pictures, so that two columns of them leave no hole,
// else across the page above it.
type pageRun struct {
	*runRecord
	Groups        []pageGroup
	Files         []string
	Missing       []string
	SummaryInGrid bool
}

type pageGroup struct {
	Name     string
	Pictures []picture
}

// writeIndex writes the page for the run records in dir.
func writeIndex(w io.Writer, dir string) error {
	recs, problems, err := readRunRecords(dir)
	if err != nil {
		return err
	}
	exists := func(name string) bool {
		// Only plain names inside dir: a record must not point elsewhere.
		if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			return false
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		return err == nil && fi.Mode().IsRegular()
	}
	var runs []pageRun
	for _, rec := range recs {
		pr := pageRun{runRecord: rec}
		for _, p := range rec.Pictures {
			if !exists(p.File) {
				pr.Missing = append(pr.Missing, p.File)
				continue
			}
			if n := len(pr.Groups); n == 0 || pr.Groups[n-1].Name != p.Group {
				pr.Groups = append(pr.Groups, pageGroup{Name: p.Group})
			}
			g := &pr.Groups[len(pr.Groups)-1]
			g.Pictures = append(g.Pictures, p)
		}
		for _, f := range rec.Files {
			if exists(f) {
				pr.Files = append(pr.Files, f)
			} else {
				pr.Missing = append(pr.Missing, f)
			}
		}
		if len(pr.Groups) > 0 {
			narrow := 0
			for _, p := range pr.Groups[0].Pictures {
				if !p.Wide {
					narrow++
				}
			}
			pr.SummaryInGrid = narrow%2 == 1
		}
		runs = append(runs, pr)
	}
	return indexTemplate.Execute(w, map[string]any{"Runs": runs, "Problems": problems})
}

// indexTemplate is the page: one section per run, no scripts, nothing
// loaded from outside the directory. It is well-formed XML as well as HTML.
// The pictures are alike in size (600 × 420, the digit grid aside), so a
// grid of equal cells holds them without gaps: two across a 1280 px
// window, each shown at about 0.95 of its size, three from about 1750 px.
var indexTemplate = template.Must(template.New("index").Parse(`{{define "summary"}}<div class="summary">
{{if .Header}}<table class="figures">
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{end}}{{if .Notes}}<ul class="notes">
{{range .Notes}}<li>{{.}}</li>
{{end}}</ul>
{{end}}<table class="settings">
{{range .Settings}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
</div>
{{end}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>backprop: results</title>
<style>
body { font-family: Helvetica, Arial, 'Liberation Sans', sans-serif; margin: 0; background: #f4f5f7; color: #222; }
header { background: #23395b; color: white; padding: 14px 24px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; opacity: 0.8; font-size: 14px; }
nav { padding: 8px 24px; background: #e6e9ef; font-size: 14px; }
nav a { margin-right: 18px; color: #23395b; }
main { padding: 4px 24px 32px; }
section.run { background: white; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,0.12); padding: 12px 20px 16px; margin: 16px 0; }
section.run h2 { margin: 0 0 2px; font-size: 20px; }
.when { color: #777; font-size: 13px; margin: 0 0 10px; }
h3 { font-size: 16px; margin: 16px 0 6px; color: #23395b; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(520px, 100%), 1fr)); gap: 14px; }
figure, .grid .summary { margin: 0; background: #fafafa; border: 1px solid #e3e3e3; border-radius: 4px; padding: 6px; }
figure img { display: block; width: 100%; height: auto; }
figure.wide { grid-column: 1 / -1; }
figure.wide img { width: auto; max-width: 100%; margin: 0 auto; }
figcaption { font-size: 13px; color: #444; margin: 4px 2px 0; }
.summary { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; margin-bottom: 12px; }
.grid .summary { display: block; padding: 10px 14px; font-size: 14px; }
table { border-collapse: collapse; font-size: 14px; margin: 0 0 10px; }
th, td { padding: 3px 10px; text-align: left; border-bottom: 1px solid #e3e3e3; }
table.figures th { background: #eef1f6; }
table.figures td { font-variant-numeric: tabular-nums; }
table.settings th { color: #555; font-weight: normal; }
ul.notes { padding: 0; margin: 0 0 10px; flex: 1 1 360px; }
ul.notes li { background: #fff6e0; border-left: 4px solid #e6a100; padding: 4px 10px; margin: 0 0 4px; list-style: none; }
.problem { background: #fde8e8; border-left: 4px solid #c62828; padding: 6px 12px; }
.files { font-size: 14px; margin: 12px 0 0; }
</style>
</head>
<body>
<header>
<h1>backprop: results</h1>
<p>Multilayer perceptrons trained with backpropagation and SGD. Each run below comes from a NAME.run.json file in this directory.</p>
</header>
{{if .Runs}}<nav>{{range .Runs}}<a href="#{{.Experiment}}">{{.Title}}</a>{{end}}</nav>{{end}}
<main>
{{range .Problems}}<p class="problem">Could not show a run: {{.}}</p>
{{end}}{{if not .Runs}}<p>No runs yet: run e.g. <code>go run . -exp xor</code>.</p>
{{end}}{{range .Runs}}{{$run := .}}<section class="run" id="{{.Experiment}}">
<h2>{{.Title}}</h2>
<p class="when">experiment <code>{{.Experiment}}</code>, written {{.Written}}</p>
{{if not .SummaryInGrid}}{{template "summary" .}}{{end}}{{range $i, $g := .Groups}}{{if .Name}}<h3>{{.Name}}</h3>
{{end}}<div class="grid">
{{if and (eq $i 0) $run.SummaryInGrid}}{{template "summary" $run}}{{end}}{{range .Pictures}}<figure{{if .Wide}} class="wide"{{end}}><a href="{{.File}}"><img src="{{.File}}" alt="{{.Caption}}" /></a><figcaption>{{.Caption}}</figcaption></figure>
{{end}}</div>
{{end}}{{if .Files}}<p class="files">Data: {{range $i, $f := .Files}}{{if $i}}, {{end}}<a href="{{$f}}">{{$f}}</a>{{end}}</p>
{{end}}{{if .Missing}}<p class="problem">Missing files (run the experiment again): {{range $i, $f := .Missing}}{{if $i}}, {{end}}{{$f}}{{end}}</p>
{{end}}</section>
{{end}}</main>
</body>
</html>
`))
