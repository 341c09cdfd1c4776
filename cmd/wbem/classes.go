package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/gowbem/gowbem/cimjson"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/repository"
)

func newMofcompCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "mofcomp [-n NAMESPACE] FILE...",
		Short: "Compile MOF files into the repository (all or nothing) and print what was added",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(g.repository, 0o700); err != nil {
				return err
			}
			repo, err := repository.Open(g.repository, repository.Options{})
			if err != nil {
				return err
			}
			defer repo.Close()
			res, err := mof.Compile(repo, args, mof.CompileOptions{Namespace: g.ns("root/cimv2")})
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(cmd, res)
			}
			for _, q := range res.Qualifiers {
				printf(cmd, "qualifier %s\n", q)
			}
			for _, c := range res.Classes {
				printf(cmd, "class %s\n", c)
			}
			for _, i := range res.Instances {
				printf(cmd, "instance %s\n", i)
			}
			for _, w := range res.Warnings {
				cmd.PrintErrf("warning: %s\n", w)
			}
			printf(cmd, "compiled %d qualifiers, %d classes, %d instances\n", len(res.Qualifiers), len(res.Classes), len(res.Instances))
			return nil
		},
	}
}

func newClassesCommand(g *globals) *cobra.Command {
	var deep bool
	c := &cobra.Command{
		Use:   "classes [-n NAMESPACE] [--deep] [SUPERCLASS]",
		Short: "List class names, one per line",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			super := ""
			if len(args) == 1 {
				super = args[0]
			}
			s, err := g.connect(cmd.Context(), g.ns("root/cimv2"), false)
			if err != nil {
				return err
			}
			defer s.Close()
			names, err := s.svc.EnumerateClassNames(cmd.Context(), super, deep)
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(cmd, names)
			}
			for _, n := range names {
				printf(cmd, "%s\n", n)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&deep, "deep", false, "include every level of subclasses")
	return c
}

func newGetClassCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get-class [-n NAMESPACE] CLASS",
		Short: "Show a class as MOF (or JSON), inherited members included with their origin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.connect(cmd.Context(), g.ns("root/cimv2"), false)
			if err != nil {
				return err
			}
			defer s.Close()
			c, err := s.svc.GetClass(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return writeRaw(cmd, cimjson.AppendClass(nil, c))
			}
			printf(cmd, "%s", c.MOF(false))
			return nil
		},
	}
}

func newInstancesCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "instances [-n NAMESPACE] CLASS",
		Short: "List the instances of a class by path",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.connect(cmd.Context(), g.ns("root/cimv2"), false)
			if err != nil {
				return err
			}
			defer s.Close()
			paths, err := s.svc.EnumerateInstanceNames(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				out := make([]string, len(paths))
				for i, p := range paths {
					out[i] = p.RelPath()
				}
				return writeJSON(cmd, out)
			}
			for _, p := range paths {
				printf(cmd, "%s\n", p.RelPath())
			}
			return nil
		},
	}
}
