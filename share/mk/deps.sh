#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# share/mk/deps.sh: install the Debian packages named as arguments that are
# not installed yet (as root, with apt-get), or print them (as anyone
# else, or with DEPS=no in the environment).
#
# Usage: deps.sh WHY package ...
# WHY says what the packages are for ("for make test"); it is printed once,
# with the list, before anything is installed.  Quiet when nothing is
# missing; one dpkg-query call in that case.  Exit status: 0 unless an
# installation as root failed.

why=${1:-}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || exit 0
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: no dpkg-query; make sure these are installed" \
	    "($why): $*" >&2
	exit 0
fi

installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
    awk '$NF == "installed" && $(NF - 1) == "ok" { printf "%s ", $1 }')"
missing=
for pkg in "$@"; do
	case $installed in
	*" $pkg "*) ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -n "$missing" ] || exit 0

if [ "${DEPS:-yes}" = no ]; then
	echo "deps: DEPS=no: not installing, $why:$missing" >&2
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages, $why:$missing" >&2
	echo "deps: as root run: apt-get install$missing" >&2
	exit 0
fi

echo "deps: installing, $why:$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update and retry once.
# $missing is a list of names, split on purpose.
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing ||
    { apt-get update -q &&
    apt-get install -y -q --no-install-recommends $missing; }
