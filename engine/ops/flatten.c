/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* flatten.c: Flatten to 2-D around an axis in [-rank, rank]. */
#include "ops-common.h"

#include <string.h>

static const char *const flatten_attrs[] = { "axis", NULL };

static yv7_status
flatten_check (const yv7_node *n, yv7_error *err)
{
  return yv7_op_attr_type (n, "axis", YV7_ATTR_INT, err);
}

static yv7_status
flatten_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t axis = yv7_attr_int (n, "axis", 1), dims[2] = { 1, 1 };
  yv7_status s = yv7_op_input (n, in, 0, err);

  if (s != YV7_OK)
    return s;
  if (axis < -(int64_t) in[0]->rank || axis > in[0]->rank)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "attribute axis=%lld is out of range for rank %d", (long long) axis,
        in[0]->rank);
  if (axis < 0)
    axis += in[0]->rank;
  for (int i = 0; i < in[0]->rank; i++)
    dims[i < axis ? 0 : 1] *= in[0]->dims[i];   /* bounded by numel */
  yv7_op_set_shape (out[0], in[0]->dtype, 2, dims);
  return YV7_OK;
}

static yv7_status
flatten_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  return yv7_op_run_same_data (flatten_infer, n, in, out, err);
}

const yv7_op_def yv7_op_flatten = {
  .name = "Flatten",
  .attrs = flatten_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .check = flatten_check,
  .infer = flatten_infer,
  .run = flatten_run,
};
