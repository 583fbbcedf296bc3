package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/distroscope/distroscope/repo/catalog"
)

const sourcesLong = `The sources catalogue: the YAML file of --catalog (DISTROSCOPE_CATALOG, else
~/.config/distroscope/sources.yaml when it exists) and this machine's apt sources, which are
default entries named after the last path segment of their URI (debian, debian-security). A
catalogue entry of the same name replaces an apt source. 'distroscope snapshot NAME[/SUITE]'
snapshots what these entries say.`

func sourcesCommand(c *cli) *cobra.Command {
	ls := &cobra.Command{
		Use:     "ls",
		Short:   "List the catalogue's sources and the machine's apt sources",
		Long:    sourcesLong,
		Example: "  distroscope sources ls\n  distroscope sources ls --catalog ./sources.yaml",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return c.sourcesLs(cmd) },
	}
	cmd := groupCommand(&cobra.Command{
		Use:     "sources",
		Short:   "The sources catalogue (and the machine's apt sources)",
		Long:    sourcesLong + "\n\nWith no command, 'sources' is 'sources ls'.",
		Example: "  distroscope sources ls",
	})
	group := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.sourcesLs(cmd)
		}
		return group(cmd, args)
	}
	cmd.AddCommand(ls)
	return cmd
}

func (c *cli) sourcesLs(cmd *cobra.Command) error {
	cfg, err := c.config(cmd)
	if err != nil {
		return err
	}
	cat, err := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFORMAT\tMIRROR\tSUITES\tCOMPONENTS\tARCHITECTURES\tKEYRING\tFROM")
	for _, e := range cat.Entries {
		mirror := e.Mirror
		for _, a := range e.Architectures {
			if m := e.Mirrors[a]; m != "" {
				mirror += " " + a + "=" + m
			}
		}
		if e.Archive != "" {
			mirror += " archive=" + e.Archive
		}
		archs := strings.Join(e.Architectures, ",")
		if archs == "" {
			archs = "(this machine's)"
		}
		from := fmt.Sprintf("%s:%d", e.File, e.Line)
		if e.Origin != "" {
			from = e.Origin + " " + from
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Format, strings.TrimSpace(mirror), strings.Join(e.Suites, ","),
			strings.Join(e.Components, ","), archs, strings.Join(e.Keyring, ","), from)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(cat.Entries) == 0 {
		fmt.Fprintln(c.stdout, "no sources: write a catalogue (see README) or add apt sources")
	}
	return nil
}
