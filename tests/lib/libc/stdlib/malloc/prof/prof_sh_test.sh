#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# prof_sh_test: heap profiles read by jeprof and go tool pprof.
#
# prof_sites (prof_sites.c) holds about 128 MiB at each of three sites
# (48-byte, 3,072-byte and 1 MiB objects) and frees what a fourth site
# allocated.  It is run with prof:true,lg_prof_sample:16,prof_final:true,
# built three ways: linked with libdomalloc.a (prof_sites_a), plain under
# LD_PRELOAD of libdomalloc.so (prof_sites), and fully static
# (prof_sites_static, which must profile from its first allocation).
# jeprof (libjemalloc-dev) and go tool pprof (golang-go) must attribute
# each live site within 10% of its bytes and the freed one under 1% of
# the total.  Real programs (python3, redis-server) under LD_PRELOAD
# must show their own allocation sites.  The tools are installed by the
# suite's dependencies; a missing one fails the case.

prof_setup()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	objdir=$(atf_config_get objdir)
	dir=$objdir/tests/lib/libc/stdlib/malloc/prof
	lib=$objdir/lib/libdomalloc/libdomalloc.so
	for t in jeprof go; do
		command -v $t >/dev/null 2>&1 ||
		    atf_fail "$t is not installed (make deps installs it)"
	done
}

conf="prof:true,lg_prof_sample:16,prof_final:true"

# run_sites prog [extra options] [preload]: run a prof_sites build; set
# $heap to its final dump.
run_sites()
{
	prog=$dir/$1
	[ -x "$prog" ] || atf_fail "$prog was not built"
	mkdir -p out
	rm -f out/p.*
	if [ -n "$3" ]; then
		LD_PRELOAD=$lib MALLOC_CONF="$conf,prof_prefix:$PWD/out/p$2" \
		    "$prog" >run.out 2>run.err ||
		    atf_fail "$1 failed: $(head -c 300 run.err)"
	else
		MALLOC_CONF="$conf,prof_prefix:$PWD/out/p$2" \
		    "$prog" >run.out 2>run.err ||
		    atf_fail "$1 failed: $(head -c 300 run.err)"
	fi
	heap=$(ls out/p.*.f.* 2>/dev/null | head -n 1)
	[ -s "$heap" ] || atf_fail "no final dump in out/: $(ls out)"
}

# check_sites file: "name megabytes" lines, each site function's cumulative
# MiB (the leaf may be an inlined helper).
check_sites()
{
	awk '
	    { v[$1] = $2 }
	    END {
		bad = 0
		split("site_small site_mid site_big", live, " ")
		for (i = 1; i <= 3; i++) {
			x = v[live[i]] + 0
			if (x < 128 * 0.9 || x > 128 * 1.1) {
				printf "%s: %.2f MiB, want 128 +- 10%%\n",
				    live[i], x
				bad = 1
			}
		}
		if (v["site_freed"] + 0 > 384 * 0.01) {
			printf "site_freed: %.2f MiB of 384\n",
			    v["site_freed"]
			bad = 1
		}
		exit bad
	    }' "$1" >check.out || atf_fail "$(cat check.out | tr '\n' ' ')"
}

# jeprof_sites prog heap: jeprof's cumulative MiB per site function.
jeprof_sites()
{
	jeprof --text "$1" "$2" >jeprof.out 2>jeprof.err ||
	    atf_fail "jeprof failed: $(head -c 300 jeprof.err)"
	awk '$6 ~ /^site_/ { print $6, $4 }' jeprof.out >sites.out
	check_sites sites.out
}

atf_test_case static_archive_jeprof
static_archive_jeprof_head()
{
	atf_set descr "libdomalloc.a: jeprof attributes three live sites" \
	    "within 10% and the freed one under 1%"
	atf_set timeout 300
}
static_archive_jeprof_body()
{
	prof_setup
	run_sites prof_sites_a
	jeprof_sites "$dir/prof_sites_a" "$heap"
}

atf_test_case jeprof_outputs
jeprof_outputs_head()
{
	atf_set descr "jeprof --collapsed, --svg, --thread (per-thread" \
	    "lines under each stack) and --base (the difference of two" \
	    "dumps) read domalloc's dumps"
	atf_set timeout 300
}
jeprof_outputs_body()
{
	prof_setup
	command -v dot >/dev/null 2>&1 ||
	    atf_fail "dot is not installed (graphviz; make deps installs it)"
	# Two interval dumps while the sites grow: the later minus the
	# earlier holds only what was allocated in between.
	mkdir -p out
	MALLOC_CONF="$conf,lg_prof_interval:26,prof_prefix:$PWD/out/p" \
	    "$dir/prof_sites_a" >run.out 2>run.err ||
	    atf_fail "prof_sites_a failed: $(head -c 300 run.err)"
	heap=$(ls out/p.*.f.heap | head -n 1)
	jeprof --collapsed "$dir/prof_sites_a" "$heap" >coll.out \
	    2>jeprof.err || atf_fail "jeprof --collapsed failed"
	for s in site_small site_mid site_big; do
		# (hold, inlined into the sites, may follow as the leaf.)
		grep -Eq ";main[^;]*;$s(<[0-9a-f]*>)?(;[^ ]*)? [0-9]+$" \
		    coll.out || atf_fail "--collapsed has no main;$s stack:" \
		    "$(head -c 300 coll.out | tr '\n' '|')"
	done
	# One thread, uid 0: --thread=0 is the whole profile.
	jeprof --text --thread=0 "$dir/prof_sites_a" "$heap" >thr0.out \
	    2>jeprof.err || atf_fail "jeprof --thread=0 failed"
	awk '$6 == "site_big" { print $6, $4 }' thr0.out >sites.out
	[ -s sites.out ] || atf_fail "--thread=0 has no site_big:" \
	    "$(head -c 300 thr0.out | tr '\n' '|')"
	awk '{ exit !($2 > 128 * 0.9 && $2 < 128 * 1.1) }' sites.out ||
	    atf_fail "--thread=0: $(cat sites.out) MiB, want 128"
	grep -q '^  t0: [1-9]' "$heap" || atf_fail "no t0 line under a stack"
	jeprof --svg "$dir/prof_sites_a" "$heap" >prof.svg 2>jeprof.err ||
	    atf_fail "jeprof --svg failed: $(head -c 300 jeprof.err)"
	grep -q '<svg' prof.svg && grep -q site_big prof.svg ||
	    atf_fail "--svg wrote no graph of site_big"
	first=$(ls out/p.*.i*.heap | sort -t. -k3,3n | head -n 1)
	[ -s "$first" ] || atf_fail "no interval dump: $(ls out)"
	jeprof --text --base="$first" "$dir/prof_sites_a" "$heap" \
	    >base.out 2>jeprof.err || atf_fail "jeprof --base failed"
	# site_small ran first (128 MiB > 2^26 bytes: it is in the first
	# interval dump at least in part), site_big last (not at all).
	big=$(awk '$6 == "site_big" { print $4 }' base.out)
	small=$(awk '$6 == "site_small" { print $4 }' base.out)
	awk -v b="${big:-0}" -v s="${small:-0}" 'BEGIN {
		exit !(b > 128 * 0.9 && b < 128 * 1.1 && s < 128 * 0.9) }' ||
	    atf_fail "--base: site_big ${big:-none} MiB (want 128)," \
	    "site_small ${small:-none} MiB (want less than in full)"
}

atf_test_case preload_jeprof
preload_jeprof_head()
{
	atf_set descr "libdomalloc.so preloaded: the same attribution"
	atf_set timeout 300
}
preload_jeprof_body()
{
	prof_setup
	run_sites prof_sites "" preload
	jeprof_sites "$dir/prof_sites" "$heap"
}

atf_test_case full_static_jeprof
full_static_jeprof_head()
{
	atf_set descr "a -static program profiles from its first allocation" \
	    "(no abort before constructors) with the same attribution"
	atf_set timeout 300
}
full_static_jeprof_body()
{
	prof_setup
	run_sites prof_sites_static
	jeprof_sites "$dir/prof_sites_static" "$heap"
}

atf_test_case pprof_proto
pprof_proto_head()
{
	atf_set descr "prof_format:pprof: go tool pprof -top reads the" \
	    "final dump and attributes the sites as jeprof does"
	atf_set timeout 300
}
pprof_proto_body()
{
	prof_setup
	run_sites prof_sites_a ",prof_format:pprof"
	case $heap in
	*.pb) ;;
	*) atf_fail "final dump $heap is not a .pb" ;;
	esac
	HOME=$PWD go tool pprof -top -unit=MB "$dir/prof_sites_a" "$heap" \
	    >pprof.out 2>pprof.err ||
	    atf_fail "pprof failed: $(head -c 300 pprof.err)"
	awk '$6 ~ /^site_/ { sub(/MB$/, "", $4); print $6, $4 }' \
	    pprof.out >sites.out
	check_sites sites.out
}

atf_test_case leak_report
leak_report_head()
{
	atf_set descr "prof_leak:true: the leak summary at exit counts the" \
	    "~384 MiB still live in at least 3 contexts"
	atf_set timeout 300
}
leak_report_body()
{
	prof_setup
	run_sites prof_sites_a ",prof_leak:true"
	grep -q '^<domalloc>: Run jeprof on dump output for leak detail' \
	    run.err || atf_fail "no leak detail line: $(head -c 300 run.err)"
	sed -n 's/^<domalloc>: Leak approximation summary: ~\([0-9]*\) bytes, ~\([0-9]*\) objects, >= \([0-9]*\) contexts$/\1 \2 \3/p' \
	    run.err >leak.out
	read -r bytes objs ctxs <leak.out ||
	    atf_fail "no summary line: $(head -c 300 run.err)"
	# jemalloc's approximation scales the raw totals with one factor
	# from their average size, which mixed sizes bias (here about 350
	# MB for 384 MiB live): a loose bound.
	[ "$bytes" -gt $((192 << 20)) ] && [ "$bytes" -lt $((768 << 20)) ] ||
	    atf_fail "leak bytes $bytes, want about 384 MiB (192 to 768)"
	[ "$objs" -gt 0 ] && [ "$ctxs" -ge 3 ] ||
	    atf_fail "objects $objs, contexts $ctxs"
}

atf_test_case python3_sites
python3_sites_head()
{
	atf_set descr "python3 (PYTHONMALLOC=malloc) under LD_PRELOAD:" \
	    "jeprof names python's own allocation functions"
	atf_set timeout 300
}
python3_sites_body()
{
	prof_setup
	py=$(command -v python3) || atf_fail "python3 is not installed"
	# The interpreter itself, not a wrapper script (pyenv's shims run
	# several processes, each leaving a final dump, none of them python).
	py=$("$py" -c 'import sys; print(sys.executable)') ||
	    atf_fail "python3 does not run"
	mkdir -p out
	# The list is gone by the final dump (python frees it as it ends):
	# read the last interval dump, taken while it is alive.
	PYTHONMALLOC=malloc LD_PRELOAD=$lib \
	    MALLOC_CONF="$conf,lg_prof_interval:22,prof_prefix:$PWD/out/py" \
	    "$py" -c 'x = [str(i) * 4 for i in range(300000)]' ||
	    atf_fail "python3 failed"
	heap=$(ls out/py.*.i*.heap | sort -t. -k3,3n | tail -n 1)
	[ -s "$heap" ] || atf_fail "no interval dump in out/: $(ls out)"
	jeprof --text "$py" "$heap" >jeprof.out 2>jeprof.err ||
	    atf_fail "jeprof failed: $(head -c 300 jeprof.err)"
	# The top of the in-use profile is python's, not only malloc.
	head -n 12 jeprof.out | grep -Eq 'Py|_Py|unicode|list' ||
	    atf_fail "no python frame: $(head -n 8 jeprof.out | tr '\n' '|')"
}

atf_init_test_cases()
{
	atf_add_test_case static_archive_jeprof
	atf_add_test_case jeprof_outputs
	atf_add_test_case preload_jeprof
	atf_add_test_case full_static_jeprof
	atf_add_test_case pprof_proto
	atf_add_test_case leak_report
	atf_add_test_case python3_sites
}
