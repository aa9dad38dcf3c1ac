# SPDX-License-Identifier: BSD-2-Clause
# share/mk/musl.mk: musl's C library built with domalloc as its malloc
# (`make libc-musl'), and what is built on it (see the README section
# "musl with domalloc").  Read after lib.mk.
#
# How domalloc goes into musl without copying musl code here:
#   1. share/mk/debsrc.sh adds a deb-src entry if apt has none and runs
#      `apt-get source musl' under $(MUSL_DIR)/src (Debian 12: 1.2.3);
#      $(MUSL_DIR)/musl points to the unpacked tree.
#   2. The tree gets a new malloc directory, src/malloc/domalloc, holding
#      one generated placeholder, domalloc.c; musl is configured out of
#      tree in $(MUSL_DIR)/build with --with-malloc=domalloc,
#      --disable-shared and its gcc wrapper, and config.mak gets one
#      explicit rule: the placeholder's object is the prelinked object of
#      step 3, as .o and as .lo (configure makes libc.a of the .lo
#      objects when gcc builds PIE by default, as Debian's does; the
#      allocator objects are PIC).  musl's Makefile reads config.mak;
#      nothing of musl is patched.  musl's headers are installed first (install-headers),
#      with links to the kernel's linux/, asm/, asm-generic/ and mtd/
#      headers, as Debian's musl-dev does, and to the system's BSD
#      <sys/queue.h> (macros only; the allocator uses its TAILQ lists and
#      musl has none, so Alpine ships it in bsd-compat-headers).
#   3. The allocator sources (DOMALLOC_SRCS) and the musl glue
#      (lib/libc/stdlib/malloc/libc_musl.c) are compiled with
#      -DDOMALLOC_LIBC=1 against musl's headers only (-nostdinc, plus the
#      compiler's own for <stdatomic.h>), joined by ld -r, and every name
#      outside Symbol.musl.map is made local, so libc.a gains no names of
#      domalloc's internals; the calls to mmap, munmap, madvise and
#      clock_gettime are renamed to musl's reserved __mmap etc., so a
#      program's own mmap does not capture them.  Why not let musl's
#      Makefile compile the sources: it builds with -std=c99 -ffreestanding
#      -nostdinc (domalloc is C11 with <stdatomic.h>), and it would
#      export every internal name of the allocator from libc.a.
#   4. `make install' of musl into $(MUSL_ROOT): lib/libc.a, the crt
#      files, the headers and bin/musl-gcc.  `$(MUSL_GCC) -static prog.c'
#      then makes a static program whose malloc is domalloc.
# libc.so is not built: domalloc's thread state is a __thread variable,
# and musl's dynamic linker does not set up TLS of libc.so itself (README).

MUSL_DIR :=		$(OBJDIR)/musl
MUSL_ROOT :=		$(abspath $(MUSL_DIR))/root
MUSL_TREE :=		$(MUSL_DIR)/musl
MUSL_BUILD :=		$(MUSL_DIR)/build
MUSL_GCC :=		$(MUSL_DIR)/root/bin/musl-gcc
MUSL_LIBC_A :=		$(MUSL_DIR)/root/lib/libc.a
MUSL_STAMP :=		$(MUSL_DIR)/install.stamp
# The compiler musl and the allocator objects are built with; musl-gcc
# wraps it.  gcc, whatever CC is: the wrapper is a gcc specs file.
MUSL_REALCC ?=		gcc
# musl's, busybox's and sqlite's own makes run with a clean environment
# (no MAKEFLAGS: our command-line variables such as CFLAGS must not reach
# them) and by name, not as $(MAKE), which make would run even under -n.
MUSL_MAKE =		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make

MUSL_DM_SRCS :=		$(call dm_uniq,$(DOMALLOC_SRCS)) \
			lib/libc/stdlib/malloc/libc_musl.c
MUSL_DM_OBJS :=		$(patsubst %.c,$(MUSL_DIR)/dm/%.o,$(MUSL_DM_SRCS))
MUSL_DM_OBJ :=		$(MUSL_DIR)/domalloc_musl.o
MUSL_DM_EXPORTS :=	$(MUSL_DIR)/domalloc_musl.exports
MUSL_DM_MAP :=		lib/libc/stdlib/malloc/Symbol.musl.map
DM_ALL_OBJS +=		$(MUSL_DM_OBJS)
MUSL_DM_CFLAGS =	-std=c11 -D_GNU_SOURCE -DDOMALLOC_LIBC=1 -nostdinc \
			-isystem $(MUSL_ROOT)/include -isystem $(shell \
			    $(MUSL_REALCC) -print-file-name=include) \
			$(WARNS) -gdwarf-4 $(DOMALLOC_INCS) \
			$(DOMALLOC_OBJ_CFLAGS) $(DOMALLOC_CFLAGS) $(CFLAGS)
MUSL_RENAMES :=		mmap munmap madvise clock_gettime

# dpkg-dev: apt-get source unpacks with dpkg-source (xz, bzip2 tarballs).
MUSL_PKGS =		dpkg-dev xz-utils bzip2
DEPS_PKGS +=		$(MUSL_PKGS)

.PHONY: libc-musl
libc-musl: $(MUSL_STAMP)

$(MUSL_DIR)/fetch.stamp: share/mk/debsrc.sh | $(DM_DEPS_GATE)
	$(call dm_msg,FETCH,musl (apt-get source))
	@mkdir -p $(MUSL_DIR)/src
	$(Q)t=$$($(SHELL) share/mk/debsrc.sh musl $(MUSL_DIR)/src | \
	    tail -n 1) && [ -n "$$t" ] && ln -sfn src/$$t $(MUSL_TREE)
	@touch $@

# $(call musl_configure,builddir,prefix,malloc dir): configure musl out of
# tree, static only, with its gcc wrapper; install its headers, with links
# to the kernel's and to <sys/queue.h> (see above).
define musl_configure
	$(Q)rm -rf $(1) && mkdir -p $(1)
	$(Q)cd $(1) && ../musl/configure --prefix=$(2) \
	    --syslibdir=$(2)/lib --with-malloc=$(3) \
	    --disable-shared --enable-wrapper=gcc CC=$(MUSL_REALCC) \
	    > configure.log 2>&1 || { cat configure.log; exit 1; }
	$(Q)$(MUSL_MAKE) -s -C $(1) install-headers
	$(Q)for d in linux asm-generic mtd; do \
	    ln -sfn /usr/include/$$d $(2)/include/$$d; done; \
	    m=$$($(MUSL_REALCC) -dumpmachine); \
	    ln -sfn /usr/include/$$m/asm $(2)/include/asm; \
	    ln -sfn /usr/include/$$m/sys/queue.h $(2)/include/sys/queue.h
endef

$(MUSL_DIR)/configure.stamp: $(MUSL_DIR)/fetch.stamp share/mk/musl.mk
	$(call dm_msg,CONFIG,$(MUSL_BUILD) --with-malloc=domalloc)
	$(Q)mkdir -p $(MUSL_TREE)/src/malloc/domalloc
	$(Q){ echo '/* Generated by domalloc share/mk/musl.mk. */'; \
	    echo '/* This object is domalloc, built by its own make: */'; \
	    echo '/* see the rule at the end of config.mak. */'; \
	    echo '#error "domalloc is built by domalloc make libc-musl"'; \
	    } > $(MUSL_TREE)/src/malloc/domalloc/domalloc.c
	$(call musl_configure,$(MUSL_BUILD),$(MUSL_ROOT),domalloc)
	$(Q){ echo; echo '# domalloc share/mk/musl.mk: the malloc object.'; \
	    echo 'obj/src/malloc/domalloc/domalloc.o' \
	    'obj/src/malloc/domalloc/domalloc.lo: $(abspath $(MUSL_DM_OBJ))'; \
	    printf '\tcp $$< $$@\n'; } >> $(MUSL_BUILD)/config.mak
	@touch $@

$(MUSL_DM_OBJS): $(MUSL_DIR)/dm/%.o: %.c | $(MUSL_DIR)/configure.stamp
	$(call dm_msg,CC,$< [musl])
	@mkdir -p $(@D)
	$(Q)$(MUSL_REALCC) $(MUSL_DM_CFLAGS) -MMD -MP -c $< -o $@

$(MUSL_DM_EXPORTS): $(MUSL_DM_MAP) share/mk/symmap.awk
	$(call dm_msg,GEN,$@)
	@mkdir -p $(@D)
	$(Q)$(AWK) -f share/mk/symmap.awk $(MUSL_DM_MAP) | \
	    LC_ALL=C sort -u > $@.tmp && mv -f $@.tmp $@

$(MUSL_DM_OBJ): $(MUSL_DM_OBJS) $(MUSL_DM_EXPORTS)
	$(call dm_msg,LD,$@)
	$(Q)$(LD) -r -o $@.tmp $(MUSL_DM_OBJS)
	$(Q)$(OBJCOPY) --localize-hidden \
	    --keep-global-symbols=$(MUSL_DM_EXPORTS) \
	    $(foreach s,$(MUSL_RENAMES),--redefine-sym $(s)=__$(s)) \
	    $@.tmp $@
	@rm -f $@.tmp

$(MUSL_STAMP): $(MUSL_DIR)/configure.stamp $(MUSL_DM_OBJ)
	$(call dm_msg,MAKE,musl libc.a and musl-gcc in $(MUSL_ROOT))
	$(Q)$(MUSL_MAKE) -s -j2 -C $(MUSL_BUILD) install > \
	    $(MUSL_BUILD)/make.log 2>&1 || { tail -n 30 \
	    $(MUSL_BUILD)/make.log; exit 1; }
	@# Static programs get a PT_GNU_EH_FRAME header, as gcc gives
	@# dynamic ones: the heap profiler's unwinder finds its tables
	@# through it (libc_musl.c: _dl_find_object).
	$(Q)sed -i '/^\*link:$$/{n;s/-nostdlib/-nostdlib --eh-frame-hdr/;}' \
	    $(MUSL_ROOT)/lib/musl-gcc.specs
	@grep -q -- '--eh-frame-hdr' $(MUSL_ROOT)/lib/musl-gcc.specs
	@touch $@

# ---------------------------------------------------------------------
# Static programs on that musl (`make musl-progs'), each built three
# ways: dom (musl with domalloc, $(MUSL_GCC)), ng (the same musl with its
# own mallocng, built beside it in $(MUSL_DIR)/root-ng) and glibc (gcc
# -static).  Programs: busybox (Debian's source, defconfig, static) and
# the sqlite3 shell (the amalgamation made from Debian's sqlite3 source,
# which needs tclsh).  share/mk/musl_progs.sh then runs them all, checks
# that dom and glibc print the same, that nm finds domalloc's code and no
# other malloc in the dom builds and mallocng in the ng ones, and writes
# sizes and a timing of sqlite3 inserting 1e6 rows to
# $(MUSL_DIR)/progs/report.txt.

MUSL_NG_ROOT :=		$(abspath $(MUSL_DIR))/root-ng
MUSL_NG_BUILD :=	$(MUSL_DIR)/build-ng
MUSL_NG_GCC :=		$(MUSL_DIR)/root-ng/bin/musl-gcc
MUSL_NG_STAMP :=	$(MUSL_DIR)/install-ng.stamp
MUSL_PROGS_DIR :=	$(MUSL_DIR)/progs
MUSL_VARIANTS :=	dom ng glibc
MUSL_CC.dom =		$(abspath $(MUSL_GCC))
MUSL_CC.ng =		$(abspath $(MUSL_NG_GCC))
MUSL_CC.glibc =		$(MUSL_REALCC)
MUSL_DEP.dom =		$(MUSL_STAMP)
MUSL_DEP.ng =		$(MUSL_NG_STAMP)
MUSL_DEP.glibc =
MUSL_PROGS_PKGS =	tcl make gcc libc6-dev
MUSL_SQLITE_CFLAGS =	-O2 -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION
MUSL_PROGS :=		$(foreach v,$(MUSL_VARIANTS),$(addprefix \
			    $(MUSL_PROGS_DIR)/$(v)/,busybox sqlite3))

.PHONY: musl-progs
musl-progs: $(MUSL_PROGS) share/mk/musl_progs.sh
	$(Q)$(SHELL) share/mk/musl_progs.sh $(MUSL_PROGS_DIR) | \
	    tee $(MUSL_PROGS_DIR)/report.txt

$(MUSL_NG_STAMP): $(MUSL_DIR)/fetch.stamp share/mk/musl.mk
	$(call dm_msg,CONFIG,$(MUSL_NG_BUILD) --with-malloc=mallocng)
	$(call musl_configure,$(MUSL_NG_BUILD),$(MUSL_NG_ROOT),mallocng)
	$(call dm_msg,MAKE,musl libc.a (mallocng) in $(MUSL_NG_ROOT))
	$(Q)$(MUSL_MAKE) -s -j2 -C $(MUSL_NG_BUILD) install > \
	    $(MUSL_NG_BUILD)/make.log 2>&1 || { tail -n 30 \
	    $(MUSL_NG_BUILD)/make.log; exit 1; }
	@touch $@

$(MUSL_DIR)/progs-deps.stamp: share/mk/musl.mk | $(DM_DEPS_GATE)
	$(Q)$(SHELL) share/mk/deps.sh $(MUSL_PROGS_PKGS)
	@mkdir -p $(@D) && touch $@

# busybox: Debian's source, out-of-tree builds (O=), defconfig + static.
$(MUSL_DIR)/busybox.stamp: share/mk/debsrc.sh $(MUSL_DIR)/progs-deps.stamp
	$(call dm_msg,FETCH,busybox (apt-get source))
	$(Q)t=$$($(SHELL) share/mk/debsrc.sh busybox $(MUSL_DIR)/src | \
	    tail -n 1) && [ -n "$$t" ] && \
	    ln -sfn src/$$t $(MUSL_DIR)/busybox
	@touch $@

# sqlite3: the amalgamation (sqlite3.c, shell.c) made by the source's own
# configure and make from Debian's sqlite3 source.
$(MUSL_DIR)/sqlite.stamp: share/mk/debsrc.sh $(MUSL_DIR)/progs-deps.stamp
	$(call dm_msg,FETCH,sqlite3 (apt-get source; amalgamation))
	$(Q)t=$$($(SHELL) share/mk/debsrc.sh sqlite3 $(MUSL_DIR)/src | \
	    tail -n 1) && [ -n "$$t" ] && \
	    rm -rf $(MUSL_DIR)/sqlite && mkdir -p $(MUSL_DIR)/sqlite && \
	    cd $(MUSL_DIR)/sqlite && ../src/$$t/configure --disable-tcl \
	    > configure.log 2>&1 && $(MUSL_MAKE) sqlite3.c shell.c \
	    > make.log 2>&1 || { tail -n 30 make.log configure.log; \
	    exit 1; }
	@touch $@

define musl_progs_variant
$(MUSL_PROGS_DIR)/$(1)/busybox: $(MUSL_DIR)/busybox.stamp $(MUSL_DEP.$(1))
	$$(call dm_msg,MAKE,$$@ (busybox defconfig, static))
	$(Q)rm -rf $(MUSL_DIR)/bb-$(1) && mkdir -p $(MUSL_DIR)/bb-$(1) $$(@D)
	$(Q)$$(MUSL_MAKE) -s -C $(MUSL_DIR)/busybox \
	    O=$(abspath $(MUSL_DIR))/bb-$(1) defconfig > /dev/null
	$(Q)sed -i 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' \
	    $(MUSL_DIR)/bb-$(1)/.config
	$(Q)$$(MUSL_MAKE) -j2 -C $(MUSL_DIR)/bb-$(1) CC=$(MUSL_CC.$(1)) \
	    HOSTCC=$(MUSL_REALCC) busybox > $(MUSL_DIR)/bb-$(1)/make.log \
	    2>&1 || { tail -n 30 $(MUSL_DIR)/bb-$(1)/make.log; exit 1; }
	$(Q)cp $(MUSL_DIR)/bb-$(1)/busybox_unstripped $$@
$(MUSL_PROGS_DIR)/$(1)/sqlite3: $(MUSL_DIR)/sqlite.stamp $(MUSL_DEP.$(1))
	$$(call dm_msg,CC,$$@ (sqlite3 shell, static))
	@mkdir -p $$(@D)
	$(Q)$(MUSL_CC.$(1)) -static $(MUSL_SQLITE_CFLAGS) \
	    -I$(MUSL_DIR)/sqlite -o $$@ $(MUSL_DIR)/sqlite/shell.c \
	    $(MUSL_DIR)/sqlite/sqlite3.c -lpthread -lm
endef
$(foreach v,$(MUSL_VARIANTS),$(eval $(call musl_progs_variant,$(v))))

# ---------------------------------------------------------------------
# The black-box ATF suite on musl (`make test-musl').  The test programs
# are compiled by $(MUSL_GCC) -static, so the allocator under test is the
# one inside musl's libc.a, and linked with a libatf-c built for musl:
# Debian's atf source, configured with musl-gcc (static, no shared
# library) and only its libatf-c.la made; atf-sh and kyua are the
# system's (they only run the programs).  The programs, the helpers they
# start and a Kyuafile go under $(MUSL_T), laid out as $(OBJDIR) is, and
# share/mk/runtests.sh runs kyua there (TESTS=... works as for make
# test).  Left out, as they do not apply to musl:
#   glibc_ext_test	glibc's mallinfo, mallinfo2, malloc_trim, mallopt,
#			malloc_info: domalloc defines them for glibc only
#   libc_entry_test	glibc's __libc_* entry points (musl's are
#			libc-internal names, served by the glue)
#   headers_test	includes glibc's <malloc.h> for mallinfo2
#   memalign_test	pvalloc (glibc only) and FreeBSD's strong names
#			__posix_memalign, __libc_memalign
#   allocx_test		jemalloc 3's *allocm names, FreeBSD compatibility
#			symbols that musl's libc does not carry
#   thp/bg_test, thp/bg_threads_test, bg_start_test, thp/thp_test
#			background threads, which the in-libc build never
#			starts (thp_test: hugifying a heap that waited out
#			the delay, and purging while the program is idle,
#			are that thread's work; both fail without it)
#   walk_test, domalloc/*, the _debug twins	white-box or debug
#			builds of the allocator, not the libc's
#   redis_test, realprog, preload, static and symbols tests	glibc
#			programs and libdomalloc's own libraries
# `make test' runs part of this suite (MUSL_SMOKE_TESTS) through
# tests/lib/libc/stdlib/malloc/musl_test, so that it keeps working.

MUSL_T :=		$(MUSL_DIR)/t
MUSL_ATF_BUILD :=	$(MUSL_DIR)/atf-build
MUSL_ATF_LIB :=		$(MUSL_ATF_BUILD)/.libs/libatf-c.a
MUSL_MT :=		tests/lib/libc/stdlib/malloc
MUSL_ATF_TESTS :=	$(addprefix $(MUSL_MT)/, malloc_test calloc_test \
			realloc_test realloc_zero_alloc_test usable_test \
			free_test thread_test fork_test thread_exit_test \
			enomem_test purge_test purge_decay_test \
			sizes_edge_test purge_race_test double_free_test \
			retain_test) \
			$(addprefix $(MUSL_MT)/ctl/, mallctl_test tcache_test \
			stats_test print_test conf_test conf_etc_test \
			api_test conformance_test zero_grow_test) \
			$(addprefix $(MUSL_MT)/thp/, thp_never_test \
			thp_nodelay_test)
MUSL_TEST_HELPERS :=	$(MUSL_MT)/purge_stress $(MUSL_MT)/ctl/ctl_helper \
			$(MUSL_MT)/ctl/ctl_helper_g
SRCS.musl.$(MUSL_MT)/ctl/ctl_helper_g = $(MUSL_MT)/ctl/ctl_helper.c \
			$(MUSL_MT)/ctl/ctl_helper_g.c
# Run by make test (musl_test): allocation, misuse, ctl, threads, fork.
MUSL_SMOKE_TESTS :=	$(addprefix $(MUSL_MT)/, malloc_test free_test \
			double_free_test thread_exit_test fork_test \
			ctl/mallctl_test)
MUSL_TEST_CFLAGS =	-std=c11 -D_GNU_SOURCE $(WARNS) -Wno-unused-parameter \
			-gdwarf-4 -O2 $(DOMALLOC_NO_BUILTIN) $(PUBLIC_INCS) \
			-I$(MUSL_ATF_BUILD) -I$(MUSL_DIR)/atf
MUSL_TEST_PROGS :=	$(addprefix $(MUSL_T)/,$(MUSL_ATF_TESTS) \
			$(MUSL_TEST_HELPERS))

# prof_sites for musl_test:prof_jeprof (heap profiling on musl).
MUSL_SMOKE_PROGS :=	$(MUSL_MT)/prof/prof_sites

.PHONY: test-musl musl-smoke
test-musl: $(MUSL_TEST_PROGS) $(MUSL_T)/tests/Kyuafile
	+@MAKE=make OBJDIR='$(MUSL_T)' KYUA='$(KYUA)' \
	    KYUA_TEST_SUITE=domalloc KYUA_PARALLELISM='$(KYUA_PARALLELISM)' \
	    KYUA_FLAGS='$(KYUA_FLAGS)' TESTS='$(TESTS)' \
	    $(SHELL) share/mk/runtests.sh 0
musl-smoke: $(addprefix $(MUSL_T)/,$(MUSL_SMOKE_TESTS) $(MUSL_SMOKE_PROGS))
test: musl-smoke

# Built with musl-gcc; it does not contain the allocator, so a new
# libc.a does not remake it (order-only).
$(MUSL_DIR)/atf.stamp: share/mk/debsrc.sh | $(MUSL_STAMP)
	$(call dm_msg,FETCH,atf (apt-get source); libatf-c for musl)
	$(Q)t=$$($(SHELL) share/mk/debsrc.sh atf $(MUSL_DIR)/src | \
	    tail -n 1) && [ -n "$$t" ] && ln -sfn src/$$t $(MUSL_DIR)/atf && \
	    rm -rf $(MUSL_ATF_BUILD) && mkdir -p $(MUSL_ATF_BUILD) && \
	    cd $(MUSL_ATF_BUILD) && ../atf/configure \
	    CC=$(abspath $(MUSL_GCC)) LDFLAGS=-static --disable-shared \
	    > configure.log 2>&1 && $(MUSL_MAKE) -j2 libatf-c.la \
	    > make.log 2>&1 || { tail -n 30 configure.log make.log; \
	    exit 1; }
	@touch $@

# SRCS.musl.<path>: the sources of a program built of more than one.
$(MUSL_T)/%: %.c $(MUSL_DIR)/atf.stamp $(MUSL_STAMP) | $(DM_DEPS_GATE)
	$(call dm_msg,CCLD,$@ [musl])
	@mkdir -p $(@D)
	$(Q)$(MUSL_GCC) -static $(MUSL_TEST_CFLAGS) -o $@ \
	    $(or $(SRCS.musl.$*),$<) $(MUSL_ATF_LIB) -lpthread

# One Kyuafile per directory (kyua wants bare program names), included
# from tests/Kyuafile.
$(MUSL_T)/tests/Kyuafile: share/mk/musl.mk
	$(call dm_msg,GEN,$(@D)/.../Kyuafile)
	@mkdir -p $(@D)
	$(Q)for t in $(MUSL_ATF_TESTS:tests/%=%); do echo "$$t"; done | \
	    $(AWK) -v top=$(@D) ' \
	    { d = $$0; sub(/\/[^\/]*$$/, "", d); n = substr($$0, length(d) + 2); \
	      if (!(d in seen)) { seen[d] = 1; dirs[++nd] = d; \
	        system("mkdir -p " top "/" d); \
	        f = top "/" d "/Kyuafile"; \
	        print "syntax(2)\ntest_suite(\"domalloc\")" > f } \
	      print "atf_test_program{name=\"" n "\", timeout=300}" >> \
	        (top "/" d "/Kyuafile") } \
	    END { f = top "/Kyuafile"; \
	      print "syntax(2)\ntest_suite(\"domalloc\")" > f; \
	      for (i = 1; i <= nd; i++) \
	        print "include(\"" dirs[i] "/Kyuafile\")" >> f }'
