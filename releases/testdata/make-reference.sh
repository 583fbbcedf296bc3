#!/bin/sh
# Regenerates the reference answers of the distro-info tools for the CSVs in
# this folder. The tools only read /usr/share/distro-info, so this first
# checks that the installed CSVs are byte for byte the fixtures.
#   apt-get install distro-info-data distro-info python3-distro-info
set -eu
cd "$(dirname "$0")"
for f in debian.csv ubuntu.csv; do
	cmp "$f" "/usr/share/distro-info/$f"
done

# distro-info-reference.txt: for each date, what debian-distro-info and
# ubuntu-distro-info list (C tools from the distro-info package).
dates="1995-01-01 2006-06-01 2009-07-14 2009-07-15 2013-05-09 2013-05-10 2016-04-25 2016-04-26
2019-04-25 2019-04-26 2024-04-24 2024-04-25 2024-04-26 2024-06-30 2024-07-01 2025-08-08
2025-08-09 2026-01-15 2026-01-16 2026-07-11 2026-07-12 2027-06-01 2027-06-02 2028-06-30
2028-07-01 2032-04-21 2032-04-22 2033-06-30 2033-07-01 2036-04-29 2036-04-30 2040-01-01"
{
	echo "# distro tool-option date: series listed (made by make-reference.sh)"
	for d in $dates; do
		for opt in supported lts elts; do
			echo "debian $opt $d:" $(debian-distro-info --$opt --date="$d")
		done
		for opt in supported supported-esm; do
			echo "ubuntu $opt $d:" $(ubuntu-distro-info --$opt --date="$d")
		done
	done
} >distro-info-reference.txt

# python-distro-info-rows.json: every release as python3-distro-info reads
# it (csv.DictReader), one JSON object per line. (Debian's own python3, which
# has the python3-distro-info module.)
/usr/bin/python3 - >python-distro-info-rows.json <<'PY'
import json
from distro_info import DebianDistroInfo, UbuntuDistroInfo
for distro, info in (("debian", DebianDistroInfo()), ("ubuntu", UbuntuDistroInfo())):
    for r in info.get_all("object"):
        d = lambda v: v.isoformat() if v else None
        print(json.dumps({"distro": distro, "version": r.version, "codename": r.codename, "series": r.series,
            "created": d(r.created), "release": d(r.release), "eol": d(r.eol), "eol_lts": d(r.eol_lts),
            "eol_elts": d(r.eol_elts), "eol_server": d(r.eol_server), "eol_esm": d(r.eol_esm)}))
PY
