#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# readme_test: the benchmark figures README quotes ("Latest benchmark
# results") are those of the committed reports, tests/bench/results/
# latest.md and fastpath.md: every row of its two tables, the geometric
# means, the run's date, repetitions and domalloc commit, and the
# instruction counts.  A new run committed without the README (or a README
# edited by hand) fails here.
#

setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	top=$(atf_config_get top)
	readme=$top/README
	latest=$top/tests/bench/results/latest.md
	fastpath=$top/tests/bench/results/fastpath.md
	for f in "$readme" "$latest" "$fastpath"; do
		[ -f "$f" ] || atf_fail "missing $f"
	done
	# README's section, up to the next section title.
	awk '/^Latest benchmark results$/ { on = 1 }
	    on && /^Manual pages$/ { exit }
	    on' "$readme" > section
	[ -s section ] || atf_fail "README has no 'Latest benchmark results'"
}

atf_test_case tables
tables_head()
{
	atf_set descr "every row of README's time and peak RSS tables," \
	    "geometric means included, is latest.md's"
}
tables_body()
{
	setup
	# latest.md rows as "table workload domalloc glibc jemalloc
	# mimalloc tcmalloc dom/best", the geomean rows as "table geomean
	# dom/glibc dom/jemalloc dom/mimalloc dom/tcmalloc dom/best".
	awk -F'|' '
	    /^## Time/ { t = "time" } /^## Peak RSS/ { t = "rss" }
	    /^## / && !/^## (Time|Peak RSS)/ { t = "" }
	    t != "" && /^\| / && $2 !~ /workload|---/ {
		for (i = 2; i < NF; i++) gsub(/^ +| +$|\*/, "", $i)
		split($12, best, " ")
		if ($2 == "geomean")
			print t, "geomean", $8, $9, $10, $11, best[1]
		else
			print t, $2, $3, $4, $5, $6, $7, best[1]
	    }' "$latest" | LC_ALL=C sort > want.all
	# README rows: a workload name (or "geomean of dom/peer") and its
	# figures, under a "time (s)" or "peak RSS" header.
	awk '
	    /^  time \(s\)/ { t = "time"; next }
	    /^  peak RSS/ { t = "rss"; next }
	    /^$/ { if (t != "") t = "" }
	    t != "" && /^  geomean of dom\/peer/ {
		print t, "geomean", $(NF - 4), $(NF - 3), $(NF - 2), \
		    $(NF - 1), $NF; next
	    }
	    t != "" && /^  [a-z]/ { print t, $1, $2, $3, $4, $5, $6, $7 }
	    ' section | LC_ALL=C sort > got
	[ "$(grep -c '^time ' got)" -ge 14 ] ||
	    atf_fail "README's time table has fewer than 14 rows"
	grep -q '^rss geomean ' got || atf_fail "README has no RSS geomean"
	# Every README row must be a row of latest.md, figure for figure.
	missing=$(LC_ALL=C comm -23 got want.all)
	if [ -n "$missing" ]; then
		echo "README rows not in latest.md:"
		echo "$missing"
		echo "latest.md rows:"
		cat want.all
		atf_fail "README's benchmark table is not latest.md's"
	fi
	# And the time table must list every workload.
	grep '^time ' want.all | cut -d' ' -f2 > want.w
	grep '^time ' got | cut -d' ' -f2 > got.w
	cmp -s want.w got.w || atf_fail "README's time table misses workloads"
}

atf_test_case run
run_head()
{
	atf_set descr "README names latest.md's date, repetitions and" \
	    "domalloc commit"
}
run_body()
{
	setup
	date=$(sed -n 's/^- Date: \([0-9-]*\) .*/\1/p' "$latest")
	reps=$(sed -n 's/^- Runs: \([0-9]*\) repetition.*/\1/p' "$latest")
	commit=$(sed -n 's/^- Allocators: domalloc \([0-9a-f]*\) .*/\1/p' \
	    "$latest")
	[ -n "$date" ] && [ -n "$reps" ] && [ -n "$commit" ] ||
	    atf_fail "cannot read date, runs and commit from latest.md"
	tr '\n' ' ' < section | tr -s ' ' > flat
	# The flags may go on after --reps (--no-prof, say).
	want="Full run of $date (\`make bench BENCH_FLAGS=\"--reps $reps"
	want2="$reps interleaved repetitions, medians) of domalloc"
	want2="$want2 at commit $commit:"
	grep -qF "$want" flat && grep -qF "$want2" flat ||
	    atf_fail "README does not say: full run of $date, $reps" \
	    "repetitions, commit $commit"
}

atf_test_case fastpath
fastpath_head()
{
	atf_set descr "README's instructions per malloc+free pair are" \
	    "fastpath.md's, rounded"
}
fastpath_body()
{
	setup
	awk -F'|' '/^\| [a-z]/ && $2 !~ /allocator/ {
		gsub(/ /, "", $2)
		printf "%s %.0f/%.0f\n", $2, $3, $4
	    }' "$fastpath" | LC_ALL=C sort > want
	# The paragraph "instructions per ...: name n/n, name n/n, ...".
	awk '/^  instructions per malloc/ { on = 1 } on && /^$/ { exit }
	    on' section | tr '\n' ' ' | sed 's/^.*): *//; s/, */\n/g' |
	    awk 'NF == 2 { print $1, $2 }' | LC_ALL=C sort > got
	[ -s got ] || atf_fail "README quotes no instruction counts"
	if ! cmp -s want got; then
		diff want got
		atf_fail "README's instruction counts are not fastpath.md's"
	fi
}

atf_init_test_cases()
{
	atf_add_test_case tables
	atf_add_test_case run
	atf_add_test_case fastpath
}
