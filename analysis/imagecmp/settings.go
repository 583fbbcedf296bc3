package imagecmp

import (
	"slices"
	"strings"

	"github.com/distroscope/distroscope/datasets"
)

// The config_settings rows analysis/image writes for the init system and
// for the services enabled at boot; every other program's rows are
// settings.
const (
	programInit    = "init"
	keyInitSystem  = "system"
	programService = "service"
)

// settingKey joins the rows of one setting across two images: a mapped
// setting by its topic (two distributions keep it in different programs
// or files), any other by program and key; both within its condition.
type settingKey struct{ name, condition string }

func keyOfSetting(r *datasets.ConfigSettingRow) settingKey {
	if r.Program == programService {
		// A service joins by its unit alone: enabled in multi-user.target
		// on one side and disabled (no target) on the other is one
		// service that changed, not one removed and one added.
		return settingKey{r.Program + "\x00" + r.Key, ""}
	}
	if r.Topic != "" {
		return settingKey{"topic\x00" + r.Topic, r.Condition}
	}
	return settingKey{r.Program + "\x00" + r.Key, r.Condition}
}

// setting is every row of one key on one side, in the rows' order: the
// parser's, which datasets.CompareConfigSettingRows keeps (a PAM stack in
// stack order).
type setting struct {
	rows []*datasets.ConfigSettingRow
}

func (s *setting) values() []string {
	out := make([]string, len(s.rows))
	for i, r := range s.rows {
		out[i] = r.Value
		if r.Program == programService {
			out[i] += "\x00" + r.Condition // a service's target is part of its value
		}
	}
	return out
}

// probed: the probe reported every row, so its values can be compared.
func (s *setting) probed() bool {
	for _, r := range s.rows {
		if !r.Probed {
			return false
		}
	}
	return len(s.rows) > 0
}

func (s *setting) effective() []string {
	out := make([]string, len(s.rows))
	for i, r := range s.rows {
		out[i] = r.Effective
	}
	return out
}

func group(rows []datasets.ConfigSettingRow) (map[settingKey]*setting, []settingKey) {
	m := map[settingKey]*setting{}
	var order []settingKey
	sorted := slices.IsSortedFunc(rows, func(a, b datasets.ConfigSettingRow) int { return datasets.CompareConfigSettingRows(&a, &b) })
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	if !sorted {
		slices.SortStableFunc(idx, func(i, j int) int { return datasets.CompareConfigSettingRows(&rows[i], &rows[j]) })
	}
	for _, i := range idx {
		k := keyOfSetting(&rows[i])
		s, ok := m[k]
		if !ok {
			s = &setting{}
			m[k] = s
			order = append(order, k)
		}
		s.rows = append(s.rows, &rows[i])
	}
	return m, order
}

// diffSettings joins the two images' config_settings. A setting with
// several rows of one key and condition (a PAM stack, sshd's repeated
// keywords) compares as one ordered list: its values joined by "\n", and
// the file, line and source shown are those of the first value that
// differs from the other side's at the same place. When the probe
// reported the setting on both sides, its effective values are compared
// too, and Detail says "effective" with them when they differ. Builtin
// defaults take part as any value: two equal defaults are no row, a
// default on one side and a file's value on the other are.
//
// Program "init", key "system" rows are the init system (Kind init);
// Program "service" rows are services enabled at boot (Kind service, Key
// the unit, values enabled, disabled or masked). They join by unit alone,
// their targets part of the value: Condition is B's target (A's when B
// names none), and a state under another target shows it in parentheses.
func diffSettings(as, bs []datasets.ConfigSettingRow) []datasets.ImageDiffRow {
	am, aOrder := group(as)
	bm, bOrder := group(bs)
	var out []datasets.ImageDiffRow
	for _, k := range aOrder {
		if row, ok := settingRow(am[k], bm[k]); ok {
			out = append(out, row)
		}
	}
	for _, k := range bOrder {
		if _, ok := am[k]; !ok {
			if row, ok := settingRow(nil, bm[k]); ok {
				out = append(out, row)
			}
		}
	}
	return out
}

// settingRow compares one setting; a or b is nil for the side without it.
func settingRow(a, b *setting) (datasets.ImageDiffRow, bool) {
	var av, bv []string
	if a != nil {
		av = a.values()
	}
	if b != nil {
		bv = b.values()
	}
	effective := a != nil && b != nil && a.probed() && b.probed() && !slices.Equal(a.effective(), b.effective())
	if a != nil && b != nil && slices.Equal(av, bv) && !effective {
		return datasets.ImageDiffRow{}, false
	}
	// The first place the two lists differ names the file and line.
	at := firstDifference(av, bv)
	if effective && slices.Equal(av, bv) {
		at = firstDifference(a.effective(), b.effective())
	}
	row := datasets.ImageDiffRow{Change: ChangeChanged}
	var named *datasets.ConfigSettingRow
	if a != nil {
		r := a.rows[min(at, len(a.rows)-1)]
		row.AFile, row.ALine, row.ASource = r.File, r.Line, r.Source
		named = a.rows[0]
	}
	if b != nil {
		r := b.rows[min(at, len(b.rows)-1)]
		row.BFile, row.BLine, row.BSource = r.File, r.Line, r.Source
		named = b.rows[0]
	}
	switch {
	case a == nil:
		row.Change = ChangeAdded
	case b == nil:
		row.Change = ChangeRemoved
	}
	row.Program, row.Condition, row.Topic = named.Program, named.Condition, named.Topic
	row.Key = named.Program + " " + named.Key
	row.AValue, row.BValue = strings.Join(av, "\n"), strings.Join(bv, "\n")
	switch {
	case named.Program == programInit && named.Key == keyInitSystem:
		row.Kind, row.Key = datasets.DiffInit, keyInitSystem
	case named.Program == programService:
		row.Kind, row.Key = datasets.DiffService, named.Key
		row.Condition = serviceTarget(b, a)
		row.AValue, row.BValue = serviceValues(a, row.Condition), serviceValues(b, row.Condition)
	default:
		row.Kind = datasets.DiffSetting
	}
	if effective {
		row.Detail = "effective: " + strings.Join(a.effective(), "\n") + " → " + strings.Join(b.effective(), "\n")
	}
	return row, true
}

// serviceTarget is the target a service row names: B's first, else A's.
func serviceTarget(sides ...*setting) string {
	for _, s := range sides {
		if s == nil {
			continue
		}
		for _, r := range s.rows {
			if r.Condition != "" {
				return r.Condition
			}
		}
	}
	return ""
}

// serviceValues are a side's states of a service, one per line: the
// state alone where its target is the row's (or it has none), else with
// the target in parentheses ("enabled (graphical.target)").
func serviceValues(s *setting, target string) string {
	if s == nil {
		return ""
	}
	out := make([]string, len(s.rows))
	for i, r := range s.rows {
		out[i] = r.Value
		if r.Condition != "" && r.Condition != target {
			out[i] += " (" + r.Condition + ")"
		}
	}
	return strings.Join(out, "\n")
}

func firstDifference(a, b []string) int {
	i := 0
	for i < min(len(a), len(b)) && a[i] == b[i] {
		i++
	}
	return i
}

// initSystem is a side's init system, "" when its analysis says none.
func initSystem(rows []datasets.ConfigSettingRow) string {
	for _, r := range rows {
		if r.Program == programInit && r.Key == keyInitSystem {
			return r.Value
		}
	}
	return ""
}
