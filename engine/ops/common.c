/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common.c: helpers shared by the host reference ops: error text, input
 * checks, axis and broadcast arithmetic, strided copies. */
#include "ops-common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

yv7_status
yv7_op_error (const yv7_node *n, yv7_error *err, yv7_status code,
    const char *fmt, ...)
{
  if (err) {
    va_list ap;
    int off;

    err->code = code;
    off = snprintf (err->message, sizeof err->message, "%s node '%s': ",
        n->op_type ? n->op_type : "?", n->name ? n->name : "?");
    if (off < 0)
      off = 0;
    if ((size_t) off < sizeof err->message) {
      va_start (ap, fmt);
      vsnprintf (err->message + off, sizeof err->message - (size_t) off, fmt, ap);
      va_end (ap);
    }
  }
  return code;
}

static const char *
attr_type_name (yv7_attr_type t)
{
  switch (t) {
    case YV7_ATTR_FLOAT: return "FLOAT";
    case YV7_ATTR_INT: return "INT";
    case YV7_ATTR_STRING: return "STRING";
    case YV7_ATTR_TENSOR: return "TENSOR";
    case YV7_ATTR_GRAPH: return "GRAPH";
    case YV7_ATTR_FLOATS: return "FLOATS";
    case YV7_ATTR_INTS: return "INTS";
    case YV7_ATTR_STRINGS: return "STRINGS";
    case YV7_ATTR_TENSORS: return "TENSORS";
    case YV7_ATTR_GRAPHS: return "GRAPHS";
    default: return "UNDEFINED";
  }
}

yv7_status
yv7_op_attr_type (const yv7_node *n, const char *name, yv7_attr_type type,
    yv7_error *err)
{
  const yv7_attr *a = yv7_node_attr (n, name);
  if (a && a->type != type)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "attribute %s has type %s, expected %s", name,
        attr_type_name (a->type), attr_type_name (type));
  return YV7_OK;
}

yv7_status
yv7_op_attr_absent (const yv7_node *n, const char *name, const char *why,
    yv7_error *err)
{
  if (yv7_node_attr (n, name))
    return yv7_op_error (n, err, YV7_E_PARSE,
        "attribute %s is not valid in opset %d (%s)", name, n->opset, why);
  return YV7_OK;
}

/* The product of the dims, zeros counted as ones, fits in int64: then every
 * partial product (outer, inner, strides) does too, even for an empty
 * tensor. */
static bool
extent_ok (int rank, const int64_t *dims)
{
  int64_t e = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0)
      return false;
    if (dims[i] > 1 && !yv7_mul_ok (e, dims[i], &e))
      return false;
  }
  return true;
}

yv7_status
yv7_op_input (const yv7_node *n, const yv7_tensor *const *in, int idx,
    yv7_error *err)
{
  const yv7_tensor *t = yv7_op_in (in, idx, n);
  int64_t numel;

  if (!t)
    return yv7_op_error (n, err, YV7_E_PARSE, "input %d is required", idx);
  if (t->rank < 0 || t->rank > YV7_MAX_RANK)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "input %d has rank %d (at most %d supported)", idx, t->rank,
        YV7_MAX_RANK);
  for (int i = 0; i < t->rank; i++)
    if (t->dims[i] < 0)
      return YV7_E_DYNAMIC;
  if (!yv7_shape_numel (t->rank, t->dims, &numel) || !extent_ok (t->rank, t->dims))
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "input %d has too many elements", idx);
  if (yv7_dtype_size (t->dtype) == 0)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "input %d has data type %s, which is not supported", idx,
        yv7_dtype_name (t->dtype));
  return YV7_OK;
}

yv7_status
yv7_op_dtype (const yv7_node *n, const yv7_tensor *t, int idx,
    const yv7_dtype *allowed, yv7_error *err)
{
  for (const yv7_dtype *d = allowed; *d != YV7_DT_UNDEFINED; d++)
    if (*d == t->dtype)
      return YV7_OK;
  return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
      "input %d has data type %s, which this op does not support", idx,
      yv7_dtype_name (t->dtype));
}

bool
yv7_dtype_is_float (yv7_dtype dt)
{
  return dt == YV7_DT_FLOAT || dt == YV7_DT_DOUBLE;
}

bool
yv7_dtype_is_int (yv7_dtype dt)
{
  switch (dt) {
    case YV7_DT_UINT8: case YV7_DT_INT8: case YV7_DT_UINT16: case YV7_DT_INT16:
    case YV7_DT_INT32: case YV7_DT_INT64: case YV7_DT_UINT32: case YV7_DT_UINT64:
      return true;
    default:
      return false;
  }
}

yv7_status
yv7_op_read_ints (const yv7_node *n, const yv7_tensor *t, const char *what,
    int64_t *vals, int max, int *count, yv7_error *err)
{
  int64_t numel;

  if (t->dtype != YV7_DT_INT64 && t->dtype != YV7_DT_INT32)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "input '%s' must be int64 or int32, not %s", what,
        yv7_dtype_name (t->dtype));
  if (t->rank > 1)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "input '%s' must be 1-D (it has rank %d)", what, t->rank);
  if (t->rank == 1 && t->dims[0] < 0)
    return YV7_E_DYNAMIC;
  if (!t->data)
    return YV7_E_DYNAMIC;
  numel = t->rank == 1 ? t->dims[0] : 1;
  if (numel > max)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "input '%s' has %lld values (at most %d allowed)", what,
        (long long) numel, max);
  for (int64_t i = 0; i < numel; i++)
    vals[i] = yv7_tensor_get_int (t, i);
  *count = (int) numel;
  return YV7_OK;
}

yv7_status
yv7_op_read_scalar_f (const yv7_node *n, const yv7_tensor *t, const char *what,
    double *val, yv7_error *err)
{
  int64_t numel;

  if (!yv7_dtype_is_float (t->dtype))
    return yv7_op_error (n, err, YV7_E_PARSE,
        "input '%s' must be float, not %s", what, yv7_dtype_name (t->dtype));
  if (!yv7_shape_numel (t->rank, t->dims, &numel) || numel != 1)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "input '%s' must hold exactly one value", what);
  if (!t->data)
    return YV7_E_DYNAMIC;
  *val = yv7_tensor_get_f64 (t, 0);
  return YV7_OK;
}

void
yv7_op_set_shape (yv7_tensor *t, yv7_dtype dt, int rank, const int64_t *dims)
{
  int64_t saved[YV7_MAX_RANK];

  if (!t)
    return;
  memcpy (saved, dims, sizeof (int64_t) * (size_t) rank);
  t->dtype = dt;
  t->rank = rank;
  memcpy (t->dims, saved, sizeof (int64_t) * (size_t) rank);
}

yv7_status
yv7_op_check_shape (const yv7_node *n, int rank, const int64_t *dims,
    yv7_error *err)
{
  int64_t numel;
  char buf[160];

  if (rank < 0 || rank > YV7_MAX_RANK)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "output rank %d is not supported (at most %d)", rank, YV7_MAX_RANK);
  if (!yv7_shape_numel (rank, dims, &numel) || numel > YV7_OP_MAX_ELEMENTS
      || !extent_ok (rank, dims))
    return yv7_op_error (n, err, YV7_E_SHAPE, "invalid output shape %s",
        yv7_shape_str (rank, dims, buf, sizeof buf));
  return YV7_OK;
}

yv7_status
yv7_op_alloc_outputs (const yv7_node *n, yv7_tensor *const *out,
    yv7_error *err)
{
  for (int i = 0; i < n->n_outputs; i++) {
    yv7_tensor *t = out[i];
    yv7_status s;

    if (!t)
      continue;
    s = yv7_op_check_shape (n, t->rank, t->dims, err);
    if (s != YV7_OK)
      return s;
    s = yv7_tensor_alloc (t, t->dtype, t->rank, t->dims, NULL);
    if (s != YV7_OK) {
      char buf[160];
      return yv7_op_error (n, err, s, "cannot allocate output %d (%s %s)", i,
          yv7_dtype_name (t->dtype),
          yv7_shape_str (t->rank, t->dims, buf, sizeof buf));
    }
  }
  return YV7_OK;
}

bool
yv7_norm_axis (int64_t axis, int rank, int *out)
{
  if (axis < -(int64_t) rank || axis >= rank)
    return false;
  *out = (int) (axis < 0 ? axis + rank : axis);
  return true;
}

yv7_status
yv7_op_axes (const yv7_node *n, const int64_t *axes, int count, int rank,
    const char *what, unsigned *mask, yv7_error *err)
{
  unsigned m = 0;

  for (int i = 0; i < count; i++) {
    int a;
    if (!yv7_norm_axis (axes[i], rank, &a))
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "%s value %lld is out of range for rank %d", what,
          (long long) axes[i], rank);
    if (m & (1u << a))
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "%s names axis %d twice", what, a);
    m |= 1u << a;
  }
  *mask = m;
  return YV7_OK;
}

bool
yv7_broadcast_shape (const yv7_tensor *a, const yv7_tensor *b, int *rank,
    int64_t *dims)
{
  int r = a->rank > b->rank ? a->rank : b->rank;

  if (a->rank < 0 || b->rank < 0 || r > YV7_MAX_RANK)
    return false;
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a->rank), ib = i - (r - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1;
    int64_t db = ib >= 0 ? b->dims[ib] : 1;
    if (da < 0 || db < 0)
      return false;
    if (da == db || db == 1)
      dims[i] = da;
    else if (da == 1)
      dims[i] = db;
    else
      return false;
  }
  *rank = r;
  return true;
}

void
yv7_op_strides (int rank, const int64_t *dims, int64_t *strides)
{
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}

void
yv7_op_strided_copy (void *dst, const void *src, size_t esize, int rank,
    const int64_t *dims, const int64_t *strides, int64_t offset)
{
  int64_t idx[YV7_MAX_RANK] = { 0 };
  int64_t numel = 1, inner, istride, rows;
  uint8_t *d = dst;
  const uint8_t *s = src;

  for (int i = 0; i < rank; i++)
    numel *= dims[i];
  if (numel == 0)
    return;
  if (rank == 0) {
    memcpy (d, s + offset * (int64_t) esize, esize);
    return;
  }
  inner = dims[rank - 1];
  istride = strides[rank - 1];
  rows = numel / inner;
  for (int64_t r = 0; r < rows; r++) {
    int64_t off = offset;
    const uint8_t *p;
    for (int i = 0; i < rank - 1; i++)
      off += idx[i] * strides[i];
    p = s + off * (int64_t) esize;
    if (istride == 1) {
      memcpy (d, p, (size_t) inner * esize);
    } else {
      int64_t step = istride * (int64_t) esize;
      switch (esize) {
        case 1:
          for (int64_t j = 0; j < inner; j++) d[j] = p[j * step];
          break;
        case 2:
          for (int64_t j = 0; j < inner; j++)
            memcpy (d + 2 * j, p + j * step, 2);
          break;
        case 4:
          for (int64_t j = 0; j < inner; j++)
            memcpy (d + 4 * j, p + j * step, 4);
          break;
        case 8:
          for (int64_t j = 0; j < inner; j++)
            memcpy (d + 8 * j, p + j * step, 8);
          break;
        default:
          for (int64_t j = 0; j < inner; j++)
            memcpy (d + esize * (size_t) j, p + j * step, esize);
          break;
      }
    }
    d += (size_t) inner * esize;
    for (int i = rank - 2; i >= 0; i--) {
      if (++idx[i] < dims[i])
        break;
      idx[i] = 0;
    }
  }
}

bool
yv7_op_broadcast_apply (const yv7_tensor *a, const yv7_tensor *b,
    yv7_tensor *o, yv7_op_row_fn fn, void *ctx)
{
  int r = o->rank, m = 0;
  int64_t dims[YV7_MAX_RANK], sa[YV7_MAX_RANK], sb[YV7_MAX_RANK];
  int64_t idx[YV7_MAX_RANK] = { 0 };
  size_t ea = yv7_dtype_size (a->dtype), eb = yv7_dtype_size (b->dtype);
  size_t eo = yv7_dtype_size (o->dtype);
  int64_t numel = yv7_tensor_numel (o), inner, rows;
  uint8_t *po = o->data;

  if (numel == 0)
    return true;
  /* Element strides, 0 along broadcast dims; then merge dims that stay
   * contiguous for both inputs so rows are as long as possible. */
  {
    int64_t ta[YV7_MAX_RANK], tb[YV7_MAX_RANK], acc_a = 1, acc_b = 1;
    for (int i = r - 1; i >= 0; i--) {
      int ia = i - (r - a->rank), ib = i - (r - b->rank);
      int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
      ta[i] = (da == 1 && o->dims[i] != 1) ? 0 : acc_a;
      tb[i] = (db == 1 && o->dims[i] != 1) ? 0 : acc_b;
      acc_a *= da;
      acc_b *= db;
    }
    for (int i = 0; i < r; i++) {
      if (o->dims[i] == 1)
        continue;
      if (m > 0 && sa[m - 1] == ta[i] * o->dims[i]
          && sb[m - 1] == tb[i] * o->dims[i]) {
        dims[m - 1] *= o->dims[i];
        sa[m - 1] = ta[i];
        sb[m - 1] = tb[i];
        continue;
      }
      dims[m] = o->dims[i];
      sa[m] = ta[i];
      sb[m] = tb[i];
      m++;
    }
  }
  if (m == 0)
    return fn (ctx, po, a->data, b->data, 1, 0, 0);
  inner = dims[m - 1];
  rows = numel / inner;
  for (int64_t row = 0; row < rows; row++) {
    int64_t oa = 0, ob = 0;
    for (int i = 0; i < m - 1; i++) {
      oa += idx[i] * sa[i];
      ob += idx[i] * sb[i];
    }
    if (!fn (ctx, po, (const uint8_t *) a->data + oa * (int64_t) ea,
            (const uint8_t *) b->data + ob * (int64_t) eb, inner, sa[m - 1],
            sb[m - 1]))
      return false;
    po += (size_t) inner * eo;
    for (int i = m - 2; i >= 0; i--) {
      if (++idx[i] < dims[i])
        break;
      idx[i] = 0;
    }
  }
  return true;
}

static const yv7_op_binary_kernel *
binary_kernel (const yv7_op_binary_kernel *kernels, yv7_dtype dt)
{
  for (const yv7_op_binary_kernel *k = kernels; k->dtype != YV7_DT_UNDEFINED; k++)
    if (k->dtype == dt)
      return k;
  return NULL;
}

yv7_status
yv7_op_binary_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, const yv7_op_binary_kernel *kernels,
    yv7_error *err)
{
  int rank;
  int64_t dims[YV7_MAX_RANK];
  char b1[160], b2[160];
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 1, err)) != YV7_OK)
    return s;
  if (in[0]->dtype != in[1]->dtype)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "inputs have different data types (%s and %s)",
        yv7_dtype_name (in[0]->dtype), yv7_dtype_name (in[1]->dtype));
  if (!binary_kernel (kernels, in[0]->dtype))
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "data type %s is not supported", yv7_dtype_name (in[0]->dtype));
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

yv7_status
yv7_op_binary_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, const yv7_op_binary_kernel *kernels,
    yv7_error *err)
{
  yv7_status s = yv7_op_binary_infer (n, in, out, kernels, err);
  const yv7_op_binary_kernel *k;

  if (s != YV7_OK)
    return s;
  if (!out[0])
    return YV7_OK;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  k = binary_kernel (kernels, in[0]->dtype);
  if (!yv7_op_broadcast_apply (in[0], in[1], out[0], k->fn, NULL))
    return yv7_op_error (n, err, YV7_E_INVALID_ARG, "integer division by zero");
  return YV7_OK;
}

int64_t
yv7_f64_to_i64 (double v)
{
  if (isnan (v))
    return 0;
  if (v >= 9223372036854775807.0)
    return INT64_MAX;
  if (v <= -9223372036854775808.0)
    return INT64_MIN;
  return (int64_t) v;
}

uint64_t
yv7_f64_to_u64 (double v)
{
  if (isnan (v) || v <= 0)
    return 0;
  if (v >= 18446744073709551615.0)
    return UINT64_MAX;
  return (uint64_t) v;
}

float
yv7_op_activate (int act, float alpha, float x)
{
  switch (act) {
    case YV7_ACT_LEAKY:
      return x >= 0.0f ? x : x * alpha;
    case YV7_ACT_SILU:
      return x * (1.0f / (1.0f + expf (-x)));
    case YV7_ACT_SIGMOID:
      return 1.0f / (1.0f + expf (-x));
    default:
      return x;
  }
}

#define WINDOW_MAX_PARAM ((int64_t) 1 << 31)

yv7_status
yv7_op_window_check (const yv7_node *n, yv7_error *err)
{
  static const char *const names[] = { "kernel_shape", "strides", "dilations", "pads" };
  const char *auto_pad;
  yv7_status s;

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const int64_t *v;
    size_t cnt;
    int64_t lo = i == 3 ? 0 : 1;

    if ((s = yv7_op_attr_type (n, names[i], YV7_ATTR_INTS, err)) != YV7_OK)
      return s;
    cnt = yv7_attr_ints (n, names[i], &v);
    if (cnt > (i == 3 ? 6u : 3u))
      return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
          "attribute %s has %zu values (at most 3 spatial dims are supported)",
          names[i], cnt);
    if (i == 3 && cnt % 2)
      return yv7_op_error (n, err, YV7_E_PARSE,
          "attribute pads has an odd number of values (%zu)", cnt);
    for (size_t j = 0; j < cnt; j++)
      if (v[j] < lo || v[j] > WINDOW_MAX_PARAM)
        return yv7_op_error (n, err, YV7_E_PARSE,
            "attribute %s value %lld is out of range", names[i], (long long) v[j]);
  }
  if ((s = yv7_op_attr_type (n, "auto_pad", YV7_ATTR_STRING, err)) != YV7_OK)
    return s;
  auto_pad = yv7_attr_string (n, "auto_pad", "NOTSET");
  if (strcmp (auto_pad, "NOTSET") && strcmp (auto_pad, "SAME_UPPER")
      && strcmp (auto_pad, "SAME_LOWER") && strcmp (auto_pad, "VALID"))
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute auto_pad='%s' is not supported (NOTSET, SAME_UPPER, "
        "SAME_LOWER or VALID)", auto_pad);
  return YV7_OK;
}

static yv7_status
window_param (const yv7_node *n, const char *name, int count, int64_t def,
    int64_t *vals, yv7_error *err)
{
  const int64_t *v;
  size_t cnt = yv7_attr_ints (n, name, &v);

  if (cnt == 0) {
    for (int i = 0; i < count; i++)
      vals[i] = def;
    return YV7_OK;
  }
  if (cnt != (size_t) count)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "attribute %s has %zu values, expected %d", name, cnt, count);
  for (int i = 0; i < count; i++) {
    if (v[i] < (def ? 1 : 0) || v[i] > WINDOW_MAX_PARAM)
      return yv7_op_error (n, err, YV7_E_PARSE,
          "attribute %s value %lld is out of range", name, (long long) v[i]);
    vals[i] = v[i];
  }
  return YV7_OK;
}

yv7_status
yv7_op_window_setup (const yv7_node *n, yv7_op_window *w, bool ceil_mode,
    yv7_error *err)
{
  int64_t pads[6];
  const char *auto_pad = yv7_attr_string (n, "auto_pad", "NOTSET");
  yv7_status s;

  if ((s = window_param (n, "strides", w->nsp, 1, w->s, err)) != YV7_OK
      || (s = window_param (n, "dilations", w->nsp, 1, w->d, err)) != YV7_OK
      || (s = window_param (n, "pads", 2 * w->nsp, 0, pads, err)) != YV7_OK)
    return s;
  for (int i = 0; i < w->nsp; i++) {
    int64_t ek, total, span, o;

    if (w->k[i] < 1 || w->k[i] > WINDOW_MAX_PARAM)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "kernel size %lld is out of range", (long long) w->k[i]);
    /* (k - 1) * d + 1 <= 2^62 + 1: no overflow */
    ek = (w->k[i] - 1) * w->d[i] + 1;
    if (!strcmp (auto_pad, "SAME_UPPER") || !strcmp (auto_pad, "SAME_LOWER")) {
      int64_t need;
      o = w->in[i] / w->s[i] + (w->in[i] % w->s[i] != 0);
      /* (o - 1) * s <= in - 1 + s, so this stays in range */
      need = (o > 0 ? (o - 1) * w->s[i] : 0) + ek - w->in[i];
      if (need < 0)
        need = 0;
      if (!strcmp (auto_pad, "SAME_UPPER")) {
        w->pb[i] = need / 2;
        w->pe[i] = need - need / 2;
      } else {
        w->pe[i] = need / 2;
        w->pb[i] = need - need / 2;
      }
      w->out[i] = o;
      continue;
    }
    if (!strcmp (auto_pad, "VALID")) {
      w->pb[i] = w->pe[i] = 0;
    } else {
      w->pb[i] = pads[i];
      w->pe[i] = pads[i + w->nsp];
    }
    if (!yv7_add_ok (w->in[i], w->pb[i], &total)
        || !yv7_add_ok (total, w->pe[i], &total))
      return yv7_op_error (n, err, YV7_E_SHAPE, "padded size overflows");
    if (total < ek)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "spatial dim %d: input size %lld with pads %lld+%lld is smaller "
          "than the kernel extent %lld", i, (long long) w->in[i],
          (long long) w->pb[i], (long long) w->pe[i], (long long) ek);
    span = total - ek;
    o = span / w->s[i] + 1;
    if (ceil_mode && span % w->s[i] != 0) {
      o++;
      /* a last window starting in the right padding is dropped */
      if ((o - 1) * w->s[i] >= w->in[i] + w->pb[i])
        o--;
    }
    w->out[i] = o;
  }
  return YV7_OK;
}

yv7_status
yv7_op_run_same_data (yv7_status (*infer) (const yv7_node *,
        const yv7_tensor *const *, yv7_tensor *const *, yv7_error *),
    const yv7_node *n, const yv7_tensor *const *in, yv7_tensor *const *out,
    yv7_error *err)
{
  yv7_status s = infer (n, in, out, err);

  if (s != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  if (yv7_tensor_nbytes (in[0]))
    memcpy (out[0]->data, in[0]->data, yv7_tensor_nbytes (in[0]));
  return YV7_OK;
}
