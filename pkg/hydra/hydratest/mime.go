package hydratest

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// mimeTypes covers the MIME::Types answers for common product extensions.
var mimeTypes = map[string]string{
	"json": "application/json", "html": "text/html", "htm": "text/html", "txt": "text/plain",
	"css": "text/css", "js": "application/javascript", "svg": "image/svg+xml", "png": "image/png",
	"jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "pdf": "application/pdf",
	"xml": "application/xml", "csv": "text/csv", "gz": "application/x-gzip", "tgz": "application/x-gzip",
	"bz2": "application/x-bzip2", "xz": "application/x-xz", "tar": "application/x-tar",
	"zip": "application/zip", "iso": "application/x-iso9660-image", "deb": "application/x-debian-package",
	"rpm": "application/x-rpm", "md": "text/markdown", "svgz": "image/svg+xml",
}

// contentType follows Build.pm serveFile: if the path (anywhere, even in a
// directory name) has a dot followed by non-space characters up to the end,
// that suffix is looked up (default text/plain); otherwise libmagic guesses.
func contentType(path string, data []byte) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 && i < len(path)-1 &&
		!strings.ContainsAny(path[i+1:], " \t\r\n\f\v") {
		ext := strings.ToLower(path[i+1:])
		if t, ok := mimeTypes[ext]; ok {
			return t
		}
		if !strings.Contains(ext, "/") {
			if t := mime.TypeByExtension("." + ext); t != "" {
				if mt, _, err := mime.ParseMediaType(t); err == nil {
					return mt
				}
			}
		}
		return "text/plain"
	}
	switch {
	case len(data) == 0:
		return "application/x-empty; charset=binary"
	case bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data):
		return "application/octet-stream; charset=binary"
	case isASCII(data):
		return "text/plain; charset=us-ascii"
	default:
		return "text/plain; charset=utf-8"
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// httpTime formats unix seconds as an HTTP date (Last-Modified).
func httpTime(sec int64) string { return time.Unix(sec, 0).UTC().Format(http.TimeFormat) }
