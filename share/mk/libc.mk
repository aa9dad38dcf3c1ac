# SPDX-License-Identifier: BSD-2-Clause
# share/mk/libc.mk: the in-libc build of the allocator (DOMALLOC_LIBC=1),
# compiled by every `make' so that the variant a libc tree uses cannot rot.
#
# The sources are those of libdomalloc (DOMALLOC_SRCS), compiled with
# -DDOMALLOC_LIBC=1 under $(OBJDIR)/libc/ with the same flags otherwise.
# In that mode the public names are weak aliases of the __-prefixed strong
# names, the glibc __libc_* names are left out, libthr's hooks
# (_malloc_prefork ...) are defined, and no pthread_atfork handler or
# background thread is set up (README, "Dropping it into a libc tree").
# The objects are joined by ld -r and every name outside the FreeBSD
# symbol map (SYM_MAPS) is made local, as a libc's own version script
# would do:
#   libdomalloc_libc.o/.a	what a BSD libc links (checked by
#			tests/lib/libdomalloc/libc_variant_test)
#   libdomalloc_libc.exports	its export list, one name a line
# Read after lib.mk (it uses dm_uniq, dm_obj and DM_ALLOC_CFLAGS).

DOMALLOC_OBJS.libc :=	$(patsubst $(OBJDIR)/%,$(OBJDIR)/libc/%, \
			$(call dm_obj,$(call dm_uniq,$(DOMALLOC_SRCS))))
DM_ALL_OBJS +=		$(DOMALLOC_OBJS.libc)
LIBDOMALLOC_LIBC_EXPORTS := $(LIBDOMALLOC_DIR)/libdomalloc_libc.exports
LIBDOMALLOC_LIBC_RELOC := $(LIBDOMALLOC_DIR)/libdomalloc_libc.o
LIBDOMALLOC_LIBC_A :=	$(LIBDOMALLOC_DIR)/libdomalloc_libc.a

all: $(LIBDOMALLOC_LIBC_A)

$(DOMALLOC_OBJS.libc): $(OBJDIR)/libc/%.o: %.c | $(DM_DEPS_GATE)
	$(call dm_msg,CC,$< [libc])
	@mkdir -p $(@D)
	$(Q)$(CC) $(DM_ALLOC_CFLAGS) -DDOMALLOC_LIBC=1 -MMD -MP -c $< -o $@

$(LIBDOMALLOC_LIBC_EXPORTS): $(SYM_MAPS) share/mk/symmap.awk
	$(call dm_msg,GEN,$@)
	@mkdir -p $(@D)
	$(Q)$(AWK) -f share/mk/symmap.awk $(SYM_MAPS) | \
	    LC_ALL=C sort -u > $@.tmp && mv -f $@.tmp $@

$(LIBDOMALLOC_LIBC_RELOC): $(DOMALLOC_OBJS.libc) $(LIBDOMALLOC_LIBC_EXPORTS)
	$(call dm_msg,LD,$@)
	$(Q)$(LD) -r -o $@.tmp $(DOMALLOC_OBJS.libc)
	$(Q)$(OBJCOPY) --localize-hidden \
	    --keep-global-symbols=$(LIBDOMALLOC_LIBC_EXPORTS) $@.tmp $@
	@rm -f $@.tmp

$(LIBDOMALLOC_LIBC_A): $(LIBDOMALLOC_LIBC_RELOC)
	$(dm_archive_recipe)
