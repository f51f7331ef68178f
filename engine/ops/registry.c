/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* registry.c: the static op_type -> definition table. */
#include "ops-common.h"

#include <string.h>

/* Sorted by name (strcmp order) for the binary search below. */
static const yv7_op_def *const op_table[] = {
  &yv7_op_add,
  &yv7_op_arg_max,
  &yv7_op_batch_normalization,
  &yv7_op_cast,
  &yv7_op_concat,
  &yv7_op_conv,
  &yv7_op_div,
  &yv7_op_flatten,
  &yv7_op_gather,
  &yv7_op_identity,
  &yv7_op_leaky_relu,
  &yv7_op_mat_mul,
  &yv7_op_max_pool,
  &yv7_op_mul,
  &yv7_op_non_max_suppression,
  &yv7_op_pow,
  &yv7_op_reduce_max,
  &yv7_op_relu,
  &yv7_op_reshape,
  &yv7_op_resize,
  &yv7_op_shape,
  &yv7_op_sigmoid,
  &yv7_op_slice,
  &yv7_op_split,
  &yv7_op_squeeze,
  &yv7_op_sub,
  &yv7_op_transpose,
  &yv7_op_unsqueeze,
};

const yv7_op_def *
yv7_op_lookup (const char *op_type)
{
  size_t lo = 0, hi = sizeof op_table / sizeof op_table[0];

  if (!op_type)
    return NULL;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp (op_type, op_table[mid]->name);
    if (c == 0)
      return op_table[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}
