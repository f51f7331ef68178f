/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* concat.c: Concat along one axis, any fixed-size data type. */
#include "ops-common.h"

#include <string.h>

static const char *const concat_attrs[] = { "axis", NULL };

static yv7_status
concat_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s = yv7_op_attr_type (n, "axis", YV7_ATTR_INT, err);
  if (s == YV7_OK && !yv7_node_attr (n, "axis"))
    return yv7_op_error (n, err, YV7_E_PARSE, "attribute axis is required");
  return s;
}

static yv7_status
concat_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  const yv7_tensor *first = NULL;
  int64_t dims[YV7_MAX_RANK];
  int axis = 0;
  char b1[160], b2[160];
  yv7_status s;

  for (int i = 0; i < n->n_inputs; i++) {
    const yv7_tensor *t = in[i];
    if ((s = yv7_op_input (n, in, i, err)) != YV7_OK)
      return s;
    if (!first) {
      first = t;
      if (t->rank == 0)
        return yv7_op_error (n, err, YV7_E_SHAPE, "inputs must not be scalars");
      if (!yv7_norm_axis (yv7_attr_int (n, "axis", 0), t->rank, &axis))
        return yv7_op_error (n, err, YV7_E_SHAPE,
            "attribute axis=%lld is out of range for rank %d",
            (long long) yv7_attr_int (n, "axis", 0), t->rank);
      memcpy (dims, t->dims, sizeof (int64_t) * (size_t) t->rank);
      continue;
    }
    if (t->dtype != first->dtype)
      return yv7_op_error (n, err, YV7_E_PARSE,
          "input %d has data type %s, input 0 has %s", i,
          yv7_dtype_name (t->dtype), yv7_dtype_name (first->dtype));
    for (int d = 0; d < first->rank && t->rank == first->rank; d++)
      if (d != axis && t->dims[d] != first->dims[d])
        goto mismatch;
    if (t->rank != first->rank)
      goto mismatch;
    if (!yv7_add_ok (dims[axis], t->dims[axis], &dims[axis]))
      return yv7_op_error (n, err, YV7_E_SHAPE, "concatenated size overflows");
    continue;
  mismatch:
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "input %d shape %s does not fit input 0 shape %s on axis %d", i,
        yv7_shape_str (t->rank, t->dims, b1, sizeof b1),
        yv7_shape_str (first->rank, first->dims, b2, sizeof b2), axis);
  }
  if (!first)
    return yv7_op_error (n, err, YV7_E_PARSE, "needs at least one input");
  if ((s = yv7_op_check_shape (n, first->rank, dims, err)) != YV7_OK)
    return s;
  yv7_op_set_shape (out[0], first->dtype, first->rank, dims);
  return YV7_OK;
}

static yv7_status
concat_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int axis = 0;
  int64_t outer = 1, inner = 1;
  size_t esize;
  uint8_t *dst;
  yv7_status s;

  if ((s = concat_infer (n, in, out, err)) != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  yv7_norm_axis (yv7_attr_int (n, "axis", 0), out[0]->rank, &axis);
  for (int d = 0; d < axis; d++)
    outer *= out[0]->dims[d];
  for (int d = axis + 1; d < out[0]->rank; d++)
    inner *= out[0]->dims[d];
  esize = yv7_dtype_size (out[0]->dtype);
  dst = out[0]->data;
  for (int64_t o = 0; o < outer; o++) {
    for (int i = 0; i < n->n_inputs; i++) {
      size_t blk = (size_t) (in[i]->dims[axis] * inner) * esize;
      if (blk)
        memcpy (dst, (const uint8_t *) in[i]->data + (size_t) o * blk, blk);
      dst += blk;
    }
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_concat = {
  .name = "Concat",
  .attrs = concat_attrs,
  .min_inputs = 1, .max_inputs = 1 << 20,
  .min_outputs = 1, .max_outputs = 1,
  .check = concat_check,
  .infer = concat_infer,
  .run = concat_run,
};
