#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# preload_test: libdomalloc.so as an LD_PRELOAD drop-in for glibc's malloc.
#
# Ordinary system programs must run clean with the library preloaded (no
# loader complaints, no allocator messages, the same output), a program
# that calls dlopen, dlsym and pthread_create before main must work, every
# malloc-family name must resolve to libdomalloc.so, and the dynamic
# loader's own report (LD_DEBUG=bindings) must show the program's and
# glibc's references to malloc, free, calloc and realloc bound to
# libdomalloc.so, never to libc.so.6.  The helper preload_prog is a plain
# glibc program built by tests/lib/libdomalloc/Makefile.inc.
#

# Set $lib and $prog; fail if either was not built.
pl_setup()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	objdir=$(atf_config_get objdir)
	lib=$objdir/lib/libdomalloc/libdomalloc.so
	prog=$objdir/tests/lib/libdomalloc/preload_prog
	[ -f "$lib" ] || atf_fail "$lib was not built"
	[ -x "$prog" ] || atf_fail "$prog was not built"
	LC_ALL=C
	export LC_ALL
}

# Print the first $2 (default 5) lines of the file $1 as one line, for
# atf_fail, whose reason must be a single line.
flat()
{
	head -n "${2:-5}" "$1" | tr '\n' '|' | cut -c 1-400
}

# Print the path of the program $1, preferring Debian's /usr/bin and /bin.
find_prog()
{
	for _d in /usr/bin /bin; do
		if [ -x "$_d/$1" ]; then
			echo "$_d/$1"
			return 0
		fi
	done
	command -v "$1"
}

atf_test_case true_clean
true_clean_head()
{
	atf_set descr "true(1) runs with libdomalloc.so preloaded, silently"
}
true_clean_body()
{
	pl_setup
	t=$(find_prog true) || atf_skip "true is not installed"
	atf_check -s exit:0 -o empty -e empty env LD_PRELOAD="$lib" "$t"
	# Preloading a missing library would only warn; make sure the
	# loader mapped ours (the kernel shows the resolved path).
	real=$(readlink -f "$lib") || atf_fail "cannot resolve $lib"
	atf_check -s exit:0 -o save:maps.out -e empty \
	    env LD_PRELOAD="$lib" cat /proc/self/maps
	atf_check -s exit:0 -o ignore grep -F " $real" maps.out
}

atf_test_case ls_clean
ls_clean_head()
{
	atf_set descr "ls -la and ls -lR give the same output with" \
	    "libdomalloc.so preloaded"
}
ls_clean_body()
{
	pl_setup
	ls=$(find_prog ls) || atf_skip "ls is not installed"
	# A tree of our own, so that nothing changes between the runs (the
	# work directory does: atf_check makes files there).
	i=0
	while [ $i -lt 40 ]; do
		mkdir -p "top/tree/dir$i"
		j=0
		while [ $j -lt 25 ]; do
			pad=$(printf '%0*d' $((j + 1)) 0)
			: >"top/tree/dir$i/file-$j-$pad"
			j=$((j + 1))
		done
		i=$((i + 1))
	done
	touch -d '2024-01-01 00:00:00' top top/tree top/tree/* top/tree/*/*
	"$ls" -laR --time-style=+%s top/tree >plain.out 2>plain.err ||
	    atf_fail "ls failed without the preload"
	atf_check -s exit:0 -o file:plain.out -e file:plain.err \
	    env LD_PRELOAD="$lib" "$ls" -laR --time-style=+%s top/tree
	atf_check -s exit:0 -o not-empty -e empty \
	    env LD_PRELOAD="$lib" "$ls" -la /usr/bin /usr/lib /etc
}

atf_test_case python_clean
python_clean_head()
{
	atf_set descr "python3 imports modules and runs clean with" \
	    "libdomalloc.so preloaded"
}
python_clean_body()
{
	pl_setup
	py=$(find_prog python3) || atf_skip "python3 is not installed"
	script='import json, hashlib, re, threading, subprocess
d = {"k%d" % i: [i, str(i) * 3] for i in range(20000)}
s = json.dumps(d, sort_keys=True)
t = [threading.Thread(target=lambda: json.loads(s)) for _ in range(4)]
[x.start() for x in t]
[x.join() for x in t]
r = subprocess.run(["true"], check=True)
print(len(s), hashlib.md5(s.encode()).hexdigest(), len(re.findall("k1", s)))'
	"$py" -c "$script" >plain.out 2>plain.err ||
	    atf_fail "python3 failed without the preload"
	atf_check -s exit:0 -o file:plain.out -e empty \
	    env LD_PRELOAD="$lib" "$py" -c "$script"
	atf_check -s exit:0 -o file:plain.out -e empty \
	    env LD_PRELOAD="$lib" PYTHONMALLOC=malloc "$py" -c "$script"
	atf_check -s exit:0 -o empty -e empty \
	    env LD_PRELOAD="$lib" "$py" -c 'import json'
}

atf_test_case pipeline
pipeline_head()
{
	atf_set descr "a shell pipeline of preloaded processes (fork, exec," \
	    "pipes) gives the same output"
}
pipeline_body()
{
	pl_setup
	sh=$(find_prog sh) || atf_skip "sh is not installed"
	# shellcheck disable=SC2016
	cmd='seq 1 200000 | awk "{ print \$1 * 7 % 1009, \$1 }" |
	    sort -k1,1n -k2,2nr | uniq -c -w 4 | tail -3'
	"$sh" -c "$cmd" >plain.out 2>plain.err ||
	    atf_fail "the pipeline failed without the preload"
	atf_check -s exit:0 -o not-empty cat plain.out
	atf_check -s exit:0 -o file:plain.out -e empty \
	    env LD_PRELOAD="$lib" "$sh" -c "$cmd"
}

atf_test_case start
start_head()
{
	atf_set descr "a program that calls dlopen, dlsym and pthread_create" \
	    "in a constructor runs under the preload"
}
start_body()
{
	pl_setup
	atf_check -s exit:0 -o inline:"ok start\n" -e empty \
	    env LD_PRELOAD="$lib" "$prog" start
	# The same without the preload, so a failure above is ours.
	atf_check -s exit:0 -o inline:"ok start\n" -e empty "$prog" start
}

atf_test_case served
served_head()
{
	atf_set descr "a preloaded program gets domalloc's size classes and" \
	    "mallctl"
}
served_body()
{
	pl_setup
	atf_check -s exit:0 -o inline:"ok served\n" -e empty \
	    env LD_PRELOAD="$lib" "$prog" served
}

atf_test_case stats_banner
stats_banner_head()
{
	atf_set descr "MALLOC_CONF=stats_print:true prints domalloc's" \
	    "statistics at exit of a preloaded program"
}
stats_banner_body()
{
	pl_setup
	atf_check -s exit:0 -o inline:"ok bindings\n" -e save:stats.err \
	    env LD_PRELOAD="$lib" MALLOC_CONF=stats_print:true \
	    "$prog" bindings
	atf_check -s exit:0 -o ignore \
	    grep -x -F '___ Begin domalloc statistics ___' stats.err
	atf_check -s exit:0 -o ignore \
	    grep -x -F '___ End domalloc statistics ___' stats.err
}

atf_test_case where
where_head()
{
	atf_set descr "every malloc-family name, glibc's __libc_* included," \
	    "resolves to libdomalloc.so"
}
where_body()
{
	pl_setup
	atf_check -s exit:0 -o save:where.out -e empty \
	    env LD_PRELOAD="$lib" "$prog" where
	n=$(grep -c . where.out)
	[ "$n" -ge 21 ] || atf_fail "only $n names resolved: $(flat where.out)"
	atf_check -s exit:0 -o ignore grep -x 'ok where' where.out
	awk -v lib="$lib" '$1 != "ok" && $2 != lib' where.out >elsewhere.out
	[ -s elsewhere.out ] &&
	    atf_fail "names resolved outside libdomalloc.so:" \
	    "$(flat elsewhere.out 30)"
	return 0
}

atf_test_case bindings
bindings_head()
{
	atf_set descr "LD_DEBUG=bindings shows malloc, free, calloc and" \
	    "realloc bound to libdomalloc.so, for the program and glibc"
}
bindings_body()
{
	pl_setup
	atf_check -s exit:0 -o inline:"ok bindings\n" -e save:bind.err \
	    env LD_PRELOAD="$lib" LD_DEBUG=bindings "$prog" bindings
	for sym in malloc free calloc realloc; do
		grep "normal symbol \`$sym'" bind.err >"$sym.bind"
		grep -F "binding file $prog " "$sym.bind" |
		    grep -F " to $lib " >/dev/null ||
		    atf_fail "$prog's $sym is not bound to $lib:" \
		    "$(flat "$sym.bind" 3)"
		if grep -v -F " to $lib " "$sym.bind" >"$sym.other"; then
			atf_fail "$sym bound elsewhere: $(flat "$sym.other" 3)"
		fi
	done
	# glibc's own calls (stdio, dlerror, ...) go to domalloc too.
	grep "binding file [^ ]*libc\\.so\\.6 .* to $lib .*symbol \`malloc'" \
	    bind.err >/dev/null ||
	    atf_fail "libc.so.6's malloc references are not bound to $lib"
}

atf_test_case valgrind_memcheck
valgrind_memcheck_head()
{
	atf_set descr "memcheck with the documented option runs a program" \
	    "that mixes mallocx, sdallocx and free on preloaded domalloc" \
	    "with no error"
	atf_set timeout 120
}
valgrind_memcheck_body()
{
	pl_setup
	command -v valgrind >/dev/null 2>&1 ||
	    atf_skip "valgrind is not installed"
	tool=$objdir/tests/bench/sizedfree
	[ -x "$tool" ] || atf_fail "$tool was not built"
	# Without the option memcheck replaces malloc and free in the
	# preloaded library but not mallocx, and a free of a mallocx block
	# is an invalid free.  With it, domalloc serves everything.
	atf_check -s exit:0 -o match:'median' -e empty \
	    env LD_PRELOAD="$lib" valgrind -q --error-exitcode=9 \
	    --soname-synonyms=somalloc=nouserintercepts \
	    "$tool" n=2000 rounds=1
	atf_check -s exit:0 -o match:'hello' -e empty \
	    env LD_PRELOAD="$lib" valgrind -q --error-exitcode=9 \
	    --soname-synonyms=somalloc=nouserintercepts \
	    /bin/echo hello
}

atf_init_test_cases()
{
	atf_add_test_case valgrind_memcheck
	atf_add_test_case true_clean
	atf_add_test_case ls_clean
	atf_add_test_case python_clean
	atf_add_test_case pipeline
	atf_add_test_case start
	atf_add_test_case served
	atf_add_test_case stats_banner
	atf_add_test_case where
	atf_add_test_case bindings
}
