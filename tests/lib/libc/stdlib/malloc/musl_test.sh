#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
#
# musl_test: the part of the musl suite (`make test-musl') that `make
# test' runs, so the musl build keeps working (share/mk/musl.mk builds the
# programs first: the musl-smoke prerequisite of test).
#
# libc_a checks musl's libc.a as built: its malloc member is domalloc's
# one object, whose global names are all in Symbol.musl.map and include
# musl's entry points, and no member of musl's own mallocng is there.
# musl_programs runs every test case of the ATF programs named in
# $smoke (allocation, misuse, ctl, threads, thread exit, fork), compiled
# by musl-gcc -static, one by one with a time limit, and fails unless
# each passes (or skips, saying why).  prof_jeprof runs prof_sites built
# by musl-gcc -static under prof:true and checks jeprof's attribution, as
# prof/prof_sh_test does for the glibc builds: heap profiling, unwinder
# included, works in a static musl program.  Nothing is shared between
# cases.

smoke="malloc_test free_test double_free_test thread_exit_test fork_test
    ctl/mallctl_test"

setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	top=$(atf_config_get top)
	objdir=$(atf_config_get objdir)
	musl=$objdir/musl
}

atf_test_case libc_a
libc_a_head()
{
	atf_set descr "musl's libc.a holds domalloc as its malloc: one" \
	    "object, only Symbol.musl.map names global, no mallocng"
	atf_set require.progs nm ar
}
libc_a_body()
{
	setup
	a=$musl/root/lib/libc.a
	[ -f "$a" ] || atf_fail "$a was not built (make libc-musl)"
	ar t "$a" > members
	grep -qx 'domalloc\.l\{0,1\}o' members ||
	    atf_fail "no domalloc object in $a"
	# mallocng's objects all define or use its __malloc_context.
	if nm "$a" 2>/dev/null | grep -q ' __malloc_context$'; then
		atf_fail "$a holds mallocng"
	fi
	sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);[[:space:]]*$/\1/p' \
	    "$top/lib/libc/stdlib/malloc/Symbol.musl.map" | sort -u > allowed
	m=$(grep -x 'domalloc\.l\{0,1\}o' members | head -n 1)
	ar p "$a" "$m" > dm.o
	nm -g --defined-only dm.o | awk 'NF == 3 { print $3 }' |
	    sort -u > names
	comm -23 names allowed > extra
	[ ! -s extra ] || { cat extra; atf_fail "names outside the map"; }
	for n in __libc_malloc_impl __libc_free __libc_realloc \
	    __malloc_atfork __malloc_donate aligned_alloc mallctl; do
		grep -qx "$n" names || atf_fail "domalloc does not define $n"
	done
}

atf_test_case musl_programs
musl_programs_head()
{
	atf_set descr "the musl-built ATF programs of the smoke list pass" \
	    "every test case"
	atf_set timeout 900
}
musl_programs_body()
{
	setup
	t=$musl/t/tests/lib/libc/stdlib/malloc
	for p in $smoke; do
		[ -x "$t/$p" ] || atf_fail "$t/$p was not built (make test-musl)"
		file "$t/$p" 2>/dev/null | grep -q 'statically linked' ||
		    atf_fail "$t/$p is not a static program"
	done
	. "$top/tests/lib/libc/stdlib/malloc/run_cases.subr"
	# shellcheck disable=SC2086
	run_atf_cases "$t" "$musl/t" "" $smoke
	echo "$n test cases run"
	[ -z "$bad" ] || atf_fail "failed on musl:$bad"
}

atf_test_case prof_jeprof
prof_jeprof_head()
{
	atf_set descr "heap profiling in a static musl program: jeprof" \
	    "attributes three 128 MiB sites within 10%"
	atf_set timeout 300
}
prof_jeprof_body()
{
	setup
	prog=$musl/t/tests/lib/libc/stdlib/malloc/prof/prof_sites
	[ -x "$prog" ] || atf_fail "$prog was not built (make musl-smoke)"
	command -v jeprof >/dev/null 2>&1 ||
	    atf_fail "jeprof is not installed (make deps installs it)"
	mkdir out
	MALLOC_CONF="prof:true,lg_prof_sample:16,prof_final:true,prof_prefix:$PWD/out/p" \
	    "$prog" >run.out 2>run.err || atf_fail "prof_sites failed:" \
	    "$(head -c 300 run.err)"
	heap=$(ls out/p.*.f.heap 2>/dev/null | head -n 1)
	[ -s "$heap" ] || atf_fail "no final dump: $(ls out)"
	jeprof --text "$prog" "$heap" >jeprof.out 2>jeprof.err ||
	    atf_fail "jeprof failed: $(head -c 300 jeprof.err)"
	awk '$6 ~ /^site_(small|mid|big)$/ {
		n++
		if ($4 < 128 * 0.9 || $4 > 128 * 1.1) {
			printf "%s: %s MiB\n", $6, $4; bad = 1
		}
	    } END { if (n != 3) { print n " sites"; bad = 1 }; exit bad }' \
	    jeprof.out >check.out || atf_fail "$(tr '\n' ' ' <check.out)"
}

atf_init_test_cases()
{
	atf_add_test_case libc_a
	atf_add_test_case musl_programs
	atf_add_test_case prof_jeprof
}
