# SPDX-License-Identifier: BSD-2-Clause
# share/mk/common.mk: helpers shared by the rule makers, and `clean'.
#
# Read after every fragment.  Defines the quiet/verbose output switch, the
# lookup of per-program variables (CFLAGS.<name> ...), the gate that makes
# compilations wait for `make deps', and the always-present phony targets.

.PHONY: all test-build clean deps test install uninstall help FORCE

# `make help': the targets and the variables people set.
help:
	@echo "Targets:"
	@echo "  all (default)  libdomalloc.so and libdomalloc.a"
	@echo "  test, check    build, run the kyua suite, end with 'N passed, N failed'"
	@echo "  test-build     build everything test runs (test archives, programs)"
	@echo "  run            run a program under domalloc (CMD=\"...\")"
	@echo "  bench          benchmarks against glibc, jemalloc, mimalloc, tcmalloc"
	@echo "  bench-quick    every workload once, small sizes"
	@echo "  bench-thp      the huge page and memory return suite"
	@echo "  bench-sweep    each issue-16 shape over its parameter grid"
	@echo "  fuzz           the fuzzers for FUZZ_SECONDS each (tests/fuzz)"
	@echo "  numa-vm        NUMA placement in a two-node virtual machine"
	@echo "  install        libraries, headers, manual pages and their links,"
	@echo "                 domalloc.sh, domalloc.pc under DESTDIR/PREFIX"
	@echo "  uninstall      remove what install put there"
	@echo "  deb            a Debian package, obj/deb/domalloc_*.deb"
	@echo "  libc-musl      musl's libc.a with domalloc as its malloc, and"
	@echo "                 musl-gcc (obj/musl/root/bin)"
	@echo "  musl-progs     busybox and sqlite3 on musl+domalloc, mallocng, glibc"
	@echo "  test-musl      the black-box suite built with that musl"
	@echo "  deps           install the missing Debian packages of the goals"
	@echo "  deps-list      the Debian packages of each goal"
	@echo "  clean          remove obj/"
	@echo "Variables:"
	@echo "  CC, CFLAGS     compiler and optimisation flags (default cc, -O2 -g)"
	@echo "  V=1            show whole command lines"
	@echo "  TESTS          with test: only these programs or program:case"
	@echo "  KYUA_FLAGS, KYUA_PARALLELISM  more kyua options; programs at once"
	@echo "  BENCH_FLAGS    options for tests/bench/run-bench"
	@echo "  FUZZ_SECONDS, FUZZ_CC  fuzz run length (600); fuzzer compiler"
	@echo "  DEPS=no        install no Debian packages (DEPS_PKGS= does too)"
	@echo "  DESTDIR, PREFIX  where install puts things (PREFIX /usr/local)"
FORCE:

# `make V=1' prints whole command lines; otherwise one short line a step.
ifeq ($(V),1)
Q :=
else
Q := @
endif
dm_msg = $(if $(Q),@printf '  %-6s %s\n' '$(1)' '$(2)')

define dm_newline


endef

# $(call dm_pvar,VAR,path): the per-program variable VAR for the program
# at path (tests/dir/name).  Both spellings are honoured and added
# together: VAR.tests/dir/name (canonical, unique) and VAR.name (short;
# applies to every program of that name, whatever its directory).
dm_pvar = $(strip $($(1).$(2)) \
	$(if $(filter-out $(2),$(notdir $(2))),$($(1).$(notdir $(2)))))

# $(call dm_uniq,list): list without repeats, first occurrence kept.
dm_uniq = $(if $(1),$(firstword $(1)) \
	$(call dm_uniq,$(filter-out $(firstword $(1)),$(1))))

# $(call dm_dups,list): the words that occur more than once.
dm_dups = $(sort $(foreach w,$(1),$(if $(word 2,$(filter $(w),$(1))),$(w))))

# $(call dm_obj,file.c): the object for a source file.
dm_obj = $(patsubst %.c,$(OBJDIR)/%.o,$(1))

# Compiling and linking wait for `make deps' (order-only, so it never makes
# anything out of date).  Not under -n or -q: a dry run must not install
# packages, and `make -q' must be able to say "up to date".  The first
# word of MAKEFLAGS holds the one-letter options, if there are any.
DM_SHORT_FLAGS := $(filter-out -%,$(firstword $(MAKEFLAGS)))
DM_DEPS_GATE := $(if $(findstring n,$(DM_SHORT_FLAGS))$(findstring \
	q,$(DM_SHORT_FLAGS)),,deps)

# $(call dm_update,file,VARIABLE): while the makefiles are read, write the
# value of VARIABLE to file unless the file already holds that, so the
# file's time changes only with its contents and it can serve as a
# prerequisite.  The two are compared with white space folded ($(strip)):
# $(file <) drops one trailing newline and $(file >) adds one, so an exact
# compare saw a difference in the newlines at the end of some values and
# rewrote those files at every make (a no-op make relinked programs and
# printed GEN for the Kyuafiles).  White space never matters in these
# files.  Nothing is written under -n, or when the only goal is clean.
DM_ONLY_CLEAN := $(if $(MAKECMDGOALS),$(if \
	$(filter-out clean,$(MAKECMDGOALS)),,y))
DM_WRITE_OK := $(if $(findstring n,$(DM_SHORT_FLAGS))$(DM_ONLY_CLEAN),,y)
define dm_update_file
ifneq ($$(strip $$(file <$(1))),$$(strip $$($(2))))
$$(shell mkdir -p $(dir $(1)))
$$(file >$(1),$$($(2)))
endif
endef
dm_update = $(if $(DM_WRITE_OK),$(eval $(call dm_update_file,$(1),$(2))))

# Every object file, for the header dependency files (.d).
DM_ALL_OBJS =

clean:
	rm -rf $(OBJDIR) $(CLEANFILES) $(CLEANDIRS)
