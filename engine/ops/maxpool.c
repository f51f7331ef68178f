/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maxpool.c: MaxPool (1-D, 2-D and 3-D; pads, strides, dilations, ceil_mode,
 * auto_pad).  Padding never wins: the max is over the window's elements
 * inside the input.  The optional Indices output is not supported. */
#include "ops-common.h"

#include <float.h>
#include <math.h>
#include <string.h>

static const char *const max_pool_attrs[] = {
  "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
  "storage_order", "strides", NULL
};
static const yv7_dtype max_pool_types[] = {
  YV7_DT_FLOAT, YV7_DT_DOUBLE, YV7_DT_UINT8, YV7_DT_INT8, YV7_DT_UNDEFINED
};

static yv7_status
max_pool_check (const yv7_node *n, yv7_error *err)
{
  const int64_t *ks;
  yv7_status s;

  if ((s = yv7_op_window_check (n, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "ceil_mode", YV7_ATTR_INT, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "storage_order", YV7_ATTR_INT, err)) != YV7_OK)
    return s;
  if (yv7_attr_ints (n, "kernel_shape", &ks) == 0)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "attribute kernel_shape is required");
  if (yv7_attr_int (n, "storage_order", 0) != 0)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute storage_order=%lld is not supported (only 0)",
        (long long) yv7_attr_int (n, "storage_order", 0));
  if (yv7_attr_int (n, "ceil_mode", 0) != 0 && yv7_attr_int (n, "ceil_mode", 0) != 1)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "attribute ceil_mode=%lld must be 0 or 1",
        (long long) yv7_attr_int (n, "ceil_mode", 0));
  if (n->n_outputs > 1 && n->outputs[1] >= 0)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "the optional Indices output is not supported");
  return YV7_OK;
}

static yv7_status
max_pool_geometry (const yv7_node *n, const yv7_tensor *const *in,
    yv7_op_window *w, yv7_error *err)
{
  const yv7_tensor *x;
  const int64_t *ks;
  size_t nks;
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_dtype (n, in[0], 0, max_pool_types, err)) != YV7_OK)
    return s;
  x = in[0];
  if (x->rank < 3 || x->rank > 5)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "input X has rank %d (1 to 3 spatial dims are supported)", x->rank);
  w->nsp = x->rank - 2;
  nks = yv7_attr_ints (n, "kernel_shape", &ks);
  if (nks != (size_t) w->nsp)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "attribute kernel_shape has %zu values for %d spatial dims", nks,
        w->nsp);
  for (int i = 0; i < w->nsp; i++) {
    w->in[i] = x->dims[i + 2];
    w->k[i] = ks[i];
  }
  return yv7_op_window_setup (n, w, yv7_attr_int (n, "ceil_mode", 0) != 0, err);
}

static yv7_status
max_pool_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_op_window w;
  int64_t dims[5];
  yv7_status s;

  if (n->n_outputs > 1 && out[1])
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "the optional Indices output is not supported");
  if ((s = max_pool_geometry (n, in, &w, err)) != YV7_OK)
    return s;
  dims[0] = in[0]->dims[0];
  dims[1] = in[0]->dims[1];
  for (int i = 0; i < w.nsp; i++)
    dims[i + 2] = w.out[i];
  if ((s = yv7_op_check_shape (n, w.nsp + 2, dims, err)) != YV7_OK)
    return s;
  yv7_op_set_shape (out[0], in[0]->dtype, w.nsp + 2, dims);
  return YV7_OK;
}

/* Pool every plane; LOWEST is what an all-padding window gives. */
#define MAX_POOL_LOOP(T, LOWEST) do { \
    const T *xp = in[0]->data; \
    T *yp = out[0]->data; \
    for (int64_t p = 0; p < planes; p++) { \
      const T *xs = xp + p * isz; \
      T *ys = yp + p * osz; \
      for (int64_t oz = 0; oz < w.out[0]; oz++) \
      for (int64_t oy = 0; oy < w.out[1]; oy++) \
      for (int64_t ox = 0; ox < w.out[2]; ox++) { \
        T m = (LOWEST); \
        bool any = false; \
        int64_t z0 = oz * w.s[0] - w.pb[0]; \
        int64_t y0 = oy * w.s[1] - w.pb[1]; \
        int64_t x0 = ox * w.s[2] - w.pb[2]; \
        for (int64_t kz = 0; kz < w.k[0]; kz++) { \
          int64_t iz = z0 + kz * w.d[0]; \
          if (iz < 0 || iz >= w.in[0]) continue; \
          for (int64_t ky = 0; ky < w.k[1]; ky++) { \
            int64_t iy = y0 + ky * w.d[1]; \
            const T *row; \
            if (iy < 0 || iy >= w.in[1]) continue; \
            row = xs + (iz * w.in[1] + iy) * w.in[2]; \
            for (int64_t kx = 0; kx < w.k[2]; kx++) { \
              int64_t ix = x0 + kx * w.d[2]; \
              if (ix < 0 || ix >= w.in[2]) continue; \
              if (!any || row[ix] > m) \
                m = row[ix]; \
              any = true; \
            } \
          } \
        } \
        *ys++ = m; \
      } \
    } \
  } while (0)

static yv7_status
max_pool_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_op_window g, w;
  int64_t planes, isz, osz;
  yv7_status s;

  if ((s = max_pool_infer (n, in, out, err)) != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  max_pool_geometry (n, in, &g, NULL);
  memset (&w, 0, sizeof w);
  for (int i = 0; i < 3; i++) {
    int j = i - (3 - g.nsp);
    if (j < 0) {
      w.in[i] = w.k[i] = w.s[i] = w.d[i] = w.out[i] = 1;
    } else {
      w.in[i] = g.in[j];
      w.k[i] = g.k[j];
      w.s[i] = g.s[j];
      w.d[i] = g.d[j];
      w.pb[i] = g.pb[j];
      w.out[i] = g.out[j];
    }
  }
  planes = in[0]->dims[0] * in[0]->dims[1];
  isz = w.in[0] * w.in[1] * w.in[2];
  osz = w.out[0] * w.out[1] * w.out[2];
  switch (in[0]->dtype) {
    case YV7_DT_FLOAT: MAX_POOL_LOOP (float, -FLT_MAX); break;
    case YV7_DT_DOUBLE: MAX_POOL_LOOP (double, -DBL_MAX); break;
    case YV7_DT_UINT8: MAX_POOL_LOOP (uint8_t, 0); break;
    default: MAX_POOL_LOOP (int8_t, INT8_MIN); break;
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_max_pool = {
  .name = "MaxPool",
  .attrs = max_pool_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 2,
  .check = max_pool_check,
  .infer = max_pool_infer,
  .run = max_pool_run,
};
