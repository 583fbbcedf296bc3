package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// networkNetplanDirs are netplan's directories from the highest priority
// down: a file in /run/netplan shadows one of the same name in
// /etc/netplan, which shadows one in /lib/netplan (netplan-generate(8),
// "Handling multiple files"). /usr/lib/netplan is not read by netplan.
var networkNetplanDirs = []string{"run/netplan", "etc/netplan", "lib/netplan"}

// networkNetplan reads netplan(5): the *.yaml files of its three
// directories, one per name, merged in name order regardless of
// directory, by netplan-generate(8)'s rules: a later scalar replaces an
// earlier one, a later sequence is appended to an earlier one, mappings
// merge key by key.
//
// Rows: netplan.renderer and netplan.version (Condition ""), and for each
// device ID under a device type (ethernets, wifis, bridges, bonds, vlans,
// tunnels, ...) netplan.ID.PATH, Condition "TYPE.ID", where PATH joins the
// mapping keys below the ID ("dhcp4", "nameservers.search",
// "match.macaddress"). A sequence of scalars is one row per element in
// order (addresses, nameservers.addresses, interfaces); a sequence of
// mappings numbers its elements ("routes.0.to", "routes.0.via"). Each row
// has the file and line of the YAML node that set it. Passwords and keys
// (auth.password, keys.private, ...) are "(secret)".
//
// netplan generate refuses a file that is not YAML or whose top level is
// not a "network" mapping, and so does this; it also refuses unknown keys
// and bad values, which this does not check.
func networkNetplan(fsys fs.FS, rows *networkRows) error {
	files, err := networkDirFiles(fsys, networkNetplanDirs, func(name string) bool { return strings.HasSuffix(name, ".yaml") })
	if err != nil {
		return err
	}
	var merged *networkNetplanNode
	budget := maxRows
	for _, f := range files {
		data, err := networkRead(fsys, f.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("settings: network: /%s: %w", f.path, err)
		}
		if len(doc.Content) == 0 {
			continue // an empty file is no configuration
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return fmt.Errorf("settings: network: /%s line %d: the top level is not a mapping", f.path, root.Line)
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value != "network" {
				return fmt.Errorf("settings: network: /%s line %d: unknown key %q at the top level", f.path, root.Content[i].Line, root.Content[i].Value)
			}
		}
		tree, err := networkNetplanTree(root, "/"+f.path, &budget, 0)
		if err != nil {
			return err
		}
		merged = networkNetplanMerge(merged, tree)
	}
	if merged == nil {
		return nil
	}
	network := merged.child("network")
	if network == nil || network.kind != yaml.MappingNode {
		return nil
	}
	for _, k := range network.keys {
		v := network.values[k]
		if v.kind != yaml.MappingNode {
			if err := networkNetplanRows(rows, "netplan."+k, "", v); err != nil {
				return err
			}
			continue
		}
		for _, id := range v.keys {
			if err := networkNetplanRows(rows, "netplan."+id, k+"."+id, v.values[id]); err != nil {
				return err
			}
		}
	}
	return nil
}

// networkNetplanNode is a YAML node with the file and line of each
// scalar, so that the merge of several files keeps where each value came
// from.
type networkNetplanNode struct {
	kind   yaml.Kind // ScalarNode, SequenceNode or MappingNode
	value  string
	file   string
	line   int
	items  []*networkNetplanNode
	keys   []string // mapping keys in first-seen order
	values map[string]*networkNetplanNode
}

func (n *networkNetplanNode) child(key string) *networkNetplanNode {
	if n == nil || n.kind != yaml.MappingNode {
		return nil
	}
	return n.values[key]
}

// networkNetplanTree converts a parsed file, following aliases; budget
// bounds the nodes of all files together, so that aliases cannot expand
// into more rows than the bound.
func networkNetplanTree(y *yaml.Node, file string, budget *int, depth int) (*networkNetplanNode, error) {
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("settings: network: %s line %d: more than %d YAML nodes", file, y.Line, maxRows)
	}
	if depth > 64 {
		return nil, fmt.Errorf("settings: network: %s line %d: nested deeper than 64", file, y.Line)
	}
	for y.Kind == yaml.AliasNode {
		if y.Alias == nil {
			return nil, fmt.Errorf("settings: network: %s line %d: alias to nothing", file, y.Line)
		}
		y = y.Alias
		depth++
		if depth > 64 {
			return nil, fmt.Errorf("settings: network: %s line %d: aliases nested deeper than 64", file, y.Line)
		}
	}
	n := &networkNetplanNode{kind: y.Kind, value: y.Value, file: file, line: y.Line}
	switch y.Kind {
	case yaml.SequenceNode:
		for _, c := range y.Content {
			item, err := networkNetplanTree(c, file, budget, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, item)
		}
	case yaml.MappingNode:
		n.values = map[string]*networkNetplanNode{}
		for i := 0; i+1 < len(y.Content); i += 2 {
			k := y.Content[i].Value
			v, err := networkNetplanTree(y.Content[i+1], file, budget, depth+1)
			if err != nil {
				return nil, err
			}
			if _, dup := n.values[k]; !dup {
				n.keys = append(n.keys, k)
			}
			n.values[k] = v
		}
	case yaml.ScalarNode:
	default:
		n.kind = yaml.ScalarNode
	}
	return n, nil
}

// networkNetplanMerge applies a later file to what the earlier ones set,
// netplan-generate(8)'s rules.
func networkNetplanMerge(old, later *networkNetplanNode) *networkNetplanNode {
	switch {
	case old == nil:
		return later
	case old.kind == yaml.MappingNode && later.kind == yaml.MappingNode:
		for _, k := range later.keys {
			if _, ok := old.values[k]; !ok {
				old.keys = append(old.keys, k)
			}
			old.values[k] = networkNetplanMerge(old.values[k], later.values[k])
		}
		return old
	case old.kind == yaml.SequenceNode && later.kind == yaml.SequenceNode:
		old.items = append(slices.Clip(old.items), later.items...)
		return old
	}
	return later
}

// networkNetplanSecrets are the keys whose values are credentials:
// auth's password, a wireguard or tunnel's keys, a modem's password and
// pin, a wifi's PSK.
var networkNetplanSecrets = map[string]bool{"password": true, "private": true, "shared": true, "psk": true, "pin": true, "private-key": true, "client-key-password": true}

func networkNetplanRows(rows *networkRows, key, cond string, n *networkNetplanNode) error {
	switch n.kind {
	case yaml.MappingNode:
		for _, k := range n.keys {
			if err := networkNetplanRows(rows, key+"."+k, cond, n.values[k]); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.items {
			sub := key
			if item.kind != yaml.ScalarNode {
				sub = key + "." + strconv.Itoa(i)
			}
			if err := networkNetplanRows(rows, sub, cond, item); err != nil {
				return err
			}
		}
	default:
		value := n.value
		if networkNetplanSecrets[key[strings.LastIndexByte(key, '.')+1:]] {
			value = networkSecret
		}
		return rows.add(Setting{Key: key, Value: value, Condition: cond, File: n.file, Line: n.line})
	}
	return nil
}
