package main

// -download: fetching the MNIST files from public mirrors, each checked
// against its SHA-256 before it is kept.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// mnistMirrors serve the four gzip files under these prefixes. They are
// tried in order; a failure (network, HTTP status, checksum) falls through
// to the next one.
var mnistMirrors = []string{
	"https://ossci-datasets.s3.amazonaws.com/mnist/",      // the mirror torchvision uses
	"https://storage.googleapis.com/cvdf-datasets/mnist/", // the CVDF mirror
}

// newHTTPClient is a client that gives up instead of hanging: bounded
// connection, TLS and header waits, and a bound on a whole download.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Minute,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
		},
	}
}

// downloadMNIST makes sure dir holds every one of files, fetching the
// ones that are missing, or whose gzip file differs from its SHA-256, from
// the first mirror that serves them correctly. A file found under another
// name it is read by (unpacked, or dotted: mnistNames) is kept as it is.
// Every file is tried; a file that no mirror served is named once in the
// error, with each mirror's reason and what to do. Progress goes to
// progress.
func downloadMNIST(dir string, files []mnistFile, mirrors []string, client *http.Client, progress io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("MNIST directory %s: %w", dir, err)
	}
	removeStaleTemps(dir) // of downloads killed earlier (Ctrl-C stops a download at once)
	var failed []string
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		if sum, err := fileSHA256(path); err == nil && sum == f.SHA256 {
			fmt.Fprintf(progress, "%s: already there, checksum ok\n", path)
			continue
		} else if err != nil {
			if other, found, _ := findMNISTFile(dir, f); found {
				fmt.Fprintf(progress, "%s: found as %s, kept (its checksum is that of the compressed file, not checked)\n", f.Name, other)
				continue
			}
		}
		err := errors.New("no mirror to try")
		for i, m := range mirrors {
			url := strings.TrimSuffix(m, "/") + "/" + f.Name
			if err = downloadFile(client, url, path, f, progress); err == nil {
				break
			}
			if i+1 < len(mirrors) {
				fmt.Fprintf(progress, "%s: %v; trying the next mirror\n", f.Name, err)
			}
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s (SHA-256 %s): %v", f.Name, f.SHA256, err))
			fmt.Fprintf(progress, "%s: not downloaded\n", f.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not download %d of the %d MNIST files from any mirror (the last mirror's reason for each):\n  %s\n"+
			"Check the connection (a proxy is taken from $HTTPS_PROXY), or copy the files into %s by hand\n"+
			"from a machine that has them (gzip-compressed or not; check them with sha256sum).",
			len(failed), len(files), strings.Join(failed, "\n  "), dir)
	}
	return nil
}

// downloadFile fetches url into path, atomically: the body goes into a
// temporary file in the same directory, which becomes path only when its
// SHA-256 is f's. On any failure nothing is left behind.
func downloadFile(client *http.Client, url, path string, f mnistFile, progress io.Writer) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %s", url, resp.Status)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		h := sha256.New()
		pw := &progressWriter{w: progress, name: f.Name, total: f.Size, step: max(f.Size/10, 1<<20)}
		// Read at most one byte more than expected: a longer body is wrong
		// anyway, and must not fill the disk.
		n, err := io.Copy(io.MultiWriter(w, h, pw), io.LimitReader(resp.Body, f.Size+1))
		pw.done()
		if err != nil {
			return fmt.Errorf("%s: %w after %d bytes", url, err, n)
		}
		if n != f.Size {
			return fmt.Errorf("%s: got %d bytes, want %d", url, n, f.Size)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
			return fmt.Errorf("%s: SHA-256 %s, want %s (damaged or a different file)", url, sum, f.SHA256)
		}
		return nil
	})
}

// progressWriter prints "name: X of Y bytes" every step bytes and at the end.
type progressWriter struct {
	w           io.Writer
	name        string
	total, step int64
	n, shown    int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.n-p.shown >= p.step {
		p.print()
	}
	return len(b), nil
}

func (p *progressWriter) print() {
	p.shown = p.n
	fmt.Fprintf(p.w, "%s: %d of %d bytes (%.0f%%)\n", p.name, p.n, p.total, 100*float64(p.n)/float64(p.total))
}

func (p *progressWriter) done() {
	if p.n != p.shown {
		p.print()
	}
}
