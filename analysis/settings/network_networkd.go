package settings

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
)

// networkNetworkdDirs are systemd-networkd's directories from the highest
// priority down, systemd.network(5): a file in /etc replaces the same name
// in /run, which replaces it in /usr/local/lib, /usr/lib and /lib.
var networkNetworkdDirs = []string{
	"etc/systemd/network",
	"run/systemd/network",
	"usr/local/lib/systemd/network",
	"usr/lib/systemd/network",
	"lib/systemd/network",
}

// networkNetworkdLists are the [Network] and [Match] keys that systemd-networkd
// takes as lists: each assignment adds to the list and an empty one
// empties it. Other keys are single-valued: the last assignment wins.
var networkNetworkdLists = map[string]bool{
	"Network.Address": true, "Network.Gateway": true, "Network.DNS": true, "Network.Domains": true,
	"Network.NTP": true, "Network.VLAN": true, "Network.MACVLAN": true, "Network.IPVLAN": true,
	"Network.VXLAN": true, "Network.Tunnel": true, "Network.MACsec": true, "Network.Xfrm": true,
	"Network.BindCarrier": true, "Network.DNSSECNegativeTrustAnchors": true,
	"Network.IPv6ProxyNDPAddress": true,
	"Match.Name":                  true, "Match.MACAddress": true, "Match.PermanentMACAddress": true, "Match.Path": true,
	"Match.Driver": true, "Match.Type": true, "Match.Kind": true, "Match.Property": true,
	"Match.SSID": true, "Match.BSSID": true, "Match.WLANInterfaceType": true,
}

// networkNetworkdRepeated are the sections a .network file may hold
// several of, each one object (an address, a route, ...).
var networkNetworkdRepeated = map[string]bool{
	"Address": true, "Route": true, "RoutingPolicyRule": true, "NextHop": true, "Neighbor": true,
	"IPv6AddressLabel": true, "IPv6Prefix": true, "IPv6RoutePrefix": true, "DHCPServerStaticLease": true,
	"BridgeFDB": true, "BridgeMDB": true, "BridgeVLAN": true, "SR-IOV": true, "IPv6PREF64Prefix": true,
}

// networkNetworkd reads systemd-networkd's *.network files, systemd.network(5):
// one per name across its directories (the highest-priority directory's),
// in name order regardless of directory; an empty file or a symlink to
// /dev/null masks the name. Each file's NAME.network.d/*.conf drop-ins
// (one per name, /etc's before /run's before /lib's) are read after it in
// name order.
//
// Rows: networkd.FILE.SECTION.KEY, FILE being the file's name without
// .network ("networkd.80-container-host0.Network.DHCP"), Condition the
// file's effective [Match] settings ("Name=host0 Virtualization=container"):
// networkd configures a link with the first file, in name order, whose
// [Match] matches it, which the image alone cannot decide, so every file's
// rows are kept with the match that selects them. Single-valued keys keep
// the last assignment; list keys ([Network] Address=, DNS=, Domains=, ...,
// [Match] Name=, ...) are one row per assignment in order, an empty
// assignment dropping the earlier ones, as networkd does. A repeated
// section's keys are numbered in order ("networkd.10-eth0.Route.0.Gateway").
// Like networkd, lines outside a section and lines without '=' are
// skipped.
func networkNetworkd(fsys fs.FS, rows *networkRows) error {
	files, err := networkDirFiles(fsys, networkNetworkdDirs, func(name string) bool {
		return strings.HasSuffix(name, ".network") && !strings.HasPrefix(name, ".")
	})
	if err != nil {
		return err
	}
	for _, f := range files {
		if networkMasked(fsys, f.path) {
			continue
		}
		stem := strings.TrimSuffix(f.name, ".network")
		dropins := make([]string, len(networkNetworkdDirs))
		for i, d := range networkNetworkdDirs {
			dropins[i] = d + "/" + f.name + ".d"
		}
		confs, err := networkDirFiles(fsys, dropins, func(name string) bool { return strings.HasSuffix(name, ".conf") })
		if err != nil {
			return err
		}
		n := networkNetworkdFile{stem: stem, sections: map[string]int{}}
		for _, name := range append([]string{f.path}, networkDirPaths(confs)...) {
			if networkMasked(fsys, name) {
				continue
			}
			data, err := networkRead(fsys, name)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			n.read(data, "/"+name)
		}
		if err := n.emit(rows); err != nil {
			return err
		}
	}
	return nil
}

func networkDirPaths(files []networkDirFile) []string {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
	}
	return paths
}

// networkMasked says whether a unit-style file is masked: empty, or a
// symlink to /dev/null.
func networkMasked(fsys fs.FS, name string) bool {
	real, err := imageRoot{fsys}.resolve(name)
	if err == nil && real == "dev/null" {
		return true
	}
	info, err := networkStat(fsys, name)
	return err == nil && (info.Size() == 0 || info.Mode()&fs.ModeCharDevice != 0)
}

// networkNetworkdFile is one .network file with its drop-ins applied.
type networkNetworkdFile struct {
	stem     string
	sections map[string]int // how many of each repeated section so far
	values   []Setting      // in order of first assignment
}

func (n *networkNetworkdFile) read(data []byte, file string) {
	section := ""
	lines := networkLines(data)
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				section = "" // systemd: "Invalid section header", the lines up to the next one are ignored
				continue
			}
			section = line[1 : len(line)-1]
			if networkNetworkdRepeated[section] {
				section += "." + strconv.Itoa(n.sections[section])
				n.sections[line[1:len(line)-1]]++
			}
			continue
		}
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if next != "" && (next[0] == '#' || next[0] == ';') {
				continue // systemd skips comment lines inside a continuation
			}
			line = strings.TrimSuffix(line, `\`) + " " + next
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if section == "" || !ok || key == "" {
			continue
		}
		n.set(Setting{Key: section + "." + key, Value: strings.TrimSpace(value), File: file, Line: lineNo})
	}
}

func (n *networkNetworkdFile) set(s Setting) {
	if networkNetworkdLists[s.Key] {
		if s.Value == "" {
			n.drop(s.Key)
			return
		}
		n.values = append(n.values, s)
		return
	}
	n.drop(s.Key)
	n.values = append(n.values, s)
}

func (n *networkNetworkdFile) drop(key string) {
	kept := n.values[:0]
	for _, v := range n.values {
		if v.Key != key {
			kept = append(kept, v)
		}
	}
	n.values = kept
}

func (n *networkNetworkdFile) emit(rows *networkRows) error {
	var match []string
	for _, v := range n.values {
		if strings.HasPrefix(v.Key, "Match.") {
			match = append(match, strings.TrimPrefix(v.Key, "Match.")+"="+v.Value)
		}
	}
	cond := strings.Join(match, " ")
	for _, v := range n.values {
		v.Key = "networkd." + n.stem + "." + v.Key
		v.Condition = cond
		if err := rows.add(v); err != nil {
			return err
		}
	}
	return nil
}
