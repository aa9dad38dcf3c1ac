#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
#
# license_test: the tree carries its licence: LICENSE holds the
# BSD-2-Clause text, and every source, build, script and manual page file
# of the tree says SPDX-License-Identifier: BSD-2-Clause near its top
# (the fuzzers' corpus, data and prose are not source).
#

atf_test_case spdx
spdx_head()
{
	atf_set descr "LICENSE exists and every source file has an SPDX line"
}
spdx_body()
{
	atf_config_has top || atf_fail "configuration variable top is not set"
	top=$(atf_config_get top)
	grep -q 'SPDX-License-Identifier: BSD-2-Clause' "$top/LICENSE" ||
	    atf_fail "no BSD-2-Clause LICENSE at the top of the tree"
	missing=
	for f in $(cd "$top" && find lib sys contrib tests share .ci debian \
	    Makefile Makefile.inc -type f \( -name '*.[ch]' -o \
	    -name '*.sh' -o -name '*.py' -o -name '*.awk' -o -name '*.mk' \
	    -o -name 'Makefile*' -o -name '*.map' -o -name '*.[357]' -o \
	    -name 'run' -o -name 'run-*' -o -path 'debian/rules' -o \
	    -path 'debian/control' \) -not -path 'tests/fuzz/corpus/*' \
	    -not -path 'debian/build/*'); do
		head -5 "$top/$f" | grep -q 'SPDX-License-Identifier: BSD-2-Clause' ||
		    missing="$missing $f"
	done
	[ -z "$missing" ] || atf_fail "no SPDX line in:$missing"
}

atf_init_test_cases()
{
	atf_add_test_case spdx
}
