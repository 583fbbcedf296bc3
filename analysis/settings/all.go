package settings

import (
	"fmt"
	"io/fs"
	"strings"
)

// parser is one reader of the package, named as its errors name it.
type parser struct {
	name string
	read func(fs.FS) ([]Setting, error)
}

// parsers are every reader All runs, in the order their rows come. The
// list is explicit (no init registration): a new parser is added here.
var parsers = []parser{
	{"sshd", Sshd},
	{"sysctl", Sysctl},
	{"login.defs", LoginDefs},
	{"pam", PAM},
	{"sudoers", Sudoers},
	{"nsswitch", NSSwitch},
	{"limits", Limits},
	{"resolver", Resolver},
	{"hostname", Hostname},
	{"timezone", Timezone},
	{"locale", Locale},
	{"default", EtcDefault},
	{"sysconfig", Sysconfig},
	{"selinux", SELinux},
	{"apparmor", AppArmor},
	{"crypto-policy", CryptoPolicy},
	{"network", Network},
}

// ParseError is one parser's failure in All; the other parsers' rows are
// still returned beside it.
type ParseError struct {
	Parser string // the parser's name: "sshd", "login.defs", "default", ...
	Err    error
}

// programs are the Program values the parsers emit (see Setting).
var programs = map[string]bool{"sshd": true, "sysctl": true, "login.defs": true, "pam": true, "sudoers": true,
	"nsswitch": true, "limits": true, "resolver": true, "hostname": true, "network": true, "default": true,
	"sysconfig": true, "useradd": true, "selinux": true, "apparmor": true, "crypto-policy": true,
	"timezone": true, "locale": true}

// Error names the program: as the parser's own error does
// ("settings: useradd: ..."), or else the parser.
func (e *ParseError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "settings: ")
	if prog, _, ok := strings.Cut(msg, ": "); ok && programs[prog] {
		return "settings: " + msg
	}
	return "settings: " + e.Parser + ": " + msg
}

func (e *ParseError) Unwrap() error { return e.Err }

// All runs every parser of the package on the image's root fsys and
// returns all their rows, and a *ParseError for each parser that failed:
// one hostile or broken file costs its own parser's rows, never the
// others'. A parser that panics is reported the same way, so that an
// untrusted image cannot stop the analysis of the rest.
//
// A file of /etc/default (or /etc/sysconfig) that a parser of its own
// reads with its program's semantics has one owner, that parser: "default"
// rows of /etc/default/useradd are dropped for LoginDefs' "useradd" rows
// (useradd reads only its known keys, with its own splitting, and fills in
// its defaults), and rows of any file another parser's rows name (Locale's
// /etc/default/locale on Debian) are dropped for that parser's.
func All(fsys fs.FS) ([]Setting, []error) {
	return runParsers(fsys, parsers)
}

func runParsers(fsys fs.FS, ps []parser) ([]Setting, []error) {
	var (
		rows []Setting
		errs []error
	)
	for _, p := range ps {
		r, err := runParser(fsys, p)
		if err != nil {
			errs = append(errs, &ParseError{Parser: p.name, Err: err})
			continue
		}
		rows = append(rows, r...)
	}
	return dropShadowed(rows), errs
}

func runParser(fsys fs.FS, p parser) (rows []Setting, err error) {
	defer func() {
		if v := recover(); v != nil {
			rows, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	return p.read(fsys)
}

// shellVarPrograms are the programs of ShellVars' generic rows.
var shellVarPrograms = map[string]bool{"default": true, "sysconfig": true}

// dropShadowed removes the generic shell-variable rows of files that a
// parser of their own owns (see All).
func dropShadowed(rows []Setting) []Setting {
	owned := map[string]bool{}
	for _, r := range rows {
		if !shellVarPrograms[r.Program] && r.File != "" {
			owned[r.File] = true
		}
	}
	out := rows[:0]
	for _, r := range rows {
		if r.Program == "default" && strings.HasPrefix(r.Key, "useradd.") {
			continue // LoginDefs owns it even where it sets no key useradd reads
		}
		if shellVarPrograms[r.Program] && owned[r.File] {
			continue
		}
		out = append(out, r)
	}
	return out
}
