/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* add.c: Add, c = a + b with numpy broadcasting. */
#include "ops-common.h"

#define BIN_FLOAT(a, b) ((a) + (b))
#define BIN_INT(a, b, U) ((U) ((uint64_t) (U) (a) + (uint64_t) (U) (b)))
#include "binary-kernels.h"

YV7_BIN_KERNELS (add)

static const char *const add_attrs[] = { NULL };

static yv7_status
add_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  return yv7_op_binary_infer (n, in, out, add_kernels, err);
}

static yv7_status
add_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  return yv7_op_binary_run (n, in, out, add_kernels, err);
}

const yv7_op_def yv7_op_add = {
  .name = "Add",
  .attrs = add_attrs,
  .min_inputs = 2, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .infer = add_infer,
  .run = add_run,
};
