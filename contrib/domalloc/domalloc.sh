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
#
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

usage()
{
	cat <<USAGE
usage: $prog [--stats] [--] command [argument ...]
       $prog -h | --help

Run command with libdomalloc.so first in LD_PRELOAD.

  --stats, -s   print a short domalloc statistics summary to standard error
                when each process of the command exits (appends
                stats_print:true,stats_print_opts:s to MALLOC_CONF)
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
	if [ -n "$installed_lib" ]; then
		[ -f "$installed_lib" ] ||
		    die "cannot find $installed_lib (installed with it)"
		printf '%s\n' "$installed_lib"
		return
	fi
	_tried=
	if _dir=$(scriptdir); then
		_cand=$_dir/../../obj/lib/libdomalloc/libdomalloc.so
		if [ -f "$_cand" ]; then
			abspath "$_cand" && return
		fi
		_tried="$_cand, "
	fi
	for _cand in /usr/local/lib/libdomalloc.so /usr/lib/libdomalloc.so; do
		if [ -f "$_cand" ]; then
			printf '%s\n' "$_cand"
			return
		fi
	done
	die "cannot find libdomalloc.so (tried ${_tried}/usr/local/lib," \
	    "/usr/lib); build it with 'make' at the top of the source tree" \
	    "or set DOMALLOC_LIB to its path"
}

stats=false
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help)
		usage
		exit 0
		;;
	-s|--stats)
		stats=true
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

exec "$@"
