package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"path/filepath"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/imageref"
	"github.com/distroscope/distroscope/workflows"
)

const imageAnalyzeLong = `Open a container image or a root filesystem, without a container daemon, and say what is
installed in it and which installed files differ from their packages.

REF takes syft's scheme prefixes:
  dir:PATH               a root filesystem (made by debootstrap, say)
  file:PATH.tar          a root filesystem tarball
  oci-dir:PATH           an OCI image layout
  oci-archive:PATH       a tar of an OCI image layout
  docker-archive:PATH    what docker save writes
  registry:NAME[:TAG|@DIGEST]   an image in a registry, with the credentials of the docker config
Without a prefix, a directory is dir:, a file is sniffed, anything else is registry:.

The layers are applied in order in memory — whiteouts, opaque directories, a file replacing a
directory — and hostile input (names or links escaping the root, device nodes, decompression bombs,
oversized layers) is refused with an error naming it. Every package database found is read (dpkg's
status and info/, with ucf's registry; the rpm database, sqlite, Berkeley DB or ndb; apk's
installed; pacman's local), and every file a package owns is compared with what the package
recorded, as dpkg --verify, rpm -V, apk audit and pacman -Qkk would.

Configuration settings are read as their programs read them — sshd, sysctl, login.defs and useradd,
PAM, sudoers, nsswitch, limits, resolver, hostname, time zone, locale, SELinux, AppArmor, crypto
policy, network (ifupdown, netplan, NetworkManager, networkd), /etc/default and /etc/sysconfig —
each row with the file and line that sets it and its source (the package's default, changed in the
image, written by the image, or the program's built-in default), beside the init system and the
services enabled at boot. --probe also runs sshd -T of a dir: tree in a sandbox (user, mount, pid,
network, uts and ipc namespaces; the tree read-only under a scratch overlay; no_new_privs; time,
memory and output limits) and records its effective values beside the static ones; without the
privileges for the sandbox the probe is skipped with a message, never run unconfined.

The results are the image_packages, image_files, config_settings and image_summaries datasets, in
one partition per image identity (its digest; a tarball's SHA-256; a tree's metadata), analyzer
version and probe: an image analysed before is not read again. The analysis is a durable run (ImageAnalyzeWorkflow); its
heartbeats show the layer it is at. REF is read on the worker's machine.`

const imageAnalyzeExample = `  # a root filesystem made by debootstrap
  distroscope image analyze dir:/srv/rootfs/bookworm

  # an image in a registry, the arm64 variant of a multi-platform tag
  distroscope image analyze registry:example.org/library/debian:bookworm --platform linux/arm64`

func imageCommand(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Analyse container images and root filesystems: installed packages and the state of their files",
	}
	var o imageOptions
	analyze := &cobra.Command{
		Use:     "analyze REF",
		Short:   "Analyse an image or root filesystem: packages, layers, and owned files against their packages",
		Long:    imageAnalyzeLong,
		Example: imageAnalyzeExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			if _, err := imageref.Parse(args[0]); err != nil {
				return usagef("image analyze: %v", err)
			}
			return c.imageAnalyze(cfg, workflows.ImageAnalyzeInput{Ref: absRef(args[0]), Platform: o.platform}, o.wait)
		},
	}
	analyze.Flags().StringVar(&o.platform, "platform", "", "the platform of a multi-platform image (os/arch[/variant]; default linux and this machine's architecture)")
	analyze.Flags().BoolVar(&o.probe, "probe", false, probeFlagUsage)
	addWaitFlag(analyze, &o.wait)

	var co imageOptions
	compareCmd := &cobra.Command{
		Use:     "compare REF_A REF_B",
		Short:   "Compare two images or root filesystems: packages, configuration files, settings, init and services",
		Long:    imageCompareLong,
		Example: imageCompareExample,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			for _, a := range args {
				if _, err := imageref.Parse(a); err != nil {
					return usagef("image compare: %v", err)
				}
			}
			in := workflows.ImageCompareInput{
				A: workflows.ImageAnalyzeInput{Ref: absRef(args[0]), Platform: co.platform, Probe: co.probe},
				B: workflows.ImageAnalyzeInput{Ref: absRef(args[1]), Platform: co.platform, Probe: co.probe},
			}
			return c.imageCompare(cfg, in, co.wait)
		},
	}
	compareCmd.Flags().StringVar(&co.platform, "platform", "", "the platform of multi-platform images (os/arch[/variant]; default linux and this machine's architecture)")
	compareCmd.Flags().BoolVar(&co.probe, "probe", false, probeFlagUsage)
	addWaitFlag(compareCmd, &co.wait)
	cmd.AddCommand(analyze, compareCmd)
	return cmd
}

const probeFlagUsage = "also run a few read-only programs of the image (sshd -T) in a sandbox and record the effective settings beside the static ones (dir: roots; needs user namespaces)"

type imageOptions struct {
	platform string
	probe    bool
	wait     bool
}

// absRef makes a local path of a reference absolute: the worker, not this
// process, reads it, and may run in another directory.
func absRef(ref string) string {
	r, err := imageref.Parse(ref)
	if err != nil || r.Scheme == imageref.SchemeRegistry {
		return ref
	}
	if abs, err := filepath.Abs(r.Value); err == nil {
		return string(r.Scheme) + ":" + abs
	}
	return ref
}

func (c *cli) imageAnalyze(cfg config.Config, in workflows.ImageAnalyzeInput, wait bool) error {
	var res activities.AnalyzeImageResult
	link, took, err := runImageWorkflow(c, cfg, wait, imageRun[workflows.ImageProgress]{
		verb: "image analyze", label: "image", title: "image " + in.Ref,
		id: workflows.ImageAnalyzeWorkflowID(in), summary: "analyze " + in.Ref,
		workflow: workflows.ImageAnalyzeWorkflowName, input: in,
		line: func(workflows.ImageProgress) string { return "" },
	}, &res)
	if err != nil {
		return err
	}
	printImageSummary(c, res)
	fmt.Fprintf(c.stdout, "in %s\n  run %s\n", took, link)
	return nil
}

// imageRun is an image workflow the CLI starts and follows: its ID and
// summary, and how its progress and heartbeats are labelled.
type imageRun[P comparable] struct {
	verb, label, title string
	id, summary        string
	workflow           string
	input              any
	line               func(P) string
}

// runImageWorkflow starts r (or attaches to its run of the same ID),
// follows its progress query and its activities' heartbeats — the layer an
// analysis is at is in the heartbeats, not in the workflow's state — and
// decodes its result into res. It returns the run's UI link and how long
// it took.
func runImageWorkflow[P comparable, R any](c *cli, cfg config.Config, wait bool, r imageRun[P], res *R) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 24*time.Hour)
	defer cancel()
	tc, err := c.dial(cfg)
	if err != nil {
		return "", 0, err
	}
	defer tc.Close()
	missing, err := c.requireWorker(ctx, tc, cfg, wait, false)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", r.verb, err)
	}
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: r.id, TaskQueue: cfg.Temporal.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            r.summary,
		WorkflowExecutionTimeout: 24 * time.Hour,
	}, r.workflow, r.input)
	if err != nil {
		return "", 0, err
	}
	link := uiLink(cfg, run.GetID(), run.GetRunID())
	fmt.Fprintf(c.stderr, "%s: run %s (%s)\n", r.title, run.GetID(), link)
	hctx, stopBeats := context.WithCancel(ctx)
	go followHeartbeats(hctx, tc, run, r.label, c.stderr)
	left, err := await(c, ctx, tc, cfg, run, r.label, wait, missing, r.line, res)
	stopBeats()
	if left != nil {
		return link, 0, fmt.Errorf("%s: %w\n  see %s", r.verb, left, link)
	}
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		return link, took, fmt.Errorf("%s failed after %s: %s\n  see %s", r.verb, took, rootCause(err), link)
	}
	return link, took, nil
}

func printImageSummary(c *cli, res activities.AnalyzeImageResult) {
	s := res.Summary
	name := s.PrettyName
	if name == "" {
		name = "no os-release"
	}
	reused := ""
	if res.Reused {
		reused = " (analysed before: not read again)"
	}
	fmt.Fprintf(c.stdout, "%s: %s%s\n", s.Ref, name, reused)
	fmt.Fprintf(c.stdout, "  identity   %s\n", s.Identity)
	if s.Platform != "" {
		fmt.Fprintf(c.stdout, "  platform   %s\n", s.Platform)
	}
	fmt.Fprintf(c.stdout, "  layers     %d, %d paths\n", s.Layers, s.Entries)
	fmt.Fprintf(c.stdout, "  packages   %d (%s)\n", s.Packages, strings.Join(s.Ecosystems, ", "))
	fmt.Fprintf(c.stdout, "  files      %d owned or under /etc: %d unchanged, %d modified, %d deleted, %d metadata changed, %d not owned (under /etc)\n",
		s.Files, s.Unchanged, s.Modified, s.Deleted, s.MetadataChanged, s.NotOwned)
	fmt.Fprintf(c.stdout, "  configs    %d changed from their package's default\n", s.ConfigChanged)
	if !res.Reused {
		fmt.Fprintf(c.stdout, "  settings   %d\n", res.Settings)
	}
	for _, e := range res.SettingErrors {
		fmt.Fprintf(c.stdout, "    not read: %s\n", e)
	}
	if res.ProbeNote != "" {
		fmt.Fprintf(c.stdout, "  %s\n", res.ProbeNote)
	}
	fmt.Fprintln(c.stdout, "  datasets")
	for _, t := range datasets.ImageTables {
		fmt.Fprintf(c.stdout, "    %s\n", t.DataKey(res.Partition))
	}
}

// The first seconds of a run are followed every heartbeatFirstInterval.
const (
	heartbeatFirstPhase    = 3 * time.Second
	heartbeatFirstInterval = 50 * time.Millisecond
)

// followHeartbeats prints the step of each pending activity's latest
// heartbeat when it changes, until ctx ends. It asks often in the first
// seconds (heartbeatFirstInterval): a small tree's analysis is over in
// half a second, and its steps would otherwise never show.
func followHeartbeats(ctx context.Context, tc client.Client, run client.WorkflowRun, label string, out interface{ Write([]byte) (int, error) }) {
	last := ""
	start := time.Now()
	for {
		wait := followInterval
		if time.Since(start) < heartbeatFirstPhase {
			wait = heartbeatFirstInterval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		for _, a := range pendingActivities(ctx, tc, run.GetID(), run.GetRunID()) {
			var p activities.Progress
			d := a.info.GetHeartbeatDetails()
			if d == nil || len(d.GetPayloads()) == 0 {
				continue
			}
			if err := converter.GetDefaultDataConverter().FromPayloads(d, &p); err != nil || p.Step == "" || p.Step == last {
				continue
			}
			last = p.Step
			fmt.Fprintf(out, "%s: %s\n", label, p.Step)
		}
	}
}
