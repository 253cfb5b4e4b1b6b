// Command gen-sdk writes the SDKs of the dps-enrollments plugin from its package schema, with
// Pulumi's own code generators (the Go libraries behind `pulumi package gen-sdk`), so that no
// language host is needed.
//
//	gen-sdk SCHEMA.json OUT_DIR
//
// writes OUT_DIR/nodejs, OUT_DIR/python, OUT_DIR/go and OUT_DIR/dotnet, each removed and written
// whole. The schema is the one the plugin's GetSchema answers (scripts/gen-sdk.sh produces it).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"

	"github.com/blang/semver"
	dotnet "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3/codegen"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"golang.org/x/mod/modfile"
)

// tool is the name the generated files' headers give as their generator.
const tool = "pulumi-dps-enrollments gen-sdk"

// noLoader answers every request for another package with an error: the schema refers to none.
type noLoader struct{}

var errNoReferences = errors.New("the dps-enrollments schema refers to no other package")

func (noLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoReferences
}

func (noLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoReferences
}

func (noLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoReferences
}

func (noLoader) LoadPackageReferenceV2(
	context.Context, *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, errNoReferences
}

// bind reads and validates the schema. Each generator gets a fresh bind: generators record their
// language info on the package they are given.
func bind(raw []byte) (*schema.Package, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("parsing the schema: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding the schema: %w", err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("the schema is not valid: %s", diags.Error())
	}
	return pkg, nil
}

// generators write one language each, as file path -> content.
var generators = map[string]func(pkg *schema.Package) (map[string][]byte, error){
	"nodejs": func(pkg *schema.Package) (map[string][]byte, error) {
		files, err := nodejs.GeneratePackage(tool, pkg, nil, nil, false, noLoader{})
		if err != nil {
			return nil, err
		}
		files["package.json"], err = withEntryPoints(files["package.json"])
		return files, err
	},
	"python": func(pkg *schema.Package) (map[string][]byte, error) {
		files, err := python.GeneratePackage(tool, pkg, nil, noLoader{})
		if err != nil {
			return nil, err
		}
		// pyproject.toml's `readme` is README.md beside it (the wheel's description on PyPI); the
		// generator writes it into the package folder only.
		readme, ok := files["pulumi_dps_enrollments/README.md"]
		if !ok {
			return nil, errors.New("the Python generator wrote no pulumi_dps_enrollments/README.md")
		}
		files["README.md"] = readme
		return files, nil
	},
	"go": func(pkg *schema.Package) (map[string][]byte, error) {
		files, err := gogen.GeneratePackage(tool, pkg, nil)
		if err != nil {
			return nil, err
		}
		files["go.mod"], err = requireOwnGoSDK(files["go.mod"])
		return files, err
	},
	"dotnet": func(pkg *schema.Package) (map[string][]byte, error) {
		return dotnet.GeneratePackage(tool, pkg, nil, nil)
	},
}

// withEntryPoints gives the Node SDK's package.json the entry points of its build and publishes only
// that build: the generator leaves both to a provider's Makefile. `npm run build` compiles into bin/
// and copies package.json there too (the generated code reads its version from ./package.json beside
// it); `npm pack` and `npm publish` build first.
func withEntryPoints(packageJSON []byte) ([]byte, error) {
	var manifest map[string]any
	if err := json.Unmarshal(packageJSON, &manifest); err != nil {
		return nil, fmt.Errorf("reading the Node SDK's package.json: %w", err)
	}
	manifest["main"] = "bin/index.js"
	manifest["types"] = "bin/index.d.ts"
	manifest["files"] = []string{"bin/**/*.js", "bin/**/*.d.ts", "bin/package.json", "README.md"}
	scripts, _ := manifest["scripts"].(map[string]any)
	if scripts == nil {
		scripts = map[string]any{}
	}
	scripts["build"] = `tsc && node -e "require('fs').copyFileSync('package.json', 'bin/package.json')"`
	scripts["prepack"] = "npm run build"
	manifest["scripts"] = scripts
	out, err := json.MarshalIndent(manifest, "", "    ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// goSDK is the module of Pulumi's Go SDK.
const goSDK = "github.com/pulumi/pulumi/sdk/v3"

// requireOwnGoSDK makes the Go SDK's go.mod require the Pulumi Go SDK this program is built with
// (the version of the pinned CLI) instead of the generator's built-in minimum: its module graph is
// the one the CLI build already fetched, and the engine test's program uses it anyway.
func requireOwnGoSDK(gomod []byte) ([]byte, error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil, errors.New("gen-sdk was built without module information")
	}
	version := ""
	for _, dep := range info.Deps {
		if dep.Path == goSDK {
			version = dep.Version
		}
	}
	if version == "" {
		return nil, fmt.Errorf("gen-sdk is not built with %s", goSDK)
	}
	file, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return nil, err
	}
	if err := file.AddRequire(goSDK, version); err != nil {
		return nil, err
	}
	return file.Format()
}

// offline stands in for the network: the .NET generator downloads the package logo (the schema
// sets none, so a generic Pulumi one) with http.Get, and this machine has no internet. It answers
// that one request with a logo drawn here, the same bytes every time, and fails any other.
type offline struct{}

func (offline) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != "raw.githubusercontent.com" || filepath.Ext(req.URL.Path) != ".png" {
		return nil, fmt.Errorf("gen-sdk works offline; no request to %s", req.URL)
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Body:       io.NopCloser(bytes.NewReader(logo())),
		Request:    req,
	}, nil
}

// logo is a 64x64 PNG: a blue square with a lighter frame.
func logo() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			c := color.RGBA{R: 0x00, G: 0x78, B: 0xd4, A: 0xff}
			if x < 4 || y < 4 || x >= 60 || y >= 60 {
				c = color.RGBA{R: 0x50, G: 0xe6, B: 0xff, A: 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func run(schemaPath, outDir string) error {
	http.DefaultTransport = offline{}
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	languages := make([]string, 0, len(generators))
	for language := range generators {
		languages = append(languages, language)
	}
	sort.Strings(languages)
	for _, language := range languages {
		pkg, err := bind(raw)
		if err != nil {
			return err
		}
		files, err := generators[language](pkg)
		if err != nil {
			return fmt.Errorf("generating the %s SDK: %w", language, err)
		}
		dir := filepath.Join(outDir, language)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		for name, content := range files {
			file := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(file, content, 0o644); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "[gen-sdk] %s: %d files in %s\n", language, len(files), dir)
	}
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen-sdk SCHEMA.json OUT_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "gen-sdk: %v\n", err)
		os.Exit(1)
	}
}
