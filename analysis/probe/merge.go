package probe

import (
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/datasets"
)

// Merge sets Probed, Effective and Differs on the unconditional rows of
// program in rows from what the probe reported, and appends a row (Source
// datasets.SourceProbe, Value and Effective the reported value) for each
// key only the probe reported: the program's compiled-in defaults the
// static reader does not know. Rows under a Condition (sshd's Match
// blocks) are left alone, since the probe does not evaluate them, and so
// are keys the probe did not print (ignored or unknown keywords).
//
// A key with one row per value (sshd's port, listenaddress, acceptenv,
// ...) pairs its rows with the probe's lines in order; when the counts
// differ, every row gets all the probe's values space-joined and Differs.
// Differs compares values as the program reads them, not as they are
// spelled (see sameValue): sshd -T prints "PermitRootLogin
// prohibit-password" as "without-password", "yes" for "Yes" and seconds
// for "2m".
func Merge(rows []datasets.ConfigSettingRow, program string, effective []Value) []datasets.ConfigSettingRow {
	probed := map[string][]string{}
	var order []string
	for _, v := range effective {
		if _, ok := probed[v.Key]; !ok {
			order = append(order, v.Key)
		}
		probed[v.Key] = append(probed[v.Key], v.Value)
	}
	static := map[string][]int{}
	for i, r := range rows {
		if r.Program == program && r.Condition == "" {
			static[r.Key] = append(static[r.Key], i)
		}
	}
	out := append([]datasets.ConfigSettingRow(nil), rows...)
	for key, idx := range static {
		vals, ok := probed[key]
		if !ok {
			continue
		}
		for j, i := range idx {
			r := &out[i]
			r.Probed = true
			if len(vals) == len(idx) {
				r.Effective = vals[j]
				r.Differs = !sameValue(r.Value, r.Effective)
			} else {
				r.Effective = strings.Join(vals, " ")
				r.Differs = true
			}
		}
	}
	for _, key := range order {
		if static[key] != nil {
			continue
		}
		for _, v := range probed[key] {
			out = append(out, datasets.ConfigSettingRow{Program: program, Key: key, Value: v,
				Source: datasets.SourceProbe, Probed: true, Effective: v})
		}
	}
	return out
}

// spellings are values sshd -T prints under another name than the one a
// configuration may use.
var spellings = map[string]string{"prohibit-password": "without-password"}

// sameValue reports whether a configured value and the value the program
// printed mean the same: equal ignoring case (sshd matches its yes/no and
// level words case-insensitively and prints them in one case), one of
// spellings, or the same time in seconds (sshd's convtime: "2m" is 120).
func sameValue(configured, printed string) bool {
	if strings.EqualFold(configured, printed) {
		return true
	}
	if s, ok := spellings[strings.ToLower(configured)]; ok && s == printed {
		return true
	}
	a, okA := convtime(configured)
	b, okB := convtime(printed)
	return okA && okB && a == b
}

// convtime reads an sshd time as misc.c's convtime does: digits with an
// optional unit (s, m, h, d, w, either case), several of them summed
// ("1h30m"); no unit is seconds.
func convtime(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var total int64
	for s != "" {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 {
			return 0, false
		}
		v, err := strconv.ParseInt(s[:n], 10, 64)
		if err != nil {
			return 0, false
		}
		s = s[n:]
		mult := int64(1)
		if s != "" {
			switch s[0] {
			case 's', 'S':
			case 'm', 'M':
				mult = 60
			case 'h', 'H':
				mult = 3600
			case 'd', 'D':
				mult = 86400
			case 'w', 'W':
				mult = 604800
			default:
				return 0, false
			}
			s = s[1:]
		}
		total += v * mult
	}
	return total, true
}
