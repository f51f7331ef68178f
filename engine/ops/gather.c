/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gather.c: Gather along any axis with int32/int64 indices (negative ones
 * count from the end); any fixed-size data type. */
#include "ops-common.h"

#include <string.h>

static const char *const gather_attrs[] = { "axis", NULL };

static yv7_status
gather_check (const yv7_node *n, yv7_error *err)
{
  return yv7_op_attr_type (n, "axis", YV7_ATTR_INT, err);
}

static yv7_status
gather_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  const yv7_tensor *x, *idx;
  int64_t dims[YV7_MAX_RANK];
  int axis, rank = 0;
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 1, err)) != YV7_OK)
    return s;
  x = in[0];
  idx = in[1];
  if (idx->dtype != YV7_DT_INT64 && idx->dtype != YV7_DT_INT32)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "indices must be int32 or int64, not %s", yv7_dtype_name (idx->dtype));
  if (x->rank < 1 || !yv7_norm_axis (yv7_attr_int (n, "axis", 0), x->rank, &axis))
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "attribute axis=%lld is out of range for rank %d",
        (long long) yv7_attr_int (n, "axis", 0), x->rank);
  if (x->rank - 1 + idx->rank > YV7_MAX_RANK)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "output rank %d is not supported (at most %d)",
        x->rank - 1 + idx->rank, YV7_MAX_RANK);
  for (int i = 0; i < axis; i++)
    dims[rank++] = x->dims[i];
  for (int i = 0; i < idx->rank; i++)
    dims[rank++] = idx->dims[i];
  for (int i = axis + 1; i < x->rank; i++)
    dims[rank++] = x->dims[i];
  if ((s = yv7_op_check_shape (n, rank, dims, err)) != YV7_OK)
    return s;
  yv7_op_set_shape (out[0], x->dtype, rank, dims);
  return YV7_OK;
}

static yv7_status
gather_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  const yv7_tensor *x = in[0], *idx = in[1];
  int64_t outer = 1, inner = 1, dim, nidx;
  int axis;
  size_t esize, blk;
  uint8_t *dst;
  yv7_status s = gather_infer (n, in, out, err);

  if (s != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  yv7_norm_axis (yv7_attr_int (n, "axis", 0), x->rank, &axis);
  for (int i = 0; i < axis; i++)
    outer *= x->dims[i];
  for (int i = axis + 1; i < x->rank; i++)
    inner *= x->dims[i];
  dim = x->dims[axis];
  nidx = yv7_tensor_numel (idx);
  esize = yv7_dtype_size (x->dtype);
  blk = (size_t) inner * esize;
  /* Check every index first, so no partial output escapes an error. */
  for (int64_t j = 0; j < nidx; j++) {
    int64_t k = yv7_tensor_get_int (idx, j);
    if (k < -dim || k >= dim)
      return yv7_op_error (n, err, YV7_E_INVALID_ARG,
          "index %lld is out of range for axis %d of size %lld", (long long) k,
          axis, (long long) dim);
  }
  dst = out[0]->data;
  if (blk == 0)
    return YV7_OK;
  for (int64_t o = 0; o < outer; o++) {
    const uint8_t *src = (const uint8_t *) x->data + (size_t) (o * dim) * blk;
    for (int64_t j = 0; j < nidx; j++) {
      int64_t k = yv7_tensor_get_int (idx, j);
      if (k < 0)
        k += dim;
      memcpy (dst, src + (size_t) k * blk, blk);
      dst += blk;
    }
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_gather = {
  .name = "Gather",
  .attrs = gather_attrs,
  .min_inputs = 2, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .check = gather_check,
  .infer = gather_infer,
  .run = gather_run,
};
