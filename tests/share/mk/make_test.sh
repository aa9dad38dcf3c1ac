#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# make_test: the build system on the tree that `make test' just built.
# A make with nothing to do must know it (make -q all test-build exits 0),
# with any variable on its command line, print nothing, and rewrite none
# of the stamp files
# (OBJDIR/**/*.flags, OBJDIR/tests/.kyuafiles; OBJDIR is the object
# directory of the make test that runs this, obj by default, and the make
# calls below inherit its OBJDIR and CC through MAKEFLAGS): these used to be rewritten at
# every make, so a no-op make relinked programs and printed GEN lines.
# And make -n test must run nothing.  runtests.sh, the part of make test
# after the build, must end its output with the one summary line (kyua's
# own count, which counts skipped cases as passed, left out) and list the
# failed cases above it.
#

make_setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	top=$(atf_config_get top)
	objdir=$(atf_config_get objdir)
	command -v make >/dev/null 2>&1 || atf_skip "make is not installed"
}

# The stamp files with their modification times, one a line.
stamps()
{
	find "$objdir" \( -name '*.flags' -o -name '.kyuafiles' \) \
	    -type f -exec stat -c '%n %Y.%y' {} + | LC_ALL=C sort
}

atf_test_case noop
noop_head()
{
	atf_set descr "make -q all test-build after the build: up to date," \
	    "no stamp rewritten (with and without an unrelated variable);" \
	    "make then prints nothing"
	atf_set timeout 120
}
noop_body()
{
	make_setup
	# A program that did not build has a placeholder (runtests.sh), and
	# the tree cannot be up to date: that program's own test reports it.
	# (The pattern is written so that this script does not match it.)
	if grep -rlqE 'Placeholder written by share/mk/runtests[.]sh' \
	    "$objdir/tests" 2>/dev/null; then
		atf_skip "a test program did not build"
	fi
	stamps > before
	[ -s before ] || atf_fail "no stamp files under $objdir"
	atf_check -s exit:0 -o ignore -e ignore make -C "$top" -q all test-build
	atf_check -s exit:0 -o ignore -e ignore make -C "$top" -q all \
	    test-build UNRELATED_VARIABLE=x
	# Up to date, so this builds nothing.
	atf_check -s exit:0 -o empty -e empty \
	    make -C "$top" --no-print-directory
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

# A scratch suite of one atf-sh program with the cases named in $@ (ok,
# bad, skip), run by runtests.sh as make test runs it, from ./top.
scratch_suite()
{
	mkdir -p top/o/tests
	{
		echo "#! $(command -v atf-sh)"
		echo 'atf_test_case ok'
		echo 'ok_body() { :; }'
		echo 'atf_test_case bad'
		echo 'bad_body() { atf_fail "meant to fail"; }'
		echo 'atf_test_case skip'
		echo 'skip_body() { atf_skip "meant to skip"; }'
		echo 'atf_init_test_cases() {'
		for c in "$@"; do
			echo "	atf_add_test_case $c"
		done
		echo '}'
	} > top/o/tests/t
	chmod 755 top/o/tests/t
	printf 'syntax(2)\ntest_suite("domalloc")\natf_test_program{name="t"}\n' \
	    > top/o/tests/Kyuafile
}

atf_test_case summary_last
summary_last_head()
{
	atf_set descr "runtests.sh ends with the summary line, on success" \
	    "and on failure, with the failed cases listed above it and" \
	    "no other count"
	atf_set require.progs "kyua atf-sh"
	atf_set timeout 60
}
summary_last_body()
{
	make_setup
	scratch_suite ok bad skip
	(cd top && OBJDIR=o KYUA_PARALLELISM=1 TESTS= KYUA_FLAGS= KYUA=kyua \
	    sh "$top/share/mk/runtests.sh" 0 > ../out 2> ../err)
	status=$?
	[ "$status" -eq 1 ] || { cat out err; atf_fail "exit $status, not 1"; }
	last=$(tail -n 1 out)
	[ "$last" = "1 passed, 1 failed, 1 skipped" ] ||
	    { cat out; atf_fail "last line: $last"; }
	grep -q '^===> Failed tests$' out || atf_fail "no failed case list"
	sed -n '/^===> Failed tests$/,$p' out | grep -q '^t:bad  ->  failed' ||
	    atf_fail "t:bad is not listed above the summary"
	if grep -E '[0-9]+/[0-9]+ passed|^Test cases:' out; then
		atf_fail "another count is printed beside the summary"
	fi
	[ "$(cat top/o/tests/summary)" = "$last" ] ||
	    atf_fail "obj/tests/summary differs from the last line"

	rm -rf top
	scratch_suite ok
	(cd top && OBJDIR=o KYUA_PARALLELISM=1 TESTS= KYUA_FLAGS= KYUA=kyua \
	    sh "$top/share/mk/runtests.sh" 0 > ../out 2> ../err)
	status=$?
	[ "$status" -eq 0 ] || { cat out err; atf_fail "exit $status, not 0"; }
	last=$(tail -n 1 out)
	[ "$last" = "1 passed, 0 failed" ] ||
	    { cat out; atf_fail "last line: $last"; }
}

atf_test_case deps_per_goal
deps_per_goal_head()
{
	atf_set descr "make installs the toolchain only, make run adds" \
	    "python3, make test kyua and the rest; DEPS=no installs nothing"
	atf_set timeout 60
}
deps_per_goal_body()
{
	make_setup
	# Under -n the deps recipe is printed, one deps.sh call a purpose.
	for goals in "" all install run test bench; do
		make -C "$top" --no-print-directory -n deps $goals |
		    grep 'deps[.]sh' > "deps.$goals" ||
		    atf_fail "make -n deps $goals: no deps.sh call"
	done
	grep -q "'to build the libraries' binutils gcc libc6-dev make &&" \
	    deps. || atf_fail "make: not the toolchain list"
	for goals in "" all install; do
		if grep -qE 'kyua|python3|qemu|clang|valgrind' "deps.$goals"
		then
			cat "deps.$goals"
			atf_fail "make $goals would install test packages"
		fi
	done
	grep -q "'for make run[^']*' python3 &&" deps.run ||
	    atf_fail "make run: python3 not added"
	! grep -q kyua deps.run || atf_fail "make run would install kyua"
	for p in kyua libatf-dev qemu-system-x86 linux-image-amd64 clang \
	    valgrind; do
		grep -q " $p " deps.test || atf_fail "make test: no $p"
	done
	! grep -q libmimalloc deps.test ||
	    atf_fail "make test would install the benchmark peers"
	for p in libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 gnuplot-nox
	do
		grep -q " $p " deps.bench || atf_fail "make bench: no $p"
	done
	# make DEPS=no and make DEPS_PKGS= (the old opt-out) pass DEPS=no on.
	for v in DEPS=no DEPS_PKGS=; do
		make -C "$top" --no-print-directory -n deps test "$v" |
		    grep 'deps[.]sh' > deps.off
		grep -q "DEPS='no'" deps.off && ! grep -q "DEPS='yes'" deps.off ||
		    atf_fail "make $v: deps.sh is not told DEPS=no"
	done
	# DEPS=no: a missing package is named, nothing is installed.
	atf_check -s exit:0 -o empty -e match:'DEPS=no: not installing' \
	    env DEPS=no sh "$top/share/mk/deps.sh" 'for a test' \
	    domalloc-no-such-package
}

atf_test_case help
help_head()
{
	atf_set descr "make help names every goal a user runs and the" \
	    "variables README and the manual tell them to set"
}
help_body()
{
	make_setup
	atf_check -s exit:0 -o save:help.out -e empty \
	    make -s -C "$top" DEPS=no help
	for t in all test check test-build run bench bench-quick bench-thp \
	    fuzz numa-vm install uninstall deb deps deps-list clean \
	    libc-musl musl-progs test-musl; do
		grep -Eq "^  ([a-z-]+, )?$t[ ,]" help.out ||
		    atf_fail "make help does not list the goal $t"
	done
	for v in CC CFLAGS V=1 TESTS KYUA_FLAGS BENCH_FLAGS FUZZ_SECONDS \
	    DEPS=no DESTDIR PREFIX; do
		grep -q "$v" help.out ||
		    atf_fail "make help does not name the variable $v"
	done
}

atf_init_test_cases()
{
	atf_add_test_case help
	atf_add_test_case noop
	atf_add_test_case dry_run
	atf_add_test_case summary_last
	atf_add_test_case deps_per_goal
}
