#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# install_test: make install, make uninstall and make deb on the tree that
# `make test' just built, into scratch directories only (DESTDIR, DEB_DIR),
# so the suite's own build is read, never written: each case first checks
# with make -q that `make all' has nothing to do.
#

setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	top=$(atf_config_get top)
	command -v make >/dev/null 2>&1 || atf_skip "make is not installed"
	make -C "$top" -q all >/dev/null 2>&1 ||
	    atf_skip "make all is not up to date (the build failed?)"
}

# A program against the installed library: the mallocx family and mallctl
# through <malloc_np.h>; it prints domalloc's version.
write_prog()
{
	cat > prog.c <<'EOF'
#include <malloc_np.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	const char *v;
	size_t len = sizeof(v);
	void *p;

	if ((p = mallocx(100, MALLOCX_ZERO)) == NULL)
		return (1);
	if (sallocx(p, 0) < 100 || ((char *)p)[99] != 0)
		return (2);
	sdallocx(p, 100, 0);
	if (mallctl("domalloc.version", &v, &len, NULL, 0) != 0)
		return (3);
	printf("%s\n", v);
	return (0);
}
EOF
}

# An ordinary program, which knows nothing of domalloc, for LD_PRELOAD.
write_plain()
{
	printf '%s\n' '#include <stdlib.h>' \
	    'int main(void) { free(malloc(100)); return (0); }' > plain.c
	atf_check -s exit:0 cc -o plain plain.c
}

# The files and links make install puts under PREFIX, sorted.
expected_files()
{
	p=$1
	for f in bin/domalloc include/malloc_np.h lib/libdomalloc.a \
	    lib/libdomalloc.so lib/libdomalloc.so.1 \
	    lib/libdomalloc_hardened.a lib/libdomalloc_hardened.so \
	    lib/libdomalloc_hardened.so.1 \
	    lib/pkgconfig/domalloc.pc share/man/man3/domalloc.3 \
	    share/man/man5/malloc.conf.5 share/man/man7/domalloc.7; do
		echo "$p/$f"
	done
	for n in mallocx rallocx xallocx sallocx dallocx sdallocx nallocx \
	    mallctl mallctlnametomib mallctlbymib malloc_stats_print \
	    free_sized free_aligned_sized allocm rallocm sallocm dallocm \
	    nallocm; do
		echo "$p/share/man/man3/$n.3"
	done
}

atf_test_case install_uninstall
install_uninstall_head()
{
	atf_set descr "make install DESTDIR=... installs the libraries (soname" \
	    "libdomalloc.so.1), header, pages and links, domalloc and" \
	    "domalloc.pc; a program builds with pkg-config and runs;" \
	    "make uninstall leaves no file"
	atf_set require.progs "cc pkg-config readelf"
	atf_set timeout 120
}
install_uninstall_body()
{
	setup
	d=$PWD/dest
	atf_check -s exit:0 -o ignore -e ignore \
	    make -C "$top" install DESTDIR="$d" PREFIX=/opt/dm
	(cd "$d" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort) > got
	expected_files /opt/dm | LC_ALL=C sort > want
	if ! cmp -s want got; then
		diff want got
		atf_fail "make install: not the expected files"
	fi
	lib=$d/opt/dm/lib
	[ -f "$lib/libdomalloc.so.1" ] && [ ! -L "$lib/libdomalloc.so.1" ] ||
	    atf_fail "libdomalloc.so.1 is not a file"
	[ "$(readlink "$lib/libdomalloc.so")" = libdomalloc.so.1 ] ||
	    atf_fail "libdomalloc.so is not a link to libdomalloc.so.1"
	readelf -d "$lib/libdomalloc.so.1" |
	    grep -q 'SONAME.*\[libdomalloc\.so\.1\]' ||
	    atf_fail "the soname is not libdomalloc.so.1"
	[ "$(readlink "$d/opt/dm/share/man/man3/mallctl.3")" = domalloc.3 ] ||
	    atf_fail "mallctl.3 is not a link to domalloc.3"
	grep -q '^installed_lib=/opt/dm/lib/libdomalloc.so.1$' \
	    "$d/opt/dm/bin/domalloc" ||
	    atf_fail "bin/domalloc does not name the installed library"
	readelf -d "$lib/libdomalloc_hardened.so.1" |
	    grep -q 'SONAME.*\[libdomalloc_hardened\.so\.1\]' ||
	    atf_fail "the hardened soname is not libdomalloc_hardened.so.1"
	grep -q \
	    '^installed_hardened_lib=/opt/dm/lib/libdomalloc_hardened.so.1$' \
	    "$d/opt/dm/bin/domalloc" ||
	    atf_fail "bin/domalloc does not name the installed hardened library"

	# Build with pkg-config, as a user of the installed library would.
	write_prog
	flags=$(PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d \
	    pkg-config --cflags --libs domalloc) ||
	    atf_fail "pkg-config does not know domalloc"
	case $flags in
	*"-I$d/opt/dm/include"*"-L$lib -ldomalloc"*) ;;
	*) atf_fail "pkg-config --cflags --libs domalloc: $flags" ;;
	esac
	# $flags is a list of options, split on purpose.
	# shellcheck disable=SC2086
	atf_check -s exit:0 cc -o prog prog.c $flags
	readelf -d prog | grep -q 'NEEDED.*\[libdomalloc\.so\.1\]' ||
	    atf_fail "prog does not need libdomalloc.so.1"
	atf_check -s exit:0 -o match:'^domalloc ' \
	    env LD_LIBRARY_PATH="$lib" ./prog
	# The installed wrapper preloads the installed library.
	write_plain
	atf_check -s exit:0 -o ignore -e match:'Begin domalloc statistics' \
	    env DOMALLOC_LIB="$lib/libdomalloc.so.1" \
	    "$d/opt/dm/bin/domalloc" --stats ./plain

	atf_check -s exit:0 -o ignore -e ignore \
	    make -C "$top" uninstall DESTDIR="$d" PREFIX=/opt/dm
	left=$(cd "$d" && find . ! -type d)
	[ -z "$left" ] || atf_fail "make uninstall left: $left"
}

atf_test_case deb
deb_head()
{
	atf_set descr "make deb builds domalloc_<version>_<arch>.deb with" \
	    "the installed files; extracted, its library runs a program" \
	    "under LD_PRELOAD and its archive links a static one;" \
	    "dpkg --root installs and removes it"
	atf_set require.progs "cc dpkg dpkg-deb dpkg-gencontrol dpkg-shlibdeps"
	atf_set timeout 180
}
deb_body()
{
	setup
	atf_check -s exit:0 -o ignore -e ignore \
	    make -C "$top" deb DEB_DIR="$PWD/deb"
	set -- deb/domalloc_*.deb
	[ -f "$1" ] || atf_fail "make deb made no package"
	pkg=$1
	release=$(awk '$2 == "DOMALLOC_VERSION" { gsub(/"/, "", $4); print $4 }' \
	    "$top/lib/libc/stdlib/malloc/domalloc/config.h")
	[ -n "$release" ] || atf_fail "no DOMALLOC_VERSION in config.h"
	atf_check -s exit:0 -o inline:"domalloc $release\n" \
	    dpkg-deb -W --showformat='${Package} ${Version}\n' "$pkg"
	dpkg-deb -f "$pkg" Depends | grep -q 'libc6' ||
	    atf_fail "the package does not depend on libc6"

	# The file list: make install's with PREFIX=/usr, the pages and
	# their links compressed, plus the copyright and changelog.
	dpkg-deb -c "$pkg" | awk '$1 !~ /^d/ { print $6 }' |
	    sed 's|^\./|/|' | LC_ALL=C sort > got
	{ expected_files /usr | sed 's|/share/man/.*|&.gz|'
	  echo /usr/share/doc/domalloc/changelog.gz
	  echo /usr/share/doc/domalloc/copyright
	} | LC_ALL=C sort > want
	if ! cmp -s want got; then
		diff want got
		atf_fail "dpkg-deb -c: not the expected files"
	fi

	# Extracted, the library serves a program under LD_PRELOAD.
	atf_check -s exit:0 dpkg-deb -x "$pkg" x
	write_plain
	atf_check -s exit:0 -o ignore -e match:'Begin domalloc statistics' \
	    env LD_PRELOAD="$PWD/x/usr/lib/libdomalloc.so.1" \
	    MALLOC_CONF=stats_print:true,stats_print_opts:s ./plain
	# Its (stripped) static library links a static program.
	write_prog
	atf_check -s exit:0 -o ignore -e ignore cc -static -Ix/usr/include \
	    -o sprog prog.c -Wl,--whole-archive x/usr/lib/libdomalloc.a \
	    -Wl,--no-whole-archive -pthread
	atf_check -s exit:0 -o match:'^domalloc ' ./sprog

	# Installed into a scratch root with its own, empty, dpkg database
	# (libc6 is not in it: --force-depends), then removed.
	r=$PWD/root
	mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
	: > "$r/var/lib/dpkg/status"
	atf_check -s exit:0 -o ignore -e ignore dpkg --root="$r" \
	    --force-depends --force-not-root --force-script-chrootless \
	    -i "$pkg"
	[ -f "$r/usr/lib/libdomalloc.so.1" ] ||
	    atf_fail "dpkg --root -i installed no library"
	atf_check -s exit:0 -o ignore -e ignore dpkg --root="$r" \
	    --force-not-root --force-script-chrootless -r domalloc
	left=$(cd "$r" && find usr ! -type d 2>/dev/null)
	[ -z "$left" ] || atf_fail "dpkg -r left: $left"
}

atf_init_test_cases()
{
	atf_add_test_case install_uninstall
	atf_add_test_case deb
}
