#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
#
# libc_variant_test: the in-libc build (DOMALLOC_LIBC=1) that every make
# compiles (share/mk/libc.mk), checked as a libc tree would link it.
#
# libdomalloc_libc.a must be one object whose global names all come from
# lib/libc/stdlib/malloc/Symbol.map; the public names must be weak (a
# program may interpose them) and the __-prefixed ones strong; libthr's
# private hooks must be there; the glibc __libc_* names must not be, and
# nothing may register fork handlers with pthread_atfork (the libc calls
# the hooks itself).  No state; nm only.

public="malloc calloc realloc free posix_memalign aligned_alloc
    malloc_usable_size mallocx rallocx xallocx sallocx dallocx sdallocx
    nallocx mallctl mallctlnametomib mallctlbymib malloc_stats_print"
strong="__malloc __calloc __realloc __free __posix_memalign __aligned_alloc
    __malloc_usable_size __mallocx __rallocx __xallocx __sallocx __dallocx
    __sdallocx __nallocx __mallctl __mallctlnametomib __mallctlbymib
    __malloc_stats_print _malloc_prefork _malloc_postfork
    _malloc_thread_cleanup _malloc_first_thread"

# Set $a to the archive and write nm.out (its global symbols).
setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	top=$(atf_config_get top)
	a=$(atf_config_get objdir)/lib/libdomalloc/libdomalloc_libc.a
	[ -f "$a" ] || atf_fail "$a was not built"
	nm -g "$a" > nm.out || atf_fail "nm -g $a failed"
}

# $(kind name): the nm type letter of a defined global name, or nothing.
kind()
{
	awk -v n="$1" 'NF == 3 && $3 == n { print $2 }' nm.out
}

atf_test_case exports
exports_head()
{
	atf_set descr "libdomalloc_libc.a is one object whose defined" \
	    "global names are all in Symbol.map"
	atf_set require.progs nm ar
}
exports_body()
{
	setup
	[ "$(ar t "$a" | wc -l)" -eq 1 ] ||
	    atf_fail "$a holds $(ar t "$a" | wc -l) members, not 1"
	sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);[[:space:]]*$/\1/p' \
	    "$top/lib/libc/stdlib/malloc/Symbol.map" | sort -u > allowed
	awk 'NF == 3 { print $3 }' nm.out | sort -u > names
	comm -23 names allowed > extra
	[ ! -s extra ] || { cat extra; atf_fail "names outside Symbol.map"; }
}

atf_test_case weak_public
weak_public_head()
{
	atf_set descr "public names are weak, __ names and libthr hooks" \
	    "strong, as FreeBSD's __weak_reference makes them"
	atf_set require.progs nm
}
weak_public_body()
{
	setup
	for n in $public; do
		case $(kind "$n") in
		W|V) ;;
		*) atf_fail "$n is '$(kind "$n")', not a weak definition" ;;
		esac
	done
	for n in $strong; do
		[ "$(kind "$n")" = T ] ||
		    atf_fail "$n is '$(kind "$n")', not a strong definition"
	done
}

atf_test_case no_glibc_names
no_glibc_names_head()
{
	atf_set descr "no __libc_* name is defined, no glibc-only function" \
	    "is called and pthread_atfork is not used"
	atf_set require.progs nm
}
no_glibc_names_body()
{
	setup
	if grep -E ' [A-TV-Z] __libc_' nm.out; then
		atf_fail "defines glibc's __libc_* names"
	fi
	for n in pthread_atfork secure_getenv __libc_enable_secure; do
		if grep -qE " U $n\$" nm.out; then
			atf_fail "references $n"
		fi
	done
}

atf_init_test_cases()
{
	atf_add_test_case exports
	atf_add_test_case weak_public
	atf_add_test_case no_glibc_names
}
