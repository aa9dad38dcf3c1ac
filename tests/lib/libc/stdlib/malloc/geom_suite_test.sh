#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
#
# geom_suite_test: the part of the suite that `make test' runs again with
# 16 KiB and 64 KiB pages forced (MALLOC_CONF=lg_page:14, lg_page:16: 32
# MiB and 512 MiB superpages, domalloc(7) Geometry), so that the other
# geometries keep working between the full runs README describes
# (MALLOC_CONF=lg_page:N make test).  Each case runs every test case of
# the programs in $progs, already built for the normal run, one by one
# with the option in the environment (the programs' own malloc_conf comes
# first, the environment later, so lg_page wins), and fails unless each
# passes or skips saying why.  The list covers allocation and free of
# every class, reuse, misuse aborts, the control plane, threads, fork,
# purging races and heap profiling.

progs="malloc_test calloc_test realloc_test free_test double_free_test
    usable_test thread_test fork_test purge_race_test ctl/mallctl_test
    ctl/stats_test ctl/api_test domalloc/reuse_test prof/prof_test"

run_suite()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	atf_config_has top || atf_fail "configuration variable top is not set"
	objdir=$(atf_config_get objdir)
	top=$(atf_config_get top)
	. "$top/tests/lib/libc/stdlib/malloc/run_cases.subr"
	# shellcheck disable=SC2086
	run_atf_cases "$objdir/tests/lib/libc/stdlib/malloc" "$objdir" \
	    "MALLOC_CONF=lg_page:$1" $progs
	echo "$n test cases run with lg_page:$1"
	[ -z "$bad" ] || atf_fail "failed with lg_page:$1:$bad"
}

atf_test_case pages_16k
pages_16k_head()
{
	atf_set descr "the subset passes with 16 KiB pages (lg_page:14)"
	atf_set timeout 900
}
pages_16k_body()
{
	run_suite 14
}

atf_test_case pages_64k
pages_64k_head()
{
	atf_set descr "the subset passes with 64 KiB pages (lg_page:16)"
	atf_set timeout 900
}
pages_64k_body()
{
	run_suite 16
}

atf_init_test_cases()
{
	atf_add_test_case pages_16k
	atf_add_test_case pages_64k
}
