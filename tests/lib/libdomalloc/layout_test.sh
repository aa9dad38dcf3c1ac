#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# layout_test: the text of libdomalloc.so is laid out so that a program
# runs only its first part (lib/libdomalloc/Makefile.inc, "Footprint").
#
# The kernel maps a file's pages 64 KiB at a time around each fault, so
# where code lies decides how much of the library a process holds in
# memory.  Checked: every function of the cold files (the control plane,
# statistics, messages, heap profile dumps, backtraces, the hardened
# checks) lies after every function of a set of core files, and so do
# the libgcc and libc_nonshared members start-up calls and DT_FINI, which
# the loader calls at exit; and programs that
# start threads and allocate, run under callgrind with the library
# preloaded, execute no function that lies in the cold part, nor any that
# lies past the text's first 64 KiB (the window the first fault maps:
# lib/libdomalloc/hot.list puts what they run there).

# Set $objdir, $lib and $dobj (the allocator objects' directory).
lay_setup()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	objdir=$(atf_config_get objdir)
	lib=$objdir/lib/libdomalloc/libdomalloc.so
	dobj=$objdir/lib/libc/stdlib/malloc/domalloc
	[ -f "$lib" ] || atf_fail "$lib was not built"
	LC_ALL=C
	export LC_ALL
}

cold_objs="ctl ctl_nodes ctl_arena ctl_opt ctl_print ctl_prof ctl_stats
    ctl_tcache ctl_thread harden msg prof_bt prof_dump prof_pb stats"
core_objs="alloc malloc tcache bin arena pa sp tsd init base conf sc"

# The addresses in $lib of the global functions in the .text sections of
# the objects named $@ (basenames under $dobj), one hexadecimal number a
# line.  Functions gcc puts in .text.unlikely (those marked cold, such as
# msg_fatal), .text.startup and .text.exit are left out: the linker puts
# those sections first, whatever the order of the objects.  The objects
# are compiled with -ffunction-sections: a function's section is
# .text.NAME (.text.unlikely.NAME and so on for those left out).
addrs_of()
{
	: > names
	for _o in "$@"; do
		[ -f "$dobj/$_o.o" ] || atf_fail "$dobj/$_o.o was not built"
		objdump -t "$dobj/$_o.o" |
		    awk '$2 == "g" && $3 == "F" && $4 ~ /^\.text(\.|$)/ &&
			$4 !~ /^\.text\.(unlikely|startup|exit|hot)(\.|$)/ {
			print $NF }' >> names
	done
	[ -s names ] || atf_fail "no functions found in $*"
	sort -u names > names.sorted
	nm --defined-only "$lib" | awk '$2 ~ /^[tT]$/ { print $3, $1 }' |
	    sort -k1,1 > lib.syms
	join names.sorted lib.syms | awk '{ print $2 }'
}

hex2dec()
{
	printf '%d\n' "0x$1"
}

atf_test_case text_order
text_order_head()
{
	atf_set descr "the cold files' functions lie after the core" \
	    "files' functions and the library members start-up needs"
	atf_set require.progs nm objdump readelf join
}
text_order_body()
{
	lay_setup
	cold=$(addrs_of $cold_objs | sort | head -n 1)
	core=$(addrs_of $core_objs | sort | tail -n 1)
	[ -n "$cold" ] && [ -n "$core" ] ||
	    atf_fail "functions of the listed objects not found in $lib"
	[ "$(hex2dec "$core")" -lt "$(hex2dec "$cold")" ] ||
	    atf_fail "a core function at 0x$core lies after the first" \
	    "cold one at 0x$cold"
	# The loader calls DT_FINI at every exit.
	fini=$(readelf -d "$lib" | awk '$2 == "(FINI)" { sub(/^0x/, "", $3);
	    print $3 }')
	[ -n "$fini" ] || atf_fail "$lib has no DT_FINI"
	[ "$(hex2dec "$fini")" -lt "$(hex2dec "$cold")" ] ||
	    atf_fail "DT_FINI (0x$fini) lies in the cold part (from 0x$cold)"
	for f in __popcountdi2 pthread_atfork atexit; do
		a=$(awk -v f="$f" '$1 == f { print $2 }' lib.syms | head -n 1)
		[ -z "$a" ] && continue
		[ "$(hex2dec "$a")" -lt "$(hex2dec "$cold")" ] ||
		    atf_fail "$f at 0x$a lies in the cold part (from 0x$cold)"
	done
}

atf_test_case runs_no_cold_code
runs_no_cold_code_head()
{
	atf_set descr "programs that start threads, allocate and free" \
	    "remotely execute no function of the cold part"
	atf_set require.progs nm objdump join valgrind callgrind_annotate
	atf_set timeout 300
}
runs_no_cold_code_body()
{
	lay_setup
	cold=$(addrs_of $cold_objs | sort | head -n 1)
	[ -n "$cold" ] || atf_fail "no cold function found in $lib"
	bench=$objdir/tests/bench
	n=0
	for cmd in "threadchurn lives=200 concurrent=2 long=1" \
	    "xmalloc producers=1 consumers=2 objs=20000" \
	    "fastpath mode=random iters=20000" \
	    "falseshare mode=thrash threads=2 iters=5 inner=2000"; do
		set -- $cmd
		prog=$bench/$1
		shift
		[ -x "$prog" ] || atf_fail "$prog was not built"
		n=$((n + 1))
		env LD_PRELOAD="$lib" valgrind --tool=callgrind \
		    --callgrind-out-file="cg.$n" "$prog" "$@" \
		    > "out.$n" 2> "err.$n" ||
		    atf_fail "$cmd under callgrind failed: $(head -c 300 err.$n)"
		callgrind_annotate --threshold=100 "cg.$n" |
		    awk -v lib="[$lib]" 'index($0, lib) > 0 {
			sub(/ \[.*/, ""); sub(/.*:/, ""); sub(/'\''.*/, "");
			print }' >> ran
	done
	[ -s ran ] || atf_fail "callgrind saw no function of $lib run"
	sort -u ran > ran.sorted
	nm --defined-only "$lib" | awk '$2 ~ /^[tT]$/ { print $3, $1 }' |
	    sort -k1,1 > lib.syms
	# A static function's name may be defined more than once: take the
	# lowest address of each name (the check fails only if every
	# function of that name lies in the cold part).
	join ran.sorted lib.syms | sort -k1,1 -k2,2 |
	    awk '$1 != last { print; last = $1 }' > ran.addrs
	[ -s ran.addrs ] || atf_fail "no function that ran found in $lib"
	limit=$(hex2dec "$cold")
	# The first fault in the text maps the 64 KiB from its start.
	text=$(readelf -lW "$lib" | awk '$1 == "LOAD" && $8 == "E" {
	    print $3; exit }')
	[ -n "$text" ] || atf_fail "no executable segment in $lib"
	window=$(($(printf '%d' "$text") + 65536))
	nm -S --defined-only "$lib" | awk '$3 ~ /^[tT]$/ { print $4, $2 }' |
	    sort -k1,1 > lib.sizes
	while read -r f a; do
		[ "$(hex2dec "$a")" -lt "$limit" ] ||
		    atf_fail "$f (at 0x$a) ran and lies in the cold part" \
		    "(from 0x$cold)"
		sz=$(awk -v f="$f" '$1 == f { print $2; exit }' lib.sizes)
		end=$(($(hex2dec "$a") + $(hex2dec "${sz:-0}")))
		[ "$end" -le "$window" ] ||
		    atf_fail "$f (at 0x$a, $((end - $(hex2dec "$a"))) bytes)" \
		    "ran and ends past the text's first 64 KiB (to" \
		    "$(printf '0x%x' "$window")): add it to" \
		    "lib/libdomalloc/hot.list"
	done < ran.addrs
}

atf_init_test_cases()
{
	atf_add_test_case text_order
	atf_add_test_case runs_no_cold_code
}
