package settings

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// networkRow is a row in the tables' short form.
type networkRow struct {
	Key, Value, Condition, File string
	Line                        int
}

func networkShort(t *testing.T, rows []Setting, prefix string) []networkRow {
	t.Helper()
	var out []networkRow
	for _, r := range rows {
		if r.Program != "network" {
			t.Errorf("row %+v: Program %q, want network", r, r.Program)
		}
		if strings.HasPrefix(r.Key, prefix) {
			out = append(out, networkRow{r.Key, r.Value, r.Condition, r.File, r.Line})
		}
	}
	return out
}

func networkCompare(t *testing.T, got, want []networkRow) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w networkRow
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w {
			mark = "! "
		}
		fmt.Fprintf(&b, "%sgot  %+v\n%swant %+v\n", mark, g, mark, w)
	}
	t.Errorf("rows differ:\n%s", b.String())
}

// networkPackagesTree is a copy of testdata/network/packages with the
// profiles' 0600 mode, which git does not keep and NetworkManager wants.
func networkPackagesTree(t testing.TB) string {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/network/packages")); err != nil {
		t.Fatal(err)
	}
	profiles, err := filepath.Glob(dir + "/etc/NetworkManager/system-connections/*.nmconnection")
	if err != nil || len(profiles) == 0 {
		t.Fatalf("no profiles in the copy: %v", err)
	}
	for _, p := range profiles {
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestNetworkPackages reads the packages' default files and the man
// pages' set-ups of testdata/network/packages (see its README).
func TestNetworkPackages(t *testing.T) {
	rows, err := Network(os.DirFS(networkPackagesTree(t)))
	if err != nil {
		t.Fatal(err)
	}
	want := []networkRow{
		{"ifupdown.eth0.address", "192.0.2.10/24", "iface eth0 inet", "/etc/network/interfaces.d/eth0", 8},
		{"ifupdown.eth0.allow-hotplug", "yes", "", "/etc/network/interfaces.d/eth0", 6},
		{"ifupdown.eth0.dns-nameservers", "192.0.2.53", "iface eth0 inet", "/etc/network/interfaces.d/eth0", 10},
		{"ifupdown.eth0.down", "ip route del 198.51.100.0/24 via 192.0.2.254 dev $IFACE", "iface eth0 inet", "/etc/network/interfaces.d/eth0", 13},
		{"ifupdown.eth0.gateway", "192.0.2.1", "iface eth0 inet", "/etc/network/interfaces.d/eth0", 9},
		{"ifupdown.eth0.method", "static", "iface eth0 inet", "/etc/network/interfaces.d/eth0", 7},
		{"ifupdown.eth0.method", "auto", "iface eth0 inet6", "/etc/network/interfaces.d/eth0", 14},
		{"ifupdown.eth0.up", "ip route add 198.51.100.0/24         via 192.0.2.254 dev $IFACE", "iface eth0 inet", "/etc/network/interfaces.d/eth0", 11},
		{"ifupdown.lo.auto", "yes", "", "/etc/network/interfaces.d/eth0", 2},
		{"ifupdown.lo.method", "loopback", "iface lo inet", "/etc/network/interfaces.d/eth0", 3},
		{"netplan.enp3s0.addresses", "10.10.10.2/24", "ethernets.enp3s0", "/etc/netplan/10-static.yaml", 7},
		{"netplan.enp3s0.addresses", "192.0.2.40/24", "ethernets.enp3s0", "/etc/netplan/50-cloud-init.yaml", 7},
		{"netplan.enp3s0.dhcp4", "true", "ethernets.enp3s0", "/etc/netplan/50-cloud-init.yaml", 6},
		{"netplan.enp3s0.match.macaddress", "52:54:00:12:34:56", "ethernets.enp3s0", "/etc/netplan/50-cloud-init.yaml", 9},
		{"netplan.enp3s0.nameservers.addresses", "10.10.10.1", "ethernets.enp3s0", "/etc/netplan/10-static.yaml", 10},
		{"netplan.enp3s0.nameservers.addresses", "1.1.1.1", "ethernets.enp3s0", "/etc/netplan/10-static.yaml", 10},
		{"netplan.enp3s0.nameservers.search", "mydomain", "ethernets.enp3s0", "/etc/netplan/10-static.yaml", 9},
		{"netplan.enp3s0.nameservers.search", "otherdomain", "ethernets.enp3s0", "/etc/netplan/10-static.yaml", 9},
		{"netplan.enp3s0.routes.0.to", "default", "ethernets.enp3s0", "/etc/netplan/10-static.yaml", 12},
		{"netplan.enp3s0.routes.0.via", "10.10.10.1", "ethernets.enp3s0", "/etc/netplan/10-static.yaml", 13},
		{"netplan.enp3s0.set-name", "enp3s0", "ethernets.enp3s0", "/etc/netplan/50-cloud-init.yaml", 10},
		{"netplan.mainif.addresses", "10.3.0.5/23", "ethernets.mainif", "/etc/netplan/20-vlan.yaml", 9},
		{"netplan.mainif.match.macaddress", "de:ad:be:ef:ca:fe", "ethernets.mainif", "/etc/netplan/20-vlan.yaml", 7},
		{"netplan.mainif.nameservers.addresses", "8.8.8.8", "ethernets.mainif", "/etc/netplan/20-vlan.yaml", 11},
		{"netplan.mainif.nameservers.addresses", "8.8.4.4", "ethernets.mainif", "/etc/netplan/20-vlan.yaml", 11},
		{"netplan.mainif.nameservers.search", "example.com", "ethernets.mainif", "/etc/netplan/20-vlan.yaml", 12},
		{"netplan.mainif.routes.0.to", "default", "ethernets.mainif", "/etc/netplan/20-vlan.yaml", 14},
		{"netplan.mainif.routes.0.via", "10.3.0.1", "ethernets.mainif", "/etc/netplan/20-vlan.yaml", 15},
		{"netplan.mainif.set-name", "mainif", "ethernets.mainif", "/etc/netplan/20-vlan.yaml", 8},
		{"netplan.renderer", "networkd", "", "/etc/netplan/20-vlan.yaml", 3},
		{"netplan.version", "2", "", "/etc/netplan/50-cloud-init.yaml", 3},
		{"netplan.vlan10.addresses", "10.3.98.5/24", "vlans.vlan10", "/etc/netplan/20-vlan.yaml", 24},
		{"netplan.vlan10.id", "10", "vlans.vlan10", "/etc/netplan/20-vlan.yaml", 22},
		{"netplan.vlan10.link", "mainif", "vlans.vlan10", "/etc/netplan/20-vlan.yaml", 23},
		{"netplan.vlan10.nameservers.addresses", "127.0.0.1", "vlans.vlan10", "/etc/netplan/20-vlan.yaml", 26},
		{"netplan.vlan10.nameservers.search", "domain1.example.com", "vlans.vlan10", "/etc/netplan/20-vlan.yaml", 27},
		{"netplan.vlan10.nameservers.search", "domain2.example.com", "vlans.vlan10", "/etc/netplan/20-vlan.yaml", 27},
		{"netplan.vlan15.addresses", "10.3.99.5/24", "vlans.vlan15", "/etc/netplan/20-vlan.yaml", 20},
		{"netplan.vlan15.id", "15", "vlans.vlan15", "/etc/netplan/20-vlan.yaml", 18},
		{"netplan.vlan15.link", "mainif", "vlans.vlan15", "/etc/netplan/20-vlan.yaml", 19},
		{"networkd.10-eth0.Match.Name", "eth0", "Name=eth0", "/etc/systemd/network/10-eth0.network", 2},
		{"networkd.10-eth0.Network.Address", "192.0.2.30/24", "Name=eth0", "/etc/systemd/network/10-eth0.network", 5},
		{"networkd.10-eth0.Network.DNS", "192.0.2.54", "Name=eth0", "/etc/systemd/network/10-eth0.network.d/dns.conf", 4},
		{"networkd.10-eth0.Network.Gateway", "192.0.2.1", "Name=eth0", "/etc/systemd/network/10-eth0.network", 6},
		{"networkd.10-eth0.Route.0.Destination", "198.51.100.0/24", "Name=eth0", "/etc/systemd/network/10-eth0.network", 11},
		{"networkd.10-eth0.Route.0.Gateway", "192.0.2.254", "Name=eth0", "/etc/systemd/network/10-eth0.network", 12},
		{"networkd.80-container-host0.DHCP.UseTimezone", "yes", "Virtualization=container Name=host0", "/lib/systemd/network/80-container-host0.network", 29},
		{"networkd.80-container-host0.Match.Name", "host0", "Virtualization=container Name=host0", "/lib/systemd/network/80-container-host0.network", 20},
		{"networkd.80-container-host0.Match.Virtualization", "container", "Virtualization=container Name=host0", "/lib/systemd/network/80-container-host0.network", 19},
		{"networkd.80-container-host0.Network.DHCP", "yes", "Virtualization=container Name=host0", "/lib/systemd/network/80-container-host0.network", 23},
		{"networkd.80-container-host0.Network.EmitLLDP", "customer-bridge", "Virtualization=container Name=host0", "/lib/systemd/network/80-container-host0.network", 26},
		{"networkd.80-container-host0.Network.LLDP", "no", "Virtualization=container Name=host0", "/etc/systemd/network/80-container-host0.network.d/lldp.conf", 2},
		{"networkd.80-container-host0.Network.LinkLocalAddressing", "yes", "Virtualization=container Name=host0", "/lib/systemd/network/80-container-host0.network", 24},
		{"networkd.80-container-ve.Match.Driver", "veth", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 20},
		{"networkd.80-container-ve.Match.Name", "ve-*", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 19},
		{"networkd.80-container-ve.Network.Address", "0.0.0.0/28", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 24},
		{"networkd.80-container-ve.Network.DHCPServer", "yes", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 26},
		{"networkd.80-container-ve.Network.EmitLLDP", "customer-bridge", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 29},
		{"networkd.80-container-ve.Network.IPMasquerade", "both", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 27},
		{"networkd.80-container-ve.Network.IPv6SendRA", "yes", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 30},
		{"networkd.80-container-ve.Network.LLDP", "yes", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 28},
		{"networkd.80-container-ve.Network.LinkLocalAddressing", "yes", "Name=ve-* Driver=veth", "/lib/systemd/network/80-container-ve.network", 25},
		{"networkmanager.Wired connection 1.connection.id", "Wired connection 1", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 2},
		{"networkmanager.Wired connection 1.connection.interface-name", "enp1s0", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 5},
		{"networkmanager.Wired connection 1.connection.type", "ethernet", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 4},
		{"networkmanager.Wired connection 1.connection.uuid", "4a9e8d4c-3e62-4c38-9d0e-2c4b0b0b6f31", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 3},
		{"networkmanager.Wired connection 1.ipv4.address1", "192.0.2.20/24,192.0.2.1", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 11},
		{"networkmanager.Wired connection 1.ipv4.dns", "192.0.2.53;", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 12},
		{"networkmanager.Wired connection 1.ipv4.method", "manual", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 10},
		{"networkmanager.Wired connection 1.ipv6.addr-gen-mode", "stable-privacy", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 15},
		{"networkmanager.Wired connection 1.ipv6.method", "auto", "connection Wired connection 1", "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", 16},
		{"networkmanager.home-wifi.connection.id", "home-wifi", "connection home-wifi", "/etc/NetworkManager/system-connections/home-wifi.nmconnection", 2},
		{"networkmanager.home-wifi.connection.type", "wifi", "connection home-wifi", "/etc/NetworkManager/system-connections/home-wifi.nmconnection", 3},
		{"networkmanager.home-wifi.ipv4.method", "auto", "connection home-wifi", "/etc/NetworkManager/system-connections/home-wifi.nmconnection", 14},
		{"networkmanager.home-wifi.wifi-security.key-mgmt", "wpa-psk", "connection home-wifi", "/etc/NetworkManager/system-connections/home-wifi.nmconnection", 10},
		{"networkmanager.home-wifi.wifi-security.psk", "(secret)", "connection home-wifi", "/etc/NetworkManager/system-connections/home-wifi.nmconnection", 11},
		{"networkmanager.home-wifi.wifi.mode", "infrastructure", "connection home-wifi", "/etc/NetworkManager/system-connections/home-wifi.nmconnection", 6},
		{"networkmanager.home-wifi.wifi.ssid", "home", "connection home-wifi", "/etc/NetworkManager/system-connections/home-wifi.nmconnection", 7},
		{"networkmanager.ifupdown.managed", "false", "", "/etc/NetworkManager/NetworkManager.conf", 5},
		{"networkmanager.main.ignore-carrier", "*", "", "/etc/NetworkManager/conf.d/server.conf", 16},
		{"networkmanager.main.no-auto-default", "*", "", "/etc/NetworkManager/conf.d/server.conf", 12},
		{"networkmanager.main.plugins", "ifupdown,keyfile", "", "/etc/NetworkManager/NetworkManager.conf", 2},
	}
	networkCompare(t, networkShort(t, rows, ""), want)
}

func networkFile(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), Mode: 0o600} }

// TestNetworkRules holds one case per rule the parsers follow, each in the
// smallest tree that shows it.
func TestNetworkRules(t *testing.T) {
	tests := []struct {
		name   string
		fsys   fstest.MapFS
		prefix string
		want   []networkRow
	}{{
		name: "ifupdown sources relative to the file, in place, and source-directory reads only names of letters, digits, _ and -",
		fsys: fstest.MapFS{
			"etc/network/interfaces":       networkFile("source-directory d\niface a inet manual\nsource conf/*.cfg\n"),
			"etc/network/d/10_eth-1":       networkFile("auto eth1\n"),
			"etc/network/d/20.cfg":         networkFile("auto skipped\n"),
			"etc/network/conf/x.cfg":       networkFile("auto eth2\n"),
			"etc/network/conf/.hidden.cfg": networkFile("auto hidden\n"),
		},
		want: []networkRow{
			{"ifupdown.a.method", "manual", "iface a inet", "/etc/network/interfaces", 2},
			{"ifupdown.eth1.auto", "yes", "", "/etc/network/d/10_eth-1", 1},
			{"ifupdown.eth2.auto", "yes", "", "/etc/network/conf/x.cfg", 1},
		},
	}, {
		name: "ifupdown: allow-auto is auto, a repeated mark adds nothing, options keep every line, a template's options come first",
		fsys: fstest.MapFS{"etc/network/interfaces": networkFile(
			"auto eth0\nallow-auto eth0 eth1\nallow-hotplug eth1\n" +
				"iface base inet static\n mtu 9000\n accept_ra 2\n hwaddress 52:54:00:00:00:01\n" +
				"iface eth0 inet static inherits base\n address 192.0.2.1/24\n mtu 1500\n up a\n post-up b\n" +
				"mapping eth2\n script /usr/local/sbin/map\n map home\n")},
		want: []networkRow{
			{"ifupdown.base.accept_ra", "2", "iface base inet", "/etc/network/interfaces", 6},
			{"ifupdown.base.hwaddress", "52:54:00:00:00:01", "iface base inet", "/etc/network/interfaces", 7},
			{"ifupdown.base.method", "static", "iface base inet", "/etc/network/interfaces", 4},
			{"ifupdown.base.mtu", "9000", "iface base inet", "/etc/network/interfaces", 5},
			{"ifupdown.eth0.accept_ra", "2", "iface eth0 inet", "/etc/network/interfaces", 6},
			{"ifupdown.eth0.address", "192.0.2.1/24", "iface eth0 inet", "/etc/network/interfaces", 9},
			{"ifupdown.eth0.auto", "yes", "", "/etc/network/interfaces", 1},
			{"ifupdown.eth0.hwaddress", "52:54:00:00:00:01", "iface eth0 inet", "/etc/network/interfaces", 7},
			{"ifupdown.eth0.method", "static", "iface eth0 inet", "/etc/network/interfaces", 8},
			{"ifupdown.eth0.mtu", "9000", "iface eth0 inet", "/etc/network/interfaces", 5},
			{"ifupdown.eth0.mtu", "1500", "iface eth0 inet", "/etc/network/interfaces", 10},
			{"ifupdown.eth0.up", "a", "iface eth0 inet", "/etc/network/interfaces", 11},
			{"ifupdown.eth0.up", "b", "iface eth0 inet", "/etc/network/interfaces", 12},
			{"ifupdown.eth1.allow-hotplug", "yes", "", "/etc/network/interfaces", 3},
			{"ifupdown.eth1.auto", "yes", "", "/etc/network/interfaces", 2},
			{"ifupdown.eth2.mapping", "/usr/local/sbin/map", "mapping eth2", "/etc/network/interfaces", 14},
		},
	}, {
		name: "symlinks, absolute ones too, resolve inside the image's root",
		fsys: fstest.MapFS{
			"etc/network/interfaces": {Data: []byte("/srv/interfaces"), Mode: fs.ModeSymlink},
			"srv/interfaces":         networkFile("source-directory /etc/network/linked\nsource /etc/network/more/*\n"),
			"etc/network/linked":     {Data: []byte("/srv/d"), Mode: fs.ModeSymlink},
			"srv/d/eth0":             networkFile("auto eth0\n"),
			"etc/network/more":       {Data: []byte("/srv/m"), Mode: fs.ModeSymlink},
			"srv/m/eth1":             networkFile("auto eth1\n"),
			"etc/systemd/network":    {Data: []byte("/srv/n"), Mode: fs.ModeSymlink},
			"srv/n/a.network":        networkFile("[Network]\nDHCP=yes\n"),
		},
		want: []networkRow{
			{"ifupdown.eth0.auto", "yes", "", "/etc/network/linked/eth0", 1},
			{"ifupdown.eth1.auto", "yes", "", "/etc/network/more/eth1", 1},
			{"networkd.a.Network.DHCP", "yes", "", "/etc/systemd/network/a.network", 2},
		},
	}, {
		name: "netplan: files in name order across directories, /run shadows /etc shadows /lib, scalars replaced, sequences appended",
		fsys: fstest.MapFS{
			"lib/netplan/10-base.yaml":  networkFile("network:\n  ethernets:\n    eth0:\n      dhcp4: true\n      addresses: [192.0.2.1/24]\n"),
			"etc/netplan/20-site.yaml":  networkFile("network:\n  ethernets:\n    eth0:\n      dhcp4: false\n      addresses: [192.0.2.2/24]\n"),
			"lib/netplan/20-site.yaml":  networkFile("network:\n  ethernets:\n    eth0:\n      mtu: 1\n"),
			"etc/netplan/30-run.yaml":   networkFile("network:\n  renderer: NetworkManager\n"),
			"run/netplan/30-run.yaml":   networkFile("network:\n  renderer: networkd\n"),
			"etc/netplan/40-wifi.yaml":  networkFile("network:\n  wifis:\n    wl0:\n      access-points:\n        home:\n          password: hunter2\n"),
			"etc/netplan/50-empty.yaml": networkFile(""),
			"etc/netplan/60-notes.txt":  networkFile("not: yaml: ["),
			"usr/lib/netplan/70-x.yaml": networkFile("network:\n  renderer: never\n"),
			"etc/netplan/80-alias.yaml": networkFile("network:\n  bridges:\n    br0: &b\n      dhcp6: true\n    br1: *b\n"),
		},
		prefix: "netplan.",
		want: []networkRow{
			{"netplan.br0.dhcp6", "true", "bridges.br0", "/etc/netplan/80-alias.yaml", 4},
			{"netplan.br1.dhcp6", "true", "bridges.br1", "/etc/netplan/80-alias.yaml", 4},
			{"netplan.eth0.addresses", "192.0.2.1/24", "ethernets.eth0", "/lib/netplan/10-base.yaml", 5},
			{"netplan.eth0.addresses", "192.0.2.2/24", "ethernets.eth0", "/etc/netplan/20-site.yaml", 5},
			{"netplan.eth0.dhcp4", "false", "ethernets.eth0", "/etc/netplan/20-site.yaml", 4},
			{"netplan.renderer", "networkd", "", "/run/netplan/30-run.yaml", 2},
			{"netplan.wl0.access-points.home.password", "(secret)", "wifis.wl0", "/etc/netplan/40-wifi.yaml", 6},
		},
	}, {
		name: "NetworkManager: /usr/lib and /run conf.d before NetworkManager.conf before /etc conf.d, shadowing by name, += and -=",
		fsys: fstest.MapFS{
			"usr/lib/NetworkManager/conf.d/00-lib.conf":    networkFile("[main]\nplugins=keyfile\ndns=default\n"),
			"usr/lib/NetworkManager/conf.d/50-shadow.conf": networkFile("[main]\nrc-manager=symlink\n"),
			"run/NetworkManager/conf.d/10-run.conf":        networkFile("[main]\nplugins+=ifupdown\n"),
			"run/NetworkManager/conf.d/60-shadow.conf":     networkFile("[main]\nauth-polkit=false\n"),
			"etc/NetworkManager/NetworkManager.conf":       networkFile("[main]\nplugins+=keyfile,ofono\ndns=dnsmasq\n"),
			"etc/NetworkManager/conf.d/01-etc.conf":        networkFile("# comment\n[main]\nplugins-=ifupdown\n"),
			"etc/NetworkManager/conf.d/50-shadow.conf":     networkFile("[logging]\nlevel=WARN\n"),
			"etc/NetworkManager/conf.d/60-shadow.conf":     networkFile(""),
			"etc/NetworkManager/conf.d/70-note.txt":        networkFile("not a key file"),
		},
		want: []networkRow{
			{"networkmanager.logging.level", "WARN", "", "/etc/NetworkManager/conf.d/50-shadow.conf", 2},
			{"networkmanager.main.dns", "dnsmasq", "", "/etc/NetworkManager/NetworkManager.conf", 3},
			{"networkmanager.main.plugins", "keyfile,ofono", "", "/etc/NetworkManager/conf.d/01-etc.conf", 3},
		},
	}, {
		name: "NetworkManager profiles: others' permission bits or a parse error skip the file; no id is the file's name; a repeated key's last value",
		fsys: fstest.MapFS{
			"etc/NetworkManager/system-connections/open.nmconnection":   {Data: []byte("[connection]\nid=open\n"), Mode: 0o644},
			"etc/NetworkManager/system-connections/broken.nmconnection": networkFile("[connection]\nid=broken\nno equals sign\n"),
			"etc/NetworkManager/system-connections/eth9.nmconnection":   networkFile("[connection]\ntype=ethernet\n[ipv4]\nmethod=auto\nmethod=manual\n[wifi-security]\nleap-password=x\npsk-flags=1\n"),
			"etc/NetworkManager/system-connections/eth9.bak":            networkFile("[connection]\nid=bak\n"),
		},
		want: []networkRow{
			{"networkmanager.eth9.connection.type", "ethernet", "connection eth9", "/etc/NetworkManager/system-connections/eth9.nmconnection", 2},
			{"networkmanager.eth9.ipv4.method", "manual", "connection eth9", "/etc/NetworkManager/system-connections/eth9.nmconnection", 5},
			{"networkmanager.eth9.wifi-security.leap-password", "(secret)", "connection eth9", "/etc/NetworkManager/system-connections/eth9.nmconnection", 7},
			{"networkmanager.eth9.wifi-security.psk-flags", "1", "connection eth9", "/etc/NetworkManager/system-connections/eth9.nmconnection", 8},
		},
	}, {
		name: "networkd: /etc replaces a name in /lib, an empty file or a /dev/null link masks it, drop-ins after the file in name order, /etc's drop-in shadowing /run's",
		fsys: fstest.MapFS{
			"lib/systemd/network/10-a.network":                 networkFile("[Match]\nName=a\n[Network]\nDHCP=yes\n"),
			"etc/systemd/network/10-a.network":                 networkFile("[Match]\nName=a\nName=b\n[Network]\nDHCP=no\nDNS=1.1.1.1\n"),
			"run/systemd/network/10-a.network.d/20-dns.conf":   networkFile("[Network]\nDNS=9.9.9.9\n"),
			"etc/systemd/network/10-a.network.d/20-dns.conf":   networkFile("[Network]\nDNS=8.8.8.8\n"),
			"lib/systemd/network/10-a.network.d/10-reset.conf": networkFile("[Network]\nDNS=\nDHCP=ipv4\n"),
			"lib/systemd/network/20-masked.network":            networkFile("[Network]\nDHCP=yes\n"),
			"etc/systemd/network/20-masked.network":            networkFile(""),
			"lib/systemd/network/20-masked.network.d/a.conf":   networkFile("[Network]\nDHCP=yes\n"),
			"etc/systemd/network/30-link.network.d/a.conf":     networkFile("[Network]\nDHCP=yes\n"),
			"usr/lib/systemd/network/30-link.network":          networkFile("[Network]\nDHCP=yes\n"),
			"etc/systemd/network/30-link.network":              {Data: []byte("/dev/null"), Mode: fs.ModeSymlink},
			"etc/systemd/network/40-b.network":                 networkFile("Stray=1\n[Match]\nName=b\n[Address]\nAddress=192.0.2.1/24\n[Address]\nAddress=192.0.2.2/24\n[Network]\nno equals\nVLAN=v1 \\\n  # comment\n  \n"),
			"etc/systemd/network/50-c.network.example":         networkFile("[Network]\nDHCP=yes\n"),
		},
		want: []networkRow{
			{"networkd.10-a.Match.Name", "a", "Name=a Name=b", "/etc/systemd/network/10-a.network", 2},
			{"networkd.10-a.Match.Name", "b", "Name=a Name=b", "/etc/systemd/network/10-a.network", 3},
			{"networkd.10-a.Network.DHCP", "ipv4", "Name=a Name=b", "/lib/systemd/network/10-a.network.d/10-reset.conf", 3},
			{"networkd.10-a.Network.DNS", "8.8.8.8", "Name=a Name=b", "/etc/systemd/network/10-a.network.d/20-dns.conf", 2},
			{"networkd.40-b.Address.0.Address", "192.0.2.1/24", "Name=b", "/etc/systemd/network/40-b.network", 5},
			{"networkd.40-b.Address.1.Address", "192.0.2.2/24", "Name=b", "/etc/systemd/network/40-b.network", 7},
			{"networkd.40-b.Match.Name", "b", "Name=b", "/etc/systemd/network/40-b.network", 3},
			{"networkd.40-b.Network.VLAN", "v1", "Name=b", "/etc/systemd/network/40-b.network", 10},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Network(tt.fsys)
			if err != nil {
				t.Fatal(err)
			}
			networkCompare(t, networkShort(t, rows, tt.prefix), tt.want)
		})
	}
}

// TestNetworkRefuses holds what the programs refuse to start on, and the
// bounds on hostile input; each error names the file and line.
func TestNetworkRefuses(t *testing.T) {
	deep := fstest.MapFS{}
	for i := range maxIncludeDepth + 1 {
		deep[fmt.Sprintf("etc/network/i%d", i)] = networkFile(fmt.Sprintf("source i%d\n", i+1))
	}
	deep["etc/network/interfaces"] = networkFile("source i0\n")
	var many strings.Builder
	many.WriteString("auto")
	for i := range maxRows + 1 {
		fmt.Fprintf(&many, " e%d", i)
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"ifupdown empty value", fstest.MapFS{"etc/network/interfaces": networkFile("iface e inet static\n address\n")}, "/etc/network/interfaces line 2: option with empty value"},
		{"ifupdown option outside a stanza", fstest.MapFS{"etc/network/interfaces": networkFile("iface e inet dhcp\nauto e\n mtu 1\n")}, "/etc/network/interfaces line 3: misplaced option"},
		{"ifupdown short iface line", fstest.MapFS{"etc/network/interfaces": networkFile("iface e inet\n")}, "/etc/network/interfaces line 1: unknown or no method"},
		{"ifupdown source loop", fstest.MapFS{"etc/network/interfaces": networkFile("source a\n"), "etc/network/a": networkFile("\nsource interfaces\n")}, "/etc/network/a line 2: source loop"},
		{"ifupdown sources too deep", deep, "nested deeper than 16"},
		{"ifupdown too many rows", fstest.MapFS{"etc/network/interfaces": networkFile(many.String())}, "/etc/network/interfaces line 1: more than 100000 rows"},
		{"file too large", fstest.MapFS{"etc/network/interfaces": networkFile(strings.Repeat("#", maxFileBytes+1))}, "/etc/network/interfaces: larger than 4194304 bytes"},
		{"netplan not YAML", fstest.MapFS{"etc/netplan/a.yaml": networkFile("network: [\n")}, "/etc/netplan/a.yaml"},
		{"netplan top-level key", fstest.MapFS{"etc/netplan/a.yaml": networkFile("network: {}\nnetwrok: {}\n")}, `/etc/netplan/a.yaml line 2: unknown key "netwrok"`},
		{"netplan alias bomb", fstest.MapFS{"etc/netplan/a.yaml": networkFile(networkAliasBomb)}, "/etc/netplan/a.yaml line"},
		{"NetworkManager.conf line", fstest.MapFS{"etc/NetworkManager/NetworkManager.conf": networkFile("[main]\nplugins\n")}, "/etc/NetworkManager/NetworkManager.conf line 2"},
		{"NetworkManager.conf key before group", fstest.MapFS{"etc/NetworkManager/conf.d/a.conf": networkFile("dns=none\n")}, "/etc/NetworkManager/conf.d/a.conf line 1: key \"dns\" before the first group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Network(tt.fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %d rows, error %v; want an error containing %q", len(rows), err, tt.want)
			}
		})
	}
}

// networkAliasBomb is the "billion laughs": nine levels of nine aliases.
const networkAliasBomb = `network:
  a: &a [x, x, x, x, x, x, x, x, x]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
`

// FuzzNetwork puts the input in each system's file in turn and checks
// that every row points at a line of the input.
func FuzzNetwork(f *testing.F) {
	dir := "testdata/network/packages/"
	for _, name := range []string{
		"etc/network/interfaces.d/eth0", "etc/netplan/20-vlan.yaml", "etc/NetworkManager/NetworkManager.conf",
		"etc/NetworkManager/system-connections/home-wifi.nmconnection", "lib/systemd/network/80-container-ve.network",
	} {
		data, err := os.ReadFile(dir + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(networkAliasBomb))
	places := []string{
		"etc/network/interfaces", "etc/netplan/a.yaml", "etc/NetworkManager/NetworkManager.conf",
		"etc/NetworkManager/system-connections/a.nmconnection", "etc/systemd/network/a.network",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		for _, place := range places {
			rows, err := Network(fstest.MapFS{place: networkFile(string(data))})
			if err != nil {
				continue
			}
			for _, r := range rows {
				if r.File != "/"+place || r.Line < 1 || r.Line > lines {
					t.Fatalf("input in /%s: row %+v outside the input's %d lines", place, r, lines)
				}
			}
		}
	})
}
