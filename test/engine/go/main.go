// Command engine-go drives one stack of a Go program through the Go Automation API's inline
// program and the generated Go SDK (sdk/go): no Go language host, the real CLI and the plugin.
// test/engine/plugin-go.e2e.test.ts runs it once per step and asserts on the emulator.
//
//	engine-go REQUEST.json
//
// The request names the operation (init, up, preview, refresh, destroy), the stack's work
// directory, the CLI's root, the plugin's directory (none: the one installed in PULUMI_HOME), the stack config and the program's values.
// The operation's output goes to stdout; a failure's message to stderr with exit status 1.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/dps-enrollments/pulumi-dps-enrollments/sdk/go/dpsenrollments"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// request is what the test asks for.
type request struct {
	Op         string                      `json:"op"`
	WorkDir    string                      `json:"workDir"`
	PulumiRoot string                      `json:"pulumiRoot"`
	PluginDir  string                      `json:"pluginDir"`
	Config     map[string]auto.ConfigValue `json:"config"`
	Program    program                     `json:"program"`
}

// program holds the values of the program: one enrollment, and a second when the test took one
// over by import.
type program struct {
	RegistrationID     string            `json:"registrationId"`
	Tags               map[string]string `json:"tags"`
	ProvisioningStatus string            `json:"provisioningStatus"`
	ImportedID         string            `json:"importedId"`
	Importing          bool              `json:"importing"`
}

func (p program) run(ctx *pulumi.Context) error {
	tags := pulumi.Map{}
	for k, v := range p.Tags {
		tags[k] = pulumi.String(v)
	}
	args := &dpsenrollments.IndividualEnrollmentArgs{
		RegistrationId: pulumi.String(p.RegistrationID),
		Attestation:    dpsenrollments.AttestationArgs{Type: pulumi.String("symmetricKey")},
		Tags:           tags,
	}
	if p.ProvisioningStatus != "" {
		args.ProvisioningStatus = pulumi.String(p.ProvisioningStatus)
	}
	device, err := dpsenrollments.NewIndividualEnrollment(ctx, "device", args)
	if err != nil {
		return err
	}
	ctx.Export("etag", device.Etag)
	if p.ImportedID != "" {
		var opts []pulumi.ResourceOption
		if p.Importing {
			opts = append(opts, pulumi.Import(pulumi.ID(p.ImportedID)))
		}
		_, err = dpsenrollments.NewIndividualEnrollment(ctx, "imported", &dpsenrollments.IndividualEnrollmentArgs{
			RegistrationId: pulumi.String(p.ImportedID),
			Attestation:    dpsenrollments.AttestationArgs{Type: pulumi.String("symmetricKey")},
		}, opts...)
	}
	return err
}

func stack(ctx context.Context, req request) (auto.Stack, error) {
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: req.PulumiRoot, SkipVersionCheck: true})
	if err != nil {
		return auto.Stack{}, err
	}
	project := workspace.Project{
		Name:    tokens.PackageName("plugin-go"),
		Runtime: workspace.NewProjectRuntimeInfo("go", nil),
	}
	// With no plugin directory the engine uses the plugin installed in PULUMI_HOME.
	if req.PluginDir != "" {
		project.Plugins = &workspace.Plugins{
			Providers: []workspace.PluginOptions{{Name: "dps-enrollments", Path: req.PluginDir}},
		}
	}
	s, err := auto.UpsertStackInlineSource(ctx, "dev", "plugin-go", req.Program.run,
		auto.Pulumi(cli), auto.WorkDir(req.WorkDir), auto.Project(project))
	if err != nil {
		return s, err
	}
	if len(req.Config) > 0 {
		err = s.SetAllConfig(ctx, auto.ConfigMap(req.Config))
	}
	return s, err
}

func do(ctx context.Context, req request) (string, error) {
	s, err := stack(ctx, req)
	if err != nil {
		return "", err
	}
	switch req.Op {
	case "init":
		return "", nil
	case "up":
		r, err := s.Up(ctx, optup.SuppressProgress())
		return r.StdOut, err
	case "preview":
		r, err := s.Preview(ctx, optpreview.Diff())
		return r.StdOut, err
	case "refresh":
		r, err := s.Refresh(ctx, optrefresh.SuppressProgress())
		return r.StdOut, err
	case "destroy":
		r, err := s.Destroy(ctx, optdestroy.SuppressProgress())
		return r.StdOut, err
	}
	return "", fmt.Errorf("unknown operation %q", req.Op)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: engine-go REQUEST.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	var req request
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out, err := do(context.Background(), req)
	fmt.Print(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
