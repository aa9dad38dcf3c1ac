# SPDX-License-Identifier: BSD-2-Clause
# share/mk/test.mk: ATF shell tests, the Kyuafile tree and `make test'.
#
#   ATF_TESTS_SH	atf-sh scripts: tests/d/n.sh is installed as the
#			executable obj/tests/d/n, its first line replaced by
#			a #! line naming atf-sh
#   ATF_TESTS_GEN	test programs whose files a fragment makes itself,
#			in a target of TEST_ALSO (tests/d/n is the file
#			obj/tests/d/n): listed in the Kyuafile like the rest
#   TEST_ALSO		targets `make test' builds besides test-build (after it)
#   TEST_METADATA.<name> kyua metadata for one test program, as words
#			key=value (timeout=300 is_exclusive=true
#			required_programs="nm objdump"); <name> is the path
#			as listed (tests/d/n) or the base name
#
# Every program in ATF_TESTS_C, ATF_TESTS_C_WHITEBOX, ATF_TESTS_C_HARDENED,
# ATF_TESTS_C_DEBUG (whose twins, n_debug, run too) and ATF_TESTS_SH must
# live under tests/.
# obj/tests/Kyuafile (test suite "domalloc") includes one Kyuafile per
# directory below it; each lists that directory's test
# programs with their metadata.  They are generated from a manifest that
# is rewritten only when the lists or the metadata change.
#
# `make test-build' builds everything the suite runs (all, the test
# archives, the test, benchmark and helper programs, the Kyuafiles);
# `make test' builds it with `make -k test-build', runs kyua on the whole
# tree with the configuration variables top and objdir, prints kyua's
# verbose report
# of broken and failed test cases, and ends with the line
# "N passed, N failed" (", N skipped" is added when some were skipped).
# See share/mk/runtests.sh.  Settings:
#   KYUA_PARALLELISM	test programs run at once (default: CPU count);
#			a program that must run alone sets is_exclusive=true
#   KYUA_FLAGS		more kyua options, e.g. -v key=value
#   TESTS		run only these (kyua filters relative to obj/tests:
#			lib/libc/stdlib/malloc/purge_race_test or
#			lib/libc/stdlib/malloc/free_test:double_free_small)

KYUA_TEST_SUITE =	domalloc
KYUA_PARALLELISM ?=
KYUA_FLAGS ?=
TESTS ?=

DM_SH_TESTS :=		$(addprefix $(OBJDIR)/,$(call dm_uniq,$(ATF_TESTS_SH)))
DM_ATF_TESTS :=		$(call dm_uniq,$(ATF_TESTS_C) $(ATF_TESTS_C_WHITEBOX) \
			$(DM_ATF_DEBUG_TWINS) $(ATF_TESTS_C_HARDENED) \
			$(ATF_TESTS_SH) $(ATF_TESTS_GEN))
DM_KYUA_MANIFEST :=	$(OBJDIR)/tests/.kyuafiles
DM_KYUAFILE :=		$(OBJDIR)/tests/Kyuafile

ifneq ($(filter-out tests/%,$(DM_ATF_TESTS)),)
$(error test programs must be under tests/: \
	$(filter-out tests/%,$(DM_ATF_TESTS)))
endif
ifneq ($(call dm_dups,$(DM_SH_TESTS) $(DM_C_OUTPUTS)),)
$(error listed both as a shell test and as a C program: \
	$(call dm_dups,$(DM_SH_TESTS) $(DM_C_OUTPUTS)))
endif

test-build: all $(DM_SH_TESTS) $(DM_KYUAFILE)

$(DM_SH_TESTS): $(OBJDIR)/%: %.sh | $(DM_DEPS_GATE)
	$(call dm_msg,GEN,$@)
	@mkdir -p $(@D)
	$(Q){ echo "#! $$(command -v atf-sh || echo /usr/bin/atf-sh)"; \
	    sed '1{/^#!/d;}' $<; } > $@.tmp && chmod 755 $@.tmp && \
	    mv -f $@.tmp $@

# The manifest: a comment line, then one line per test program, its path
# followed by its metadata words.
DM_KYUA_MANIFEST_TEXT := \# test programs and kyua metadata, from \
	share/mk/test.mk$(dm_newline)$(foreach t,$(DM_ATF_TESTS),$(t) \
	$(call dm_pvar,TEST_METADATA,$(t))$(dm_newline))
$(call dm_update,$(DM_KYUA_MANIFEST),DM_KYUA_MANIFEST_TEXT)
$(DM_KYUA_MANIFEST): ;

$(DM_KYUAFILE): $(DM_KYUA_MANIFEST) share/mk/kyuafile.awk
	$(call dm_msg,GEN,$(@D)/.../Kyuafile)
	$(Q)find $(@D) -name Kyuafile -type f -exec rm -f {} +
	$(Q)$(AWK) -v root=$(@D) -v suite=$(KYUA_TEST_SUITE) \
	    -f share/mk/kyuafile.awk $(DM_KYUA_MANIFEST)

# With `make all test', let all finish before the test run builds again.
# The recipe is marked + (it runs a sub-make, which must share the job
# slots), and make runs such lines even under -n: so under -n the test
# target only says what it would do.
#
# The summary line is the last line runtests.sh writes to standard output.
# When the suite fails, the recipe fails (make test exits 2) and GNU make
# then adds its own "make: *** [...] Error 1" on standard error: make
# reports every failed recipe (only a recipe whose failure is ignored, -,
# and silent goes unreported, and then make exits 0), so that line cannot
# be avoided without lying about the status.
ifneq ($(findstring n,$(DM_SHORT_FLAGS)),)
test:
	@echo "make test: would build (make -k test-build), then run" \
	    "share/mk/runtests.sh: kyua on $(OBJDIR)/tests/Kyuafile"
else
test: $(filter all test-build,$(MAKECMDGOALS)) | deps
	+@status=0; $(MAKE) --no-print-directory -k test-build $(TEST_ALSO) || \
	    status=$$?; \
	MAKE='$(MAKE)' OBJDIR='$(OBJDIR)' KYUA='$(KYUA)' \
	OUTPUTS='$(DM_LIBS) $(filter-out $(addprefix $(OBJDIR)/, \
	    $(DM_ATF_TESTS)),$(DM_C_OUTPUTS))' \
	KYUA_TEST_SUITE='$(KYUA_TEST_SUITE)' \
	KYUA_PARALLELISM='$(KYUA_PARALLELISM)' KYUA_FLAGS='$(KYUA_FLAGS)' \
	TESTS='$(TESTS)' $(SHELL) share/mk/runtests.sh $$status
endif
