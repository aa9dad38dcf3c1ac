#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# domalloc_sh_test: the run wrapper contrib/domalloc/domalloc.sh.
#
# The wrapper must run the command with its arguments and exit status
# intact, put libdomalloc.so first in LD_PRELOAD (before anything already
# there), extend MALLOC_CONF for --stats so the statistics summary appears,
# honour DOMALLOC_LIB, find the build tree's library by itself (also through
# a symbolic link to the script), and fail with status 125 and a message
# naming the problem when there is no library or no command.  A copy that
# make install wrote (installed_lib set) uses its library and no other.
#

# Set $wrapper, $lib (the configured build's library, with its directory
# resolved as the wrapper resolves it) and $prog (a helper that exits
# normally, so its exit handlers run).  Most cases pass the library through
# DOMALLOC_LIB, so they test the configured build even when objdir is not
# the source tree's obj/.
sh_setup()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	atf_config_has top || atf_fail "configuration variable top is not set"
	top=$(atf_config_get top)
	objdir=$(atf_config_get objdir)
	wrapper=$top/contrib/domalloc/domalloc.sh
	[ -x "$wrapper" ] || atf_fail "$wrapper is missing or not executable"
	lib=$objdir/lib/libdomalloc/libdomalloc.so
	[ -f "$lib" ] || atf_fail "$lib was not built"
	lib=$(cd -P "${lib%/*}" && pwd -P)/libdomalloc.so
	prog=$objdir/tests/lib/libdomalloc/preload_prog
	[ -x "$prog" ] || atf_fail "$prog was not built"
	DOMALLOC_LIB=$lib
	export DOMALLOC_LIB
	unset LD_PRELOAD MALLOC_CONF
}

atf_test_case args_status
args_status_head()
{
	atf_set descr "the command gets its arguments unchanged and its exit" \
	    "status is the wrapper's"
}
args_status_body()
{
	sh_setup
	# shellcheck disable=SC2016
	atf_check -s exit:7 -o inline:'[a b][][c*][$HOME][-h][--stats]' \
	    -e empty "$wrapper" sh -c 'printf "[%s]" "$@"; exit 7' sh \
	    'a b' '' 'c*' '$HOME' -h --stats
	atf_check -s exit:0 -o empty -e empty "$wrapper" true
	atf_check -s exit:1 -o empty -e empty "$wrapper" false
	atf_check -s signal:kill -o empty -e empty \
	    "$wrapper" sh -c 'kill -9 $$'
	# "--" ends the wrapper's options.
	# shellcheck disable=SC2016
	atf_check -s exit:0 -o inline:'--stats\n' -e empty \
	    "$wrapper" -- sh -c 'echo "$1"' sh --stats
}

atf_test_case sets_preload
sets_preload_head()
{
	atf_set descr "the command runs with LD_PRELOAD naming the library" \
	    "by its absolute path, and domalloc serves it"
}
sets_preload_body()
{
	sh_setup
	atf_check -s exit:0 -o inline:"$lib\n" -e empty \
	    "$wrapper" printenv LD_PRELOAD
	# From another directory, with a relative DOMALLOC_LIB.
	mkdir sub
	cd sub || atf_fail "cd sub"
	ln -s "$lib" ../rel.so
	DOMALLOC_LIB=../rel.so
	expect=$(cd -P .. && pwd -P)/rel.so
	atf_check -s exit:0 -o inline:"$expect\n" -e empty \
	    "$wrapper" printenv LD_PRELOAD
	DOMALLOC_LIB=$lib
	atf_check -s exit:0 -o inline:"ok served\n" -e empty \
	    "$wrapper" "$prog" served
}

atf_test_case prepends
prepends_head()
{
	atf_set descr "an existing LD_PRELOAD is kept, after libdomalloc.so"
}
prepends_body()
{
	sh_setup
	other=
	for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu \
	    /lib/aarch64-linux-gnu /usr/lib64 /lib64 /usr/lib /lib; do
		if [ -f "$d/libm.so.6" ]; then
			other=$d/libm.so.6
			break
		fi
	done
	[ -n "$other" ] || atf_skip "no libm.so.6 to preload as well"
	LD_PRELOAD=$other
	export LD_PRELOAD
	atf_check -s exit:0 -o inline:"$lib:$other\n" -e empty \
	    "$wrapper" printenv LD_PRELOAD
	# Both were loaded, and domalloc still serves.
	atf_check -s exit:0 -o inline:"ok served\n" -e empty \
	    "$wrapper" "$prog" served
	# Whatever the user had is passed on as it was.
	LD_PRELOAD="$other /nonexistent/libnothing.so"
	atf_check -s exit:0 -o inline:"$lib:$LD_PRELOAD\n" -e ignore \
	    "$wrapper" printenv LD_PRELOAD
}

atf_test_case stats
stats_head()
{
	atf_set descr "--stats prints domalloc's statistics summary at exit"
}
stats_body()
{
	sh_setup
	atf_check -s exit:0 -o inline:"ok bindings\n" -e save:stats.err \
	    "$wrapper" --stats "$prog" bindings
	atf_check -s exit:0 -o ignore \
	    grep -x -F '___ Begin domalloc statistics ___' stats.err
	atf_check -s exit:0 -o ignore \
	    grep -x -F '___ End domalloc statistics ___' stats.err
	atf_check -s exit:0 -o inline:"ok bindings\n" -e save:stats2.err \
	    "$wrapper" -s "$prog" bindings
	atf_check -s exit:0 -o ignore \
	    grep -x -F '___ Begin domalloc statistics ___' stats2.err
	# Without --stats, nothing.
	atf_check -s exit:0 -o inline:"ok bindings\n" -e empty \
	    "$wrapper" "$prog" bindings
}

atf_test_case prof
prof_head()
{
	atf_set descr "--prof runs the command with heap profiling, keeps" \
	    "the dumps and prints jeprof's top sites of what each process" \
	    "held at exit; the command's exit status passes through"
	atf_set timeout 300
}
prof_body()
{
	sh_setup
	sites=$objdir/tests/lib/libc/stdlib/malloc/prof/prof_sites
	[ -x "$sites" ] || atf_fail "$sites was not built"
	command -v jeprof >/dev/null 2>&1 ||
	    atf_fail "jeprof is not installed (make deps installs it)"
	atf_check -s exit:0 -o match:'objects live' -e save:prof.err \
	    "$wrapper" --prof="$PWD/p" -- "$sites"
	grep -q '^domalloc.sh: heap profile .*/domalloc\.[0-9]*\.0\.f\.heap' \
	    prof.err || atf_fail "no profile line: $(head -c 300 prof.err)"
	for s in site_small site_mid site_big; do
		grep -Eq " $s\$" prof.err ||
		    atf_fail "$s not among the top sites:" \
		    "$(head -c 600 prof.err | tr '\n' '|')"
	done
	ls p/domalloc.*.f.heap >/dev/null 2>&1 || atf_fail "no dump kept in p/"
	atf_check -s exit:3 -o empty -e ignore \
	    "$wrapper" --prof="$PWD/q" sh -c 'exit 3'
}

atf_test_case stats_conf
stats_conf_head()
{
	atf_set descr "--stats appends its options to an existing MALLOC_CONF"
}
stats_conf_body()
{
	sh_setup
	atf_check -s exit:0 \
	    -o inline:"stats_print:true,stats_print_opts:s\n" -e ignore \
	    "$wrapper" --stats printenv MALLOC_CONF
	MALLOC_CONF=narenas:2,junk:false
	export MALLOC_CONF
	atf_check -s exit:0 \
	    -o inline:"$MALLOC_CONF,stats_print:true,stats_print_opts:s\n" \
	    -e ignore "$wrapper" --stats printenv MALLOC_CONF
	# The user's options still take effect next to ours.
	atf_check -s exit:0 -o inline:"ok bindings\n" -e save:stats.err \
	    "$wrapper" --stats "$prog" bindings
	atf_check -s exit:0 -o ignore \
	    grep -x -F '___ Begin domalloc statistics ___' stats.err
}

atf_test_case stats_short
stats_short_head()
{
	atf_set descr "the --stats summary (stats_print_opts:s) is shorter" \
	    "than the full statistics"
}
stats_short_body()
{
	sh_setup
	atf_check -s exit:0 -o ignore -e save:short.err \
	    "$wrapper" --stats "$prog" bindings
	atf_check -s exit:0 -o ignore -e save:full.err \
	    env MALLOC_CONF=stats_print:true "$wrapper" "$prog" bindings
	short=$(wc -l <short.err)
	full=$(wc -l <full.err)
	[ "$short" -ge 3 ] || atf_fail "summary has only $short lines"
	[ "$short" -lt "$full" ] ||
	    atf_fail "summary ($short lines) not shorter than full ($full)"
}

atf_test_case domalloc_lib
domalloc_lib_head()
{
	atf_set descr "DOMALLOC_LIB chooses the library"
}
domalloc_lib_body()
{
	sh_setup
	mkdir copy
	cp "$lib" copy/libdomalloc-copy.so
	here=$(pwd -P)
	DOMALLOC_LIB=$here/copy/libdomalloc-copy.so
	atf_check -s exit:0 -o inline:"$DOMALLOC_LIB\n" -e empty \
	    "$wrapper" printenv LD_PRELOAD
	# The copy is what the loader maps.
	atf_check -s exit:0 -o match:"$here/copy/libdomalloc-copy\\.so" \
	    -e empty "$wrapper" cat /proc/self/maps
}

atf_test_case missing_lib
missing_lib_head()
{
	atf_set descr "a missing library is an error (status 125, message)" \
	    "and the command does not run"
}
missing_lib_body()
{
	sh_setup
	DOMALLOC_LIB=$(pwd)/nonexistent/libdomalloc.so
	atf_check -s exit:125 -o empty -e match:"nonexistent/libdomalloc.so" \
	    "$wrapper" touch ran
	atf_check -s exit:1 test -e ran
	DOMALLOC_LIB=
	atf_check -s exit:125 -o empty -e match:"DOMALLOC_LIB" \
	    "$wrapper" touch ran
	atf_check -s exit:1 test -e ran

	# A copy of the script with no build tree next to it and no
	# DOMALLOC_LIB has nowhere to look but the installed locations.
	for f in /usr/local/lib/libdomalloc.so /usr/lib/libdomalloc.so; do
		[ -e "$f" ] && atf_skip "$f is installed"
	done
	unset DOMALLOC_LIB
	mkdir -p a/b
	cp "$wrapper" a/b/domalloc.sh
	atf_check -s exit:125 -o empty \
	    -e match:"cannot find libdomalloc.so" a/b/domalloc.sh touch ran
	atf_check -s exit:1 test -e ran
}

atf_test_case build_tree
build_tree_head()
{
	atf_set descr "without DOMALLOC_LIB the wrapper uses obj/ of its own" \
	    "source tree, also when run through a symbolic link"
}
build_tree_body()
{
	sh_setup
	tree=$top/obj/lib/libdomalloc/libdomalloc.so
	[ -f "$tree" ] || atf_skip "no library at $tree (objdir elsewhere)"
	tree=$(cd -P "${tree%/*}" && pwd -P)/libdomalloc.so
	unset DOMALLOC_LIB
	atf_check -s exit:0 -o inline:"$tree\n" -e empty \
	    "$wrapper" printenv LD_PRELOAD
	ln -s "$wrapper" dm
	atf_check -s exit:0 -o inline:"$tree\n" -e empty \
	    ./dm printenv LD_PRELOAD
	mkdir bin
	ln -s ../dm bin/domalloc
	atf_check -s exit:0 -o inline:"$tree\n" -e empty \
	    env PATH="$(pwd)/bin:$PATH" domalloc printenv LD_PRELOAD
}

atf_test_case installed_copy
installed_copy_head()
{
	atf_set descr "the copy make install writes (installed_lib set)" \
	    "preloads that library, DOMALLOC_LIB still first, and fails" \
	    "with status 125 when it is gone"
}
installed_copy_body()
{
	sh_setup
	mkdir -p inst/bin
	sed "s|^installed_lib=\$|installed_lib=$lib|" "$wrapper" \
	    > inst/bin/domalloc
	chmod 755 inst/bin/domalloc
	grep -q "^installed_lib=$lib\$" inst/bin/domalloc ||
	    atf_fail "the wrapper has no installed_lib= line to set"
	unset DOMALLOC_LIB
	atf_check -s exit:0 -o inline:"$lib\n" -e empty \
	    inst/bin/domalloc printenv LD_PRELOAD
	cp "$lib" other.so
	atf_check -s exit:0 -o inline:"$(pwd -P)/other.so\n" -e empty \
	    env DOMALLOC_LIB=other.so inst/bin/domalloc printenv LD_PRELOAD
	sed "s|^installed_lib=\$|installed_lib=$(pwd)/gone.so|" "$wrapper" \
	    > inst/bin/domalloc
	atf_check -s exit:125 -o empty -e match:"gone.so" \
	    inst/bin/domalloc touch ran
	atf_check -s exit:1 test -e ran
}

atf_test_case hardened
hardened_head()
{
	atf_set descr "--hardened preloads libdomalloc_hardened.so (the" \
	    "installed copy's installed_hardened_lib), which serves the" \
	    "command; --prof is refused with it"
}
hardened_body()
{
	sh_setup
	unset DOMALLOC_LIB
	hlib=$(cd -P "${lib%/*}" && pwd -P)/libdomalloc_hardened.so
	[ -f "$hlib" ] || atf_fail "$hlib was not built"
	mkdir -p inst/bin
	sed -e "s|^installed_lib=\$|installed_lib=$lib|" \
	    -e "s|^installed_hardened_lib=\$|installed_hardened_lib=$hlib|" \
	    "$wrapper" > inst/bin/domalloc
	chmod 755 inst/bin/domalloc
	atf_check -s exit:0 -o inline:"$hlib\n" -e empty \
	    inst/bin/domalloc --hardened printenv LD_PRELOAD
	atf_check -s exit:0 -o inline:"$lib\n" -e empty \
	    inst/bin/domalloc printenv LD_PRELOAD
	atf_check -s exit:0 -o inline:"ok hardened\n" -e empty \
	    inst/bin/domalloc --hardened "$prog" hardened
	atf_check -s exit:125 -o empty -e match:"--prof does not work" \
	    inst/bin/domalloc --hardened --prof true
}

atf_test_case usage
usage_head()
{
	atf_set descr "-h prints usage and exits 0; no command or an unknown" \
	    "option is an error with status 125"
}
usage_body()
{
	sh_setup
	atf_check -s exit:0 -o match:"^usage: domalloc.sh" -e empty \
	    "$wrapper" -h
	atf_check -s exit:0 -o match:"--stats" -e empty "$wrapper" --help
	atf_check -s exit:125 -o empty -e match:"no command" "$wrapper"
	atf_check -s exit:125 -o empty -e match:"no command" \
	    "$wrapper" --stats
	atf_check -s exit:125 -o empty -e match:"unknown option: --bogus" \
	    "$wrapper" --bogus true
	atf_check -s exit:127 -o empty -e not-empty \
	    "$wrapper" /nonexistent/command
}

atf_init_test_cases()
{
	atf_add_test_case args_status
	atf_add_test_case sets_preload
	atf_add_test_case prepends
	atf_add_test_case stats
	atf_add_test_case prof
	atf_add_test_case stats_conf
	atf_add_test_case stats_short
	atf_add_test_case domalloc_lib
	atf_add_test_case missing_lib
	atf_add_test_case hardened
	atf_add_test_case build_tree
	atf_add_test_case installed_copy
	atf_add_test_case usage
}
