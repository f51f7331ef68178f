/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* transpose.c: Transpose by perm (default: reverse the dims); any
 * fixed-size data type. */
#include "ops-common.h"

static const char *const transpose_attrs[] = { "perm", NULL };

static yv7_status
transpose_check (const yv7_node *n, yv7_error *err)
{
  return yv7_op_attr_type (n, "perm", YV7_ATTR_INTS, err);
}

static yv7_status
transpose_perm (const yv7_node *n, const yv7_tensor *x, int *perm,
    yv7_error *err)
{
  const int64_t *v;
  size_t cnt = yv7_attr_ints (n, "perm", &v);
  unsigned seen = 0;

  if (!yv7_node_attr (n, "perm")) {
    for (int i = 0; i < x->rank; i++)
      perm[i] = x->rank - 1 - i;
    return YV7_OK;
  }
  if (cnt != (size_t) x->rank)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "attribute perm has %zu values for rank %d", cnt, x->rank);
  for (int i = 0; i < x->rank; i++) {
    if (v[i] < 0 || v[i] >= x->rank || (seen >> v[i]) & 1)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "attribute perm is not a permutation of 0..%d", x->rank - 1);
    seen |= 1u << v[i];
    perm[i] = (int) v[i];
  }
  return YV7_OK;
}

static yv7_status
transpose_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int perm[YV7_MAX_RANK];
  int64_t dims[YV7_MAX_RANK];
  yv7_status s = yv7_op_input (n, in, 0, err);

  if (s != YV7_OK || (s = transpose_perm (n, in[0], perm, err)) != YV7_OK)
    return s;
  for (int i = 0; i < in[0]->rank; i++)
    dims[i] = in[0]->dims[perm[i]];
  yv7_op_set_shape (out[0], in[0]->dtype, in[0]->rank, dims);
  return YV7_OK;
}

static yv7_status
transpose_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int perm[YV7_MAX_RANK];
  int64_t istr[YV7_MAX_RANK], strides[YV7_MAX_RANK];
  yv7_status s = transpose_infer (n, in, out, err);

  if (s != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  transpose_perm (n, in[0], perm, NULL);
  yv7_op_strides (in[0]->rank, in[0]->dims, istr);
  for (int i = 0; i < in[0]->rank; i++)
    strides[i] = istr[perm[i]];
  yv7_op_strided_copy (out[0]->data, in[0]->data, yv7_dtype_size (in[0]->dtype),
      out[0]->rank, out[0]->dims, strides, 0);
  return YV7_OK;
}

const yv7_op_def yv7_op_transpose = {
  .name = "Transpose",
  .attrs = transpose_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .check = transpose_check,
  .infer = transpose_infer,
  .run = transpose_run,
};
