/*
 * mark.c: the free marker's key (see mark.h).
 */
#include "mark.h"
#include "pal.h"

/* Before mark_boot no object exists, so no word can be mistaken. */
#define	MARK_FALLBACK	0x6672656564000001ULL

uint64_t mark_key = MARK_FALLBACK;

void
mark_boot(void)
{
	uint64_t k = pal_random();

	mark_key = k != 0 ? k : MARK_FALLBACK;
}
