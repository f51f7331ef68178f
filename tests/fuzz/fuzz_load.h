/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_load.h: the model-loader fuzz target, shared by the libFuzzer build
 * and the replay test's main(). */
#ifndef YV7_FUZZ_LOAD_H
#define YV7_FUZZ_LOAD_H

#include <stddef.h>
#include <stdint.h>

/* How far the last input got; the replay test checks the intact seeds. */
typedef enum {
  YV7_FUZZ_REJECTED = 0,   /* the load failed, with a message */
  YV7_FUZZ_LOADED,         /* it loaded; no run, or the run failed cleanly */
  YV7_FUZZ_RAN             /* it loaded and one run succeeded */
} yv7_fuzz_outcome;

extern yv7_fuzz_outcome yv7_fuzz_last_outcome;

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#endif
