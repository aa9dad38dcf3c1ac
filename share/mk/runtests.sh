#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# share/mk/runtests.sh: the part of `make test' after the build.
#
# Usage (from share/mk/test.mk, in the top directory):
#   runtests.sh BUILD_STATUS
# with MAKE, OBJDIR, OUTPUTS, KYUA, KYUA_TEST_SUITE, KYUA_PARALLELISM and
# KYUA_FLAGS in the environment, and TESTS: kyua test filters (test
# programs or program:case, relative to obj/tests), or empty for all.
# BUILD_STATUS is the exit status of
# `make -k test-build'.
#
# 1. If the build failed, every test program that is missing or out of
#    date (`make -q' says so) is replaced by a placeholder atf-sh program
#    with one failing test case, so kyua still runs everything else and
#    the report names what did not build.  A placeholder is dated 1970 so
#    that the next make rebuilds it.  Out-of-date libraries and helper
#    programs (OUTPUTS) are removed, so no test runs an old build.
# 2. kyua runs obj/tests/Kyuafile with a fresh results file
#    (obj/tests/results.db), its log in obj/tests/kyua.log and no
#    configuration file, setting test_suites.<suite>.top and .objdir.
#    kyua's own closing count ("N/N passed (N failed)", which counts
#    skipped cases as passed) is left out of its output: the summary
#    below is the one count.
# 3. For broken or failed test cases, kyua's verbose report is printed
#    without its closing summary section (another count): it ends with
#    the list of those cases ("===> Failed tests", "===> Broken tests").
# 4. The last line is "N passed, N failed" (plus ", N skipped" if any):
#    passed counts passed and expected failures, failed counts failed and
#    broken test cases, plus one for a kyua error and one for a failed
#    build that left every test program intact.  It is also written to
#    obj/tests/summary.  Exit status 1 if that failed count is not zero.

set -u

build_status=${1:-0}
MAKE=${MAKE:-make}
OBJDIR=${OBJDIR:-obj}
KYUA=${KYUA:-kyua}
suite=${KYUA_TEST_SUITE:-domalloc}

top=$(pwd)
objdir=$top/$OBJDIR
testdir=$objdir/tests
manifest=$testdir/.kyuafiles
results=$testdir/results.db
log=$testdir/kyua.log
summary=$testdir/summary

mkdir -p "$testdir"
rm -f "$results" "$summary"

run_kyua()
{
	"$KYUA" --logfile="$log" --config=none "$@"
}

# Placeholder for the test program $1 (path from the top, tests/d/n).
placeholder()
{
	bin=$OBJDIR/$1
	mkdir -p "$(dirname "$bin")"
	rm -f "$bin"
	cat > "$bin" <<EOF
#! $(command -v atf-sh || echo /usr/bin/atf-sh)
# Placeholder written by share/mk/runtests.sh: $1 did not build.
atf_test_case build
build_head()
{
	atf_set descr "$1 builds"
}
build_body()
{
	atf_fail "$1 did not build; see the make output above"
}
atf_init_test_cases()
{
	atf_add_test_case build
}
EOF
	chmod 755 "$bin"
	touch -d @0 "$bin"
}

placeholders=0
if [ "$build_status" -ne 0 ] && [ -f "$manifest" ]; then
	# Test program paths are single words.
	# shellcheck disable=SC2013
	for t in $(awk '!/^[ \t]*#/ && NF { print $1 }' "$manifest"); do
		if [ -x "$OBJDIR/$t" ] &&
		    $MAKE --no-print-directory -q "$OBJDIR/$t" \
		    >/dev/null 2>&1; then
			continue
		fi
		echo "make test: $t did not build; it is reported as failed"
		placeholder "$t"
		placeholders=$((placeholders + 1))
	done
	for f in ${OUTPUTS:-}; do
		[ -e "$f" ] || continue
		$MAKE --no-print-directory -q "$f" >/dev/null 2>&1 && continue
		echo "make test: $f is out of date; removed"
		rm -f "$f"
	done
fi

if [ -f "$testdir/Kyuafile" ]; then
	jobs=${KYUA_PARALLELISM:-$(getconf _NPROCESSORS_ONLN 2>/dev/null ||
	    echo 1)}
	# KYUA_FLAGS and TESTS are split into words on purpose.  kyua's
	# output goes through sed, which drops its closing count; its exit
	# status comes back through a file.
	rm -f "$testdir/kyua.status"
	# shellcheck disable=SC2086
	{ run_kyua --variable=parallelism="$jobs" \
	    --variable=test_suites."$suite".top="$top" \
	    --variable=test_suites."$suite".objdir="$objdir" \
	    ${KYUA_FLAGS:-} \
	    test --kyuafile="$testdir/Kyuafile" --results-file="$results" \
	    ${TESTS:-}
	    echo $? > "$testdir/kyua.status"; } |
	    sed -u '/^[0-9][0-9]*\/[0-9][0-9]* passed ([0-9][0-9]* failed)$/d'
	kyua_status=$(cat "$testdir/kyua.status" 2>/dev/null || echo 3)
	rm -f "$testdir/kyua.status"
else
	echo "make test: $testdir/Kyuafile was not generated"
	kyua_status=3
fi

# Number of test cases whose result is one of $1 (SQL strings).
count()
{
	[ -f "$results" ] || { echo 0; return; }
	n=$(run_kyua db-exec --no-headers --results-file="$results" \
	    "SELECT COUNT(*) FROM test_results WHERE result_type IN ($1)" \
	    2>/dev/null)
	echo "${n:-0}"
}
passed=$(count "'passed', 'expected_failure'")
failed=$(count "'failed', 'broken'")
skipped=$(count "'skipped'")

if [ "$failed" -gt 0 ]; then
	echo
	run_kyua report --verbose --results-file="$results" \
	    --results-filter=broken,failed | sed '/^===> Summary$/,$d'
fi

echo
case $kyua_status in
0|1)	;;
*)	echo "make test: kyua failed (exit status $kyua_status)" \
	    "(log: $log)"
	failed=$((failed + 1)) ;;
esac
if [ "$build_status" -ne 0 ]; then
	echo "make test: the build failed (make -k test-build: exit status" \
	    "$build_status); see the errors above"
	[ "$placeholders" -gt 0 ] || failed=$((failed + 1))
fi
if [ $((passed + failed + skipped)) -eq 0 ]; then
	echo "make test: no test cases ran"
fi

line="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || line="$line, $skipped skipped"
echo "$line" > "$summary"
echo "$line"
[ "$failed" -eq 0 ]
