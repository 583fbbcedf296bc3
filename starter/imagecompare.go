package main

import (
	"fmt"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/workflows"
)

const imageCompareLong = `Compare two container images or root filesystems (REF_A the baseline, REF_B the other; the
references of 'image analyze'): what is installed, how each image's configuration differs.

Each image is analysed first ('image analyze'; an analysis committed before is reused without
reading the image again), then the two analyses are compared:
  packages      added, removed, upgraded, downgraded — ordered by the ecosystem's own rules (dpkg,
                rpm, apk, pacman) when both images are of one distribution, paired and ordered by
                the cross-distro rules (upstream versions) when they are not
  files         configuration files and owned files whose state differs (unchanged, modified,
                deleted, metadata changed, not owned)
  settings      side by side, with the file and line that sets each and its source (the
                package's default, changed in the image, written by the image, or the program's
                built-in default): sshd, sysctl, login.defs and useradd, PAM, sudoers, nsswitch,
                limits, resolver, hostname, time zone, locale, SELinux and AppArmor modes, crypto
                policy, network (ifupdown, netplan, NetworkManager, systemd-networkd),
                /etc/default and /etc/sysconfig
  init          the init system and the services enabled at boot

The results are the image_diffs and image_compare_summaries datasets, keyed by both analyses, and
an HTML, Markdown and CSV report beside them. The comparison is a durable run
(ImageCompareWorkflow); both analyses run at once.`

const imageCompareExample = `  # two debootstrap trees
  distroscope image compare dir:/srv/rootfs/bookworm dir:/srv/rootfs/trixie

  # two tags of an image, with the effective sshd settings of each
  distroscope image compare registry:example.org/app:1.0 registry:example.org/app:2.0 --probe`

// imageCompare runs the comparison, follows it, and says what it committed.
func (c *cli) imageCompare(cfg config.Config, in workflows.ImageCompareInput, wait bool) error {
	var res workflows.ImageCompareResult
	link, took, err := runImageWorkflow(c, cfg, wait, imageRun[workflows.ImageCompareProgress]{
		verb: "image compare", label: "image compare", title: "image compare " + in.A.Ref + " with " + in.B.Ref,
		id: workflows.ImageCompareWorkflowID(in), summary: "compare " + in.A.Ref + " with " + in.B.Ref,
		workflow: workflows.ImageCompareWorkflowName, input: in,
		line: func(p workflows.ImageCompareProgress) string {
			return fmt.Sprintf("%s (A %s, B %s)", p.Phase, p.A, p.B)
		},
	}, &res)
	if err != nil {
		return err
	}
	printImageSummary(c, res.A)
	printImageSummary(c, res.B)
	s := res.Compare.Summary
	state := "committed"
	if res.Compare.Reused {
		state = "compared before, reused"
	}
	cross := ""
	if s.CrossDistro {
		cross = " (cross-distro rules)"
	}
	fmt.Fprintf(c.stdout, "%s/%s → %s/%s: %s%s\n", s.ADistro, s.ARelease, s.BDistro, s.BRelease, state, cross)
	fmt.Fprintf(c.stdout, "  packages   %d differ: %d added, %d removed, %d upgraded, %d downgraded\n", s.Packages, s.Added, s.Removed, s.Upgraded, s.Downgraded)
	fmt.Fprintf(c.stdout, "  files      %d differ\n", s.Files)
	fmt.Fprintf(c.stdout, "  settings   %d differ\n", s.Settings)
	fmt.Fprintf(c.stdout, "  init       %s → %s, %d services differ\n", orNone(s.AInit), orNone(s.BInit), s.Services)
	for _, t := range datasets.ImageCompareTables {
		fmt.Fprintf(c.stdout, "  dataset %s\n", storeLocation(cfg, t.DataKey(res.Compare.Partition)))
	}
	for _, r := range res.Compare.Reports {
		fmt.Fprintf(c.stdout, "  report %s\n", storeLocation(cfg, r))
	}
	fmt.Fprintf(c.stdout, "in %s\n  run %s\n", took, link)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
