// The pulumi-kubernetes resource provider, served with the schema its release embeds.
//
// The provider's own main package (cmd/pulumi-resource-kubernetes) embeds files that its
// generator writes at release time, so it cannot be built from the module as published.
// The toolchain recipe runs that generator (the module's generate.go) in a copy of this
// directory, then builds this package, which serves the same provider with the same
// embedded files.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
