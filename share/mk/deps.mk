# SPDX-License-Identifier: BSD-2-Clause
# share/mk/deps.mk: `make deps', the check for the Debian packages we need.
#
# DEPS_PKGS lists Debian packages (Makefile.inc sets the compiler, binutils,
# kyua and ATF; fragments append what their targets need).  `make deps'
# asks dpkg-query once which of them are missing; as root it installs
# those with apt-get, otherwise it prints what to install and carries on.
# Every compilation waits for it (DM_DEPS_GATE, common.mk), so `make' and
# `make test' work on a fresh Debian machine.  On a system without dpkg it
# only says so.

deps:
	@$(SHELL) share/mk/deps.sh $(sort $(DEPS_PKGS))
