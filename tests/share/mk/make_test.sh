#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# make_test: the build system on the tree that `make test' just built.
# A make with nothing to do must know it (make -q all exits 0), with any
# variable on its command line, and must rewrite none of the stamp files
# (obj/**/*.flags, obj/tests/.kyuafiles): these used to be rewritten at
# every make, so a no-op make relinked programs and printed GEN lines.
# And make -n test must run nothing.
#

make_setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	top=$(atf_config_get top)
	command -v make >/dev/null 2>&1 || atf_skip "make is not installed"
}

# The stamp files with their modification times, one a line.
stamps()
{
	find "$top/obj" \( -name '*.flags' -o -name '.kyuafiles' \) \
	    -type f -exec stat -c '%n %Y.%y' {} + | LC_ALL=C sort
}

atf_test_case noop
noop_head()
{
	atf_set descr "make -q all after the build: up to date, no stamp" \
	    "rewritten (with and without an unrelated variable)"
	atf_set timeout 120
}
noop_body()
{
	make_setup
	# A program that did not build has a placeholder (runtests.sh), and
	# the tree cannot be up to date: that program's own test reports it.
	# (The pattern is written so that this script does not match it.)
	if grep -rlqE 'Placeholder written by share/mk/runtests[.]sh' \
	    "$top/obj/tests" 2>/dev/null; then
		atf_skip "a test program did not build"
	fi
	stamps > before
	[ -s before ] || atf_fail "no stamp files under $top/obj"
	atf_check -s exit:0 -o ignore -e ignore make -C "$top" -q all
	atf_check -s exit:0 -o ignore -e ignore make -C "$top" -q all \
	    UNRELATED_VARIABLE=x
	stamps > after
	if ! cmp -s before after; then
		diff before after
		atf_fail "make -q rewrote stamp files"
	fi
}

atf_test_case dry_run
dry_run_head()
{
	atf_set descr "make -n test and make -n check run nothing (the" \
	    "recipe's + used to run the whole suite under -n)"
	atf_set timeout 120
}
dry_run_body()
{
	make_setup
	# A run would write its summary under this OBJDIR, and with
	# KYUA=false it would fail at once: neither may happen.
	for t in test check; do
		atf_check -s exit:0 -o match:'would build' -e ignore \
		    make -C "$top" -n "$t" OBJDIR="$PWD/o" KYUA=false
	done
	[ ! -e "$PWD/o/tests/summary" ] ||
	    atf_fail "make -n test ran the suite"
}

atf_init_test_cases()
{
	atf_add_test_case noop
	atf_add_test_case dry_run
}
