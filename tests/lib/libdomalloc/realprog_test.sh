#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# realprog_test: real programs from Debian packages under libdomalloc.so.
#
# Each case runs a real, allocation-heavy program twice, once as installed
# (glibc's malloc) and once with libdomalloc.so in LD_PRELOAD, and requires
# the same exit status and byte-identical results.  Each case also proves
# that domalloc was loaded and served the program: with
# MALLOC_CONF=stats_print:true the preloaded process prints domalloc's
# statistics banner at exit, or, for coreutils programs that close standard
# error before exit handlers run, LD_DEBUG=bindings shows the program's
# malloc bound to libdomalloc.so.  A case is skipped when its program is not
# installed (tests/lib/libdomalloc/Makefile.inc lists the packages).
#

BEGIN_BANNER='___ Begin domalloc statistics ___'
END_BANNER='___ End domalloc statistics ___'

# Set $top, $lib; fail if the library was not built.
rp_setup()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	atf_config_has top || atf_fail "configuration variable top is not set"
	top=$(atf_config_get top)
	lib=$(atf_config_get objdir)/lib/libdomalloc/libdomalloc.so
	[ -f "$lib" ] || atf_fail "$lib was not built"
	# Results must not depend on the locale of the caller.
	LC_ALL=C
	export LC_ALL
}

# Print the first $2 (default 5) lines of the file $1 as one line, for
# atf_fail, whose reason must be a single line.
flat()
{
	head -n "${2:-5}" "$1" | tr '\n' '|' | cut -c 1-400
}

# Skip unless the program $1 exists; print its path.  Prefer the Debian
# package's copy in /usr/bin over whatever comes first in PATH.
need()
{
	if [ -x "/usr/bin/$1" ]; then
		echo "/usr/bin/$1"
	elif command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
	else
		return 1
	fi
}

# Run "$@" with domalloc preloaded and its statistics printed at exit.
preloaded()
{
	env LD_PRELOAD="$lib" MALLOC_CONF=stats_print:true "$@"
}

# Copy the file $1 to $1.nostats without domalloc's statistics blocks.
strip_stats()
{
	awk -v b="$BEGIN_BANNER" -v e="$END_BANNER" '
	    $0 == b { s = 1 } !s { print } $0 == e { s = 0 }' "$1" >"$1.nostats"
}

# Require domalloc's statistics banner in the file $1, $2 times at least.
require_banner()
{
	n=$(grep -c -x -F "$BEGIN_BANNER" "$1")
	[ "$n" -ge "${2:-1}" ] ||
	    atf_fail "$1: $n domalloc statistics banners, wanted ${2:-1};" \
	    "was libdomalloc.so loaded?  $(flat "$1" 3)"
	grep -q -x -F "$END_BANNER" "$1" ||
	    atf_fail "$1: no end-of-statistics banner"
}

# Compare the files $1 and $2, failing with a diff when they differ.
same()
{
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" | head -40 >&2
		atf_fail "$1 and $2 differ"
	fi
}

# Run the command "$@" plainly (output in $name.plain.{out,err,rc}) and
# preloaded with statistics ($name.pre.*); require the same exit status,
# stdout and stderr (less the statistics), and at least one banner.  The
# preloaded run's stderr is kept whole in $name.pre.err.
run_pair()
{
	name=$1
	shift
	rc=0
	"$@" >"$name.plain.out" 2>"$name.plain.err" || rc=$?
	echo "$rc" >"$name.plain.rc"
	rc=0
	preloaded "$@" >"$name.pre.out" 2>"$name.pre.err" || rc=$?
	echo "$rc" >"$name.pre.rc"
	same "$name.plain.rc" "$name.pre.rc"
	same "$name.plain.out" "$name.pre.out"
	require_banner "$name.pre.err"
	strip_stats "$name.pre.err"
	same "$name.plain.err" "$name.pre.err.nostats"
}

atf_test_case python
python_head()
{
	atf_set descr "python3 with every object from malloc gives the same" \
	    "results under domalloc"
}
python_body()
{
	rp_setup
	python=$(need python3) || atf_skip "python3 is not installed"
	script=$top/tests/lib/libdomalloc/realprog_workload.py
	PYTHONMALLOC=malloc
	PYTHONHASHSEED=0
	export PYTHONMALLOC PYTHONHASHSEED
	run_pair py "$python" "$script"
	atf_check -s exit:0 test -s py.pre.out
	[ "$(cat py.plain.rc)" -eq 0 ] || atf_fail "the workload failed"
	# And with pymalloc in front, as Python runs by default.
	PYTHONMALLOC=pymalloc
	run_pair pym "$python" "$script"
	same py.plain.out pym.pre.out
}

atf_test_case sort
sort_head()
{
	atf_set descr "sort and sort -n of a 70 MB file give the same" \
	    "output under domalloc"
}
sort_body()
{
	rp_setup
	sort=$(need sort) || atf_skip "sort is not installed"
	need awk >/dev/null || atf_skip "awk is not installed"
	need md5sum >/dev/null || atf_skip "md5sum is not installed"
	# 1.6 million lines of numbers and words from a fixed LCG (about
	# 70 MB), the same on every run and with every awk.
	awk 'BEGIN {
		x = 12345
		for (i = 0; i < 1600000; i++) {
			x = (x * 1103515245 + 12345) % 2147483648
			y = (x * 1103515245 + 12345) % 2147483648
			w = ""
			for (k = 0; k < 3 + x % 5; k++)
				w = w sprintf("%c", 97 + int(y / (26 ^ k)) % 26)
			printf("%d %s%d %s\n", x % 1000003, w, y % 977, w)
			x = y
		}
	}' >big.txt
	atf_check -s exit:0 test -s big.txt

	for mode in plain pre; do
		case $mode in
		plain)	run= ;;
		pre)	run=preloaded ;;
		esac
		# Lexical sort in one buffer with two threads; numeric sort
		# with a small buffer, so sort spills and merges temporaries.
		$run "$sort" --parallel=2 big.txt >"s.$mode" 2>"s.$mode.err" ||
		    atf_fail "sort ($mode) failed: $(flat "s.$mode.err")"
		$run "$sort" -n -S 16M big.txt >"n.$mode" 2>"n.$mode.err" ||
		    atf_fail "sort -n ($mode) failed: $(flat "n.$mode.err")"
		md5sum <"s.$mode" >"s.$mode.md5"
		md5sum <"n.$mode" >"n.$mode.md5"
		rm -f "s.$mode" "n.$mode"
	done
	same s.plain.md5 s.pre.md5
	same n.plain.md5 n.pre.md5
	# sort closes standard error before exit handlers run (gnulib's
	# close_stdout), so the banner cannot appear; show the binding.
	head -1000 big.txt >small.txt
	env LD_PRELOAD="$lib" LD_DEBUG=bindings "$sort" small.txt \
	    >/dev/null 2>bind.err || atf_fail "sort with LD_DEBUG failed"
	re="binding file [^ ]*sort .* to $lib \\[[0-9]+\\]: "
	re="${re}normal symbol \`malloc'"
	if ! grep -E "$re" bind.err >/dev/null; then
		grep "symbol \`malloc'" bind.err >malloc.bind
		atf_fail "sort's malloc is not bound to $lib:" \
		    "$(flat malloc.bind 3)"
	fi
}

atf_test_case gcc
gcc_head()
{
	atf_set descr "gcc -O2 of a generated 5000-line C file gives the same" \
	    "assembly and program under domalloc"
}
gcc_body()
{
	rp_setup
	gcc=$(need gcc) || atf_skip "gcc is not installed"
	need awk >/dev/null || atf_skip "awk is not installed"
	# 250 functions of loops, switches and arrays, and a main that
	# prints a checksum of them all.
	awk 'BEGIN {
		n = 250
		print "#include <stdio.h>"
		print "#include <string.h>"
		for (f = 0; f < n; f++) {
			printf("static unsigned long\n")
			printf("f%d(unsigned long x)\n{\n", f)
			printf("\tunsigned long a[%d];\n", 8 + f % 9)
			printf("\tint i;\n\n")
			printf("\tfor (i = 0; i < %d; i++)\n", 8 + f % 9)
			printf("\t\ta[i] = x * %d + i;\n", 2 * f + 1)
			printf("\tswitch (x %% %d) {\n", 3 + f % 5)
			for (c = 0; c < 3 + f % 5; c++)
				printf("\tcase %d:\n\t\tx ^= a[%d] >> %d;\n" \
				    "\t\tbreak;\n", c, c % (8 + f % 9), c + 1)
			print "\tdefault:\n\t\tx += 1;\n\t}"
			if (f > 0)
				printf("\tif (x & 1)\n\t\tx += f%d(x >> 7);\n",
				    f - 1 - (f * 7) % (f > 10 ? 10 : f))
			print "\treturn (x + a[0]);\n}\n"
		}
		print "int\nmain(void)\n{\n\tunsigned long s = 0;\n"
		for (f = 0; f < n; f++)
			printf("\ts = s * 31 + f%d(%d);\n", f, f)
		print "\tprintf(\"%lx\\n\", s);\n\treturn (0);\n}"
	}' >gen.c
	lines=$(wc -l <gen.c)
	[ "$lines" -gt 4000 ] || atf_fail "gen.c has only $lines lines"

	atf_check -s exit:0 "$gcc" -O2 -fsyntax-only gen.c
	run_pair asm "$gcc" -O2 -S -o - gen.c
	atf_check -s exit:0 test -s asm.pre.out
	# Compile and link; the executable itself is the output compared.
	# shellcheck disable=SC2016
	run_pair link sh -c '"$1" -O2 -o gen.$$ gen.c && cat gen.$$ &&
	    rm gen.$$' sh "$gcc"
	atf_check -s exit:0 test -s link.pre.out
	# gcc ran cc1, as and collect2/ld as children: more than one banner.
	require_banner link.pre.err 2
	cp link.pre.out gen
	chmod +x gen
	run_pair run ./gen
	atf_check -s exit:0 -o match:'^[0-9a-f]+$' cat run.pre.out
}

# The git workload: a repository of a few hundred files and commits in the
# directory $1, then log, gc and fsck.  Results go to files in $1/../$2.*.
git_workload()
{
	_dir=$1
	_out=$2
	git init -q -b main "$_dir" || return 1
	(
	cd "$_dir" || exit 1
	git config gc.auto 0
	git config core.fsync none 2>/dev/null
	awk 'BEGIN {
		for (f = 0; f < 300; f++) {
			d = "d" (f % 12)
			system("mkdir -p " d)
			p = d "/file" f ".txt"
			a = "abcdefghijklmnopqrstuvwxyz"
			for (l = 0; l < 20 + f % 40; l++)
				printf("line %d of file %d: %s\n", l, f,
				    substr(a, 1 + (l * f) % 26)) >p
			close(p)
		}
	}' || exit 1
	git add -A && git commit -q -m "initial import" || exit 1
	i=1
	while [ $i -le 200 ]; do
		awk -v i=$i 'BEGIN {
			for (k = 0; k < 3; k++) {
				f = (i * 7 + k * 101) % 300
				p = "d" (f % 12) "/file" f ".txt"
				printf("change %d.%d\n", i, k) >>p
				close(p)
			}
			if (i % 10 == 0)
				printf("new file %d\n", i) >"d0/new" i ".txt"
		}' || exit 1
		if [ $((i % 25)) -eq 0 ]; then
			git rm -q "d$((i % 12))/file$((i % 12)).txt" \
			    2>/dev/null || true
		fi
		git add -A && git commit -q -m "commit $i" || exit 1
		i=$((i + 1))
	done
	git log --stat >"../$_out.log" || exit 1
	git log -p --reverse | md5sum >"../$_out.logp" || exit 1
	git gc -q 2>"../$_out.gc.err" || exit 1
	git fsck --full --strict >"../$_out.fsck" 2>&1 || exit 1
	git count-objects -v | grep -E '^(count|in-pack|packs|garbage):' \
	    >"../$_out.count" || exit 1
	git rev-list --objects --all | sort | md5sum >"../$_out.objects"
	)
}

atf_test_case git
git_head()
{
	atf_set descr "git builds, logs, packs and checks a 200-commit" \
	    "repository identically under domalloc"
}
git_body()
{
	rp_setup
	need git >/dev/null || atf_skip "git is not installed"
	need awk >/dev/null || atf_skip "awk is not installed"
	need md5sum >/dev/null || atf_skip "md5sum is not installed"
	# The same identities and dates give the same commit hashes.
	HOME=$(pwd)
	GIT_CONFIG_NOSYSTEM=1
	GIT_CONFIG_GLOBAL=/dev/null
	GIT_AUTHOR_NAME=domalloc
	GIT_AUTHOR_EMAIL=domalloc@example.org
	GIT_AUTHOR_DATE='2024-01-01T00:00:00 +0000'
	GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
	GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
	GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
	export HOME GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL GIT_AUTHOR_NAME \
	    GIT_AUTHOR_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_NAME \
	    GIT_COMMITTER_EMAIL GIT_COMMITTER_DATE

	git_workload plain.git plain || atf_fail "plain git workload failed"
	# Every process of the second run (git, its children, awk, sort)
	# runs with domalloc.
	(LD_PRELOAD=$lib; export LD_PRELOAD; git_workload pre.git pre) ||
	    atf_fail "git workload under domalloc failed"
	for f in log logp fsck count objects; do
		same "plain.$f" "pre.$f"
	done
	grep -q '^commit ' pre.log || atf_fail "git log shows no commits"
	[ "$(grep -c '^commit ' pre.log)" -eq 201 ] ||
	    atf_fail "expected 201 commits"
	same plain.gc.err pre.gc.err

	# Proof of service: git log prints the banner, and gc's children
	# (pack-objects, repack, ...) print their own.
	cd pre.git || atf_fail "no pre.git"
	preloaded git log --stat >/dev/null 2>../log.stats ||
	    atf_fail "git log failed under domalloc"
	preloaded git gc -q 2>../gc.stats || atf_fail "git gc failed"
	cd ..
	require_banner log.stats 1
	require_banner gc.stats 2
}

atf_init_test_cases()
{
	atf_add_test_case python
	atf_add_test_case sort
	atf_add_test_case gcc
	atf_add_test_case git
}
