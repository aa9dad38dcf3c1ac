#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# man_test: the manual pages in share/man.
#
# Every page must format without warnings (mandoc -T lint -W warning when
# mandoc is installed, groff -mandoc -ww -z when groff is, man -l at the
# end) and must keep up with the code.  The names to document are read
# from the sources themselves, so that a new option, mallctl name,
# exported function or diagnostic that nobody documented fails this test:
#   - options: the entries of the conf_opts[] table in conf.c;
#   - mallctl names: the struct ctl_node tables in ctl*.c, walked from
#     ctl_root, "#" components written as <i> (the second one as <j>);
#   - functions: the names in lib/libc/stdlib/malloc/Symbol.map and
#     lib/libdomalloc/Symbol.linux.map that do not start with "_";
#   - diagnostics: the format strings of msg_fatal() and msg_warn() calls
#     in the allocator sources (the longest piece between conversions),
#     looked for in domalloc.3 and malloc.conf.5.
# The pages list options as ".It Cm name" lines in the OPTIONS section of
# malloc.conf.5 and mallctl names as ".It Va name" lines in the MALLCTL
# NAMESPACE section of domalloc.3; those lists are also checked the other
# way round, so that a removed option or name cannot stay documented.
#

# Set $top, $src (the allocator sources), $man (share/man) and $pages
# (every page under share/man).
man_setup()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	top=$(atf_config_get top)
	src=$top/lib/libc/stdlib/malloc/domalloc
	man=$top/share/man
	for f in "$man/man3/domalloc.3" "$man/man5/malloc.conf.5" \
	    "$man/man7/domalloc.7" "$src/conf.c" "$src/ctl.c"; do
		[ -f "$f" ] || atf_fail "$f is missing"
	done
	pages=$(find "$man" -type f -name '*.[1-9]' | LC_ALL=C sort)
}

# The text of page $1 without the zero-width escape \&, and with \(dq
# and \e as the characters they stand for, so that names and messages can
# be searched for as they are written.
page_text()
{
	sed -e 's/\\&//g' -e 's/\\(dq/"/g' -e 's/\\e/\\/g' "$1"
}

# Print the arguments of the ".It <macro>" lines ($2) that lie in section
# $3 (".Sh" title) of page $1: the first word after the macro.
page_items()
{
	page_text "$1" | awk -v mac="$2" -v sec="$3" '
	/^\.Sh / { t = $0; sub(/^\.Sh[ \t]+/, "", t); gsub(/"/, "", t)
		insec = (t == sec); next }
	insec && $1 == ".It" && $2 == mac { print $3 }' | LC_ALL=C sort -u
}

# Options: the names in conf.c's conf_opts[] table, one a line; with
# the argument "alias", only the entries flagged CF_ALIAS (other names of
# an option, which have no opt.* mallctl name of their own).
conf_options()
{
	tr '\n' ' ' < "$src/conf.c" | awk -v only="${1:-}" '
	BEGIN {
		RS = ";"
		# An entry: { "name", CT_type, ... }
		entry = "\\{[ \t]*\"[A-Za-z0-9_]+\"[ \t]*,[ \t]*CT_[^}]*\\}"
	}
	/conf_opts\[[ \t]*\][ \t]*=/ {
		s = $0
		while (match(s, entry)) {
			t = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			alias = t ~ /CF_ALIAS/
			sub(/^\{[ \t]*"/, "", t)
			sub(/".*/, "", t)
			if (only != "alias" || alias)
				print t
		}
	}' | LC_ALL=C sort -u
}

# mallctl names: walk the node tables of ctl*.c from ctl_root.  Each table
# is "struct ctl_node name[] = { CTL_LEAF("x", handler), CTL_DIR("y",
# table), CTL_INDEX(table, check), ... }".
ctl_names()
{
	cat "$src"/ctl*.c | tr '\n' ' ' | awk '
	function walk(tbl, prefix,    i, name, tmp) {
		for (i = 1; i <= nkids[tbl]; i++) {
			name = kname[tbl, i]
			if (name == "#") {
				# The first index is <i>, the second <j>.
				tmp = prefix
				name = "<" substr("ijkl", \
				    gsub(/</, "", tmp) + 1, 1) ">"
			}
			if (kind[tbl, i] == "leaf")
				print prefix name
			else if (depth < 16) {
				depth++
				walk(ktbl[tbl, i], prefix name ".")
				depth--
			}
		}
	}
	BEGIN {
		RS = ";"
		sp = "[ \t]*"
		id = "[A-Za-z0-9_]+"
		# struct ctl_node name[] = {
		table = "struct ctl_node[ \t]+" id sp "\\[" sp "\\]" sp "=" \
		    sp "\\{"
		# ctl_root = CTL_DIR("", name
		root = "ctl_root" sp "=" sp "CTL_DIR" sp "\\(" sp "\"\"" sp \
		    "," sp id
	}
	match($0, table) {
		tbl = substr($0, RSTART, RLENGTH)
		s = substr($0, RSTART + RLENGTH)
		sub(/^struct ctl_node[ \t]+/, "", tbl)
		sub(/[ \t]*\[.*/, "", tbl)
		n = 0
		while (match(s, /CTL_(LEAF_DATA|LEAF_ARG|LEAF|DIR|INDEX)[ \t]*\([^)]*\)/)) {
			e = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			n++
			if (e ~ /^CTL_INDEX/) {
				sub(/^CTL_INDEX[ \t]*\([ \t]*/, "", e)
				sub(/[ \t]*,.*/, "", e)
				kind[tbl, n] = "dir"
				kname[tbl, n] = "#"
				ktbl[tbl, n] = e
				continue
			}
			kind[tbl, n] = e ~ /^CTL_LEAF/ ? "leaf" : "dir"
			sub(/^CTL_[A-Z_]+[ \t]*\([ \t]*"/, "", e)
			name = e
			sub(/".*/, "", name)
			sub(/^[^"]*"[ \t]*,[ \t]*/, "", e)
			sub(/[ \t]*\)$/, "", e)
			kname[tbl, n] = name
			ktbl[tbl, n] = e
		}
		nkids[tbl] = n
		next
	}
	match($0, root) {
		top = substr($0, RSTART, RLENGTH)
		sub(/.*,[ \t]*/, "", top)
	}
	END { if (top != "") walk(top, "") }' | LC_ALL=C sort -u
}

# Exported functions and variables that do not start with "_".
public_names()
{
	sed -n 's/^[[:space:]]*\([A-Za-z][A-Za-z0-9_]*\);[[:space:]]*$/\1/p' \
	    "$top/lib/libc/stdlib/malloc/Symbol.map" \
	    "$top/lib/libdomalloc/Symbol.linux.map" | LC_ALL=C sort -u
}

# Diagnostics: for every msg_fatal() or msg_warn() call with a literal
# format in the allocator sources, the longest piece of the format
# between conversions (at least 6 characters), one a line.
diag_fragments()
{
	for f in "$src"/*.c "$src"/*.h; do
		tr '\n' ' ' < "$f"
		echo
	done | awk '
	function longest(fmt,    best, piece, rest) {
		best = ""
		rest = fmt
		while (match(rest, /%[-0-9]*[lz]*[a-zA-Z%]/)) {
			piece = substr(rest, 1, RSTART - 1)
			rest = substr(rest, RSTART + RLENGTH)
			if (length(piece) > length(best))
				best = piece
		}
		if (length(rest) > length(best))
			best = rest
		sub(/^[ \t]+/, "", best)
		sub(/[ \t]+$/, "", best)
		return (best)
	}
	{
		s = $0
		while (match(s, /msg_(fatal|warn)[ \t]*\([ \t]*"/)) {
			s = substr(s, RSTART + RLENGTH - 1)
			fmt = ""
			# Concatenated literals: "..." "..." ...
			while (substr(s, 1, 1) == "\"") {
				i = 2
				while (i <= length(s)) {
					c = substr(s, i, 1)
					if (c == "\\") {
						fmt = fmt substr(s, i + 1, 1)
						i += 2
						continue
					}
					if (c == "\"")
						break
					fmt = fmt c
					i++
				}
				s = substr(s, i + 1)
				sub(/^[ \t]+/, "", s)
			}
			piece = longest(fmt)
			if (length(piece) >= 6)
				print piece
		}
	}' | LC_ALL=C sort -u
}

atf_test_case lint
lint_head()
{
	atf_set descr "every page formats without warnings (mandoc -T lint," \
	    "groff -ww, man -l)"
}
lint_body()
{
	man_setup
	[ -n "$pages" ] || atf_fail "no pages under $man"
	checked=false
	if command -v mandoc >/dev/null 2>&1; then
		for p in $pages; do
			atf_check -s exit:0 -o empty -e empty \
			    mandoc -T lint -W warning "$p"
		done
		checked=true
	fi
	if command -v groff >/dev/null 2>&1; then
		for p in $pages; do
			atf_check -s exit:0 -o empty -e empty \
			    groff -mandoc -ww -z -Tutf8 "$p"
		done
		checked=true
	fi
	if command -v man >/dev/null 2>&1; then
		for p in $pages; do
			MANWIDTH=80 LC_ALL=C.UTF-8 man -P cat -l "$p" \
			    >out 2>err ||
			    atf_fail "man -l $p failed: $(tr '\n' ' ' < err)"
			[ -s err ] && atf_fail "man -l $p: $(tr '\n' ' ' < err)"
			[ -s out ] || atf_fail "man -l $p printed nothing"
		done
		checked=true
	fi
	$checked || atf_skip "neither mandoc nor groff nor man is installed"
}

atf_test_case options_documented
options_documented_head()
{
	atf_set descr "every option in conf.c is an item of malloc.conf(5)'s" \
	    "OPTIONS list, and every item there is an option"
}
options_documented_body()
{
	man_setup
	conf_options > code
	[ "$(wc -l < code)" -ge 10 ] || atf_fail "found only" \
	    "$(wc -l < code) options in $src/conf.c; has the conf_opts[]" \
	    "table changed its form?  Update conf_options() in this test"
	page_items "$man/man5/malloc.conf.5" Cm OPTIONS > page
	missing=$(comm -23 code page | tr '\n' ' ')
	extra=$(comm -13 code page | tr '\n' ' ')
	[ -z "$missing" ] || atf_fail "options not documented in" \
	    "malloc.conf.5 (add .It Cm lines under OPTIONS):" "$missing"
	[ -z "$extra" ] || atf_fail "malloc.conf.5 documents options that" \
	    "conf.c does not have:" "$extra"
	# The options, other names aside, also have opt.<name> entries in
	# domalloc.3's list.
	conf_options alias > aliases
	page_items "$man/man3/domalloc.3" Va "MALLCTL NAMESPACE" > ctlpage
	for o in $(comm -23 code aliases); do
		grep -qx "opt\\.$o" ctlpage ||
		    atf_fail "domalloc.3 has no entry for opt.$o"
	done
}

atf_test_case mallctl_documented
mallctl_documented_head()
{
	atf_set descr "every mallctl name in ctl.c is an item of" \
	    "domalloc(3)'s MALLCTL NAMESPACE list, and every item there is" \
	    "a name the code answers"
}
mallctl_documented_body()
{
	man_setup
	ctl_names > code
	[ "$(wc -l < code)" -ge 20 ] || atf_fail "found only" \
	    "$(wc -l < code) mallctl names in $src/ctl*.c; have the node" \
	    "tables changed their form?  Update ctl_names() in this test"
	grep -qx 'opt\.narenas' code ||
	    atf_fail "opt.narenas not found: ctl_names() misreads ctl.c"
	page_items "$man/man3/domalloc.3" Va "MALLCTL NAMESPACE" > page
	missing=$(comm -23 code page | tr '\n' ' ')
	extra=$(comm -13 code page | tr '\n' ' ')
	[ -z "$missing" ] || atf_fail "mallctl names not documented in" \
	    "domalloc.3 (add .It Va lines under MALLCTL NAMESPACE):" "$missing"
	[ -z "$extra" ] || atf_fail "domalloc.3 documents mallctl names" \
	    "that ctl.c does not answer:" "$extra"
}

atf_test_case functions_documented
functions_documented_head()
{
	atf_set descr "every exported function and variable whose name does" \
	    "not start with _ is named in domalloc(3)"
}
functions_documented_body()
{
	man_setup
	public_names > code
	[ "$(wc -l < code)" -ge 20 ] ||
	    atf_fail "found only $(wc -l < code) names in the symbol maps"
	# Every macro argument that follows Nm, Fn, Fo or Va on a macro line.
	page_text "$top/share/man/man3/domalloc.3" | awk '/^\./ {
		for (i = 1; i < NF; i++)
			if ($i ~ /^\.?(Nm|Fn|Fo|Va)$/)
				print $(i + 1)
	}' | LC_ALL=C sort -u > page
	missing=$(comm -23 code page | tr '\n' ' ')
	[ -z "$missing" ] || atf_fail "exported names not documented in" \
	    "domalloc.3 (as .Nm, .Fn, .Fo or .Va):" "$missing"
}

atf_test_case diagnostics_documented
diagnostics_documented_head()
{
	atf_set descr "the text of every msg_fatal() and msg_warn() format" \
	    "in the allocator appears in domalloc(3) or, for the option" \
	    "parser's, in malloc.conf(5)"
}
diagnostics_documented_body()
{
	man_setup
	diag_fragments > code
	[ "$(wc -l < code)" -ge 5 ] || atf_fail "found only" \
	    "$(wc -l < code) diagnostics in $src; update diag_fragments()"
	{
		page_text "$man/man3/domalloc.3"
		page_text "$man/man5/malloc.conf.5"
	} > page
	missing=
	while IFS= read -r m; do
		grep -qF -- "$m" page || missing="$missing [$m]"
	done < code
	[ -z "$missing" ] || atf_fail "diagnostics not documented in" \
	    "domalloc.3 (DIAGNOSTIC MESSAGES) or malloc.conf.5 (Errors):" \
	    "$missing"
}

atf_init_test_cases()
{
	atf_add_test_case lint
	atf_add_test_case options_documented
	atf_add_test_case mallctl_documented
	atf_add_test_case functions_documented
	atf_add_test_case diagnostics_documented
}
