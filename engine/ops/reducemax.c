/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reducemax.c: ReduceMax; axes from the attribute (opset < 18) or the
 * optional input (opset 18+, with noop_with_empty_axes).  An empty
 * reduction gives -inf (floats) or the type's minimum. */
#include "ops-common.h"

#include <math.h>
#include <string.h>

static const char *const reduce_max_attrs[] = {
  "axes", "keepdims", "noop_with_empty_axes", NULL
};
static const yv7_dtype reduce_max_types[] = {
  YV7_DT_FLOAT, YV7_DT_DOUBLE, YV7_DT_INT32, YV7_DT_INT64, YV7_DT_UINT8,
  YV7_DT_INT8, YV7_DT_UNDEFINED
};

static yv7_status
reduce_max_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s;

  if ((s = yv7_op_attr_type (n, "axes", YV7_ATTR_INTS, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "keepdims", YV7_ATTR_INT, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "noop_with_empty_axes", YV7_ATTR_INT, err)) != YV7_OK)
    return s;
  if (n->opset >= 18)
    return yv7_op_attr_absent (n, "axes", "axes is an input since opset 18", err);
  if (n->n_inputs > 1)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "the axes input needs opset 18 or later (model has opset %d)", n->opset);
  return yv7_op_attr_absent (n, "noop_with_empty_axes", "added in opset 18", err);
}

/* Which axes are reduced (mask), or *noop when the op is an identity. */
static yv7_status
reduce_max_axes (const yv7_node *n, const yv7_tensor *const *in,
    unsigned *mask, bool *noop, yv7_error *err)
{
  int64_t axes[YV7_MAX_RANK];
  int na = 0;
  yv7_status s;

  if (n->opset < 18 && yv7_op_in (in, 1, n))
    return yv7_op_error (n, err, YV7_E_PARSE,
        "the axes input needs opset 18 or later (model has opset %d)", n->opset);
  if (yv7_op_in (in, 1, n)) {
    if ((s = yv7_op_input (n, in, 1, err)) != YV7_OK
        || (s = yv7_op_read_ints (n, in[1], "axes", axes, YV7_MAX_RANK, &na, err)) != YV7_OK)
      return s;
  } else {
    const int64_t *v;
    size_t cnt = yv7_attr_ints (n, "axes", &v);
    if (cnt > YV7_MAX_RANK)
      return yv7_op_error (n, err, YV7_E_SHAPE, "too many axes (%zu)", cnt);
    na = (int) cnt;
    if (na)
      memcpy (axes, v, sizeof (int64_t) * (size_t) na);
  }
  *noop = false;
  if (na == 0) {
    if (yv7_attr_int (n, "noop_with_empty_axes", 0)) {
      *noop = true;
      *mask = 0;
      return YV7_OK;
    }
    *mask = (1u << in[0]->rank) - 1;
    return YV7_OK;
  }
  return yv7_op_axes (n, axes, na, in[0]->rank, "axes", mask, err);
}

static yv7_status
reduce_max_shape (const yv7_node *n, const yv7_tensor *const *in,
    unsigned *mask, int *rank, int64_t *dims, yv7_error *err)
{
  bool noop, keep = yv7_attr_int (n, "keepdims", 1) != 0;
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_dtype (n, in[0], 0, reduce_max_types, err)) != YV7_OK
      || (s = reduce_max_axes (n, in, mask, &noop, err)) != YV7_OK)
    return s;
  *rank = 0;
  for (int i = 0; i < in[0]->rank; i++) {
    if (!((*mask >> i) & 1))
      dims[(*rank)++] = in[0]->dims[i];
    else if (keep)
      dims[(*rank)++] = 1;
  }
  return YV7_OK;
}

static yv7_status
reduce_max_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  unsigned mask;
  int rank;
  int64_t dims[YV7_MAX_RANK];
  yv7_status s = reduce_max_shape (n, in, &mask, &rank, dims, err);

  if (s == YV7_OK)
    yv7_op_set_shape (out[0], in[0]->dtype, rank, dims);
  return s;
}

/* Walk the input in order; ostr maps each input dim to the output
 * (0 along reduced dims).  A NaN wins and stays. */
#define REDUCE_MAX_LOOP(T, LOWEST, ISNAN) do { \
    const T *x = in[0]->data; \
    T *y = out[0]->data; \
    int64_t oi = 0; \
    for (int64_t i = 0; i < onum; i++) \
      y[i] = (LOWEST); \
    for (int64_t i = 0; i < inum; i++) { \
      if (x[i] > y[oi] || ISNAN (x[i])) \
        y[oi] = x[i]; \
      for (int d = r - 1; d >= 0; d--) { \
        oi += ostr[d]; \
        if (++idx[d] < in[0]->dims[d]) \
          break; \
        oi -= ostr[d] * idx[d]; \
        idx[d] = 0; \
      } \
    } \
  } while (0)
#define NEVER_NAN(v) 0

static yv7_status
reduce_max_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  unsigned mask;
  int rank, r;
  int64_t dims[YV7_MAX_RANK], ostr[YV7_MAX_RANK], idx[YV7_MAX_RANK] = { 0 };
  int64_t inum, onum, acc = 1;
  yv7_status s = reduce_max_shape (n, in, &mask, &rank, dims, err);

  if (s != YV7_OK || !out[0])
    return s;
  yv7_op_set_shape (out[0], in[0]->dtype, rank, dims);
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  r = in[0]->rank;
  for (int d = r - 1; d >= 0; d--) {
    ostr[d] = (mask >> d) & 1 ? 0 : acc;
    if (!((mask >> d) & 1))
      acc *= in[0]->dims[d];
  }
  inum = yv7_tensor_numel (in[0]);
  onum = yv7_tensor_numel (out[0]);
  switch (in[0]->dtype) {
    case YV7_DT_FLOAT: REDUCE_MAX_LOOP (float, -INFINITY, isnan); break;
    case YV7_DT_DOUBLE: REDUCE_MAX_LOOP (double, -INFINITY, isnan); break;
    case YV7_DT_INT32: REDUCE_MAX_LOOP (int32_t, INT32_MIN, NEVER_NAN); break;
    case YV7_DT_INT64: REDUCE_MAX_LOOP (int64_t, INT64_MIN, NEVER_NAN); break;
    case YV7_DT_UINT8: REDUCE_MAX_LOOP (uint8_t, 0, NEVER_NAN); break;
    default: REDUCE_MAX_LOOP (int8_t, INT8_MIN, NEVER_NAN); break;
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_reduce_max = {
  .name = "ReduceMax",
  .attrs = reduce_max_attrs,
  .min_inputs = 1, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .check = reduce_max_check,
  .infer = reduce_max_infer,
  .run = reduce_max_run,
};
