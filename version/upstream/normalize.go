package upstream

import (
	"regexp"
	"strings"
)

// Distribution tags, anchored at the end of what is left of a version once
// its revision or release is gone: Debian's stable and backport updates,
// binNMUs, NMUs of native packages, Ubuntu's and Debian's rebuild markers,
// rpm dist tags, Arch's kernel suffix. They are stripped until none is
// left, so "0+nmu1+b1" loses both.
// tag is a distribution tag at the end of a version; lit is a substring
// every match holds, so that most versions skip the regular expression.
type tag struct {
	lit string
	re  *regexp.Regexp
}

func tagRE(lit, re string) tag { return tag{lit, regexp.MustCompile(re)} }

// Distribution tags, anchored at the end of what is left of a version once
// its revision or release is gone: Debian's stable and backport updates,
// binNMUs, NMUs of native packages, Ubuntu's and Debian's rebuild markers,
// rpm dist tags, Arch's kernel suffix. They are stripped until none is
// left, so "0+nmu1+b1" loses both.
var (
	debTrailing = []tag{
		tagRE("deb", `[+~]deb\d+u\d+$`),         // 1.35+deb12u1
		tagRE("bpo", `~bpo\d+\+\d+$`),           // 1.0~bpo12+1
		tagRE("+b", `\+b\d+$`),                  // 0.7.8+b39 (binNMU of a native package)
		tagRE("nmu", `\+nmu\d+$`),               // 0.22.13+nmu1
		tagRE("ubuntu", `[+~]?ubuntu[\d.~+]*$`), // 1.2ubuntu1, 1.2+ubuntu0.22.04.1
		tagRE("build", `[+~]?build\d+$`),        // 1.2build1
		tagRE("d", `[+~.](dfsg|ds)\d*(\.\d+)?$`),
		tagRE("repack", `[+~.]repack\d*(\.\d+)?$`),
	}
	// Repack markers may sit before other suffixes (2.3~rc1+dfsg1~bpo).
	debRepack = regexp.MustCompile(`[+~.](dfsg|ds|repack)\d*(\.\d+)?([+~.]|$)`)
	// "A+reallyB" (also ~really and .really): the package really holds B.
	debReally = regexp.MustCompile(`^.*[+~.]really`)

	rpmTrailing = []tag{
		tagRE(".", `\.(fc|el|eln|mga|amzn|module_el|rhel|ol|suse|lp|sles|mdv|mdk)\d+[\w.+]*$`),
	}
	alpmTrailing = []tag{
		tagRE(".arch", `\.arch\d+$`), // linux 6.6.1.arch1
	}
	apkHash = regexp.MustCompile(`~[0-9a-f]+$`)
	// apk's build number.
	apkRevision = regexp.MustCompile(`-r\d+$`)
)

// stripEpoch drops a leading "digits:".
func stripEpoch(v string) string {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i > 0 && i < len(v) && v[i] == ':' {
		return v[i+1:]
	}
	return v
}

// stripRevision drops what follows the last hyphen, if the hyphen is not
// the first character.
func stripRevision(v string) string {
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		return v[:i]
	}
	return v
}

// Normalize returns the upstream version inside a version of the given
// repository format ("deb", "rpm", "apk", "alpm" or "pacman"): without
// epoch, revision/release/pkgrel, or the tags distributions add for
// repacks, rebuilds and backports. An unknown format only loses its
// surrounding blanks and a leading epoch. Normalize never fails: a
// version it does not understand comes back trimmed.
func Normalize(format, v string) string {
	v = strings.TrimSpace(v)
	switch format {
	case "deb":
		v = stripRevision(stripEpoch(v))
		if strings.Contains(v, "really") {
			v = debReally.ReplaceAllString(v, "")
		}
		if !strings.Contains(v, "dfsg") && !strings.Contains(v, "ds") && !strings.Contains(v, "repack") {
			return stripAll(v, debTrailing)
		}
		v = debRepack.ReplaceAllStringFunc(v, func(m string) string {
			// keep the separator that started what followed the marker
			if last := m[len(m)-1]; last == '+' || last == '~' || last == '.' {
				return string(last)
			}
			return ""
		})
		v = stripAll(v, debTrailing)
	case "rpm":
		v = stripAll(stripRevision(stripEpoch(v)), rpmTrailing)
	case "apk":
		v = apkRevision.ReplaceAllString(v, "")
		if strings.IndexByte(v, '~') >= 0 {
			v = apkHash.ReplaceAllString(v, "")
		}
	case "alpm", "pacman":
		v = stripAll(stripRevision(stripEpoch(v)), alpmTrailing)
	default:
		v = stripEpoch(v)
	}
	return v
}

func stripAll(v string, tags []tag) string {
	for {
		before := v
		for _, t := range tags {
			if !strings.Contains(v, t.lit) {
				continue
			}
			if loc := t.re.FindStringIndex(v); loc != nil && loc[0] > 0 {
				v = v[:loc[0]]
			}
		}
		if v == before {
			return v
		}
	}
}
