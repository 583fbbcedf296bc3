package report

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/distroscope/distroscope/analysis/settings"
	"github.com/distroscope/distroscope/datasets"
)

// The report of an image comparison: the image_diffs rows of two analysed
// images (and their image_summaries rows) as one self-contained HTML page,
// the same as Markdown, one CSV per kind of difference and a terminal
// summary. It follows the release comparison's report: inline CSS, no
// script, nothing fetched, every value escaped for where it lands (paths,
// setting values and package names come from the images, which anyone
// can build), long tables cut at MaxRows with a note naming the CSV that
// has every row.

// ImageData is what an image comparison's report shows.
type ImageData struct {
	// A and B are the two analyses compared.
	A, B    datasets.ImageSummaryRow
	Summary datasets.ImageCompareSummaryRow
	// Diffs are the comparison's image_diffs rows, in the dataset's order
	// (datasets.CompareImageDiffRows).
	Diffs []datasets.ImageDiffRow
	// AHead and BHead are each side's headline values. A diff has a row
	// only for what differs, so the values both sides share come from
	// here (ImageHeadlineOf fills them from config_settings); a diff row
	// for one of them wins over them.
	AHead, BHead ImageHeadline
	// MaxRows caps the rows shown per table in HTML and Markdown (the
	// CSVs have all of them); zero means DefaultMaxRows.
	MaxRows int
	// CSVLocation, when set, tells readers where the CSV files are.
	CSVLocation string
}

// ImageHeadline is what the headline shows of one image whether or not
// the other differs: its init system and its system-wide time zone,
// locale and host name.
type ImageHeadline struct {
	Init     string // initsys' name: systemd, openrc, sysvinit, runit, s6, busybox, none
	Timezone string // the zone, "Europe/Berlin"
	Locale   string // LANG
	Hostname string
}

// headlineSettings are the config_settings rows (program, key) each
// ImageHeadline field is read from, in the order the headline shows them;
// a row of another program in the same topic of the mapping table
// (settings.Topic: RHEL 6's sysconfig clock ZONE is the time zone) counts
// when the image has none of the program's own.
var headlineSettings = []struct {
	ID, Label    string
	Program, Key string
	field        func(*ImageHeadline) *string
}{
	{"init", "init system", "init", "system", func(h *ImageHeadline) *string { return &h.Init }},
	{"timezone", "time zone", "timezone", "timezone", func(h *ImageHeadline) *string { return &h.Timezone }},
	{"locale", "locale (LANG)", "locale", "LANG", func(h *ImageHeadline) *string { return &h.Locale }},
	{"hostname", "host name", "hostname", "hostname", func(h *ImageHeadline) *string { return &h.Hostname }},
}

// ImageHeadlineOf reads one image's headline values from its
// config_settings rows: Program "init" Key "system", "timezone"
// "timezone", "locale" "LANG" and "hostname" "hostname", else a row of
// the same topic. The last row of a key wins, as the parsers emit the
// effective one last; only unconditional rows count.
func ImageHeadlineOf(rows []datasets.ConfigSettingRow) ImageHeadline {
	var h ImageHeadline
	own := map[string]bool{} // fields a program's own row set
	for i := range rows {
		r := &rows[i]
		if r.Condition != "" {
			continue
		}
		for _, f := range headlineSettings {
			switch {
			case r.Program == f.Program && r.Key == f.Key:
				*f.field(&h), own[f.ID] = r.Value, true
			case !own[f.ID] && headlineTopic(f.Program, f.Key, r.Topic, r.Program, r.Key):
				*f.field(&h) = r.Value
			}
		}
	}
	return h
}

// headlineTopic says whether a row (its topic, program and key) is in the
// topic of the headline's (program, key).
func headlineTopic(program, key, topic, rowProgram, rowKey string) bool {
	want := settings.Topic(program, key)
	return want != "" && (topic == want || settings.Topic(rowProgram, rowKey) == want)
}

// The files of an image comparison's report: one CSV per kind of
// difference, stored as "csv/<name>" as the other reports' are, then the
// Markdown page, then the HTML page.
const (
	FileImageMarkdown = "image-compare.md"
	FileImageHTML     = "image-compare.html"
	// Every row of each kind, in the dataset's order, with the dataset's
	// columns (imageDiffHeader). The init system's row, if the systems
	// differ, is in the services file: the issue shows init systems and
	// the services they enable at boot together.
	CSVImagePackages = "image-packages.csv"
	CSVImageFiles    = "image-files.csv"
	CSVImageSettings = "image-settings.csv"
	CSVImageServices = "image-services.csv"
)

// ImageCSVNames are the CSV files of an image comparison, in the order the
// page shows them.
var ImageCSVNames = []string{CSVImagePackages, CSVImageFiles, CSVImageSettings, CSVImageServices}

// imageCSVKinds are the diff kinds each CSV holds.
var imageCSVKinds = map[string][]string{
	CSVImagePackages: {datasets.DiffPackage},
	CSVImageFiles:    {datasets.DiffFile},
	CSVImageSettings: {datasets.DiffSetting},
	CSVImageServices: {datasets.DiffInit, datasets.DiffService},
}

// imageDiffHeader are the image_diffs columns, so that a CSV reads back
// into the rows it was made of.
var imageDiffHeader = []string{"kind", "change", "key", "program", "condition", "topic", "a_package", "ecosystem",
	"a_value", "b_value", "a_file", "a_line", "b_file", "b_line", "a_source", "b_source", "rule", "detail"}

func imageDiffRecord(rec []string, _ *lists, r *datasets.ImageDiffRow) {
	rec[0], rec[1], rec[2], rec[3], rec[4], rec[5] = r.Kind, r.Change, r.Key, r.Program, r.Condition, r.Topic
	rec[6], rec[7], rec[8], rec[9] = r.APackage, r.Ecosystem, r.AValue, r.BValue
	rec[10], rec[11], rec[12], rec[13] = r.AFile, strconv.Itoa(int(r.ALine)), r.BFile, strconv.Itoa(int(r.BLine))
	rec[14], rec[15], rec[16], rec[17] = r.ASource, r.BSource, r.Rule, r.Detail
}

//go:embed image.html.tmpl
var imageHTMLSource string

//go:embed image.md.tmpl
var imageMarkdownSource string

var (
	imageHTMLTemplate = htmltemplate.Must(htmltemplate.New("image.html").Funcs(htmltemplate.FuncMap{"dict": dict}).Parse(imageHTMLSource))
	imageMDTemplate   = template.Must(template.New("image.md").Funcs(template.FuncMap{"md": md, "mdlines": mdLines, "dict": dict}).Parse(imageMarkdownSource))
)

// mdLines escapes a multi-valued cell (a PAM stack, sshd's repeated
// keys: one value a line) and keeps its lines apart with <br>, which
// GitHub renders inside a table cell; every line itself is escaped.
func mdLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = md(l)
	}
	return strings.Join(lines, "<br>")
}

// RenderImageCompare renders an image comparison's report into memory:
// every CSV as "csv/<name>" in ImageCSVNames order, then
// FileImageMarkdown, then FileImageHTML last, so that a store receiving
// them in order holds the page only once the rest is there. The diff of
// two images is thousands of rows at most (package rows, /etc files,
// settings), so the files are rendered whole.
func RenderImageCompare(d ImageData) ([]File, error) {
	v, err := newImageView(d)
	if err != nil {
		return nil, err
	}
	files := make([]File, 0, len(ImageCSVNames)+2)
	for _, name := range ImageCSVNames {
		var b bytes.Buffer
		cw := newCSVWriter(&b)
		err := writeTable(cw, imageDiffHeader, v.byCSV[name], imageDiffRecord)
		if err == nil {
			cw.Flush()
			err = cw.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("report: writing %s of %s: %w", name, v.Title, err)
		}
		files = append(files, File{Name: "csv/" + name, Data: b.Bytes()})
	}
	var page, doc bytes.Buffer
	if err := imageMDTemplate.Execute(&doc, v); err != nil {
		return nil, fmt.Errorf("report: Markdown of %s: %w", v.Title, err)
	}
	if err := imageHTMLTemplate.Execute(&page, v); err != nil {
		return nil, fmt.Errorf("report: HTML of %s: %w", v.Title, err)
	}
	return append(files, File{Name: FileImageMarkdown, Data: doc.Bytes()}, File{Name: FileImageHTML, Data: page.Bytes()}), nil
}

// imageView is what the image templates render.
type imageView struct {
	Title       string
	Cross       bool
	AName       string
	BName       string
	AKey, BKey  string
	Headline    []headRow
	Counts      []count
	Packages    imageTable[pkgRow]
	Files       imageTable[fileRow]
	Settings    imageTable[settingGroup]
	Services    imageTable[serviceRow]
	CSVNames    []string
	CSVLocation string
	MaxRows     int

	byCSV     map[string][]*datasets.ImageDiffRow
	downgrade []pkgRow // every downgrade, for the terminal
	settings  []settingRow
}

// imageTable is a table cut to MaxRows rows: Shown of Total rows are in
// Rows (for settings, in Rows' groups); CSV names the file with them all
// and ID the section's DOM id.
type imageTable[T any] struct {
	Rows         []T
	Shown, Total int
	CSV, ID      string
}

func (t imageTable[T]) Cut() bool { return t.Shown < t.Total }

func newImageTable[T any](rows []T, maxRows int, csv, id string) imageTable[T] {
	t := imageTable[T]{Rows: rows, Total: len(rows), CSV: csv, ID: id}
	if len(rows) > maxRows {
		t.Rows = rows[:maxRows]
	}
	t.Shown = len(t.Rows)
	return t
}

// headRow is one line of the side-by-side headline; ID names its cells
// ("head-<id>-a", "head-<id>-b").
type headRow struct {
	ID, Label string
	A, B      string
	// ATitle and BTitle hold a shortened value's whole text.
	ATitle, BTitle string
}

func (h headRow) Differs() bool { return h.A != h.B }

// sideValue is one side of a setting or file: its value and where it is set.
type sideValue struct {
	Value  string
	File   string
	Line   int32
	Source string
}

// Where is "file:line", the file alone for a line 0 (a link, a built-in).
func (s sideValue) Where() string {
	if s.Line == 0 {
		return s.File
	}
	return s.File + ":" + strconv.Itoa(int(s.Line))
}

type pkgRow struct {
	Package, APackage  string // APackage only when a rule paired another name
	Arch               string
	Ecosystem, Change  string
	AVersion, BVersion string
	Rule, Detail       string
}

type fileRow struct {
	Path, Change   string
	AState, BState string
	Detail         string
}

type settingRow struct {
	Program, Key, Condition, Topic, Change string
	A, B                                   sideValue
	Detail                                 string
}

type settingGroup struct {
	Program string
	Rows    []settingRow
}

type serviceRow struct {
	Unit, Target, Change string
	A, B                 string
	Detail               string
}

// packageOrder ranks package changes in the table: downgrades first (an
// upgrade from A to B does not install them), then upgrades, additions,
// removals, other changes, and the unmatched packages of a cross-distro
// comparison last, as the release comparison lists them apart.
func packageOrder(change string) int {
	switch change {
	case KindDowngraded:
		return 0
	case KindUpgraded:
		return 1
	case KindAdded:
		return 2
	case KindRemoved:
		return 3
	case KindUnmatched:
		return 5
	}
	return 4
}

// settingKey is a setting row's key without its program: the dataset's
// Key is "program key" (the contract of ImageDiffRow).
func settingKey(r *datasets.ImageDiffRow) string {
	return strings.TrimPrefix(r.Key, r.Program+" ")
}

// imageName names one side: its os-release's pretty name, else its ID and
// version, else its reference.
func imageName(s *datasets.ImageSummaryRow) string {
	switch {
	case s.PrettyName != "":
		return s.PrettyName
	case s.OSID != "":
		return strings.TrimSpace(s.OSID + " " + s.OSVersion)
	case s.Ref != "":
		return s.Ref
	}
	return "unknown image"
}

// shortIdentity cuts a digest to its first 12 hex digits, as container
// tools show image IDs.
func shortIdentity(id string) string {
	algo, hex, ok := strings.Cut(id, ":")
	if !ok || len(hex) <= 12 {
		return id
	}
	return algo + ":" + hex[:12] + "…"
}

func newImageView(d ImageData) (*imageView, error) {
	if d.MaxRows <= 0 {
		d.MaxRows = DefaultMaxRows
	}
	an, bn := imageName(&d.A), imageName(&d.B)
	v := &imageView{
		Title: an + " vs " + bn, Cross: d.Summary.CrossDistro, AName: an, BName: bn,
		AKey: d.Summary.AKey, BKey: d.Summary.BKey, CSVNames: ImageCSVNames, CSVLocation: d.CSVLocation, MaxRows: d.MaxRows,
		byCSV: map[string][]*datasets.ImageDiffRow{},
	}
	csvOf := map[string]string{}
	for name, kinds := range imageCSVKinds {
		for _, k := range kinds {
			csvOf[k] = name
		}
	}
	var (
		pkgs     []pkgRow
		files    []fileRow
		services []serviceRow
		aHead    = d.AHead
		bHead    = d.BHead
	)
	if aHead.Init == "" {
		aHead.Init = d.Summary.AInit
	}
	if bHead.Init == "" {
		bHead.Init = d.Summary.BInit
	}
	changes := map[string]int64{}
	for i := range d.Diffs {
		r := &d.Diffs[i]
		name, ok := csvOf[r.Kind]
		if !ok {
			return nil, fmt.Errorf("report: image diff row %d (%s) has kind %q, not one of package, file, setting, init, service", i, r.Key, r.Kind)
		}
		v.byCSV[name] = append(v.byCSV[name], r)
		switch r.Kind {
		case datasets.DiffPackage:
			p := pkgRow{Package: r.Key, Arch: r.Condition, Ecosystem: r.Ecosystem, Change: r.Change, AVersion: r.AValue, BVersion: r.BValue, Rule: r.Rule, Detail: r.Detail}
			if r.APackage != r.Key {
				p.APackage = r.APackage
			}
			pkgs = append(pkgs, p)
			changes[r.Change]++
		case datasets.DiffFile:
			files = append(files, fileRow{Path: r.Key, Change: r.Change, AState: r.AValue, BState: r.BValue, Detail: r.Detail})
		case datasets.DiffSetting:
			v.settings = append(v.settings, settingRow{Program: r.Program, Key: settingKey(r), Condition: r.Condition, Topic: r.Topic, Change: r.Change,
				A: sideValue{r.AValue, r.AFile, r.ALine, r.ASource}, B: sideValue{r.BValue, r.BFile, r.BLine, r.BSource}, Detail: r.Detail})
			for _, f := range headlineSettings {
				if r.Condition == "" && (r.Program == f.Program && settingKey(r) == f.Key || headlineTopic(f.Program, f.Key, r.Topic, r.Program, settingKey(r))) {
					*f.field(&aHead), *f.field(&bHead) = r.AValue, r.BValue
				}
			}
		case datasets.DiffInit:
			aHead.Init, bHead.Init = r.AValue, r.BValue
		case datasets.DiffService:
			services = append(services, serviceRow{Unit: r.Key, Target: r.Condition, Change: r.Change, A: r.AValue, B: r.BValue, Detail: r.Detail})
		}
	}
	slices.SortStableFunc(pkgs, func(a, b pkgRow) int { return cmp.Compare(packageOrder(a.Change), packageOrder(b.Change)) })
	for _, p := range pkgs {
		if p.Change == KindDowngraded {
			v.downgrade = append(v.downgrade, p)
		}
	}
	// Grouped by program: the dataset orders settings by key, which
	// interleaves programs whose keys start alike.
	slices.SortStableFunc(v.settings, func(a, b settingRow) int {
		return cmp.Or(strings.Compare(a.Program, b.Program), strings.Compare(a.Key, b.Key), strings.Compare(a.Condition, b.Condition))
	})

	v.Headline = imageHeadline(&d, aHead, bHead)
	v.Counts = imageCounts(len(pkgs), changes, len(files), len(v.settings), len(services), v.Cross)
	v.Packages = newImageTable(pkgs, d.MaxRows, CSVImagePackages, "packages")
	v.Files = newImageTable(files, d.MaxRows, CSVImageFiles, "files")
	v.Services = newImageTable(services, d.MaxRows, CSVImageServices, "services")
	shown := newImageTable(v.settings, d.MaxRows, CSVImageSettings, "settings")
	v.Settings = imageTable[settingGroup]{Shown: shown.Shown, Total: shown.Total, CSV: shown.CSV, ID: shown.ID}
	for _, s := range shown.Rows {
		if n := len(v.Settings.Rows); n == 0 || v.Settings.Rows[n-1].Program != s.Program {
			v.Settings.Rows = append(v.Settings.Rows, settingGroup{Program: s.Program})
		}
		g := &v.Settings.Rows[len(v.Settings.Rows)-1]
		g.Rows = append(g.Rows, s)
	}
	return v, nil
}

func imageHeadline(d *ImageData, a, b ImageHeadline) []headRow {
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	release := func(s *datasets.ImageSummaryRow) string {
		r := strings.TrimSpace(s.OSID + " " + s.OSVersion)
		if s.Codename != "" {
			r += " (" + s.Codename + ")"
		}
		return r
	}
	rows := []headRow{
		{ID: "distribution", Label: "distribution", A: d.A.PrettyName, B: d.B.PrettyName},
		{ID: "release", Label: "os-release", A: release(&d.A), B: release(&d.B)},
		{ID: "ref", Label: "image", A: d.A.Ref, B: d.B.Ref},
		{ID: "identity", Label: "identity", A: shortIdentity(d.A.Identity), B: shortIdentity(d.B.Identity), ATitle: d.A.Identity, BTitle: d.B.Identity},
		{ID: "platform", Label: "platform", A: d.A.Platform, B: d.B.Platform},
		{ID: "layers", Label: "layers", A: num(int64(d.A.Layers)), B: num(int64(d.B.Layers))},
		{ID: "installed", Label: "packages installed", A: num(d.A.Packages), B: num(d.B.Packages)},
		{ID: "config-changed", Label: "configuration files changed", A: num(d.A.ConfigChanged), B: num(d.B.ConfigChanged)},
	}
	for _, f := range headlineSettings {
		rows = append(rows, headRow{ID: f.ID, Label: f.Label, A: *f.field(&a), B: *f.field(&b)})
	}
	return rows
}

// imageCounts are the headline numbers, counted from the rows the page
// lists: the number of package rows and of each of their changes (the
// release comparison's kinds first, any other after, by name), then
// files, settings and services.
func imageCounts(packages int, changes map[string]int64, files, settings, services int, cross bool) []count {
	c := []count{{"packages", "packages differ", int64(packages)}}
	for _, k := range []string{KindAdded, KindRemoved, KindUpgraded, KindDowngraded} {
		c = append(c, count{k, k, changes[k]})
	}
	if cross || changes[KindUnmatched] > 0 {
		c = append(c, count{KindUnmatched, KindUnmatched, changes[KindUnmatched]})
	}
	var other []string
	for k := range changes {
		if packageOrder(k) == 4 {
			other = append(other, k)
		}
	}
	slices.Sort(other)
	for _, k := range other {
		c = append(c, count{"change-" + domID(k), k, changes[k]})
	}
	return append(c,
		count{"files", "configuration files", int64(files)},
		count{"settings", "settings", int64(settings)},
		count{"services", "services", int64(services)})
}

// domID keeps the letters and digits of a change's name for a DOM id.
func domID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}

// imagePrintTop is how many downgrades and settings PrintImageCompare lists.
const imagePrintTop = 20

// PrintImageCompare writes a comparison for a terminal: the two images
// side by side (the headline, "*" marking what differs), the counts, every downgrade and the first
// settings that differ. Values come from the images, so control
// characters in them are shown escaped rather than sent to the terminal.
func PrintImageCompare(w io.Writer, d ImageData) error {
	v, err := newImageView(d)
	if err != nil {
		return err
	}
	cross := ""
	if v.Cross {
		cross = " (cross-distro)"
	}
	fmt.Fprintf(w, "%s%s\n", printable(v.Title), cross)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tA\tB")
	for _, h := range v.Headline {
		mark := "  "
		if h.Differs() {
			mark = "* "
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\n", mark, h.Label, cmp.Or(printable(h.A), "-"), cmp.Or(printable(h.B), "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var changes []string
	for _, c := range v.Counts[1 : len(v.Counts)-3] {
		changes = append(changes, fmt.Sprintf("%d %s", c.N, c.Label))
	}
	fmt.Fprintf(w, "\npackages: %d differ (%s); configuration files: %d; settings: %d; services: %d\n",
		v.Packages.Total, strings.Join(changes, ", "), v.Files.Total, v.Settings.Total, v.Services.Total)
	if len(v.downgrade) > 0 {
		fmt.Fprintf(w, "\nDowngrades (%d):\n", len(v.downgrade))
		for _, p := range v.downgrade {
			fmt.Fprintf(tw, "%s\t%s\t→ %s\n", printable(p.Package), printable(p.AVersion), printable(p.BVersion))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(v.settings) == 0 {
		_, err := fmt.Fprintln(w, "\nNo setting differs.")
		return err
	}
	fmt.Fprintf(w, "\nSettings that differ (%d of %d; all in csv/%s):\n", min(len(v.settings), imagePrintTop), len(v.settings), CSVImageSettings)
	fmt.Fprintln(tw, "program\tkey\tcondition\tA\tB")
	for _, s := range v.settings[:min(len(v.settings), imagePrintTop)] {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", printable(s.Program), printable(s.Key), printable(s.Condition),
			cmp.Or(printable(s.A.Value), "-"), cmp.Or(printable(s.B.Value), "-"))
	}
	return tw.Flush()
}
