/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conv.c: Conv (1-D, 2-D and 3-D, groups, dilations, pads, auto_pad), float.
 *
 * Each output element is the float sum over (ic, kz, ky, kx), in that order,
 * of x * w, plus the bias, then the activation a pass may have fused into
 * the node.  The loops are arranged so that the innermost one runs over a
 * contiguous output row (up to four output channels at once), which keeps
 * the per-element order of additions that plain loops would give. */
#include "ops-common.h"

#include <string.h>

static const char *const conv_attrs[] = {
  "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL
};

static yv7_status
conv_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s;
  int64_t group;

  if ((s = yv7_op_window_check (n, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "group", YV7_ATTR_INT, err)) != YV7_OK)
    return s;
  group = yv7_attr_int (n, "group", 1);
  if (group < 1)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "attribute group=%lld must be at least 1", (long long) group);
  return YV7_OK;
}

/* Shapes and geometry shared by infer and run. */
typedef struct {
  int64_t batch, c, m, group;
  yv7_op_window w;
} conv_geom;

static yv7_status
conv_geometry (const yv7_node *n, const yv7_tensor *const *in, conv_geom *g,
    yv7_error *err)
{
  const yv7_tensor *x, *wt, *b;
  const int64_t *ks;
  size_t nks;
  int64_t prod;
  char b1[160], b2[160];
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 1, err)) != YV7_OK)
    return s;
  x = in[0];
  wt = in[1];
  b = yv7_op_in (in, 2, n);
  if (b && (s = yv7_op_input (n, in, 2, err)) != YV7_OK)
    return s;
  if (x->dtype != YV7_DT_FLOAT || wt->dtype != YV7_DT_FLOAT
      || (b && b->dtype != YV7_DT_FLOAT))
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "only float32 inputs are supported (X %s, W %s)",
        yv7_dtype_name (x->dtype), yv7_dtype_name (wt->dtype));
  if (x->rank < 3 || x->rank > 5)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "input X has rank %d (1 to 3 spatial dims are supported)", x->rank);
  if (wt->rank != x->rank)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "weight shape %s does not fit input shape %s",
        yv7_shape_str (wt->rank, wt->dims, b1, sizeof b1),
        yv7_shape_str (x->rank, x->dims, b2, sizeof b2));
  g->batch = x->dims[0];
  g->c = x->dims[1];
  g->m = wt->dims[0];
  g->group = yv7_attr_int (n, "group", 1);
  if (g->group < 1 || g->c % g->group || g->m % g->group
      || !yv7_mul_ok (wt->dims[1], g->group, &prod) || prod != g->c)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "weight shape %s does not fit input shape %s with group=%lld",
        yv7_shape_str (wt->rank, wt->dims, b1, sizeof b1),
        yv7_shape_str (x->rank, x->dims, b2, sizeof b2), (long long) g->group);
  if (b && (b->rank != 1 || b->dims[0] != g->m))
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "bias shape %s does not match %lld output channels",
        yv7_shape_str (b->rank, b->dims, b1, sizeof b1), (long long) g->m);
  g->w.nsp = x->rank - 2;
  nks = yv7_attr_ints (n, "kernel_shape", &ks);
  if (nks && nks != (size_t) g->w.nsp)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "attribute kernel_shape has %zu values for %d spatial dims", nks,
        g->w.nsp);
  for (int i = 0; i < g->w.nsp; i++) {
    g->w.in[i] = x->dims[i + 2];
    g->w.k[i] = wt->dims[i + 2];
    if (nks && ks[i] != g->w.k[i])
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "attribute kernel_shape does not match weight shape %s",
          yv7_shape_str (wt->rank, wt->dims, b1, sizeof b1));
  }
  return yv7_op_window_setup (n, &g->w, false, err);
}

static yv7_status
conv_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  conv_geom g;
  int64_t dims[5];
  yv7_status s = conv_geometry (n, in, &g, err);

  if (s != YV7_OK)
    return s;
  dims[0] = g.batch;
  dims[1] = g.m;
  for (int i = 0; i < g.w.nsp; i++)
    dims[i + 2] = g.w.out[i];
  if ((s = yv7_op_check_shape (n, g.w.nsp + 2, dims, err)) != YV7_OK)
    return s;
  yv7_op_set_shape (out[0], YV7_DT_FLOAT, g.w.nsp + 2, dims);
  return YV7_OK;
}

static inline int64_t
floor_div (int64_t a, int64_t b)
{
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Output positions o in [0, out) with o * s - p + off inside [0, in). */
static void
out_range (int64_t in, int64_t out, int64_t s, int64_t p, int64_t off,
    int64_t *lo, int64_t *hi)
{
  int64_t l = -floor_div (off - p, s);       /* ceil ((p - off) / s) */
  int64_t h = floor_div (in - 1 + p - off, s) + 1;
  *lo = l < 0 ? 0 : l;
  *hi = h > out ? out : h;
  if (*hi < *lo)
    *hi = *lo;
}

/* Four lanes of floats (GNU C vector extension, SSE on x86-64, generic
 * code elsewhere): lane-wise multiply then add, so every output element sees
 * the same operations, in the same order, as in the scalar loop. */
typedef float v4sf __attribute__ ((vector_size (16)));

static inline v4sf
v4_load (const float *p)
{
  v4sf v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
v4_store (float *p, v4sf v)
{
  memcpy (p, &v, sizeof v);
}

/* Accumulate one weight tap of nb (1..4) output channels over a row. */
static void
conv_row (float *restrict const *o, const float *w, int nb,
    const float *restrict xr, int64_t len, int64_t sx)
{
  if (nb == 4) {
    float *restrict o0 = o[0], *restrict o1 = o[1];
    float *restrict o2 = o[2], *restrict o3 = o[3];
    float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
    int64_t j = 0;
    v4sf vw0 = { w0, w0, w0, w0 }, vw1 = { w1, w1, w1, w1 };
    v4sf vw2 = { w2, w2, w2, w2 }, vw3 = { w3, w3, w3, w3 };
    for (; j + 4 <= len; j += 4) {
      v4sf v;
      if (sx == 1) {
        v = v4_load (xr + j);
      } else {
        const float *p = xr + j * sx;
        v = (v4sf) { p[0], p[sx], p[2 * sx], p[3 * sx] };
      }
      v4_store (o0 + j, v4_load (o0 + j) + vw0 * v);
      v4_store (o1 + j, v4_load (o1 + j) + vw1 * v);
      v4_store (o2 + j, v4_load (o2 + j) + vw2 * v);
      v4_store (o3 + j, v4_load (o3 + j) + vw3 * v);
    }
    for (; j < len; j++) {
      float v = xr[j * sx];
      o0[j] += w0 * v;
      o1[j] += w1 * v;
      o2[j] += w2 * v;
      o3[j] += w3 * v;
    }
    return;
  }
  for (int b = 0; b < nb; b++) {
    float *restrict ob = o[b];
    float wb = w[b];
    int64_t j = 0;
    if (sx == 1) {
      v4sf vw = { wb, wb, wb, wb };
      for (; j + 4 <= len; j += 4)
        v4_store (ob + j, v4_load (ob + j) + vw * v4_load (xr + j));
    }
    for (; j < len; j++)
      ob[j] += wb * xr[j * sx];
  }
}

static yv7_status
conv_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  conv_geom g;
  yv7_op_window w;
  const yv7_tensor *bt;
  const float *x, *wt, *bias;
  float *y;
  int64_t cg, mg, ksz, isz, osz;
  yv7_status s;

  if ((s = conv_infer (n, in, out, err)) != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  conv_geometry (n, in, &g, NULL);
  /* Lift to 3 spatial dims: leading dims of size 1 cost nothing. */
  memset (&w, 0, sizeof w);
  for (int i = 0; i < 3; i++) {
    int j = i - (3 - g.w.nsp);
    if (j < 0) {
      w.in[i] = w.k[i] = w.s[i] = w.d[i] = w.out[i] = 1;
    } else {
      w.in[i] = g.w.in[j];
      w.k[i] = g.w.k[j];
      w.s[i] = g.w.s[j];
      w.d[i] = g.w.d[j];
      w.pb[i] = g.w.pb[j];
      w.out[i] = g.w.out[j];
    }
  }
  x = in[0]->data;
  wt = in[1]->data;
  bt = yv7_op_in (in, 2, n);
  bias = bt ? bt->data : NULL;
  y = out[0]->data;
  cg = g.c / g.group;
  mg = g.m / g.group;
  ksz = w.k[0] * w.k[1] * w.k[2];
  isz = w.in[0] * w.in[1] * w.in[2];
  osz = w.out[0] * w.out[1] * w.out[2];
  if (osz == 0)
    return YV7_OK;

  for (int64_t nb_ = 0; nb_ < g.batch; nb_++) {
    for (int64_t gi = 0; gi < g.group; gi++) {
      const float *xg = x + (nb_ * g.c + gi * cg) * isz;
      for (int64_t m0 = 0; m0 < mg; m0 += 4) {
        int nb = mg - m0 < 4 ? (int) (mg - m0) : 4;
        int64_t oc0 = gi * mg + m0;
        float *op[4];
        for (int b = 0; b < nb; b++)
          op[b] = y + (nb_ * g.m + oc0 + b) * osz;
        for (int64_t ic = 0; ic < cg; ic++) {
          const float *xc = xg + ic * isz;
          for (int64_t kz = 0; kz < w.k[0]; kz++)
          for (int64_t ky = 0; ky < w.k[1]; ky++)
          for (int64_t kx = 0; kx < w.k[2]; kx++) {
            int64_t zlo, zhi, ylo, yhi, xlo, xhi;
            int64_t tap = (kz * w.k[1] + ky) * w.k[2] + kx;
            float wv[4];
            for (int b = 0; b < nb; b++)
              wv[b] = wt[((oc0 + b) * cg + ic) * ksz + tap];
            out_range (w.in[0], w.out[0], w.s[0], w.pb[0], kz * w.d[0], &zlo, &zhi);
            out_range (w.in[1], w.out[1], w.s[1], w.pb[1], ky * w.d[1], &ylo, &yhi);
            out_range (w.in[2], w.out[2], w.s[2], w.pb[2], kx * w.d[2], &xlo, &xhi);
            if (xhi <= xlo)
              continue;
            for (int64_t oz = zlo; oz < zhi; oz++) {
              int64_t iz = oz * w.s[0] - w.pb[0] + kz * w.d[0];
              for (int64_t oy = ylo; oy < yhi; oy++) {
                int64_t iy = oy * w.s[1] - w.pb[1] + ky * w.d[1];
                int64_t ix = xlo * w.s[2] - w.pb[2] + kx * w.d[2];
                int64_t ooff = (oz * w.out[1] + oy) * w.out[2] + xlo;
                float *orow[4];
                for (int b = 0; b < nb; b++)
                  orow[b] = op[b] + ooff;
                conv_row (orow, wv, nb, xc + (iz * w.in[1] + iy) * w.in[2] + ix,
                    xhi - xlo, w.s[2]);
              }
            }
          }
        }
        for (int b = 0; b < nb; b++) {
          float bv = bias ? bias[oc0 + b] : 0.0f;
          float *p = op[b];
          if (bias)
            for (int64_t i = 0; i < osz; i++)
              p[i] += bv;
          if (n->fused_act != YV7_ACT_NONE)
            for (int64_t i = 0; i < osz; i++)
              p[i] = yv7_op_activate (n->fused_act, n->fused_alpha, p[i]);
        }
      }
    }
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_conv = {
  .name = "Conv",
  .attrs = conv_attrs,
  .min_inputs = 2, .max_inputs = 3,
  .min_outputs = 1, .max_outputs = 1,
  .check = conv_check,
  .infer = conv_infer,
  .run = conv_run,
};
