/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mbox.h: the mailbox through which the cross-thread workloads (remote.c,
 * rptest.c) hand objects to the thread that is to free them.  A message is
 * a malloced batch of object pointers; a sender fills one per destination
 * and pushes it whole onto the destination's mailbox, a singly linked
 * stack, and the owner takes the whole stack at once.  Batching keeps the
 * mailbox's cache line out of the timed work: one push per batch, not one
 * per object, as a server passes a request's buffers on in one go.  The
 * messages are themselves malloced by the sender and freed by the
 * receiver, so they are remote frees too (one per batch).  A mailbox
 * counts the objects pushed to it and not yet freed by its owner, so that
 * a sender can wait for a slow receiver instead of letting a queue grow
 * without bound while the receiver is descheduled.
 *
 * Locking: none.  Any thread may push (a compare-and-swap on the head);
 * only the owner takes, and it takes everything by exchanging the head
 * with NULL, so a taken node is never looked at by a pusher again and the
 * ABA problem of a lock-free pop does not arise.
 */

#ifndef MBOX_H
#define MBOX_H

#include <stdatomic.h>

#include "bench.h"

struct mbox_msg {
	struct mbox_msg	*next;
	long		 n;
	void		*obj[];
};

struct mbox {
	_Atomic(struct mbox_msg *) head;
	/* Objects pushed and not yet freed. */
	_Atomic(long)	 pending;
	/* Keep two mailboxes off one cache line. */
	char		 pad[64 - sizeof(void *) - sizeof(long)];
};

static inline void
mbox_init(struct mbox *mb)
{

	atomic_init(&mb->head, NULL);
	atomic_init(&mb->pending, 0);
}

static inline struct mbox_msg *
mbox_msg_new(long cap)
{
	struct mbox_msg *m;
	size_t size;

	size = sizeof(*m) + (size_t)cap * sizeof(void *);
	m = bench_nonnull(malloc(size), size);
	m->next = NULL;
	m->n = 0;
	return (m);
}

static inline void
mbox_push(struct mbox *mb, struct mbox_msg *m)
{
	struct mbox_msg *h;

	atomic_fetch_add_explicit(&mb->pending, m->n, memory_order_relaxed);
	h = atomic_load_explicit(&mb->head, memory_order_relaxed);
	do
		m->next = h;
	while (!atomic_compare_exchange_weak_explicit(&mb->head, &h, m,
	    memory_order_release, memory_order_relaxed));
}

/* Every message pushed so far, newest first; NULL if there is none. */
static inline struct mbox_msg *
mbox_take(struct mbox *mb)
{

	if (atomic_load_explicit(&mb->head, memory_order_relaxed) == NULL)
		return (NULL);
	return (atomic_exchange_explicit(&mb->head, NULL,
	    memory_order_acquire));
}

/* The owner has freed n of the objects it took. */
static inline void
mbox_done(struct mbox *mb, long n)
{

	atomic_fetch_sub_explicit(&mb->pending, n, memory_order_relaxed);
}

static inline long
mbox_pending(struct mbox *mb)
{

	return (atomic_load_explicit(&mb->pending, memory_order_relaxed));
}

#endif /* !MBOX_H */
