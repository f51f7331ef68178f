/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pow.c: Pow, z = x ^ y with numpy broadcasting.  The result has x's type;
 * y may be any integer or float type (opset 12+). */
#include "ops-common.h"

#include <math.h>

static const char *const pow_attrs[] = { NULL };
static const yv7_dtype pow_base_types[] = {
  YV7_DT_FLOAT, YV7_DT_DOUBLE, YV7_DT_INT32, YV7_DT_INT64, YV7_DT_UNDEFINED
};

typedef struct {
  yv7_dtype xt, yt;
} pow_ctx;

/* Integer power with wrap-around; negative exponents give the truncated
 * value of 1 / x^-y (0 unless |x| == 1). */
static int64_t
pow_int (int64_t x, int64_t y)
{
  uint64_t r = 1, b = (uint64_t) x;

  if (y < 0) {
    if (x == 1)
      return 1;
    if (x == -1)
      return (y & 1) ? -1 : 1;
    return 0;
  }
  while (y) {
    if (y & 1)
      r *= b;
    b *= b;
    y >>= 1;
  }
  return (int64_t) r;
}

static bool
pow_row (void *ctx_, void *o_, const void *a_, const void *b_, int64_t len,
    int64_t sa, int64_t sb)
{
  const pow_ctx *ctx = ctx_;
  yv7_tensor yv = { .dtype = ctx->yt, .data = (void *) b_ };
  bool yfloat = yv7_dtype_is_float (ctx->yt);

  for (int64_t i = 0; i < len; i++) {
    int64_t j = i * sb;
    switch (ctx->xt) {
      case YV7_DT_FLOAT: {
        float x = ((const float *) a_)[i * sa];
        float *o = o_;
        if (ctx->yt == YV7_DT_FLOAT)
          o[i] = powf (x, ((const float *) b_)[j]);
        else
          o[i] = (float) pow ((double) x, yv7_tensor_get_f64 (&yv, j));
        break;
      }
      case YV7_DT_DOUBLE: {
        double x = ((const double *) a_)[i * sa];
        ((double *) o_)[i] = pow (x, yv7_tensor_get_f64 (&yv, j));
        break;
      }
      case YV7_DT_INT32: {
        int64_t x = ((const int32_t *) a_)[i * sa], r;
        if (yfloat)
          r = yv7_f64_to_i64 (pow ((double) x, yv7_tensor_get_f64 (&yv, j)));
        else
          r = pow_int (x, yv7_tensor_get_int (&yv, j));
        ((int32_t *) o_)[i] = (int32_t) (uint32_t) (uint64_t) r;
        break;
      }
      default: {
        int64_t x = ((const int64_t *) a_)[i * sa], r;
        if (yfloat)
          r = yv7_f64_to_i64 (pow ((double) x, yv7_tensor_get_f64 (&yv, j)));
        else
          r = pow_int (x, yv7_tensor_get_int (&yv, j));
        ((int64_t *) o_)[i] = r;
        break;
      }
    }
  }
  return true;
}

static yv7_status
pow_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int rank;
  int64_t dims[YV7_MAX_RANK];
  char b1[160], b2[160];
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 1, err)) != YV7_OK
      || (s = yv7_op_dtype (n, in[0], 0, pow_base_types, err)) != YV7_OK)
    return s;
  if (!yv7_dtype_is_float (in[1]->dtype) && !yv7_dtype_is_int (in[1]->dtype))
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "exponent data type %s is not supported", yv7_dtype_name (in[1]->dtype));
  if (!yv7_broadcast_shape (in[0], in[1], &rank, dims))
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "shapes %s and %s do not broadcast",
        yv7_shape_str (in[0]->rank, in[0]->dims, b1, sizeof b1),
        yv7_shape_str (in[1]->rank, in[1]->dims, b2, sizeof b2));
  if ((s = yv7_op_check_shape (n, rank, dims, err)) != YV7_OK)
    return s;
  yv7_op_set_shape (out[0], in[0]->dtype, rank, dims);
  return YV7_OK;
}

static yv7_status
pow_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_status s = pow_infer (n, in, out, err);
  pow_ctx ctx;

  if (s != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  ctx.xt = in[0]->dtype;
  ctx.yt = in[1]->dtype;
  yv7_op_broadcast_apply (in[0], in[1], out[0], pow_row, &ctx);
  return YV7_OK;
}

const yv7_op_def yv7_op_pow = {
  .name = "Pow",
  .attrs = pow_attrs,
  .min_inputs = 2, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .infer = pow_infer,
  .run = pow_run,
};
