#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# share/mk/debsrc.sh: fetch and unpack a Debian source package with
# Debian's own tools, for the builds of share/mk/musl.mk.
#
# Usage: debsrc.sh package destdir
# Makes sure apt has a deb-src entry for the suites of the deb entries
# (as root it adds /etc/apt/sources.list.d/domalloc-deb-src.sources and
# runs apt-get update; as anyone else it says what to add and fails),
# then runs `apt-get source package' in destdir (once: an unpacked tree
# is kept), which downloads the .dsc and tarballs and unpacks them with
# dpkg-source (package dpkg-dev).  The unpacked tree is destdir/<pkg>-<ver>;
# its name is printed on standard output, last line.  Nothing is built.
set -eu

pkg=$1
dest=$2
list=/etc/apt/sources.list.d/domalloc-deb-src.sources

has_src() {
	grep -rqsE '^(deb-src[[:space:]]|Types:.*deb-src)' \
	    /etc/apt/sources.list /etc/apt/sources.list.d/
}

if ! has_src; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "debsrc: apt has no deb-src entry; as root add one" \
		    "(or run this as root) and apt-get update" >&2
		exit 1
	fi
	# The same mirror and suites as the first deb entry, as deb-src.
	uri=$(grep -rhsE '^URIs:' /etc/apt/sources.list.d/*.sources |
	    head -n 1 | awk '{ print $2 }')
	suite=$(grep -rhsE '^Suites:' /etc/apt/sources.list.d/*.sources |
	    head -n 1 | awk '{ print $2 }')
	if [ -z "$uri" ]; then
		set -- $(grep -hE '^deb[[:space:]]' /etc/apt/sources.list |
		    head -n 1)
		uri=${2:-http://deb.debian.org/debian}
		suite=${3:-bookworm}
	fi
	echo "debsrc: adding deb-src $uri $suite main to $list" >&2
	printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n%s\n' \
	    "$uri" "$suite" \
	    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
	    > "$list"
	apt-get update -q >&2
fi

mkdir -p "$dest"
cd "$dest"
if ! ls -d "$pkg"-[0-9]*/ >/dev/null 2>&1; then
	apt-get source -q "$pkg" >&2 ||
	    { apt-get update -q >&2 && apt-get source -q "$pkg" >&2; }
fi
ls -d "$pkg"-[0-9]*/ | head -n 1 | sed 's,/$,,'
