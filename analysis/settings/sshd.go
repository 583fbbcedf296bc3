package settings

import (
	"fmt"
	"io/fs"
	"strings"
)

// sshdConfig is where sshd reads its configuration; relative Include
// patterns are relative to its directory (SSHDIR), as sshd_config(5) says.
const (
	sshdConfig = "etc/ssh/sshd_config"
	sshdDir    = "etc/ssh"
)

// sshdAccumulating are the keywords whose every line adds values instead
// of the first one winning (OpenSSH 9.2's servconf.c appends them to a
// list): one row per line for port, listenaddress, hostkey,
// hostcertificate and subsystem ("sftp /usr/lib/openssh/sftp-server"), one
// row per argument for acceptenv and the allow/deny lists, as `sshd -T`
// prints them. Every other keyword's first value wins, all of its
// arguments space-joined in one row (authorizedkeysfile, setenv, permitopen
// and the algorithm lists take the whole first line).
var sshdAccumulating = map[string]bool{
	"port": true, "listenaddress": true, "hostkey": true, "hostcertificate": true, "subsystem": true,
	"acceptenv": true, "allowusers": true, "denyusers": true, "allowgroups": true, "denygroups": true,
}

// sshdPerArgument are the accumulating keywords that take one row per
// argument rather than per line.
var sshdPerArgument = map[string]bool{
	"acceptenv": true, "allowusers": true, "denyusers": true, "allowgroups": true, "denygroups": true,
}

// sshdAliases are the old spellings servconf.c still accepts for a
// keyword; rows carry the name `sshd -T` prints.
var sshdAliases = map[string]string{
	"challengeresponseauthentication": "kbdinteractiveauthentication",
	"skeyauthentication":              "kbdinteractiveauthentication",
	"dsaauthentication":               "pubkeyauthentication",
	"pubkeyacceptedkeytypes":          "pubkeyacceptedalgorithms",
	"hostbasedacceptedkeytypes":       "hostbasedacceptedalgorithms",
}

// sshdIgnored are keywords servconf.c accepts and ignores (sDeprecated,
// sUnsupported, sIgnore): sshd logs them and runs on, so they set nothing.
var sshdIgnored = map[string]bool{
	"protocol": true, "keyregenerationinterval": true, "serverkeybits": true,
	"rhostsrsaauthentication": true, "rsaauthentication": true, "uselogin": true,
	"useprivilegeseparation": true, "pamauthenticationviakbdint": true, "useroaming": true,
	"verifyreversemapping": true, "reversemappingcheck": true, "kerberostgtpassing": true,
	"afstokenpassing": true, "rhostsauthentication": true,
}

// sshdDefaults are the compiled-in defaults `sshd -T` prints for an empty
// configuration with Debian bookworm's openssh-server 1:9.2p1-2+deb12u10,
// for the keys that matter most to an image's security and reachability.
// Debian's patches show in them: authorizedkeysfile keeps
// .ssh/authorized_keys2 and ipqos is "lowdelay throughput" (upstream 9.2:
// "af21 cs1"); usepam and kbdinteractiveauthentication are upstream's, which
// Debian's shipped sshd_config overrides (UsePAM yes,
// KbdInteractiveAuthentication no). permitrootlogin's "without-password"
// is how sshd -T spells prohibit-password.
var sshdDefaults = map[string][]string{
	"addressfamily":                {"any"},
	"allowagentforwarding":         {"yes"},
	"allowtcpforwarding":           {"yes"},
	"authorizedkeysfile":           {".ssh/authorized_keys .ssh/authorized_keys2"},
	"ciphers":                      {"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"},
	"clientaliveinterval":          {"0"},
	"gatewayports":                 {"no"},
	"hostbasedauthentication":      {"no"},
	"ignorerhosts":                 {"yes"},
	"ipqos":                        {"lowdelay throughput"},
	"kbdinteractiveauthentication": {"yes"},
	"kexalgorithms":                {"sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"},
	"listenaddress":                {"[::]:22", "0.0.0.0:22"},
	"logingracetime":               {"120"},
	"loglevel":                     {"INFO"},
	"macs":                         {"umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"},
	"maxauthtries":                 {"6"},
	"maxsessions":                  {"10"},
	"maxstartups":                  {"10:30:100"},
	"passwordauthentication":       {"yes"},
	"permitemptypasswords":         {"no"},
	"permitrootlogin":              {"without-password"},
	"permittunnel":                 {"no"},
	"permituserenvironment":        {"no"},
	"port":                         {"22"},
	"pubkeyauthentication":         {"yes"},
	"strictmodes":                  {"yes"},
	"usepam":                       {"no"},
	"x11forwarding":                {"no"},
}

// Sshd reads sshd's effective settings from etc/ssh/sshd_config and what
// it includes, as sshd_config(5) of OpenSSH 9.2 describes: keywords are
// case-insensitive (rows carry them lowercased, old aliases under their
// current name), "Keyword value" and "Keyword=value" are the same, and the
// first value obtained for a keyword is used, except for the keywords in
// sshdAccumulating.
//
// Include takes glob patterns, relative ones relative to /etc/ssh, each
// expanded in sorted order and read in place — inside a Match block
// included lines belong to that block, and a Match in an included file
// ends with that file (servconf.c restores the block on return). Debian's
// shipped sshd_config starts with Include /etc/ssh/sshd_config.d/*.conf,
// so drop-ins there win over the main file's later lines.
//
// Lines after "Match <criteria>" carry Condition "Match <criteria>" and
// have their own first-wins bucket: they override the unconditional value
// only for connections that match, so they never replace its row. "Match
// all" returns to unconditional lines.
//
// Where sshd refuses to start, Sshd fails, naming file and line: a keyword
// without an argument, an unterminated quote, a Match without criteria, a
// Subsystem defined twice, includes deeper than 16 or in a loop. Keywords
// sshd accepts and ignores (Protocol, UsePrivilegeSeparation, ...) set
// nothing. Keywords Sshd does not know are kept as rows: the list differs
// between OpenSSH versions and distributions' patches, and a row the
// comparison can show is more use than an error.
//
// Keys in sshdDefaults get Default, and a Builtin row when no unconditional
// line sets them.
func Sshd(fsys fs.FS) ([]Setting, error) {
	p := sshdParser{fsys: fsys, seen: map[string]bool{}, subsystems: map[string]bool{}}
	if err := p.file(sshdConfig, "", nil); err != nil {
		return nil, err
	}
	if !p.read {
		return nil, nil
	}
	set := map[string][]string{}
	for _, r := range p.rows {
		if r.Condition == "" {
			set[r.Key] = append(set[r.Key], r.Value)
		}
	}
	for key, values := range sshdDefaults {
		if set[key] != nil {
			continue
		}
		if key == "listenaddress" {
			ports, family := set["port"], sshdDefaults["addressfamily"][0]
			if ports == nil {
				ports = sshdDefaults["port"]
			}
			if f := set["addressfamily"]; f != nil {
				family = f[0]
			}
			values = sshdListenDefault(ports, family)
		}
		for _, v := range values {
			p.rows = append(p.rows, Setting{Program: "sshd", Key: key, Value: v, Builtin: true})
		}
	}
	for i := range p.rows {
		if d, ok := sshdDefaults[p.rows[i].Key]; ok {
			p.rows[i].Default = strings.Join(d, " ")
		}
	}
	authSort(p.rows)
	return p.rows, nil
}

type sshdParser struct {
	fsys       fs.FS
	read       bool // sshd_config exists: without it, no rows (no sshd)
	rows       []Setting
	seen       map[string]bool // key + "\x00" + condition: set by an earlier line
	subsystems map[string]bool // subsystem names defined unconditionally
}

// file reads one configuration file under condition (the Match block the
// Include that named it sits in); stack holds the files being read, to
// refuse include loops and depth as sshd does.
func (p *sshdParser) file(name, condition string, stack []string) error {
	if err := enterInclude("sshd", name, stack); err != nil {
		return err
	}
	data, ok, err := authReadFile(p.fsys, name)
	if err != nil || !ok {
		return err
	}
	p.read = true
	stack = append(stack, name)
	file := authAbs(name)
	for i, line := range authLines(data) {
		n := i + 1
		keyword, args, err := sshdSplit(line)
		if err != nil {
			return fmt.Errorf("settings: sshd: %s line %d: %w", file, n, err)
		}
		if keyword == "" {
			continue
		}
		key := strings.ToLower(keyword)
		if alias, ok := sshdAliases[key]; ok {
			key = alias
		}
		if len(args) == 0 {
			return fmt.Errorf("settings: sshd: %s line %d: no argument after keyword %q", file, n, keyword)
		}
		switch {
		case sshdIgnored[key]:
			continue
		case key == "match":
			condition = "Match " + strings.Join(args, " ")
			if len(args) == 1 && strings.EqualFold(args[0], "all") {
				condition = ""
			}
			continue
		case key == "include":
			for _, pattern := range args {
				names, err := authGlob(p.fsys, authRel(sshdDir, pattern))
				if err != nil {
					return fmt.Errorf("settings: sshd: %s line %d: include %q: %w", file, n, pattern, err)
				}
				for _, inc := range names {
					if err := p.file(inc, condition, stack); err != nil {
						return err
					}
				}
			}
			continue
		case key == "subsystem" && condition == "":
			if p.subsystems[args[0]] {
				return fmt.Errorf("settings: sshd: %s line %d: subsystem %q already defined", file, n, args[0])
			}
			p.subsystems[args[0]] = true
		}
		row := Setting{Program: "sshd", Key: key, Condition: condition, File: file, Line: n}
		switch {
		case sshdPerArgument[key]:
			for _, a := range args {
				row.Value = a
				p.rows = append(p.rows, row)
			}
		case sshdAccumulating[key]:
			row.Value = strings.Join(args, " ")
			p.rows = append(p.rows, row)
		default:
			bucket := key + "\x00" + condition
			if p.seen[bucket] {
				continue
			}
			p.seen[bucket] = true
			row.Value = strings.Join(args, " ")
			p.rows = append(p.rows, row)
		}
		if err := authRowGuard(len(p.rows), file, n); err != nil {
			return err
		}
	}
	return nil
}

// sshdListenDefault is what sshd listens on without a ListenAddress:
// every Port on the wildcard address of each family AddressFamily allows,
// in the order `sshd -T` prints them (IPv6 first, as getaddrinfo returns
// them for a passive AF_UNSPEC lookup).
func sshdListenDefault(ports []string, family string) []string {
	var addrs []string
	for _, port := range ports {
		if !strings.EqualFold(family, "inet") {
			addrs = append(addrs, "[::]:"+port)
		}
		if !strings.EqualFold(family, "inet6") {
			addrs = append(addrs, "0.0.0.0:"+port)
		}
	}
	return addrs
}

// sshdSplit splits a line as servconf.c does: trailing whitespace off,
// the keyword up to whitespace or "=" (one "=" between keyword and value
// allowed), then the arguments split by argv_split: whitespace-separated,
// double or single quotes grouping, backslash escaping a quote, backslash
// or (outside quotes) space, and "#" at the start of an argument ending
// the line. An empty keyword is an empty or comment line.
func sshdSplit(line string) (string, []string, error) {
	line = strings.TrimRight(line, " \t\r\n\f")
	line = strings.TrimLeft(line, " \t\r\n")
	if line == "" || line[0] == '#' {
		return "", nil, nil
	}
	end := strings.IndexAny(line, " \t\r\n=")
	if end < 0 {
		return line, nil, nil
	}
	keyword, rest := line[:end], strings.TrimLeft(line[end:], " \t\r\n")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
	}
	var args []string
	for i := 0; i < len(rest); i++ {
		if rest[i] == ' ' || rest[i] == '\t' {
			continue
		}
		if rest[i] == '#' {
			break
		}
		var arg strings.Builder
		var quote byte
	scan:
		for ; i < len(rest); i++ {
			c := rest[i]
			switch {
			case c == '\\' && i+1 < len(rest) && (rest[i+1] == '\'' || rest[i+1] == '"' || rest[i+1] == '\\' || (quote == 0 && rest[i+1] == ' ')):
				i++
				arg.WriteByte(rest[i])
			case quote == 0 && (c == ' ' || c == '\t'):
				break scan
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			default:
				arg.WriteByte(c)
			}
		}
		if quote != 0 {
			return "", nil, fmt.Errorf("invalid quotes")
		}
		args = append(args, arg.String())
	}
	return keyword, args, nil
}
