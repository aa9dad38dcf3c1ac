# SPDX-License-Identifier: BSD-2-Clause
# share/mk/deps.mk: `make deps', the Debian packages each goal needs.
#
# The packages are listed per purpose, and a make installs only those of
# the purposes its goals have:
#   DEPS_PKGS.build	the compiler toolchain: every goal (Makefile.inc)
#   DEPS_PKGS.run	`make run' (contrib/domalloc/Makefile.inc)
#   DEPS_PKGS.test	`make test', `make check', `make test-build': kyua,
#			ATF and what the test programs build with and run
#			(fragments under tests/ append to it)
#   DEPS_PKGS.bench	`make bench', bench-quick, bench-thp: the peer
#			allocators and gnuplot (tests/bench/Makefile.inc)
# A fragment may add a purpose: DEPS_PURPOSES += p, DEPS_PKGS.p (the
# packages), DEPS_GOALS.p (the goals that need them) and DEPS_WHY.p (a few
# words for the message).  Packages a fragment appends to plain DEPS_PKGS
# count as test packages.
#
# `make deps' runs share/mk/deps.sh once per purpose of the goals, build
# first: it asks dpkg-query which of the packages are missing and, as
# root, installs those with apt-get after one line saying what and why;
# as another user it prints the apt-get command instead.  Every
# compilation waits for it (DM_DEPS_GATE, common.mk), and so do the
# targets that run programs.  `make DEPS=no' installs nothing (it still
# names what is missing); so does `make DEPS_PKGS=', the old spelling.
# `make deps-list' prints every purpose with its goals and packages.

DEPS ?=		yes
ifeq ($(origin DEPS_PKGS),command line)
ifeq ($(strip $(DEPS_PKGS)),)
DEPS :=		no
endif
endif

DEPS_PURPOSES :=	build run test bench $(filter-out build run test bench, \
			$(DEPS_PURPOSES))
DEPS_PKGS.test +=	$(DEPS_PKGS)
DEPS_GOALS.test +=	test check test-build
DEPS_WHY.build ?=	to build the libraries
DEPS_WHY.test ?=	for make test

# The goals of this make (a make without goals builds all); a purpose is
# needed when one of its goals is among them.  build always is.
DM_DEPS_GOALS :=	$(or $(MAKECMDGOALS),all)
DM_DEPS_NEEDED :=	build $(foreach p,$(filter-out build,$(DEPS_PURPOSES)), \
			$(if $(filter $(DEPS_GOALS.$(p)),$(DM_DEPS_GOALS)),$(p)))

.PHONY: deps deps-list
deps:
	@$(foreach p,$(DM_DEPS_NEEDED),DEPS='$(DEPS)' $(SHELL) share/mk/deps.sh \
	    '$(or $(DEPS_WHY.$(p)),for make $(firstword $(DEPS_GOALS.$(p))))' \
	    $(sort $(DEPS_PKGS.$(p))) &&) :

deps-list:
	@$(foreach p,$(DEPS_PURPOSES),printf '%s (%s):\n  %s\n' '$(p)' \
	    '$(or $(strip $(DEPS_GOALS.$(p))),every goal)' \
	    '$(sort $(DEPS_PKGS.$(p)))';)
