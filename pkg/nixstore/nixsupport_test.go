package nixstore

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

const (
	testStore = "/nix/store"
	outPath   = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-build-product-simple"
	docPath   = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-build-product-simple-doc"
	otherPath = "/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-other"
)

var testOutputs = []string{outPath, docPath}

func TestParseMetrics(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name, in string
		want     []Metric
	}{
		{"hydra fixture", "lineCoverage 18 %\nmaxResident 27 KiB\n",
			[]Metric{{"lineCoverage", 18, "%"}, {"maxResident", 27, "KiB"}}},
		{"no unit", "nix-env.qaCount 4", []Metric{{"nix-env.qaCount", 4, ""}}},
		{"decimal", "xzy.time 123.321 s\n", []Metric{{"xzy.time", 123.321, "s"}}},
		{"empty file", "", nil},
		{"blank lines", "\n\n  \n", nil},
		{"one field", "nix-env.qaCount\n", nil},
		{"bad value", "a notanumber\n", nil},
		{"invalid names", "foo$bar 1\nfoo/bar 1\nfoo:bar 1\n", nil},
		{"invalid units dropped", "a 1 s/op\nb 2 µs\nc 3 [ms]\n",
			[]Metric{{"a", 1, ""}, {"b", 2, ""}, {"c", 3, ""}}},
		{"tabs", "a\t1\tms\n", []Metric{{"a", 1, "ms"}}},
		{"crlf", "a 1 ms\r\nb 2\r\n", []Metric{{"a", 1, "ms"}, {"b", 2, ""}}},
		{"surrounding spaces", "  a   1   ms   \n", []Metric{{"a", 1, "ms"}}},
		{"extra fields", "a 1 ms and more\n", []Metric{{"a", 1, "ms"}}},
		{"last wins, first order", "a 1\nb 2 s\na 3 ms\n", []Metric{{"a", 3, "ms"}, {"b", 2, "s"}}},
		{"last wins without unit", "a 1 ms\na 2\n", []Metric{{"a", 2, ""}}},
		{"numbers", "a 1e3\nb 1.5E-2\nc .5\nd 5.\ne -0.25\nf +7\ng 007\n", []Metric{
			{"a", 1000, ""}, {"b", 0.015, ""}, {"c", 0.5, ""}, {"d", 5, ""},
			{"e", -0.25, ""}, {"f", 7, ""}, {"g", 7, ""}}},
		{"infinities", "a inf\nb -inf\nc Infinity\nd +INF\ne 1e400\nf -1e400\n", []Metric{
			{"a", inf, ""}, {"b", -inf, ""}, {"c", inf, ""}, {"d", inf, ""},
			{"e", inf, ""}, {"f", -inf, ""}}},
		{"underflow", "a 1e-400\n", []Metric{{"a", 0, ""}}},
		// std::stod would take a prefix of these; Rust's parse rejects them.
		{"strict", "a 12ms\nb 0x10\nc 1_000\nd 1,5\ne .\nf e5\ng 1e\nh --1\ni nan(1)\nj 1e+\nk infinit\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMetrics(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseMetricsNaN(t *testing.T) {
	got, err := ParseMetrics(strings.NewReader("a nan\nb NaN %\nc -nan\nd +NAN\n"))
	if err != nil || len(got) != 4 {
		t.Fatalf("got %v, %v", got, err)
	}
	for i, m := range got {
		if !math.IsNaN(m.Value) || m.Name != "abcd"[i:i+1] {
			t.Errorf("metric %d = %v", i, m)
		}
	}
	if got[1].Unit != "%" {
		t.Errorf("unit = %q", got[1].Unit)
	}
}

func TestParseMetricsBounds(t *testing.T) {
	maxLine := "a 1" + strings.Repeat(" ", MaxLineSize-3)
	long := strings.Repeat("x", MaxLineSize+1)
	boom := errors.New("boom")
	pad := strings.Repeat(" ", 60) + "\n" // lines of 64 bytes
	full := strings.Repeat("m 1"+pad, MaxFileSize/64)
	for _, tc := range []struct {
		name    string
		in      io.Reader
		want    []string
		wantErr error
	}{
		{"line of MaxLineSize", strings.NewReader(maxLine + "\nb 2\n"), []string{"a", "b"}, nil},
		{"unterminated line of MaxLineSize", strings.NewReader("b 2\n" + maxLine), []string{"b", "a"}, nil},
		{"long line stops", strings.NewReader("a 1\n" + long + "\nb 2\n"), []string{"a"}, ErrLineTooLong},
		{"long last line", strings.NewReader("a 1\n" + long), []string{"a"}, ErrLineTooLong},
		{"file of MaxFileSize", strings.NewReader(full), []string{"m"}, nil},
		{"file over MaxFileSize", strings.NewReader(full + "z 2\n"), []string{"m"}, ErrFileTooLarge},
		{"cut line not parsed", strings.NewReader(full[:MaxFileSize-2] + "z 12345\n"), []string{"m"}, ErrFileTooLarge},
		{"read error", io.MultiReader(strings.NewReader("a 1\n"), iotest.ErrReader(boom)), []string{"a"}, boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMetrics(tc.in)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var names []string
			for _, m := range got {
				names = append(names, m.Name)
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("names = %v, want %v", names, tc.want)
			}
		})
	}
}

func TestParseProducts(t *testing.T) {
	o, d := outPath, docPath
	for _, tc := range []struct {
		name, in string
		want     []Product
	}{
		// subprojects/hydra-tests/jobs/build-product-{simple,with-spaces}.sh
		{"hydra simple", "doc none " + o + "/text.txt\n", []Product{{"doc", "none", o + "/text.txt", "", "text.txt"}}},
		{"hydra with spaces", `doc none "` + o + `/some text.txt"` + "\n",
			[]Product{{"doc", "none", o + "/some text.txt", "", "some text.txt"}}},
		{"default path", "report coverage " + o + "/coverage index.html\n",
			[]Product{{"report", "coverage", o + "/coverage", "index.html", "coverage"}}},
		{"output itself", "nix-build none " + o + "\nfile doc " + d + "/\n",
			[]Product{{"nix-build", "none", o, "", ""}, {"file", "doc", d, "", ""}}},
		{"file order", "file b " + d + "/b\nfile a " + o + "/a\n",
			[]Product{{"file", "b", d + "/b", "", "b"}, {"file", "a", o + "/a", "", "a"}}},
		{"tabs", "doc\tnone\t" + o + "/a\tindex.html\n", []Product{{"doc", "none", o + "/a", "index.html", "a"}}},
		{"crlf", "doc none " + o + "/a\r\ndoc none " + o + "/b x\r\n",
			[]Product{{"doc", "none", o + "/a", "", "a"}, {"doc", "none", o + "/b", "x", "b"}}},
		{"surrounding spaces", "  doc none " + o + "/a  \n", []Product{{"doc", "none", o + "/a", "", "a"}}},
		{"empty file", "", nil},
		{"cleaned", "doc none " + o + "/sub/../a.txt\ndoc none /" + o + "//b/./c\n",
			[]Product{{"doc", "none", o + "/a.txt", "", "a.txt"}, {"doc", "none", o + "/b/c", "", "c"}}},
		{"invalid names", "doc none " + o + "/a$b\ndoc none " + o + "/foo+bar\ndoc none \"" + o + "/a<b>\"\n", []Product{
			{"doc", "none", o + "/a$b", "", ""}, {"doc", "none", o + "/foo+bar", "", ""},
			{"doc", "none", o + "/a<b>", "", ""}}},
		{"name chars", "doc none \"" + o + "/A-z_0.9@x:y z\"\n", []Product{{"doc", "none", o + "/A-z_0.9@x:y z", "", "A-z_0.9@x:y z"}}},
		{"outside store", "doc none /etc/passwd\ndoc none /nix/storefoo/x\n", nil},
		{"store dir itself", "doc none /nix/store\ndoc none " + o + "/..\n", nil},
		{"outside outputs", "doc none " + otherPath + "/x\ndoc none " + o + "x/y\n", nil},
		{"dot-dot escape", "doc none " + o + "/../" + otherPath[len("/nix/store/"):] + "/x\ndoc none " + o + "/../../../etc/passwd\n", nil},
		{"relative", "doc none text.txt\ndoc none ./x\ndoc none $out/x\n", nil},
		{"bad type or subtype", "do*c none " + o + "/a\ndoc n.one " + o + "/a\n", nil},
		{"missing path", "doc none\ndoc\n", nil},
		{"trailing junk", "doc none " + o + "/a b c\ndoc none " + o + "/a \"b\"\n", nil},
		{"leading junk", "# doc none " + o + "/a\n", nil},
		{"bad bare path", "doc none " + o + "/a<b\ndoc none " + o + "/a\"b\n", nil},
		{"bad quoted path", "doc none \"\"\ndoc none \"" + o + "/a\"b\"\ndoc none \"" + o + "/a\n", nil},
		{"not utf-8", "doc none " + o + "/\xff\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProducts(strings.NewReader(tc.in), testStore, testOutputs)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestParseProductsArgs(t *testing.T) {
	in := "doc none " + outPath + "/a\n"
	want := []Product{{"doc", "none", outPath + "/a", "", "a"}}
	for _, tc := range []struct {
		name    string
		store   string
		outputs []string
		want    []Product
	}{
		{"store with slash", "/nix/store/", testOutputs, want},
		{"unclean output", testStore, []string{outPath + "/"}, want},
		{"no outputs", testStore, nil, nil},
		{"output not in store", testStore, []string{"/tmp/x", "/nix/store", "/"}, nil},
		{"output below a store path", testStore, []string{outPath + "/sub"}, nil},
		{"relative store", "nix/store", testOutputs, nil},
		{"empty store", "", testOutputs, nil},
		{"other store", "/gnu/store", testOutputs, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProducts(strings.NewReader(in), tc.store, tc.outputs)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	long := strings.NewReader(in + strings.Repeat("y", MaxLineSize+1) + "\n" + in)
	if got, err := ParseProducts(long, testStore, testOutputs); !errors.Is(err, ErrLineTooLong) || !reflect.DeepEqual(got, want) {
		t.Errorf("long line: got %q, %v", got, err)
	}
	big := io.MultiReader(strings.NewReader(in), bytes.NewReader(bytes.Repeat([]byte("\n"), MaxFileSize)))
	if got, err := ParseProducts(big, testStore, testOutputs); !errors.Is(err, ErrFileTooLarge) || !reflect.DeepEqual(got, want) {
		t.Errorf("big file: got %q, %v", got, err)
	}
}

func TestDefaultProducts(t *testing.T) {
	got := DefaultProducts(map[string]string{
		"out": "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-2.12",
		"doc": "/nix/store/1123456789abcdfghijklmnpqrsvwxyz-hello-2.12-doc",
		"dev": "/nix/store/2123456789abcdfghijklmnpqrsvwxyz-hello-2.12-dev",
	})
	want := []Product{
		{"nix-build", "dev", "/nix/store/2123456789abcdfghijklmnpqrsvwxyz-hello-2.12-dev", "", "hello-2.12-dev"},
		{"nix-build", "doc", "/nix/store/1123456789abcdfghijklmnpqrsvwxyz-hello-2.12-doc", "", "hello-2.12-doc"},
		{"nix-build", "", "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-2.12", "", "hello-2.12"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := DefaultProducts(nil); len(got) != 0 {
		t.Errorf("nil outputs: %q", got)
	}
}

func TestParseReleaseName(t *testing.T) {
	for in, want := range map[string]string{
		"nixos-25.11pre708350":             "nixos-25.11pre708350",
		"  hello-2.12\r\n":                 "hello-2.12",
		"a@b:c_d.e-f\n":                    "a@b:c_d.e-f",
		"nixos 25.11":                      "",
		"":                                 "",
		"\n":                               "",
		"a/b":                              "",
		"a+b":                              "",
		"x\ny":                             "",
		strings.Repeat("a", 100):           strings.Repeat("a", 100),
		strings.Repeat("a", MaxLineSize+1): "",
	} {
		if got := ParseReleaseName(strings.NewReader(in)); got != want {
			t.Errorf("ParseReleaseName(%.20q) = %q, want %q", in, got, want)
		}
	}
	if got := ParseReleaseName(iotest.ErrReader(errors.New("boom"))); got != "" {
		t.Errorf("read error: %q", got)
	}
}

func TestFuzzCheckErr(t *testing.T) {
	long := []byte("a 1\n" + strings.Repeat("x", MaxLineSize+1))
	_, err := ParseMetrics(bytes.NewReader(long))
	checkErr(t, long, err)
	_, err = ParseProducts(bytes.NewReader(long), testStore, testOutputs)
	checkErr(t, long, err)
}
