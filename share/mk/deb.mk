# SPDX-License-Identifier: BSD-2-Clause
# share/mk/deb.mk: `make deb', the Debian package from this tree.
#
# Runs debian/rules binary-arch with the tree's OBJDIR (so the libraries
# are the ones `make' built) and puts the package in DEB_DIR (default
# $(OBJDIR)/deb): DEB_DIR/domalloc_<version>_<arch>.deb, its root in
# DEB_DIR/root.  dpkg-buildpackage -us -uc -b does the same from a clean
# build of its own, with the package in the parent directory.  The
# version is debian/changelog's, which must be DOMALLOC_RELEASE.

DEB_DIR ?=	$(OBJDIR)/deb

DEPS_PURPOSES += deb
DEPS_PKGS.deb =	dpkg-dev
DEPS_GOALS.deb = deb
DEPS_WHY.deb =	for make deb (dpkg-shlibdeps, dpkg-gencontrol)

.PHONY: deb
deb: all | deps
	@v=$$(dpkg-parsechangelog -S Version 2>/dev/null || \
	    sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog); \
	[ "$$v" = "$(DOMALLOC_RELEASE)" ] || { echo "deb: debian/changelog" \
	    "says $$v, config.h $(DOMALLOC_RELEASE)" >&2; exit 1; }
	@mkdir -p $(DEB_DIR)
	+$(MAKE) --no-print-directory -f debian/rules binary-arch \
	    DEB_DIR=$(abspath $(DEB_DIR)) DEB_OUT=$(abspath $(DEB_DIR)) \
	    DEB_OBJDIR=$(OBJDIR) DEB_FILES=$(abspath $(DEB_DIR))/files
