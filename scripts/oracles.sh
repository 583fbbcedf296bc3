#!/usr/bin/env bash
# oracles.sh — the real version comparators that version/... is tested against.
#
#   oracles.sh install   install Debian's python3-apt (apt_pkg.version_compare,
#                        dpkg's algorithm), rpm (rpm.vercmp through `rpm --eval`
#                        Lua) and makepkg (/usr/bin/vercmp, linked against
#                        libalpm's alpm_pkg_vercmp); idempotent
#   oracles.sh check     print where each oracle is and exit 1 if one is missing
#
# The differential tests in version/{dpkg,rpm,alpm} run these when present; under
# CI=true a missing oracle fails the test instead of skipping it. apk-tools is not
# packaged in Debian: version/apk is checked against apk-tools' own test vectors.
set -euo pipefail

# In Debian /usr/bin/vercmp ships in makepkg, not pacman-package-manager
# (`dpkg -S /usr/bin/vercmp`); makepkg depends on libalpm13, which does the work.
readonly PACKAGES=(python3-apt rpm makepkg)

die() {
	echo "oracles: $*" >&2
	exit 1
}
say() { echo "oracles: $*"; }

packages_installed() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || return 1
		[[ $status == "install ok installed" ]] || return 1
	done
}

packages_known() {
	local p
	for p in "${PACKAGES[@]}"; do
		[[ -n $(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)"') ]] || return 1
	done
}

cmd_install() {
	if packages_installed; then
		say "install: ${PACKAGES[*]} already installed"
		return 0
	fi
	[[ $(id -u) == 0 ]] || die "install: must run as root (apt-get)"
	local t0=$SECONDS out
	out=$(mktemp)
	# shellcheck disable=SC2064
	trap "rm -f '$out'" RETURN
	export DEBIAN_FRONTEND=noninteractive
	# Other jobs on the machine may hold the dpkg lock; wait for it rather than fail.
	local lock=(-o DPkg::Lock::Timeout=600)
	if ! packages_known; then
		apt-get "${lock[@]}" update -qq >"$out" 2>&1 || {
			tail -n 20 "$out" >&2
			die "install: apt-get update failed"
		}
	fi
	apt-get "${lock[@]}" install -y -qq --no-install-recommends "${PACKAGES[@]}" >"$out" 2>&1 || {
		tail -n 30 "$out" >&2
		die "install: apt-get install ${PACKAGES[*]} failed"
	}
	packages_installed || die "install: ${PACKAGES[*]} still not installed after apt-get"
	cmd_check >/dev/null || die "install: packages installed but an oracle is missing"
	say "install: installed ${PACKAGES[*]} in $((SECONDS - t0)) s"
}

cmd_check() {
	local ok=0
	if /usr/bin/python3 -c 'import apt_pkg' 2>/dev/null; then
		say "dpkg: /usr/bin/python3 apt_pkg $(dpkg-query -W -f='${Version}' python3-apt)"
	else
		say "dpkg: missing (/usr/bin/python3 -c 'import apt_pkg' fails)"
		ok=1
	fi
	if command -v rpm >/dev/null && [[ $(rpm --eval '%{lua: print(rpm.vercmp("1", "2"))}' 2>/dev/null) == -1 ]]; then
		say "rpm: $(command -v rpm) $(rpm --version)"
	else
		say "rpm: missing (rpm --eval with Lua rpm.vercmp)"
		ok=1
	fi
	if [[ -x /usr/bin/vercmp ]]; then
		say "pacman: /usr/bin/vercmp (makepkg $(dpkg-query -W -f='${Version}' makepkg 2>/dev/null), libalpm13 $(dpkg-query -W -f='${Version}' libalpm13 2>/dev/null))"
	else
		say "pacman: missing (/usr/bin/vercmp)"
		ok=1
	fi
	return $ok
}

case ${1:-} in
install) cmd_install ;;
check) cmd_check ;;
*)
	echo "usage: oracles.sh install|check" >&2
	exit 2
	;;
esac
