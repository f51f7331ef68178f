/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reshape.c: Reshape (0 copies the input dim unless allowzero, -1 is
 * inferred); any fixed-size data type. */
#include "ops-common.h"

#include <string.h>

static const char *const reshape_attrs[] = { "allowzero", NULL };

static yv7_status
reshape_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s = yv7_op_attr_type (n, "allowzero", YV7_ATTR_INT, err);
  if (s == YV7_OK && n->opset < 14)
    s = yv7_op_attr_absent (n, "allowzero", "added in opset 14", err);
  return s;
}

static yv7_status
reshape_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  const yv7_tensor *x = in[0];
  int64_t shape[YV7_MAX_RANK], numel, known = 1;
  int rank = 0, infer_at = -1;
  bool allowzero = yv7_attr_int (n, "allowzero", 0) != 0;
  char b1[160], b2[160];
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 1, err)) != YV7_OK)
    return s;
  if (in[1]->dtype != YV7_DT_INT64)
    return yv7_op_error (n, err, YV7_E_PARSE, "input shape must be int64, not %s",
        yv7_dtype_name (in[1]->dtype));
  if ((s = yv7_op_read_ints (n, in[1], "shape", shape, YV7_MAX_RANK, &rank, err)) != YV7_OK)
    return s;
  if (in[1]->rank != 1)
    return yv7_op_error (n, err, YV7_E_SHAPE, "input shape must be 1-D");
  yv7_shape_numel (x->rank, x->dims, &numel);
  for (int i = 0; i < rank; i++) {
    if (shape[i] == -1) {
      if (infer_at >= 0)
        return yv7_op_error (n, err, YV7_E_SHAPE, "shape has more than one -1");
      infer_at = i;
      continue;
    }
    if (shape[i] == 0 && !allowzero) {
      if (i >= x->rank)
        return yv7_op_error (n, err, YV7_E_SHAPE,
            "shape value 0 at index %d has no input dim to copy", i);
      shape[i] = x->dims[i];
    }
    if (shape[i] < 0)
      return yv7_op_error (n, err, YV7_E_SHAPE, "shape value %lld is invalid",
          (long long) shape[i]);
    if (!yv7_mul_ok (known, shape[i], &known))
      return yv7_op_error (n, err, YV7_E_SHAPE, "shape overflows");
  }
  if (infer_at >= 0) {
    if (known == 0 || numel % known != 0)
      goto mismatch;
    shape[infer_at] = numel / known;
  } else if (known != numel) {
    goto mismatch;
  }
  if ((s = yv7_op_check_shape (n, rank, shape, err)) != YV7_OK)
    return s;
  yv7_op_set_shape (out[0], x->dtype, rank, shape);
  return YV7_OK;

mismatch:
  {
    int64_t raw[YV7_MAX_RANK];
    int cnt;
    yv7_op_read_ints (n, in[1], "shape", raw, YV7_MAX_RANK, &cnt, NULL);
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "cannot reshape %s to %s",
        yv7_shape_str (x->rank, x->dims, b1, sizeof b1),
        yv7_shape_str (cnt, raw, b2, sizeof b2));
  }
}

static yv7_status
reshape_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  return yv7_op_run_same_data (reshape_infer, n, in, out, err);
}

const yv7_op_def yv7_op_reshape = {
  .name = "Reshape",
  .attrs = reshape_attrs,
  .min_inputs = 2, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .check = reshape_check,
  .infer = reshape_infer,
  .run = reshape_run,
};
