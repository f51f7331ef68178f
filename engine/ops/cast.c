/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cast.c: Cast between bool, the integer types and float32/float64.
 * float -> integer truncates toward zero (out-of-range values saturate and
 * NaN gives 0, where C would be undefined); integer -> narrower integer
 * wraps; anything -> bool is `!= 0`. */
#include "ops-common.h"

#include <string.h>

static const char *const cast_attrs[] = { "to", NULL };

static bool
cast_type_ok (int64_t dt)
{
  switch (dt) {
    case YV7_DT_FLOAT: case YV7_DT_DOUBLE: case YV7_DT_BOOL:
    case YV7_DT_UINT8: case YV7_DT_INT8: case YV7_DT_UINT16: case YV7_DT_INT16:
    case YV7_DT_UINT32: case YV7_DT_INT32: case YV7_DT_UINT64: case YV7_DT_INT64:
      return true;
    default:
      return false;
  }
}

static yv7_status
cast_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s = yv7_op_attr_type (n, "to", YV7_ATTR_INT, err);
  int64_t to = yv7_attr_int (n, "to", 0);

  if (s != YV7_OK)
    return s;
  if (!yv7_node_attr (n, "to"))
    return yv7_op_error (n, err, YV7_E_PARSE, "attribute to is required");
  if (!cast_type_ok (to))
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute to=%lld (%s) is not supported", (long long) to,
        (to >= 0 && to <= 16) ? yv7_dtype_name ((yv7_dtype) to) : "unknown");
  return YV7_OK;
}

static yv7_status
cast_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t to = yv7_attr_int (n, "to", 0);
  yv7_status s = yv7_op_input (n, in, 0, err);

  if (s != YV7_OK)
    return s;
  if (!cast_type_ok (in[0]->dtype))
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "input data type %s is not supported", yv7_dtype_name (in[0]->dtype));
  if (!cast_type_ok (to))
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute to=%lld is not supported", (long long) to);
  yv7_op_set_shape (out[0], (yv7_dtype) to, in[0]->rank, in[0]->dims);
  return YV7_OK;
}

/* Store v (integer, as int64 or uint64 bits) into element i of type dt. */
#define STORE_INT(dt, p, i, v) do { \
    switch (dt) { \
      case YV7_DT_BOOL: ((uint8_t *) (p))[i] = (v) != 0; break; \
      case YV7_DT_UINT8: ((uint8_t *) (p))[i] = (uint8_t) (v); break; \
      case YV7_DT_INT8: ((int8_t *) (p))[i] = (int8_t) (v); break; \
      case YV7_DT_UINT16: ((uint16_t *) (p))[i] = (uint16_t) (v); break; \
      case YV7_DT_INT16: ((int16_t *) (p))[i] = (int16_t) (v); break; \
      case YV7_DT_UINT32: ((uint32_t *) (p))[i] = (uint32_t) (v); break; \
      case YV7_DT_INT32: ((int32_t *) (p))[i] = (int32_t) (v); break; \
      case YV7_DT_UINT64: ((uint64_t *) (p))[i] = (uint64_t) (v); break; \
      default: ((int64_t *) (p))[i] = (int64_t) (v); break; \
    } \
  } while (0)

static yv7_status
cast_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  const yv7_tensor *x = in[0];
  yv7_dtype to;
  int64_t numel;
  void *y;
  yv7_status s = cast_infer (n, in, out, err);

  if (s != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  to = out[0]->dtype;
  numel = yv7_tensor_numel (x);
  y = out[0]->data;
  if (to == x->dtype) {
    if (numel)
      memcpy (y, x->data, yv7_tensor_nbytes (x));
    return YV7_OK;
  }
  for (int64_t i = 0; i < numel; i++) {
    if (yv7_dtype_is_float (x->dtype)) {
      double v = yv7_tensor_get_f64 (x, i);
      if (to == YV7_DT_FLOAT)
        ((float *) y)[i] = (float) v;
      else if (to == YV7_DT_DOUBLE)
        ((double *) y)[i] = v;
      else if (to == YV7_DT_BOOL)
        ((uint8_t *) y)[i] = v != 0.0;   /* NaN is true */
      else if (to == YV7_DT_UINT64)
        STORE_INT (to, y, i, yv7_f64_to_u64 (v));
      else
        STORE_INT (to, y, i, yv7_f64_to_i64 (v));
    } else if (x->dtype == YV7_DT_UINT64) {
      uint64_t v = ((const uint64_t *) x->data)[i];
      if (to == YV7_DT_FLOAT)
        ((float *) y)[i] = (float) v;
      else if (to == YV7_DT_DOUBLE)
        ((double *) y)[i] = (double) v;
      else
        STORE_INT (to, y, i, v);
    } else {
      int64_t v = yv7_tensor_get_int (x, i);   /* bool reads as 0/1 */
      if (x->dtype == YV7_DT_BOOL)
        v = v != 0;
      if (to == YV7_DT_FLOAT)
        ((float *) y)[i] = (float) v;
      else if (to == YV7_DT_DOUBLE)
        ((double *) y)[i] = (double) v;
      else
        STORE_INT (to, y, i, v);
    }
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_cast = {
  .name = "Cast",
  .attrs = cast_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .check = cast_check,
  .infer = cast_infer,
  .run = cast_run,
};
