package main

// Tests of -download against local httptest servers standing in for the
// mirrors: nothing here touches the network.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeMNIST is two small "files" with their checksums, as a mirror serves them.
func fakeMNIST() ([]mnistFile, map[string][]byte) {
	bodies := map[string][]byte{
		"a.gz": bytes.Repeat([]byte("first file "), 300000), // 3.3 MB: several progress lines
		"b.gz": []byte("second file"),
	}
	var files []mnistFile
	for _, name := range []string{"a.gz", "b.gz"} {
		sum := sha256.Sum256(bodies[name])
		files = append(files, mnistFile{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(bodies[name]))})
	}
	return files, bodies
}

// mirror serves bodies under /mnist/, each passed through corrupt first.
func mirror(t *testing.T, bodies map[string][]byte, corrupt func([]byte) []byte) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[strings.TrimPrefix(r.URL.Path, "/mnist/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(corrupt(append([]byte{}, b...)))
	}))
	t.Cleanup(s.Close)
	return s
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func same(b []byte) []byte { return b }

func TestMNISTDownload(t *testing.T) {
	files, bodies := fakeMNIST()
	good := mirror(t, bodies, same)
	dir := filepath.Join(t.TempDir(), "new", "mnist")
	var progress bytes.Buffer
	if err := downloadMNIST(dir, files, []string{good.URL + "/mnist/"}, good.Client(), &progress); err != nil {
		t.Fatalf("downloadMNIST: %v", err)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || !bytes.Equal(got, bodies[f.Name]) {
			t.Errorf("%s: got %d bytes (error %v); want the %d bytes served", f.Name, len(got), err, len(bodies[f.Name]))
		}
	}
	if got := dirNames(t, dir); len(got) != 2 {
		t.Errorf("directory holds %q; want only a.gz and b.gz", got)
	}
	if want := "a.gz: 3300000 of 3300000 bytes (100%)"; !strings.Contains(progress.String(), want) {
		t.Errorf("progress: got %q; want a line %q", progress.String(), want)
	}
	if n := strings.Count(progress.String(), "a.gz: "); n < 3 {
		t.Errorf("progress: got %d lines for a.gz; want several", n)
	}
	// A second run finds the files and fetches nothing.
	progress.Reset()
	if err := downloadMNIST(dir, files, []string{"http://127.0.0.1:1/unused/"}, good.Client(), &progress); err != nil {
		t.Fatalf("downloadMNIST with the files present: %v", err)
	}
	if !strings.Contains(progress.String(), "already there, checksum ok") {
		t.Errorf("progress: got %q; want already there", progress.String())
	}
}

func TestMNISTDownloadChecksumMismatch(t *testing.T) {
	files, bodies := fakeMNIST()
	flip := func(b []byte) []byte { b[len(b)/2] ^= 1; return b }
	bad := mirror(t, bodies, flip)
	dir := t.TempDir()
	err := downloadMNIST(dir, files, []string{bad.URL + "/mnist/"}, bad.Client(), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "could not download 2 of the 2") || strings.Count(err.Error(), "a.gz (SHA-256") != 1 ||
		strings.Count(err.Error(), "b.gz (SHA-256") != 1 || !strings.Contains(err.Error(), "(damaged or a different file)") {
		t.Fatalf("downloadMNIST from a corrupting mirror: got error %v; want each file named once, with its SHA-256 mismatch", err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("after the failed download the directory holds %q; want nothing (no partial or temporary file)", got)
	}
}

func TestMNISTDownloadFallsThrough(t *testing.T) {
	files, bodies := fakeMNIST()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // connection refused from now on
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	good := mirror(t, bodies, same)
	dir := t.TempDir()
	var progress bytes.Buffer
	mirrors := []string{deadURL + "/mnist/", notFound.URL + "/mnist", good.URL + "/mnist/"}
	if err := downloadMNIST(dir, files, mirrors, good.Client(), &progress); err != nil {
		t.Fatalf("downloadMNIST with two failing mirrors first: %v", err)
	}
	for _, f := range files {
		if sum, err := fileSHA256(filepath.Join(dir, f.Name)); err != nil || sum != f.SHA256 {
			t.Errorf("%s: got SHA-256 %s (error %v); want %s", f.Name, sum, err, f.SHA256)
		}
	}
	if !strings.Contains(progress.String(), "404") || !strings.Contains(progress.String(), "trying the next mirror") {
		t.Errorf("progress: got %q; want the failures reported", progress.String())
	}
}

// TestMNISTDownloadTooLong: a body longer than the file should be is cut
// off after one extra byte and refused.
func TestMNISTDownloadTooLong(t *testing.T) {
	files, bodies := fakeMNIST()
	long := mirror(t, bodies, func(b []byte) []byte { return append(b, make([]byte, 1<<20)...) })
	dir := t.TempDir()
	err := downloadMNIST(dir, files[1:], []string{long.URL + "/mnist/"}, long.Client(), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "got 12 bytes, want 11") {
		t.Errorf("got error %v; want got 12 bytes, want 11", err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("directory holds %q; want nothing", got)
	}
}

// Without a network every file is tried, and the error names each once,
// with the reason and what to do; nothing is left in the directory.
func TestMNISTDownloadOffline(t *testing.T) {
	files, bodies := fakeMNIST()
	gone1, gone2 := mirror(t, bodies, same), mirror(t, bodies, same)
	gone1.Close()
	gone2.Close()
	dir := t.TempDir()
	var progress bytes.Buffer
	err := downloadMNIST(dir, files, []string{gone1.URL + "/mnist/", gone2.URL + "/mnist/"}, gone1.Client(), &progress)
	if err == nil {
		t.Fatal("downloadMNIST with no mirror reachable: no error")
	}
	msg := err.Error()
	for _, f := range files {
		if strings.Count(msg, f.Name+" (SHA-256") != 1 || strings.Count(progress.String(), f.Name+": not downloaded") != 1 {
			t.Errorf("%s named %d times in the error, %d times as not downloaded; want once each:\n%s\n%s", f.Name, strings.Count(msg, f.Name+" (SHA-256"), strings.Count(progress.String(), f.Name+": not downloaded"), msg, &progress)
		}
	}
	if !strings.Contains(msg, "could not download 2 of the 2") || !strings.Contains(msg, "Check the connection") || !strings.Contains(msg, "copy the files into "+dir+" by hand") {
		t.Errorf("error %q; want what failed and what to do", msg)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("after the failed download the directory holds %q; want nothing", got)
	}
}
