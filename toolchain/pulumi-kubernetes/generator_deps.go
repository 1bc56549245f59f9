//go:build generator

// The provider's schema generator (its generate.go, run by the toolchain recipe in this
// module's context) imports Pulumi's schema package: this file keeps its requirements
// in go.sum, so the generator runs with -mod=readonly.
package main

import _ "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
