/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_helper_g.c: ctl_helper with options of its own in the global
 * variable malloc_conf, for the tests of the order of option sources.
 */
const char *malloc_conf = "narenas:3,muzzy_decay_ms:77,junk:free";
