#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# smoke_test: every benchmark workload runs once, with tiny sizes, under
# domalloc (libdomalloc.so in LD_PRELOAD), through the same runner and
# launcher as `make bench'.  A case passes when the workload exits 0 and
# prints its RESULT line with check=ok (the workloads verify the patterns
# they wrote, so corruption fails the case).  Nothing is timed here:
# performance is judged by `make bench', never by a test.  A workload whose
# program (redis-server, sqlite3, valgrind) is not installed is skipped.
# The thp_* cases run the bigheap workloads of `run-bench --thp' (the
# huge page and memory return suite) the same way, in both of their
# domalloc cells (default options and MALLOC_CONF=thp:never).  The
# sweep case runs every shape of `run-bench --sweep' on its smoke grid.
#

# $1: run-bench workload name, $2: a regular expression (grep -E) that a
# line of its output must match; further arguments go to run-bench.
smoke_run()
{
	wl=$1
	re=$2
	shift 2
	atf_config_has top || atf_fail "configuration variable top is not set"
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	top=$(atf_config_get top)
	objdir=$(atf_config_get objdir)
	lib=$objdir/lib/libdomalloc/libdomalloc.so
	[ -f "$lib" ] || atf_fail "$lib was not built"
	[ -x /usr/bin/python3 ] || atf_skip "/usr/bin/python3 is not installed"
	unset LD_PRELOAD MALLOC_CONF

	status=0
	/usr/bin/python3 "$top/tests/bench/run-bench" --smoke \
	    --allocators domalloc --workloads "$wl" --top "$top" \
	    --objdir "$objdir" --bindir "$objdir/tests/bench" \
	    --outdir "$PWD/out" "$@" >out.txt 2>&1 || status=$?
	cat out.txt
	for f in out/logs/*; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 40 "$f"
	done
	skip=$(sed -n "s/^run-bench: $wl: skipped: //p" out.txt | head -n 1)
	[ -z "$skip" ] || atf_skip "$skip"
	[ "$status" -eq 0 ] || atf_fail "run-bench exited with status $status"
	grep -Eq "$re" out.txt ||
	    atf_fail "no line matching '$re' in the output"
}

# Each case: name, run-bench workload, RESULT name, description (which
# must not contain a single quote: it is pasted into eval).
smoke_case()
{
	eval "atf_test_case $1
	$1_head() { atf_set descr '$4'; atf_set timeout 120; }
	$1_body() { smoke_run '$2' '^RESULT workload=$3 .*check=ok'; }"
}

# Each case: name, bigheap workload, number of domalloc cells (2 where
# the MALLOC_CONF=thp:never variant runs too), description.  Every cell
# must pass, and the report must have the workload's table.
smoke_thp_case()
{
	eval "atf_test_case $1
	$1_head() { atf_set descr '$4'; atf_set timeout 120; }
	$1_body() {
		smoke_run '$2' '^RESULT workload=$2 .*check=ok' --thp
		n=\$(grep -c '^RESULT workload=$2 .*check=ok' out.txt)
		[ \"\$n\" -eq $3 ] ||
		    atf_fail 'not every domalloc cell of $2 ran'
		grep -q '^## $2: ' out/thp.md ||
		    atf_fail 'no $2 table in out/thp.md'
	}"
}

smoke_case fastpath_fixed fastpath-fixed fastpath-fixed \
    "malloc/free pairs and batches of fixed small sizes"
smoke_case fastpath_random fastpath-random fastpath-random \
    "random sizes 8 B-1 KiB with a bounded live set"
smoke_case larson larson larson \
    "server simulation with bins traded between threads"
smoke_case threadchurn threadchurn threadchurn \
    "short threads that allocate one object, free another and exit"
smoke_case xmalloc xmalloc xmalloc \
    "producer/consumer: every free is a remote free"
smoke_case cache_thrash cache-thrash cache-thrash \
    "false sharing between objects of different threads"
smoke_case cache_scratch cache-scratch cache-scratch \
    "false sharing after a remote free of a neighbouring object"
smoke_case mix mix mix "strings and vectors grown by realloc"
smoke_case mstress mstress mstress \
    "random alloc/free/realloc across threads"
smoke_case large large large "64 KiB-4 MiB objects touched and realloced"
smoke_case frag frag frag "grow, burst free and regrow with RSS per phase"
smoke_case remote remote remote \
    "threads replace live objects, half of the frees by another thread"
smoke_case rptest rptest rptest \
    "random-size blocks retired in rounds, half freed by another thread"
smoke_case xmalloc_1p xmalloc-1p xmalloc \
    "one producer, one consumer per CPU"
smoke_case churn churn churn "single-thread churn of four size ranges"
smoke_case mstress_8t mstress-8t mstress "mstress with 8 threads"
smoke_case pagecache pagecache pagecache \
    "an LRU cache of 4368-byte pages"
smoke_case redis redis redis \
    "redis-server under redis-benchmark on 127.0.0.1"
smoke_case python python python "python3 with PYTHONMALLOC=malloc"
smoke_case sqlite sqlite sqlite "sqlite3 on an in-memory database"
smoke_thp_case thp_heap heap 2 \
    "a heap built, its huge page share read, freed, RSS sampled while idle"
smoke_thp_case thp_bursty bursty 1 \
    "the live set jumps up and back with idle gaps between bursts"
smoke_thp_case thp_random random 2 \
    "random accesses through random pointers over a heap"

atf_test_case sweep
sweep_head()
{
	atf_set descr "run-bench --sweep runs every shape's smoke grid and" \
	    "writes a table per shape"
	atf_set timeout 120
}
sweep_body()
{
	smoke_run sweep '^RESULT workload=pagecache .*check=ok' --sweep
	# The smoke grids have 10 points in all, each run once.
	n=$(grep -c '^RESULT workload=.*check=ok' out.txt)
	[ "$n" -eq 10 ] || atf_fail "$n points ran, not 10"
	for shape in remote remote-life rptest xmalloc churn mstress \
	    pagecache; do
		grep -q "^## $shape " out/sweep.md ||
		    atf_fail "no $shape table in out/sweep.md"
	done
	# Every point's remote share is what it asked for.
	grep -q '^RESULT workload=remote .*remote_pct=0.0 ' out.txt ||
	    atf_fail "remote=0 freed remotely"
	grep -q '^RESULT workload=remote .*remote_pct=100.0 ' out.txt ||
	    atf_fail "remote=100 did not free every block remotely"
	# With thread lives, remote=0 still frees the blocks of exited
	# threads.
	grep -A 1 '^run-bench: remote-life:' out.txt |
	    grep -Eq '^RESULT workload=remote .*remote_pct=[1-9][0-9.]* ' ||
	    atf_fail "remote-life freed no block of an exited thread"
	[ -s out/sweep.csv ] ||
	    atf_fail "no out/sweep.csv"
}

atf_test_case fastpath_instr
fastpath_instr_head()
{
	atf_set descr "the callgrind instruction count of malloc(32)+free" \
	    "works under the preload"
	atf_set timeout 120
}
fastpath_instr_body()
{
	# A count ending in "(preload NOT seen in profile)" must fail.
	pat='^run-bench: fastpath domalloc +keep%s: '
	pat="$pat"'[0-9.]+ instructions per pair$'
	# shellcheck disable=SC2059
	smoke_run fastpath_instr "$(printf "$pat" 1)"
	# shellcheck disable=SC2059
	grep -Eq "$(printf "$pat" 0)" out.txt ||
	    atf_fail "no instruction count for keep0"
	grep -Eq '^run-bench: fastpath domalloc +sized: [0-9.]+ instructions' \
	    out.txt || atf_fail "no instruction count for sized (sdallocx)"
}

atf_test_case runone
runone_head()
{
	atf_set descr "the launcher passes the exit status on, reports" \
	    "signals and timeouts, and sets the preload for the child only"
}
runone_body()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	runone=$(atf_config_get objdir)/tests/bench/runone
	[ -x "$runone" ] || atf_fail "$runone was not built"
	atf_check -s exit:3 "$runone" -o r1 sh -c 'exit 3'
	atf_check -o match:'^runone wall_ns=[0-9]+ maxrss_kib=[0-9]+ ' cat r1
	atf_check -o match:' status=exit:3$' cat r1
	atf_check -s exit:137 "$runone" -o r2 sh -c 'kill -9 $$'
	atf_check -o match:'status=signal:9$' cat r2
	atf_check -s exit:124 "$runone" -o r3 -t 1 sleep 30
	atf_check -o match:'status=timeout$' cat r3
	# ld.so complains on stderr that x.so cannot be preloaded; fine.
	# shellcheck disable=SC2016
	atf_check -o inline:'x.so|y\n' -e ignore "$runone" -o r4 -p x.so \
	    -e Y=y sh -c 'printf "%s|%s\n" "$LD_PRELOAD" "$Y"'
	echo hello >in
	atf_check -o inline:'hello\n' "$runone" -i in -o r5 cat
}

atf_init_test_cases()
{
	for tc in fastpath_fixed fastpath_random larson threadchurn xmalloc \
	    cache_thrash cache_scratch mix mstress large frag remote rptest \
	    xmalloc_1p churn mstress_8t pagecache redis python sqlite sweep \
	    thp_heap thp_bursty thp_random fastpath_instr runone; do
		atf_add_test_case "$tc"
	done
}
