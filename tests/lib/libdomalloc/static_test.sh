#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# static_test: a program linked statically with libdomalloc.a.
#
# The helper static_prog is linked with -static against libdomalloc.a and
# glibc's libc.a.  These cases check that the link really took domalloc in
# place of glibc's malloc (the binary is static and contains none of glibc's
# malloc internals) and run each of the helper's run-time checks: domalloc's
# version string, its size classes, the __libc_* entry points, allocations
# made inside glibc, aligned allocation, calloc, realloc and threads.
#

# Set $prog to the helper program, or fail if it was not built.
static_setup()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	prog=$(atf_config_get objdir)/tests/lib/libdomalloc/static_prog
	[ -x "$prog" ] || atf_fail "$prog was not built"
}

# Print the first $2 (default 5) lines of the file $1 as one line, for
# atf_fail, whose reason must be a single line.
flat()
{
	head -n "${2:-5}" "$1" | tr '\n' '|' | cut -c 1-400
}

# Skip unless the command $1 exists.
require_cmd()
{
	command -v "$1" >/dev/null 2>&1 ||
	    atf_skip "$1 is not installed (Debian package $2)"
}

atf_test_case linked_static
linked_static_head()
{
	atf_set descr "file(1) says static_prog is statically linked"
}
linked_static_body()
{
	static_setup
	require_cmd file file
	atf_check -o save:file.out file -L "$prog"
	grep -Eq 'statically linked|static-pie linked' file.out ||
	    atf_fail "not a static binary: $(flat file.out)"
	grep -q 'dynamically linked' file.out &&
	    atf_fail "dynamically linked: $(flat file.out)"
	return 0
}

atf_test_case no_glibc_malloc
no_glibc_malloc_head()
{
	atf_set descr "static_prog contains domalloc and none of glibc's" \
	    "malloc implementation (_int_malloc, malloc_consolidate, ...)"
}
no_glibc_malloc_body()
{
	static_setup
	require_cmd nm binutils
	atf_check -o save:nm.out nm "$prog"
	# glibc's malloc.o keeps these as local symbols in a static link.
	for sym in _int_malloc _int_free _int_realloc _int_memalign \
	    malloc_consolidate sysmalloc arena_get2 \
	    __malloc_arena_thread_freeres
	do
		if grep -Eq " [TtWw] $sym(\\..*)?\$" nm.out; then
			atf_fail "glibc's malloc is linked in: $sym found"
		fi
	done
	# And domalloc's public API is there, defined once.
	for sym in malloc free calloc realloc mallctl malloc_usable_size \
	    __libc_malloc __libc_free posix_memalign
	do
		n=$(grep -Ec " [TW] $sym\$" nm.out)
		[ "$n" -eq 1 ] ||
		    atf_fail "$sym is defined $n times in static_prog"
	done
}

# Run the run-time check $1 of static_prog; it prints "ok $1" on success.
run_check()
{
	static_setup
	atf_check -o match:"^ok $1\$" "$prog" "$1"
}

atf_test_case version
version_head()
{
	atf_set descr "mallctl(\"domalloc.version\") in the static binary" \
	    "returns a domalloc string"
}
version_body()
{
	run_check version
}

atf_test_case usable
usable_head()
{
	atf_set descr "malloc_usable_size gives domalloc's classes" \
	    "(100 -> 112, 1 -> 16)"
}
usable_body()
{
	run_check usable
}

atf_test_case libc_entry
libc_entry_head()
{
	atf_set descr "__libc_malloc, __libc_calloc, __libc_realloc," \
	    "__libc_free and __libc_memalign are domalloc"
}
libc_entry_body()
{
	run_check libc_entry
}

atf_test_case libc_internal
libc_internal_head()
{
	atf_set descr "allocations made inside glibc (strdup, getline," \
	    "asprintf, stdio) are domalloc blocks"
}
libc_internal_body()
{
	run_check libc_internal
}

atf_test_case memalign
memalign_head()
{
	atf_set descr "posix_memalign and aligned_alloc honour alignments" \
	    "up to 4 MiB"
}
memalign_body()
{
	run_check memalign
}

atf_test_case calloc
calloc_head()
{
	atf_set descr "calloc returns zeroed memory, also when reusing blocks"
}
calloc_body()
{
	run_check calloc
}

atf_test_case realloc
realloc_head()
{
	atf_set descr "realloc keeps contents while growing to 4 MiB and back"
}
realloc_body()
{
	run_check realloc
}

atf_test_case threads
threads_head()
{
	atf_set descr "8 threads allocate, verify and free, with remote frees"
}
threads_body()
{
	run_check threads
}

atf_test_case glibc_ext
glibc_ext_head()
{
	atf_set descr "mallinfo2 and malloc_trim in the static binary are" \
	    "domalloc's (and link without glibc's malloc object)"
}
glibc_ext_body()
{
	run_check glibc_ext
}

atf_init_test_cases()
{
	atf_add_test_case linked_static
	atf_add_test_case no_glibc_malloc
	atf_add_test_case version
	atf_add_test_case usable
	atf_add_test_case libc_entry
	atf_add_test_case libc_internal
	atf_add_test_case memalign
	atf_add_test_case calloc
	atf_add_test_case realloc
	atf_add_test_case threads
	atf_add_test_case glibc_ext
}
