# SPDX-License-Identifier: BSD-2-Clause
# Makefile: the single, non-recursive GNU make build of domalloc.
#
# Every directory under lib, sys, contrib, tests and share may hold a
# Makefile.inc fragment.  This file finds them all, reads them into one
# make (so there is one dependency graph and `make -j' is safe), and then
# reads the rule makers in share/mk, which turn the lists the fragments
# filled (DOMALLOC_SRCS, ATF_TESTS_C, PROGS, ...) into rules.  Outputs go
# under obj/, mirroring the source path.  Paths are relative to this
# directory; make must run here (make -C works).
#
# Targets: all (default: what is installed), test-build (everything the
# test suite runs), test, deps, clean, install, uninstall; `make help'
# lists them all.  A fragment may add targets of its own (declare them
# .PHONY) and may add prerequisites to all, test-build, clean and install.
# `make V=1' shows full command lines.
#
# Reading order, which is what makes fragments order-independent:
#   1. Makefile.inc: tools, flags, output paths, empty lists.
#   2. Every fragment, sorted by path.  Fragments only set variables and
#      write rules for their own targets; a list that another fragment may
#      still extend must not be used in a rule's target or prerequisite
#      list there (it would be expanded too early).
#   3. share/mk/*.mk, in the order below: rules from the complete lists.
# The implementation directories under lib/libc/stdlib/malloc/ are not
# searched: lib/libc/stdlib/malloc/Makefile.inc includes the one that
# OPT_LIBC_MALLOC selects, as FreeBSD's libc does.

ifneq ($(filter 3.% 4.0% 4.1%,$(MAKE_VERSION)),)
$(error GNU make 4.2 or later is needed; this is $(MAKE_VERSION))
endif

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules

include Makefile.inc

DM_FRAGMENT_ROOTS := lib sys contrib tests share
DM_FRAGMENTS := $(filter-out lib/libc/stdlib/malloc/%/Makefile.inc, \
	$(shell find $(DM_FRAGMENT_ROOTS) -name Makefile.inc -type f \
	    2>/dev/null | LC_ALL=C sort))
include $(DM_FRAGMENTS)

include share/mk/common.mk
include share/mk/deps.mk
include share/mk/lib.mk
include share/mk/prog.mk
include share/mk/test.mk
include share/mk/install.mk
# Fragments of their own (read last; each says what it builds).
include share/mk/deb.mk
include share/mk/libc.mk
include share/mk/musl.mk

# Header dependencies written by the compiler (-MMD -MP).
-include $(DM_ALL_OBJS:.o=.d)
