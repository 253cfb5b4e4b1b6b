// Command gen-sdk-java writes the Java SDK of the dps-enrollments plugin from its package schema with
// pulumi-java's code generator (the library behind `pulumi package gen-sdk --language java`), so that
// no Java language host is needed to generate it. Its own module: pulumi-java pins a pkg/v3 older
// than scripts/gen-sdk's.
//
//	gen-sdk-java SCHEMA.json OUT_DIR
//
// writes OUT_DIR (removed and written whole): the sources under the schema's
// `language.java.basePackage`, and a Maven pom.xml (Gradle is pulumi-java's default build; Maven is
// the one this project builds and tests with). The same module builds `pulumi-language-java`
// (scripts/ensure-java-host), so both use one pulumi-java version.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	javagen "github.com/pulumi/pulumi-java/pkg/codegen/java"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// tool is the name the generated files' headers give as their generator.
const tool = "pulumi-dps-enrollments gen-sdk-java"

// javaSDK is the com.pulumi:pulumi the SDK compiles against: the newest on Maven Central (pulumi-java
// 1.21.3, whose generator this is, was never published there; 1.20.0 and then 1.36.1 were).
const javaSDK = "1.36.1"

// mavenPlugins pins the plugins of the SDK's build (artifactId, version).
var mavenPlugins = [][2]string{
	{"maven-compiler-plugin", "3.13.0"},
	{"maven-resources-plugin", "3.3.1"},
	{"maven-jar-plugin", "3.4.2"},
	{"maven-surefire-plugin", "3.5.2"},
	{"maven-install-plugin", "3.1.3"},
}

// pom is the SDK's Maven build: groupId and artifactId from the base package and package name.
func pom(info javagen.PackageInfo, pkg *schema.Package) []byte {
	group := strings.TrimSuffix(info.BasePackageOrDefault(), ".")
	deps := []string{}
	for coordinate, version := range info.Dependencies {
		deps = append(deps, coordinate+":"+version)
	}
	sort.Strings(deps)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by %s; edit the schema, not this file. -->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>%s</groupId>
  <artifactId>%s</artifactId>
  <version>%s</version>
  <packaging>jar</packaging>
  <name>%s</name>
  <description>%s</description>
  <url>%s</url>
  <licenses>
    <license>
      <name>%s</name>
    </license>
  </licenses>
  <properties>
    <maven.compiler.release>11</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
`, tool, group, pkg.Name, pkg.Version, pkg.DisplayName, pkg.Description, pkg.Repository, pkg.License)
	for _, dep := range deps {
		parts := strings.SplitN(dep, ":", 3)
		fmt.Fprintf(&b, "    <dependency>\n      <groupId>%s</groupId>\n      <artifactId>%s</artifactId>\n      <version>%s</version>\n    </dependency>\n", parts[0], parts[1], parts[2])
	}
	b.WriteString("  </dependencies>\n")
	// Maven's built-in plugin versions are too old for Java 11 (compiler 3.1 targets Java 5).
	b.WriteString("  <build>\n    <pluginManagement>\n      <plugins>\n")
	for _, plugin := range mavenPlugins {
		fmt.Fprintf(&b, "        <plugin>\n          <groupId>org.apache.maven.plugins</groupId>\n          <artifactId>%s</artifactId>\n          <version>%s</version>\n        </plugin>\n", plugin[0], plugin[1])
	}
	b.WriteString("      </plugins>\n    </pluginManagement>\n  </build>\n</project>\n")
	return []byte(b.String())
}

// pluginJSON is the SDK's plugin.json: the resource plugin, its version and download URL.
func pluginJSON(pkg *schema.Package) ([]byte, error) {
	info := map[string]any{"resource": true, "name": pkg.Name, "version": pkg.Version.String()}
	if pkg.PluginDownloadURL != "" {
		info["server"] = pkg.PluginDownloadURL
	}
	out, err := json.MarshalIndent(info, "", "  ")
	return append(out, '\n'), err
}

func run(schemaPath, outDir string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("parsing the schema: %w", err)
	}
	var info javagen.PackageInfo
	if rawInfo, ok := spec.Language["java"]; ok {
		if err := json.Unmarshal(rawInfo, &info); err != nil {
			return fmt.Errorf("reading language.java: %w", err)
		}
	}
	if info.BasePackage == "" {
		return fmt.Errorf("the schema sets no language.java.basePackage (com.pulumi is Pulumi's own)")
	}
	pkg, err := schema.ImportSpec(spec, nil, schema.ValidationOptions{})
	if err != nil {
		return fmt.Errorf("binding the schema: %w", err)
	}
	// No Gradle files: the pom below is the build, and version.txt is written with the sources.
	info.BuildFiles = "none"
	info = info.WithDefaultDependencies().WithDependencyDefault("com.pulumi:pulumi", semver.MustParse(javaSDK))
	pkg.Language["java"] = info
	files, err := javagen.GeneratePackage(tool, pkg, map[string][]byte{"pom.xml": pom(info, pkg)}, nil, false, false)
	if err != nil {
		return fmt.Errorf("generating the Java SDK: %w", err)
	}
	// plugin.json, what pulumi-java's Gradle build writes beside version.txt: the language host reads
	// it (`com.pulumi.bootstrap.internal.Main packages`) to tell the engine which plugin the program
	// needs and where to download it. The host finds only resources under com/ (its pattern is
	// `com/<namespace>/<name>/plugin.json`), so a base package outside com.* gets it under com/.
	for name := range files {
		if strings.HasSuffix(name, "/version.txt") {
			info, err := pluginJSON(pkg)
			if err != nil {
				return err
			}
			dir := strings.TrimPrefix(strings.TrimSuffix(name, "version.txt"), "src/main/resources/")
			if !strings.HasPrefix(dir, "com/") {
				dir = "com/" + dir
			}
			files["src/main/resources/"+dir+"plugin.json"] = info
		}
	}
	if err := os.RemoveAll(outDir); err != nil {
		return err
	}
	for name, content := range files {
		file := filepath.Join(outDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, content, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "[gen-sdk-java] java: %d files in %s\n", len(files), outDir)
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen-sdk-java SCHEMA.json OUT_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "gen-sdk-java: %v\n", err)
		os.Exit(1)
	}
}
