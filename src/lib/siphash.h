/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * siphash: keyed hash for hash tables fed by untrusted traffic.  With a key
 * drawn at start, crafted packets cannot aim at one bucket.  SipHash-1-3
 * (one compression round, three finalization rounds), as the reference
 * algorithm by Aumasson and Bernstein defines it.
 */
#ifndef TFLOW_SIPHASH_H
#define TFLOW_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash13(const uint8_t key[16], const void *data, size_t len);

/* SipHash-2-4, the variant with published test vectors; it shares every
 * line with siphash13 but the round counts, so its vectors test both. */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

/* Fill `key` with random bytes (getrandom, falling back to /dev/urandom).
 * Returns 0 or -errno. */
int siphash_random_key(uint8_t key[16]);

#endif
