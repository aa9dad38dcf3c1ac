#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# domalloc.sh: run a command with the domalloc allocator preloaded.
#
# This script owns the LD_PRELOAD start-up of libdomalloc.so for programs
# that were linked against another malloc (glibc's, usually).  It finds the
# library, puts it first in LD_PRELOAD, optionally asks the allocator for a
# statistics summary at exit, and then replaces itself with the command, so
# the command's arguments, environment and exit status pass through intact.
# The script itself exits 125 only when it cannot do its job (bad usage, no
# library); 126 and 127 come from the shell when the command cannot run.
# With --prof it does not replace itself: it runs the command with heap
# profiling on, waits for it, and prints jeprof's top allocation sites of
# each process's final dump; the command's exit status is still passed on.
#
# With --hardened the library is libdomalloc_hardened.so (canaries, guard
# pages, quarantines: domalloc(3)), searched for in the same places.
# Library search order: $DOMALLOC_LIB; the build tree relative to this
# script (../../obj/lib/libdomalloc/libdomalloc.so, following symbolic links
# to the script); /usr/local/lib/libdomalloc.so; /usr/lib/libdomalloc.so.
# An installed copy (make install, the Debian package) has installed_lib
# set to the library it was installed with, and looks nowhere else after
# $DOMALLOC_LIB.
#

prog=${0##*/}
# Set by `make install' (share/mk/install.mk); empty in the source tree.
installed_lib=
installed_hardened_lib=

usage()
{
	cat <<USAGE
usage: $prog [--hardened] [--stats] [--prof[=DIR]] [--] command [argument ...]
       $prog -h | --help

Run command with libdomalloc.so first in LD_PRELOAD.

  --hardened    preload the hardened library, libdomalloc_hardened.so, which
                catches overflows, use after free and double frees at a cost
                in speed and memory (domalloc(3)); not with --prof
  --stats, -s   print a short domalloc statistics summary to standard error
                when each process of the command exits (appends
                stats_print:true,stats_print_opts:s to MALLOC_CONF)
  --prof[=DIR]  profile the heap (prof:true,prof_final:true, dumps in DIR,
                by default a new directory under \${TMPDIR:-/tmp}); when
                the command exits, print jeprof's top allocation sites of
                what each of its processes still held (MALLOC_CONF can
                change the rate, e.g. lg_prof_sample:16)
  --help, -h    show this text and exit

The library is taken from \$DOMALLOC_LIB if that is set, else from the build
tree next to this script (obj/lib/libdomalloc/libdomalloc.so), else from
/usr/local/lib or /usr/lib.  Other allocator options go in MALLOC_CONF, for
example MALLOC_CONF=narenas:2,dirty_decay_ms:0.
USAGE
}

die()
{
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 125
}

# Print the absolute form of the path $1 (which must name a file), with the
# directory part resolved, so that the preload still works after the command
# changes its working directory.
abspath()
{
	case $1 in
	*/*)	_d=${1%/*}
		_f=${1##*/}
		[ -n "$_d" ] || _d=/
		;;
	*)	_d=.
		_f=$1
		;;
	esac
	_d=$(cd -P -- "$_d" 2>/dev/null && pwd -P) || return 1
	case $_d in
	/)	printf '/%s\n' "$_f" ;;
	*)	printf '%s/%s\n' "$_d" "$_f" ;;
	esac
}

# Print the directory this script really lives in, following symbolic
# links, so an installed link (e.g. /usr/local/bin/domalloc) to the script
# in a source tree still finds that tree's build.
scriptdir()
{
	_s=$0
	case $_s in
	*/*)	;;
	*)	_s=$(command -v -- "$_s") || return 1 ;;
	esac
	_n=0
	while [ -L "$_s" ] && [ "$_n" -lt 32 ]; do
		_t=$(readlink -- "$_s") || break
		case $_t in
		/*)	_s=$_t ;;
		*)	_s=${_s%/*}/$_t ;;
		esac
		_n=$((_n + 1))
	done
	(cd -P -- "${_s%/*}" 2>/dev/null && pwd -P)
}

find_lib()
{
	if [ -n "${DOMALLOC_LIB+set}" ]; then
		[ -n "$DOMALLOC_LIB" ] ||
		    die "DOMALLOC_LIB is set but empty"
		[ -f "$DOMALLOC_LIB" ] ||
		    die "DOMALLOC_LIB names no file: $DOMALLOC_LIB"
		abspath "$DOMALLOC_LIB" ||
		    die "cannot resolve DOMALLOC_LIB: $DOMALLOC_LIB"
		return
	fi
	_inst=$installed_lib
	[ "$hardened" = false ] || _inst=$installed_hardened_lib
	if [ -n "$_inst" ]; then
		[ -f "$_inst" ] ||
		    die "cannot find $_inst (installed with it)"
		printf '%s\n' "$_inst"
		return
	fi
	_tried=
	if _dir=$(scriptdir); then
		_cand=$_dir/../../obj/lib/libdomalloc/$libname
		if [ -f "$_cand" ]; then
			abspath "$_cand" && return
		fi
		_tried="$_cand, "
	fi
	for _cand in /usr/local/lib/$libname /usr/lib/$libname; do
		if [ -f "$_cand" ]; then
			printf '%s\n' "$_cand"
			return
		fi
	done
	die "cannot find $libname (tried ${_tried}/usr/local/lib," \
	    "/usr/lib); build it with 'make' at the top of the source tree" \
	    "or set DOMALLOC_LIB to its path"
}

stats=false
prof=
hardened=false
libname=libdomalloc.so
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help)
		usage
		exit 0
		;;
	--hardened)
		hardened=true
		libname=libdomalloc_hardened.so
		shift
		;;
	-s|--stats)
		stats=true
		shift
		;;
	--prof)
		prof=auto
		shift
		;;
	--prof=*)
		prof=${1#--prof=}
		[ -n "$prof" ] || die "--prof=: empty directory"
		shift
		;;
	--)
		shift
		break
		;;
	-*)
		printf '%s: unknown option: %s\n' "$prog" "$1" >&2
		usage >&2
		exit 125
		;;
	*)
		break
		;;
	esac
done

if [ $# -eq 0 ]; then
	printf '%s: no command given\n' "$prog" >&2
	usage >&2
	exit 125
fi

[ "$hardened" = false ] || [ -z "$prof" ] ||
    die "--prof does not work with --hardened (no heap profiling there)"

# find_lib exits from a subshell on failure; pass that status on.
lib=$(find_lib) || exit 125

# Our library goes first so that it wins over any allocator already listed;
# ld.so accepts colons or blanks as separators.
LD_PRELOAD=$lib${LD_PRELOAD:+:$LD_PRELOAD}
export LD_PRELOAD

if [ "$stats" = true ]; then
	_opts=stats_print:true,stats_print_opts:s
	MALLOC_CONF=${MALLOC_CONF:+$MALLOC_CONF,}$_opts
	export MALLOC_CONF
fi

[ -n "$prof" ] || exec "$@"

# --prof: the dumps go to $prof; the user's MALLOC_CONF comes last, so it
# can change the rate or the format.
if [ "$prof" = auto ]; then
	prof=$(mktemp -d "${TMPDIR:-/tmp}/domalloc-prof.XXXXXX") ||
	    die "cannot make a directory for the profiles"
else
	mkdir -p -- "$prof" || die "cannot make $prof"
fi
prof=$(cd -P -- "$prof" && pwd -P) || die "cannot use $prof"
_opts=prof:true,prof_final:true,prof_prefix:$prof/domalloc
MALLOC_CONF=$_opts${MALLOC_CONF:+,$MALLOC_CONF}
export MALLOC_CONF
"$@"
status=$?
# Each process that exited wrote <prefix>.<pid>.<seq>.f.heap; the first
# line of its MAPPED_LIBRARIES is the program it ran.  Processes that held
# nothing at exit (their totals line is "t*: 0: 0") are only counted.
_n=0
_empty=0
for _dump in "$prof"/domalloc.*.f.heap; do
	[ -f "$_dump" ] || continue
	_n=$((_n + 1))
	if sed -n 2p "$_dump" | grep -q '^ *t\*: 0: 0 '; then
		_empty=$((_empty + 1))
		continue
	fi
	_bin=$(sed -n '/^MAPPED_LIBRARIES:/{n;p;q;}' "$_dump" |
	    awk '{ print $NF }')
	printf '%s: heap profile %s (%s)\n' "$prog" "$_dump" "$_bin" >&2
	if ! command -v jeprof >/dev/null 2>&1; then
		printf '%s: jeprof not found (Debian package libjemalloc-dev)\n' \
		    "$prog" >&2
		continue
	fi
	LD_PRELOAD= MALLOC_CONF= jeprof --text --nodecount=10 "$_bin" \
	    "$_dump" 2>/dev/null | sed -n '/^Total:/,$p' >&2
done
if [ "$_n" -eq 0 ]; then
	printf '%s: no heap profile was written in %s\n' "$prog" "$prof" >&2
elif [ "$_empty" -gt 0 ]; then
	printf '%s: %d of %d processes held no sampled memory at exit\n' \
	    "$prog" "$_empty" "$_n" >&2
fi
exit "$status"
