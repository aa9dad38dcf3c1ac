#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# fuzz_test: the fuzzers of tests/fuzz for a short while each (the long
# run is `make fuzz'): fuzz_api (API calls on 1-4 threads against a
# shadow model), fuzz_ctl (mallctl names and arguments) and fuzz_conf
# (MALLOC_CONF strings).  A case fails on any crash, failed check or
# hang; libFuzzer's report and the input are in the output.
#

fuzz_setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	top=$(atf_config_get top)
	bin=$(atf_config_get objdir)/tests/fuzz
	unset MALLOC_CONF
}

# $1: api or ctl, $2: seconds.
libfuzzer_case()
{
	fuzz_setup
	[ -x "$bin/fuzz_$1" ] || atf_fail "$bin/fuzz_$1 was not built"
	mkdir -p work
	status=0
	"$bin/fuzz_$1" -max_total_time="$2" -timeout=60 -rss_limit_mb=8192 \
	    -print_final_stats=1 -artifact_prefix="$PWD/crash-" work \
	    "$top/tests/fuzz/corpus/$1" >log 2>&1 || status=$?
	grep -E '^(Done|stat::)' log
	if [ "$status" -ne 0 ]; then
		tail -60 log
		atf_fail "fuzz_$1 failed (status $status)"
	fi
	grep -q '^stat::number_of_executed_units' log ||
	    atf_fail "fuzz_$1 printed no statistics"
}

atf_test_case api
api_head()
{
	atf_set descr "fuzz_api: 25 s of API call sequences on 1-4 threads"
	atf_set timeout 120
}
api_body()
{
	libfuzzer_case api 25
}

atf_test_case ctl
ctl_head()
{
	atf_set descr "fuzz_ctl: 15 s of mallctl names and arguments"
	atf_set timeout 90
}
ctl_body()
{
	libfuzzer_case ctl 15
}

atf_test_case conf
conf_head()
{
	atf_set descr "fuzz_conf: 15 s of MALLOC_CONF strings"
	atf_set timeout 90
}
conf_body()
{
	fuzz_setup
	[ -x "$bin/fuzz_conf" ] || atf_fail "$bin/fuzz_conf was not built"
	atf_check -s exit:0 -o match:'no failure' -e ignore \
	    "$bin/fuzz_conf" -t 15 "$bin/conf_child" \
	    "$top/tests/fuzz/corpus/conf/seeds"
}

atf_init_test_cases()
{
	atf_add_test_case api
	atf_add_test_case ctl
	atf_add_test_case conf
}
