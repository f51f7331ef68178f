/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* resize.c: Resize, mode "nearest" only (opset 11 to 18 forms): every
 * coordinate_transformation_mode and nearest_mode, scales or sizes, roi for
 * tf_crop_and_resize, and opset 18's axes and keep_aspect_ratio_policy.
 * Source coordinates are computed in float, as the spec writes them. */
#include "ops-common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const resize_attrs[] = {
  "antialias", "axes", "coordinate_transformation_mode", "cubic_coeff_a",
  "exclude_outside", "extrapolation_value", "keep_aspect_ratio_policy", "mode",
  "nearest_mode", NULL
};

enum { CT_HALF_PIXEL, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC,
  CT_TF_HALF_PIXEL_FOR_NN, CT_TF_CROP_AND_RESIZE };
enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL };
enum { KA_STRETCH, KA_NOT_LARGER, KA_NOT_SMALLER };

static const char *const ct_names[] = {
  "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
  "tf_half_pixel_for_nn", "tf_crop_and_resize", NULL
};
static const char *const nm_names[] = {
  "round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL
};
static const char *const ka_names[] = {
  "stretch", "not_larger", "not_smaller", NULL
};

static int
name_index (const char *const *names, const char *v)
{
  for (int i = 0; names[i]; i++)
    if (!strcmp (names[i], v))
      return i;
  return -1;
}

static yv7_status
resize_check (const yv7_node *n, yv7_error *err)
{
  static const struct { const char *name; yv7_attr_type type; } types[] = {
    { "antialias", YV7_ATTR_INT }, { "axes", YV7_ATTR_INTS },
    { "coordinate_transformation_mode", YV7_ATTR_STRING },
    { "cubic_coeff_a", YV7_ATTR_FLOAT }, { "exclude_outside", YV7_ATTR_INT },
    { "extrapolation_value", YV7_ATTR_FLOAT },
    { "keep_aspect_ratio_policy", YV7_ATTR_STRING },
    { "mode", YV7_ATTR_STRING }, { "nearest_mode", YV7_ATTR_STRING },
  };
  const char *v;
  yv7_status s;

  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if ((s = yv7_op_attr_type (n, types[i].name, types[i].type, err)) != YV7_OK)
      return s;
  v = yv7_attr_string (n, "mode", "nearest");
  if (strcmp (v, "nearest"))
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute mode='%s' is not supported (only nearest)", v);
  if (n->opset < 11)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "the opset %d form of Resize is not supported (opset 11 or later)",
        n->opset);
  v = yv7_attr_string (n, "coordinate_transformation_mode", "half_pixel");
  if (name_index (ct_names, v) < 0)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute coordinate_transformation_mode='%s' is not supported", v);
  v = yv7_attr_string (n, "nearest_mode", "round_prefer_floor");
  if (name_index (nm_names, v) < 0)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute nearest_mode='%s' is not supported", v);
  v = yv7_attr_string (n, "keep_aspect_ratio_policy", "stretch");
  if (name_index (ka_names, v) < 0)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute keep_aspect_ratio_policy='%s' is not supported", v);
  if (n->opset < 18
      && ((s = yv7_op_attr_absent (n, "axes", "added in opset 18", err)) != YV7_OK
          || (s = yv7_op_attr_absent (n, "keep_aspect_ratio_policy",
                  "added in opset 18", err)) != YV7_OK
          || (s = yv7_op_attr_absent (n, "antialias", "added in opset 18",
                  err)) != YV7_OK))
    return s;
  return YV7_OK;
}

typedef struct {
  int rank;
  int64_t in[YV7_MAX_RANK], out[YV7_MAX_RANK];
  float scale[YV7_MAX_RANK];
  float roi_start[YV7_MAX_RANK], roi_end[YV7_MAX_RANK];
  int ct, nm;
} resize_plan;

/* Present and non-empty (opset 11 passes an empty scales with sizes). */
static bool
resize_given (const yv7_node *n, const yv7_tensor *const *in, int idx)
{
  const yv7_tensor *t = yv7_op_in (in, idx, n);
  int64_t numel;
  if (!t)
    return false;
  if (!yv7_shape_numel (t->rank, t->dims, &numel))
    return true;              /* unknown shape: let the input check decide */
  return numel > 0;
}

static yv7_status
resize_plan_make (const yv7_node *n, const yv7_tensor *const *in,
    resize_plan *p, yv7_error *err)
{
  const yv7_tensor *x = in[0];
  const int64_t *av;
  int axes[YV7_MAX_RANK], na;
  size_t nav = yv7_attr_ints (n, "axes", &av);
  bool has_scales, has_sizes;
  int ka;
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK)
    return s;
  for (int i = 1; i < 4; i++)
    if (yv7_op_in (in, i, n) && (s = yv7_op_input (n, in, i, err)) != YV7_OK)
      return s;
  p->rank = x->rank;
  p->ct = name_index (ct_names,
      yv7_attr_string (n, "coordinate_transformation_mode", "half_pixel"));
  p->nm = name_index (nm_names,
      yv7_attr_string (n, "nearest_mode", "round_prefer_floor"));
  ka = name_index (ka_names,
      yv7_attr_string (n, "keep_aspect_ratio_policy", "stretch"));
  if (p->ct < 0 || p->nm < 0 || ka < 0)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED, "unsupported attribute value");
  for (int i = 0; i < x->rank; i++) {
    p->in[i] = p->out[i] = x->dims[i];
    p->scale[i] = 1.0f;
    p->roi_start[i] = 0.0f;
    p->roi_end[i] = 1.0f;
  }
  if (nav) {
    unsigned mask;
    if (nav > (size_t) x->rank)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "attribute axes has %zu values for rank %d", nav, x->rank);
    if ((s = yv7_op_axes (n, av, (int) nav, x->rank, "attribute axes", &mask, err)) != YV7_OK)
      return s;
    na = (int) nav;
    for (int i = 0; i < na; i++)
      yv7_norm_axis (av[i], x->rank, &axes[i]);
  } else {
    na = x->rank;
    for (int i = 0; i < na; i++)
      axes[i] = i;
  }

  has_scales = resize_given (n, in, 2);
  has_sizes = resize_given (n, in, 3);
  if (has_scales == has_sizes)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "exactly one of scales and sizes must be given");

  if (p->ct == CT_TF_CROP_AND_RESIZE) {
    const yv7_tensor *roi = yv7_op_in (in, 1, n);
    int64_t numel;
    if (!roi || !yv7_dtype_is_float (roi->dtype))
      return yv7_op_error (n, err, YV7_E_PARSE,
          "tf_crop_and_resize needs a float roi input");
    yv7_shape_numel (roi->rank, roi->dims, &numel);
    if (roi->rank != 1 || numel != 2 * na)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "roi has %lld values, expected %d", (long long) numel, 2 * na);
    if (!roi->data)
      return YV7_E_DYNAMIC;
    for (int i = 0; i < na; i++) {
      p->roi_start[axes[i]] = (float) yv7_tensor_get_f64 (roi, i);
      p->roi_end[axes[i]] = (float) yv7_tensor_get_f64 (roi, na + i);
    }
  }

  if (has_scales) {
    const yv7_tensor *st = in[2];
    int64_t numel;
    if (!yv7_dtype_is_float (st->dtype))
      return yv7_op_error (n, err, YV7_E_PARSE, "scales must be float, not %s",
          yv7_dtype_name (st->dtype));
    yv7_shape_numel (st->rank, st->dims, &numel);
    if (st->rank != 1 || numel != na)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "scales has %lld values, expected %d", (long long) numel, na);
    if (!st->data)
      return YV7_E_DYNAMIC;
    for (int i = 0; i < na; i++) {
      int a = axes[i];
      float sc = (float) yv7_tensor_get_f64 (st, i);
      double o = (double) p->in[a] * sc;
      if (p->ct == CT_TF_CROP_AND_RESIZE)
        o = (double) p->in[a] * (p->roi_end[a] - p->roi_start[a]) * sc;
      if (!(sc > 0.0f) || !isfinite (sc) || !(o >= 0.0) || o >= 9.0e18)
        return yv7_op_error (n, err, YV7_E_SHAPE,
            "scale %g on axis %d is invalid", (double) sc, a);
      p->scale[a] = sc;
      p->out[a] = (int64_t) floor (o);
    }
  } else {
    const yv7_tensor *st = in[3];
    int64_t sizes[YV7_MAX_RANK];
    int cnt;
    if (st->dtype != YV7_DT_INT64)
      return yv7_op_error (n, err, YV7_E_PARSE, "sizes must be int64, not %s",
          yv7_dtype_name (st->dtype));
    if ((s = yv7_op_read_ints (n, st, "sizes", sizes, YV7_MAX_RANK, &cnt, err)) != YV7_OK)
      return s;
    if (cnt != na)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "sizes has %d values, expected %d", cnt, na);
    for (int i = 0; i < na; i++)
      if (sizes[i] < 0)
        return yv7_op_error (n, err, YV7_E_SHAPE, "size %lld is invalid",
            (long long) sizes[i]);
    if (ka != KA_STRETCH) {
      double sc = ka == KA_NOT_LARGER ? INFINITY : 0.0;
      for (int i = 0; i < na; i++) {
        double r;
        if (p->in[axes[i]] == 0)
          return yv7_op_error (n, err, YV7_E_SHAPE,
              "axis %d is empty: no aspect ratio", axes[i]);
        r = (double) sizes[i] / (double) p->in[axes[i]];
        sc = ka == KA_NOT_LARGER ? fmin (sc, r) : fmax (sc, r);
      }
      for (int i = 0; i < na; i++) {
        double o = floor (sc * (double) p->in[axes[i]] + 0.5);
        if (!(o >= 0.0) || o >= 9.0e18)
          return yv7_op_error (n, err, YV7_E_SHAPE, "output size overflows");
        p->out[axes[i]] = (int64_t) o;
        p->scale[axes[i]] = (float) sc;
      }
    } else {
      for (int i = 0; i < na; i++) {
        int a = axes[i];
        p->out[a] = sizes[i];
        p->scale[a] = p->in[a] ? (float) sizes[i] / (float) p->in[a] : 1.0f;
      }
    }
  }
  for (int i = 0; i < x->rank; i++)
    if (p->in[i] == 0 && p->out[i] > 0)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "axis %d is empty and cannot be resized to %lld", i,
          (long long) p->out[i]);
  return yv7_op_check_shape (n, p->rank, p->out, err);
}

static yv7_status
resize_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  resize_plan p;
  yv7_status s = resize_plan_make (n, in, &p, err);

  if (s == YV7_OK)
    yv7_op_set_shape (out[0], in[0]->dtype, p.rank, p.out);
  return s;
}

/* Source index of output index o along one axis; -1 for extrapolation. */
static int64_t
resize_source (const resize_plan *p, int a, int64_t o)
{
  int64_t lin = p->in[a], lout = p->out[a];
  float x = (float) o, sc = p->scale[a], xo, f, r;
  int64_t idx;

  if (lout == lin && sc == 1.0f && p->ct != CT_TF_CROP_AND_RESIZE)
    return o;
  switch (p->ct) {
    case CT_HALF_PIXEL:
      xo = (x + 0.5f) / sc - 0.5f;
      break;
    case CT_PYTORCH_HALF_PIXEL:
      xo = lout > 1 ? (x + 0.5f) / sc - 0.5f : 0.0f;
      break;
    case CT_ALIGN_CORNERS:
      xo = lout == 1 ? 0.0f : x * (float) (lin - 1) / (float) (lout - 1);
      break;
    case CT_ASYMMETRIC:
      xo = x / sc;
      break;
    case CT_TF_HALF_PIXEL_FOR_NN:
      xo = (x + 0.5f) / sc;
      break;
    default: {
      float s0 = p->roi_start[a], s1 = p->roi_end[a];
      xo = lout > 1
          ? s0 * (float) (lin - 1) + x * (s1 - s0) * (float) (lin - 1) / (float) (lout - 1)
          : 0.5f * (s0 + s1) * (float) (lin - 1);
      if (!(xo >= 0.0f) || xo > (float) (lin - 1))
        return -1;
      break;
    }
  }
  if (!isfinite (xo))
    xo = 0.0f;
  f = floorf (xo);
  r = xo - f;
  switch (p->nm) {
    case NM_ROUND_PREFER_FLOOR: if (r > 0.5f) f += 1.0f; break;
    case NM_ROUND_PREFER_CEIL: if (r >= 0.5f) f += 1.0f; break;
    case NM_FLOOR: break;
    default: if (r > 0.0f) f += 1.0f; break;
  }
  if (f <= 0.0f)
    return 0;
  idx = f >= (float) (lin - 1) ? lin - 1 : (int64_t) f;
  return idx;
}

static void
resize_store (void *dst, yv7_dtype dt, double v)
{
  switch (dt) {
    case YV7_DT_FLOAT: *(float *) dst = (float) v; break;
    case YV7_DT_DOUBLE: *(double *) dst = v; break;
    case YV7_DT_UINT8: *(uint8_t *) dst = (uint8_t) yv7_f64_to_i64 (v); break;
    case YV7_DT_INT8: *(int8_t *) dst = (int8_t) yv7_f64_to_i64 (v); break;
    case YV7_DT_INT32: *(int32_t *) dst = (int32_t) yv7_f64_to_i64 (v); break;
    case YV7_DT_INT64: *(int64_t *) dst = yv7_f64_to_i64 (v); break;
    default: memset (dst, 0, yv7_dtype_size (dt)); break;
  }
}

yv7_status
yv7_op_resize_tables (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *out, int64_t **block, int64_t **tables, yv7_error *err)
{
  resize_plan p;
  int64_t total = 0, off = 0, *buf;
  bool empty;
  yv7_status s = resize_plan_make (n, in, &p, err);

  *block = NULL;
  if (s != YV7_OK)
    return s;
  yv7_op_set_shape (out, in[0]->dtype, p.rank, p.out);
  /* a non-empty output's extents add up to at most its element count (plus
   * the rank); an empty one gets no entries, since its axes' sizes are
   * unbounded (a 0 x 10^9 output asked for 8 GB of tables) */
  empty = yv7_tensor_numel (out) == 0;
  for (int a = 0; a < p.rank && !empty; a++)
    total += p.out[a];
  buf = malloc (sizeof (int64_t) * (size_t) (total ? total : 1));
  if (!buf)
    return yv7_op_error (n, err, YV7_E_NOMEM, "out of memory");
  for (int a = 0; a < p.rank; a++) {
    tables[a] = buf + off;
    for (int64_t o = 0; o < p.out[a] && !empty; o++)
      tables[a][o] = resize_source (&p, a, o);
    off += empty ? 0 : p.out[a];
  }
  *block = buf;
  return YV7_OK;
}

static yv7_status
resize_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t *tab[YV7_MAX_RANK], *buf;
  int64_t istr[YV7_MAX_RANK], idx[YV7_MAX_RANK] = { 0 }, numel, inner, rows;
  size_t esize;
  uint8_t *dst, fill[8];
  const uint8_t *src;
  int r;
  yv7_status s;

  if (!out[0])
    return resize_infer (n, in, out, err);
  if ((s = yv7_op_resize_tables (n, in, out[0], &buf, tab, err)) != YV7_OK)
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK) {
    free (buf);
    return s;
  }
  numel = yv7_tensor_numel (out[0]);
  r = out[0]->rank;
  esize = yv7_dtype_size (in[0]->dtype);
  dst = out[0]->data;
  src = in[0]->data;
  if (numel == 0 || r == 0) {
    if (numel)
      memcpy (dst, src, esize);
    free (buf);
    return YV7_OK;
  }
  resize_store (fill, in[0]->dtype,
      (double) yv7_attr_float (n, "extrapolation_value", 0.0f));
  yv7_op_strides (r, in[0]->dims, istr);
  inner = out[0]->dims[r - 1];
  rows = numel / inner;
  for (int64_t row = 0; row < rows; row++) {
    int64_t base = 0;
    bool outside = false;
    const int64_t *last = tab[r - 1];
    for (int a = 0; a < r - 1; a++) {
      if (tab[a][idx[a]] < 0)
        outside = true;
      base += tab[a][idx[a]] * istr[a];
    }
    for (int64_t j = 0; j < inner; j++, dst += esize) {
      if (outside || last[j] < 0)
        memcpy (dst, fill, esize);
      else
        memcpy (dst, src + (size_t) (base + last[j]) * esize, esize);
    }
    for (int a = r - 2; a >= 0; a--) {
      if (++idx[a] < out[0]->dims[a])
        break;
      idx[a] = 0;
    }
  }
  free (buf);
  return YV7_OK;
}

const yv7_op_def yv7_op_resize = {
  .name = "Resize",
  .attrs = resize_attrs,
  .min_inputs = 1, .max_inputs = 4,
  .min_outputs = 1, .max_outputs = 1,
  .check = resize_check,
  .infer = resize_infer,
  .run = resize_run,
};
