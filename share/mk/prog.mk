# SPDX-License-Identifier: BSD-2-Clause
# share/mk/prog.mk: rules for C programs and test programs.
#
# Each list names programs by path from the top, without suffix; the
# program tests/d/n is built from tests/d/n.c (or from SRCS.<name>, a list
# of .c paths from the top) into obj/tests/d/n.
#
#   PROGS		helper programs, dynamically linked, glibc malloc
#			unless LDADD.<name> brings in an allocator archive
#			(e.g. LDADD.<name> += $(LDADD_DOMALLOC))
#   SHLIBS		shared objects (obj/<path>.so), e.g. preload shims
#   FUZZ_PROGS		libFuzzer programs: compiled and linked by FUZZ_CC
#			with -fsanitize=fuzzer, and linked with
#			libdomalloc_fuzz.a (whole archive)
#   ATF_TESTS_C		ATF C test programs, linked with libdomalloc.a
#			(whole archive), -latf-c and -pthread
#   ATF_TESTS_C_WHITEBOX like ATF_TESTS_C, but compiled with the
#			allocator's include paths and DOMALLOC_CFLAGS and
#			linked with libdomalloc_internal.a
#   ATF_TESTS_C_DEBUG	programs of ATF_TESTS_C that are also built as a
#			twin, tests/d/n_debug, from the same objects but
#			linked with libdomalloc_debug.a (the DOMALLOC_DEBUG
#			build); the twin inherits the program's per-program
#			variables and kyua metadata
#   ATF_TESTS_C_HARDENED ATF C test programs linked with
#			libdomalloc_hardened.a (the DOMALLOC_HARDENED build)
#			instead of libdomalloc.a
#
# Per-program variables, written with the program's path or its base name
# (both are used if both are set; see dm_pvar in common.mk):
#   CFLAGS.<name>	extra compiler flags (after the defaults, so they win)
#   LDFLAGS.<name>	extra linker flags (e.g. -static)
#   LDADD.<name>	extra objects and libraries, after the program's own
#			objects; words naming a file under obj/ become
#			prerequisites, so the program is relinked when they
#			change
#   DPADD.<name>	further prerequisites of the link
#   SRCS.<name>		the program's sources, if not just <path>.c
# A source file shared by two programs is compiled once, with the flags
# of one of them: give such programs the same CFLAGS.
#
# Test program objects get -Wno-unused-parameter, as ATF_TC_BODY's
# tc argument is often unused.  All programs are compiled with PUBLIC_INCS
# (malloc_np.h) and linked with -pthread.

# Tests of an allocator must not let the compiler reason about malloc
# (clang deletes malloc/free pairs, an unused calloc, and assumes that
# malloc(2^45) succeeds): the malloc family is no builtin for test
# programs and fuzzers; helper programs (PROGS, which include the
# benchmarks, whose code must stay as it was) ask for it per program.
DM_KIND_CFLAGS.prog =	$(DM_CFLAGS_BASE) $(PUBLIC_INCS)
DM_KIND_CFLAGS.shlib =	$(DM_CFLAGS_BASE) $(PUBLIC_INCS) -fPIC
DM_KIND_CFLAGS.atf =	$(DM_CFLAGS_BASE) $(PUBLIC_INCS) -Wno-unused-parameter \
			$(DOMALLOC_NO_BUILTIN)
DM_KIND_CFLAGS.whitebox = $(DM_CFLAGS_BASE) $(DOMALLOC_INCS) \
			-Wno-unused-parameter $(DOMALLOC_CFLAGS) \
			$(DOMALLOC_NO_BUILTIN)
DM_KIND_LDFLAGS.shlib =	-shared
DM_KIND_CFLAGS.atf_debug = $(DM_KIND_CFLAGS.atf)
DM_KIND_LDADD.atf =	$(LDADD_DOMALLOC) -latf-c
DM_KIND_LDADD.whitebox = $(LDADD_DOMALLOC_INTERNAL) -latf-c
DM_KIND_LDADD.atf_debug = $(LDADD_DOMALLOC_DEBUG) -latf-c
DM_KIND_DPADD.atf =	$(LIBDOMALLOC_A)
DM_KIND_DPADD.whitebox = $(LIBDOMALLOC_INTERNAL_A)
DM_KIND_DPADD.atf_debug = $(LIBDOMALLOC_DEBUG_A)
DM_KIND_CFLAGS.atf_hardened = $(DM_KIND_CFLAGS.atf)
DM_KIND_LDADD.atf_hardened = $(LDADD_DOMALLOC_HARDENED) -latf-c
DM_KIND_DPADD.atf_hardened = $(LIBDOMALLOC_HARDENED_A)
DM_KIND_SUFFIX.shlib =	.so
DM_KIND_CFLAGS.fuzz =	$(DM_CFLAGS_BASE) $(PUBLIC_INCS) -fsanitize=fuzzer \
			$(DOMALLOC_NO_BUILTIN)
DM_KIND_LDFLAGS.fuzz =	-fsanitize=fuzzer
DM_KIND_LDADD.fuzz =	$(LDADD_DOMALLOC_FUZZ)
DM_KIND_DPADD.fuzz =	$(LIBDOMALLOC_FUZZ_A)
# The compiler of each kind: CC, but FUZZ_CC for fuzzers.
dm_kind_cc = $(if $(filter fuzz,$(1)),$(FUZZ_CC),$(CC))

dm_srcs = $(or $(SRCS.$(1)),$(SRCS.$(notdir $(1))),$(1).c)

# $(call dm_c_program,path,kind): the rules for one program.
define dm_c_program
DM_KIND.$(1) := $(2)
DM_OBJS.$(1) := $(call dm_obj,$(call dm_srcs,$(1)))
DM_PROG_OBJS += $$(DM_OBJS.$(1))
DM_C_OUTPUTS += $(OBJDIR)/$(1)$(DM_KIND_SUFFIX.$(2))
DM_FLAGS.$(1) := $$(foreach v,CFLAGS LDFLAGS LDADD DPADD SRCS,$$(v)=$$(call \
	dm_pvar,$$(v),$(1)))$$(dm_newline)
$$(call dm_update,$(OBJDIR)/$(1).flags,DM_FLAGS.$(1))
$(OBJDIR)/$(1).flags: ;
$$(DM_OBJS.$(1)): $(OBJDIR)/$(1).flags
$$(DM_OBJS.$(1)): private DM_OBJ_CFLAGS = $$(DM_KIND_CFLAGS.$(2)) \
	$$(CFLAGS) $$(call dm_pvar,CFLAGS,$(1))
$$(DM_OBJS.$(1)): private DM_OBJ_CC = $$(call dm_kind_cc,$(2))
$(OBJDIR)/$(1)$(DM_KIND_SUFFIX.$(2)): $$(DM_OBJS.$(1)) \
	$(DM_KIND_DPADD.$(2)) $$(filter $(OBJDIR)/%,$$(call \
	dm_pvar,LDADD,$(1)) $$(call dm_pvar,DPADD,$(1))) $$(DM_FLAGS_STAMP) \
	$(OBJDIR)/$(1).flags
	$$(call dm_msg,LINK,$$@)
	$$(Q)$$(call dm_kind_cc,$(2)) $$(DM_KIND_LDFLAGS.$(2)) $$(CFLAGS) \
	    $$(LDFLAGS) \
	    $$(call dm_pvar,LDFLAGS,$(1)) -o $$@ $$(DM_OBJS.$(1)) \
	    $$(call dm_pvar,LDADD,$(1)) $$(DM_KIND_LDADD.$(2)) -pthread
endef

# $(call dm_debug_twin,path): the variables of the twin path_debug.
define dm_debug_twin
ifeq ($(filter $(1),$(ATF_TESTS_C)),)
$$(error ATF_TESTS_C_DEBUG names $(1), which is not in ATF_TESTS_C)
endif
SRCS.$(1)_debug := $(call dm_srcs,$(1))
$(foreach v,CFLAGS LDFLAGS LDADD DPADD TEST_METADATA,$(v).$(1)_debug := \
	$(call dm_pvar,$(v),$(1))$(dm_newline))
endef
$(foreach p,$(call dm_uniq,$(ATF_TESTS_C_DEBUG)),$(eval \
	$(call dm_debug_twin,$(p))))
DM_ATF_DEBUG_TWINS :=	$(addsuffix _debug,$(call dm_uniq,$(ATF_TESTS_C_DEBUG)))

DM_PROG_OBJS :=
DM_C_OUTPUTS :=
DM_FLAGS_STAMP :=	$(OBJDIR)/.flags
$(foreach p,$(call dm_uniq,$(ATF_TESTS_C)),$(eval \
	$(call dm_c_program,$(p),atf)))
$(foreach p,$(call dm_uniq,$(ATF_TESTS_C_WHITEBOX)),$(eval \
	$(call dm_c_program,$(p),whitebox)))
$(foreach p,$(DM_ATF_DEBUG_TWINS),$(eval \
	$(call dm_c_program,$(p),atf_debug)))
$(foreach p,$(call dm_uniq,$(ATF_TESTS_C_HARDENED)),$(eval \
	$(call dm_c_program,$(p),atf_hardened)))
$(foreach p,$(call dm_uniq,$(PROGS)),$(eval $(call dm_c_program,$(p),prog)))
$(foreach p,$(call dm_uniq,$(FUZZ_PROGS)),$(eval \
	$(call dm_c_program,$(p),fuzz)))
$(foreach p,$(call dm_uniq,$(SHLIBS)),$(eval \
	$(call dm_c_program,$(p),shlib)))

ifneq ($(call dm_dups,$(DM_C_OUTPUTS)),)
$(error listed under two of ATF_TESTS_C, ATF_TESTS_C_WHITEBOX, PROGS and \
	SHLIBS: $(call dm_dups,$(DM_C_OUTPUTS)))
endif
DM_PROG_OBJS :=	$(sort $(DM_PROG_OBJS))
ifneq ($(filter $(DOMALLOC_OBJS),$(DM_PROG_OBJS)),)
$(error allocator sources also used by a program: \
	$(filter $(DOMALLOC_OBJS),$(DM_PROG_OBJS)))
endif
DM_ALL_OBJS +=	$(DM_PROG_OBJS)

# Every program here is a test, benchmark or helper: make test builds them.
test-build: $(DM_C_OUTPUTS)

$(DM_PROG_OBJS): $(OBJDIR)/%.o: %.c $(DM_FLAGS_STAMP) | $(DM_DEPS_GATE)
	$(call dm_msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(DM_OBJ_CC) $(DM_OBJ_CFLAGS) -MMD -MP -c $< -o $@

# Flag stamps: obj/.flags holds the flags every object or link of a kind
# gets, obj/<program>.flags the program's own variables.  A stamp is
# rewritten only when its text changes (after `make CFLAGS=-O0', say), and
# what depends on it is then rebuilt.
DM_FLAGS_TEXT := $(CC) $(FUZZ_CC) $(CFLAGS) $(LDFLAGS) | $(DM_ALLOC_CFLAGS) | \
	$(LIBDOMALLOC_LDFLAGS) $(LIBDOMALLOC_LDADD) | \
	$(foreach k,prog shlib atf whitebox atf_debug fuzz,$(k): $(DM_KIND_CFLAGS.$(k)) \
	$(DM_KIND_LDFLAGS.$(k)) $(DM_KIND_LDADD.$(k)) |)$(dm_newline)
$(call dm_update,$(DM_FLAGS_STAMP),DM_FLAGS_TEXT)
$(DOMALLOC_OBJS) $(foreach v,$(DM_VARIANTS),$(DOMALLOC_OBJS.$(v))): \
	$(DM_FLAGS_STAMP)
$(DM_FLAGS_STAMP): ;
