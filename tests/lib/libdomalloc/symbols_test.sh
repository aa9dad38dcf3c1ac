#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
#
# symbols_test: the names libdomalloc exports, and how the loader binds them.
#
# The allowed names are read from the source symbol maps
# (lib/libc/stdlib/malloc/Symbol.map and lib/libdomalloc/Symbol.linux.map,
# lines holding only "name;"), independently of the build's own parser.
# The required names are the core API, written out here.  Checked:
# libdomalloc.so's dynamic symbols and libdomalloc.a's global symbols are
# allowed names and include the required ones; the archive is a single
# object; the shared library's names carry no version (an anonymous version
# node), and preloading it makes libc.so.6's own malloc, free, calloc and
# realloc references bind to it.

required="malloc calloc realloc free posix_memalign aligned_alloc
    malloc_usable_size memalign valloc pvalloc reallocarray
    __libc_malloc __libc_calloc __libc_realloc __libc_free __libc_memalign
    __libc_valloc __libc_pvalloc __posix_memalign free_sized
    free_aligned_sized mallocx rallocx xallocx sallocx dallocx sdallocx
    nallocx mallctl mallctlnametomib mallctlbymib malloc_stats_print
    malloc_message malloc_conf"

# Set $top, $lib and $allowed (a file of allowed names, one a line).
setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	top=$(atf_config_get top)
	lib=$(atf_config_get objdir)/lib/libdomalloc
	for m in "$top/lib/libc/stdlib/malloc/Symbol.map" \
	    "$top/lib/libdomalloc/Symbol.linux.map"; do
		[ -f "$m" ] || atf_fail "$m is missing"
	done
	sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);[[:space:]]*$/\1/p' \
	    "$top/lib/libc/stdlib/malloc/Symbol.map" \
	    "$top/lib/libdomalloc/Symbol.linux.map" | sort -u > allowed
	[ -s allowed ] || atf_fail "no names found in the symbol maps"
}

# Fail unless every name in file $1 is allowed; $2 names the library.
check_allowed()
{
	sort -u "$1" > names.sorted
	comm -23 names.sorted allowed > extra
	if [ -s extra ]; then
		echo "names exported by $2 but listed in no symbol map:"
		cat extra
		atf_fail "$2 exports $(wc -l < extra) name(s) outside the API"
	fi
}

# Fail unless every required name is in file $1; $2 names the library.
check_required()
{
	missing=
	for n in $required; do
		grep -qx "$n" "$1" || missing="$missing $n"
	done
	[ -z "$missing" ] || atf_fail "$2 does not define:$missing"
}

atf_test_case so_exports
so_exports_head()
{
	atf_set descr "libdomalloc.so exports exactly the API: every" \
	    "dynamic symbol is in a symbol map, every core name is there"
	atf_set require.progs nm
}
so_exports_body()
{
	setup
	so=$lib/libdomalloc.so
	[ -f "$so" ] || atf_fail "$so was not built"
	nm -D --defined-only "$so" > nm.out || atf_fail "nm -D $so failed"
	awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' nm.out > names
	check_allowed names libdomalloc.so
	check_required names libdomalloc.so
}

atf_test_case a_exports
a_exports_head()
{
	atf_set descr "libdomalloc.a is one object whose global symbols are" \
	    "exactly the API"
	atf_set require.progs "ar nm"
}
a_exports_body()
{
	setup
	a=$lib/libdomalloc.a
	[ -f "$a" ] || atf_fail "$a was not built"
	ar t "$a" > members
	[ "$(wc -l < members)" -eq 1 ] ||
	    atf_fail "$a has $(wc -l < members) members, expected one"
	nm -g --defined-only "$a" > nm.out || atf_fail "nm -g $a failed"
	awk 'NF >= 3 { print $3 }' nm.out > names
	check_allowed names libdomalloc.a
	check_required names libdomalloc.a
}

atf_test_case so_unversioned
so_unversioned_head()
{
	atf_set descr "libdomalloc.so's names carry no symbol version, so" \
	    "they can stand in for glibc's versioned malloc@GLIBC_2.2.5"
	atf_set require.progs objdump
}
so_unversioned_body()
{
	setup
	so=$lib/libdomalloc.so
	[ -f "$so" ] || atf_fail "$so was not built"
	objdump -T "$so" > dynsyms || atf_fail "objdump -T $so failed"
	# Defined symbols: the version is the next to last field.
	awk '$0 !~ /\*UND\*/ && NF >= 6 && $(NF - 1) != "Base" {
	    print $(NF - 1), $NF }' dynsyms > versioned
	if [ -s versioned ]; then
		cat versioned
		atf_fail "libdomalloc.so has versioned symbols"
	fi
	grep -q 'Base.* malloc$' dynsyms || atf_fail "no unversioned malloc"
}

atf_test_case preload_binds_libc
preload_binds_libc_head()
{
	atf_set descr "with libdomalloc.so preloaded, libc.so.6's calls of" \
	    "malloc, free, calloc and realloc bind to libdomalloc.so"
}
preload_binds_libc_body()
{
	setup
	so=$lib/libdomalloc.so
	[ -f "$so" ] || atf_fail "$so was not built"
	true=$(command -v true)
	case $true in
	/*)	;;
	*)	true=/bin/true ;;
	esac
	[ -x "$true" ] || atf_skip "no executable true program"
	env LD_DEBUG=bindings LD_BIND_NOW=1 LD_PRELOAD="$so" "$true" \
	    2> bindings || atf_fail "$true failed with $so preloaded"
	libc='binding file [^ ]*/libc\.so\.6 '
	for f in malloc free calloc realloc; do
		grep "$libc.* to .*libdomalloc\.so .*symbol \`$f'" bindings \
		    > /dev/null && continue
		grep "symbol \`$f'" bindings
		atf_fail "libc.so.6's $f did not bind to libdomalloc.so"
	done
}

atf_init_test_cases()
{
	atf_add_test_case so_exports
	atf_add_test_case a_exports
	atf_add_test_case so_unversioned
	atf_add_test_case preload_binds_libc
}
