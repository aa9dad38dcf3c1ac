# SPDX-License-Identifier: BSD-2-Clause
# share/mk/install.mk: `make install' (DESTDIR, PREFIX, LIBDIR, INCLUDEDIR,
# MANDIR; see Makefile.inc).
#
# Installs libdomalloc.so and libdomalloc.a into LIBDIR, the headers in
# INCS into INCLUDEDIR and the manual pages in MAN (paths ending in .N)
# into MANDIR/manN.  `make all' also checks that every listed header and
# page exists.  Fragments may add prerequisites to install.

DM_INCS :=	$(call dm_uniq,$(INCS))
DM_MAN :=	$(call dm_uniq,$(MAN))

all: $(DM_INCS) $(DM_MAN)

install: all
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)
	$(INSTALL) -m 755 $(LIBDOMALLOC_SO) $(DESTDIR)$(LIBDIR)
	$(INSTALL) -m 644 $(LIBDOMALLOC_A) $(DESTDIR)$(LIBDIR)
ifneq ($(DM_INCS),)
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)
	$(INSTALL) -m 644 $(DM_INCS) $(DESTDIR)$(INCLUDEDIR)
endif
	@set -e; for m in $(DM_MAN); do \
	    d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
	    echo "$(INSTALL) -m 644 $$m $$d"; \
	    $(INSTALL) -d $$d; $(INSTALL) -m 644 $$m $$d; \
	done
