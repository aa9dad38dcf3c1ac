# SPDX-License-Identifier: BSD-2-Clause
# share/mk/install.mk: domalloc.pc, `make install' and `make uninstall'
# (DESTDIR, PREFIX, BINDIR, LIBDIR, INCLUDEDIR, MANDIR, PKGCONFIGDIR; see
# Makefile.inc).
#
# install puts, under DESTDIR:
#   LIBDIR	libdomalloc.so.N (the shared library, N its major
#		version), libdomalloc.so (a symbolic link to it, for the
#		linker) and libdomalloc.a; the hardened library the same
#		way: libdomalloc_hardened.so.N, libdomalloc_hardened.so,
#		libdomalloc_hardened.a
#   INCLUDEDIR	the headers in INCS (malloc_np.h)
#   MANDIR	the pages in MAN (paths ending in .N) in manN, and the links
#		of MLINKS ("page link" pairs) as symbolic links beside them
#   BINDIR	contrib/domalloc/domalloc.sh as domalloc, set to preload
#		LIBDIR/libdomalloc.so.N (with --hardened,
#		LIBDIR/libdomalloc_hardened.so.N)
#   PKGCONFIGDIR domalloc.pc (pkg-config --cflags --libs domalloc)
# uninstall removes exactly those files and links (DM_INSTALLED lists
# them) and leaves the directories, which may have been there before.
# install writes domalloc.pc with the directories of its make (nothing
# under OBJDIR depends on PREFIX).  `make all' checks that every listed
# header and page exists.

DM_INCS :=	$(call dm_uniq,$(INCS))
DM_MAN :=	$(call dm_uniq,$(MAN))

# The links as words page:link; an odd word out ends in ':'.
dm_pairs = $(if $(1),$(firstword $(1)):$(word 2,$(1)) $(call \
	dm_pairs,$(wordlist 3,$(words $(1)),$(1))))
DM_MLINKS :=	$(strip $(call dm_pairs,$(MLINKS)))
ifneq ($(filter %:,$(DM_MLINKS)),)
$(error MLINKS must hold pairs "page link": $(MLINKS))
endif
dm_mandir = $(MANDIR)/man$(lastword $(subst ., ,$(1)))

DM_INSTALLED :=	$(LIBDIR)/$(LIBDOMALLOC_SONAME) $(LIBDIR)/libdomalloc.so \
		$(LIBDIR)/libdomalloc.a \
		$(LIBDIR)/$(LIBDOMALLOC_HARDENED_SONAME) \
		$(LIBDIR)/libdomalloc_hardened.so \
		$(LIBDIR)/libdomalloc_hardened.a \
		$(addprefix $(INCLUDEDIR)/,$(notdir $(DM_INCS))) \
		$(foreach m,$(DM_MAN),$(call dm_mandir,$(m))/$(notdir $(m))) \
		$(foreach l,$(DM_MLINKS),$(call dm_mandir,$(lastword \
		    $(subst :, ,$(l))))/$(lastword $(subst :, ,$(l)))) \
		$(BINDIR)/domalloc $(PKGCONFIGDIR)/domalloc.pc

# domalloc.pc, one word a line; written by install with the directories
# of that make.
DM_PC_LINES =	'\# domalloc.pc, written by make install (share/mk/install.mk)' \
		'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' \
		'' 'Name: domalloc' \
		'Description: a malloc with the API of FreeBSD libc'"'"'s jemalloc' \
		'Version: $(DOMALLOC_RELEASE)' 'Cflags: -I$${includedir}' \
		'Libs: -L$${libdir} -ldomalloc' 'Libs.private: -pthread'

all: $(DM_INCS) $(DM_MAN)

.PHONY: uninstall
install: all
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 755 $(LIBDOMALLOC_SO) \
	    $(DESTDIR)$(LIBDIR)/$(LIBDOMALLOC_SONAME)
	ln -sf $(LIBDOMALLOC_SONAME) $(DESTDIR)$(LIBDIR)/libdomalloc.so
	$(INSTALL) -m 644 $(LIBDOMALLOC_A) $(DESTDIR)$(LIBDIR)
	$(INSTALL) -m 755 $(LIBDOMALLOC_HARDENED_SO) \
	    $(DESTDIR)$(LIBDIR)/$(LIBDOMALLOC_HARDENED_SONAME)
	ln -sf $(LIBDOMALLOC_HARDENED_SONAME) \
	    $(DESTDIR)$(LIBDIR)/libdomalloc_hardened.so
	$(INSTALL) -m 644 $(LIBDOMALLOC_HARDENED_A) $(DESTDIR)$(LIBDIR)
ifneq ($(DM_INCS),)
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)
	$(INSTALL) -m 644 $(DM_INCS) $(DESTDIR)$(INCLUDEDIR)
endif
	@set -e; for m in $(DM_MAN); do \
	    d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
	    echo "$(INSTALL) -m 644 $$m $$d"; \
	    $(INSTALL) -d $$d; $(INSTALL) -m 644 $$m $$d; \
	done
	@set -e; for l in $(DM_MLINKS); do \
	    p=$${l%%:*}; n=$${l#*:}; \
	    d=$(DESTDIR)$(MANDIR)/man$${n##*.}; \
	    echo "ln -sf $$p $$d/$$n"; \
	    $(INSTALL) -d $$d; ln -sf $$p $$d/$$n; \
	done
	sed -e 's|^installed_lib=$$|installed_lib=$(LIBDIR)/$(LIBDOMALLOC_SONAME)|' \
	    -e 's|^installed_hardened_lib=$$|installed_hardened_lib=$(LIBDIR)/$(LIBDOMALLOC_HARDENED_SONAME)|' \
	    contrib/domalloc/domalloc.sh > $(DESTDIR)$(BINDIR)/domalloc.tmp
	chmod 755 $(DESTDIR)$(BINDIR)/domalloc.tmp
	mv -f $(DESTDIR)$(BINDIR)/domalloc.tmp $(DESTDIR)$(BINDIR)/domalloc
	printf '%s\n' $(DM_PC_LINES) > $(DESTDIR)$(PKGCONFIGDIR)/domalloc.pc

uninstall:
	rm -f $(addprefix $(DESTDIR),$(DM_INSTALLED))
