//go:build tools

// The Java language host, built from this module by scripts/ensure-java-host.
package main

import _ "github.com/pulumi/pulumi-java/pkg/cmd/pulumi-language-java"
