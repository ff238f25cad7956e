package main

// What a run may ask of the machine. Every count that comes from a flag or
// a file (epochs, images, widths, a model's size) is weighed here before
// anything of that size is allocated: the memory a run will need is
// estimated from its parts and compared with what this machine can give,
// so that a run that cannot fit is refused with both figures instead of
// dying with "fatal error: runtime: out of memory" (which no program can
// catch) or swapping the machine to a halt.

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// maxEpochs bounds the epochs of a network over all its runs (-epochs and a
// model's meta): any sum of epoch numbers then fits an int, and a run's
// per-epoch records are weighed by the memory check long before it.
const maxEpochs = math.MaxInt32

// memoryLimit returns the bytes a run may use and where that figure comes
// from. Tests replace it, so that a memory refusal is tested without
// allocating gigabytes.
var memoryLimit = machineMemory

// machineMemory is the least of: GOMEMLIMIT (when set), the memory the
// system still has available (MemAvailable in /proc/meminfo) and the room
// left under a cgroup's limit (a container's). Where none is known (another
// system) it is unlimited, and only the arithmetic is checked.
func machineMemory() (bytes int64, source string) {
	bytes, source = math.MaxInt64, "no limit known"
	if l := debug.SetMemoryLimit(-1); l < bytes {
		bytes, source = l, "GOMEMLIMIT"
	}
	if kb, ok := meminfoField("MemAvailable"); ok && kb*1024 < bytes {
		bytes, source = kb*1024, "available memory (MemAvailable in /proc/meminfo)"
	}
	for _, cg := range [][2]string{
		{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
		{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"},
	} {
		lim, ok1 := readNumberFile(cg[0])
		used, ok2 := readNumberFile(cg[1])
		if ok1 && ok2 && lim-used < bytes {
			bytes, source = lim-used, "the room left under this container's memory limit ("+cg[0]+")"
		}
	}
	return max(bytes, 0), source
}

// meminfoField returns a field of /proc/meminfo, in kB.
func meminfoField(name string) (int64, bool) {
	data, err := readRegular("system file", "/proc/meminfo", 1<<20)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == name+":" {
			v, err := strconv.ParseInt(f[1], 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// readNumberFile reads a file holding one number ("max" and the like are
// not numbers: no limit).
func readNumberFile(path string) (int64, bool) {
	data, err := readRegular("system file", path, 64)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return v, err == nil
}

// memNeed is one part of a run's memory, in bytes. Sizes are float64 so
// that an absurd count gives an absurd figure, never an overflow.
type memNeed struct {
	what  string
	bytes float64
}

// checkMemory refuses a run whose parts add up to more than memoryLimit;
// fix says what to change.
func checkMemory(needs []memNeed, fix string) error {
	total := 0.0
	for _, n := range needs {
		total += n.bytes
	}
	limit, source := memoryLimit()
	if total <= float64(limit) {
		return nil
	}
	var parts []string
	for _, n := range needs {
		if n.bytes >= total/100 {
			parts = append(parts, fmt.Sprintf("%s %s", n.what, formatBytes(n.bytes)))
		}
	}
	return fmt.Errorf("this run would need about %s of memory (%s), but it may use %s (%s): %s",
		formatBytes(total), strings.Join(parts, ", "), formatBytes(float64(limit)), source, fix)
}

// formatBytes writes a size in the largest binary unit that keeps it ≥ 1.
func formatBytes(b float64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := 0
	for b >= 1024 && u < len(units)-1 {
		b /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%.0f bytes", b)
	}
	if b >= 1e4 { // beyond EiB
		return fmt.Sprintf("%.3g %s", b, units[u])
	}
	return fmt.Sprintf("%.1f %s", b, units[u])
}

// runInfoNeed is the memory of the per-epoch records of a run of epochs
// epochs, for a network with linear linear layers. An epoch holds 512
// bytes, generous: the run info's record (about 90 bytes, up to twice that
// while its slice grows), the margin watch's, and the points of the charts
// drawn from them at the end (made only once); and 48 bytes a linear layer
// for its weight amplitude.
func runInfoNeed(epochs, linear int) memNeed {
	return memNeed{"run info of every epoch", float64(epochs+1) * float64(512+48*linear)}
}

// netWidths returns the widths of net's linear layers, inputs first.
func netWidths(net *MLP) []int {
	widths := []int{net.NInputs}
	for _, l := range net.Layers {
		if s, ok := l.(sizedLayer); ok {
			_, out := s.Dims()
			widths = append(widths, out)
		}
	}
	return widths
}

// netNeeds is the memory of a network with these layer widths (inputs
// first) on a data set of rows rows, trained on batches of batch rows (all
// of them when the set is smaller) with the evaluation in chunks of
// evalRows rows: parameters, their gradients, the copy that a save encodes
// as JSON (about 25 bytes a number), and every layer's output and delta for
// a batch (two per linear layer: its output and its ReLU's), and the
// evaluation's buffers, a set per goroutine.
func netNeeds(widths []int, batch, rows int) []memNeed {
	params, acts := 0.0, 0.0
	for i := 1; i < len(widths); i++ {
		params += float64(widths[i-1])*float64(widths[i]) + float64(widths[i])
		acts += 2 * float64(widths[i])
	}
	widest := float64(widestLayer(widths))
	b := math.Min(float64(batch), float64(rows))
	chunk := math.Min(float64(evalRows(int(widest))), float64(rows))
	return []memNeed{
		// weights, the gradients (the batch's and its parts', batchGradient), a saved copy
		{"network (weights, gradients, saved copy)", params * (8 + 8*(1+splitParts) + 25)},
		{"training buffers", 2 * 8 * b * (acts + float64(widths[0]))},
		{"evaluation buffers", 8 * chunk * 3 * widest * float64(workers())},
	}
}

// widestLayer is the most units of any layer of a network with these
// widths (inputs first): the width of its largest buffers.
func widestLayer(widths []int) int {
	w := 1
	for _, x := range widths[1:] {
		w = max(w, x)
	}
	return w
}

// evalRows is the rows of an evaluation chunk for a network whose widest
// layer has widest units: evalChunk up to 1024 units, fewer in a wider
// network (down to one row), so that its buffers (netNeeds counts them)
// stay at 2 MiB each however wide a loaded network is.
func evalRows(widest int) int { return max(1, min(evalChunk, evalChunk*1024/max(widest, 1))) }

// evalRows is the rows of n's evaluation chunks (evalPass).
func (n *MLP) evalRows() int { return evalRows(widestLayer(netWidths(n))) }

// mapNeed is the memory of the decision map of a network with these widths
// over a grid of cells points: its chunk's three buffers (mapRows), the
// class of every point, the picture's pixels (at least 2×2 a point) and
// its PNG, base64 and SVG text.
func mapNeed(widths []int, cells int) memNeed {
	widest := widestLayer(widths)
	rows := float64(mapRows(widest))
	return memNeed{"decision map", 8*rows*(3*float64(widest)+2) + 16*float64(cells) + 16<<20}
}
