/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tensor.c: host tensors, element types and error reporting. */
#include "tensor.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

yv7_status
yv7_set_error (yv7_error *err, yv7_status code, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    err->code = code;
    va_start (ap, fmt);
    vsnprintf (err->message, sizeof err->message, fmt, ap);
    va_end (ap);
  }
  return code;
}

const char *
yv7_status_name (yv7_status s)
{
  static const char *const names[] = {
    "ok", "invalid argument", "i/o error", "malformed model", "unsupported",
    "shape error", "out of memory", "device error", "no device", "busy",
    "bad state", "dynamic shape"
  };
  if ((unsigned) s < sizeof names / sizeof names[0])
    return names[s];
  return "unknown status";
}

size_t
yv7_dtype_size (yv7_dtype dt)
{
  switch (dt) {
    case YV7_DT_FLOAT: case YV7_DT_INT32: case YV7_DT_UINT32: return 4;
    case YV7_DT_UINT8: case YV7_DT_INT8: case YV7_DT_BOOL: return 1;
    case YV7_DT_UINT16: case YV7_DT_INT16: case YV7_DT_FLOAT16:
    case YV7_DT_BFLOAT16: return 2;
    case YV7_DT_INT64: case YV7_DT_DOUBLE: case YV7_DT_UINT64: return 8;
    default: return 0;
  }
}

const char *
yv7_dtype_name (yv7_dtype dt)
{
  switch (dt) {
    case YV7_DT_FLOAT: return "float32";
    case YV7_DT_UINT8: return "uint8";
    case YV7_DT_INT8: return "int8";
    case YV7_DT_UINT16: return "uint16";
    case YV7_DT_INT16: return "int16";
    case YV7_DT_INT32: return "int32";
    case YV7_DT_INT64: return "int64";
    case YV7_DT_STRING: return "string";
    case YV7_DT_BOOL: return "bool";
    case YV7_DT_FLOAT16: return "float16";
    case YV7_DT_DOUBLE: return "float64";
    case YV7_DT_UINT32: return "uint32";
    case YV7_DT_UINT64: return "uint64";
    case YV7_DT_BFLOAT16: return "bfloat16";
    default: return "undefined";
  }
}

bool
yv7_shape_numel (int rank, const int64_t *dims, int64_t *numel)
{
  int64_t n = 1;
  if (rank < 0 || rank > YV7_MAX_RANK)
    return false;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0)
      return false;
    if (dims[i] != 0 && n > INT64_MAX / dims[i])
      return false;
    n *= dims[i];
  }
  *numel = n;
  return true;
}

int64_t
yv7_tensor_numel (const yv7_tensor *t)
{
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++)
    n *= t->dims[i];
  return n;
}

size_t
yv7_tensor_nbytes (const yv7_tensor *t)
{
  return (size_t) yv7_tensor_numel (t) * yv7_dtype_size (t->dtype);
}

yv7_status
yv7_tensor_alloc (yv7_tensor *t, yv7_dtype dt, int rank, const int64_t *dims,
    yv7_error *err)
{
  int64_t numel;
  size_t esize = yv7_dtype_size (dt), nbytes;
  int64_t saved[YV7_MAX_RANK];

  if (esize == 0)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "data type %s is not supported",
        yv7_dtype_name (dt));
  if (!yv7_shape_numel (rank, dims, &numel))
    return yv7_set_error (err, YV7_E_SHAPE, "invalid tensor shape (rank %d)", rank);
  if ((uint64_t) numel > SIZE_MAX / esize)
    return yv7_set_error (err, YV7_E_NOMEM, "tensor of %lld elements is too large",
        (long long) numel);
  nbytes = (size_t) numel * esize;
  memcpy (saved, dims, sizeof (int64_t) * (size_t) rank);   /* dims may alias t->dims */
  if (t->capacity < nbytes || t->capacity == 0) {
    void *p = calloc (nbytes ? nbytes : 1, 1);
    if (!p)
      return yv7_set_error (err, YV7_E_NOMEM, "out of memory allocating %zu bytes",
          nbytes);
    if (t->capacity)
      free (t->data);
    t->data = p;
    t->capacity = nbytes ? nbytes : 1;
  } else {
    memset (t->data, 0, nbytes);
  }
  t->dtype = dt;
  t->rank = rank;
  memcpy (t->dims, saved, sizeof (int64_t) * (size_t) rank);
  return YV7_OK;
}

void
yv7_tensor_clear (yv7_tensor *t)
{
  if (t->capacity)
    free (t->data);
  memset (t, 0, sizeof *t);
}

yv7_status
yv7_tensor_copy (yv7_tensor *dst, const yv7_tensor *src, yv7_error *err)
{
  yv7_status s = yv7_tensor_alloc (dst, src->dtype, src->rank, src->dims, err);
  if (s == YV7_OK && src->data)
    memcpy (dst->data, src->data, yv7_tensor_nbytes (src));
  return s;
}

int64_t
yv7_tensor_get_int (const yv7_tensor *t, int64_t i)
{
  switch (t->dtype) {
    case YV7_DT_INT64: return ((const int64_t *) t->data)[i];
    case YV7_DT_INT32: return ((const int32_t *) t->data)[i];
    case YV7_DT_UINT32: return ((const uint32_t *) t->data)[i];
    case YV7_DT_INT16: return ((const int16_t *) t->data)[i];
    case YV7_DT_UINT16: return ((const uint16_t *) t->data)[i];
    case YV7_DT_INT8: return ((const int8_t *) t->data)[i];
    case YV7_DT_UINT8: case YV7_DT_BOOL: return ((const uint8_t *) t->data)[i];
    case YV7_DT_UINT64: return (int64_t) ((const uint64_t *) t->data)[i];
    case YV7_DT_FLOAT: return (int64_t) ((const float *) t->data)[i];
    case YV7_DT_DOUBLE: return (int64_t) ((const double *) t->data)[i];
    default: return 0;
  }
}

double
yv7_tensor_get_f64 (const yv7_tensor *t, int64_t i)
{
  switch (t->dtype) {
    case YV7_DT_FLOAT: return ((const float *) t->data)[i];
    case YV7_DT_DOUBLE: return ((const double *) t->data)[i];
    default: return (double) yv7_tensor_get_int (t, i);
  }
}

const char *
yv7_shape_str (int rank, const int64_t *dims, char *buf, size_t size)
{
  size_t off = 0;
  if (size == 0)
    return buf;
  buf[0] = '\0';
  off += (size_t) snprintf (buf + off, size - off, "[");
  for (int i = 0; i < rank && off < size; i++)
    off += (size_t) snprintf (buf + off, size - off, "%s%lld", i ? "," : "",
        (long long) dims[i]);
  if (off < size)
    snprintf (buf + off, size - off, "]");
  return buf;
}

/* x rounded to the nearest fp16 value (ties to even; past 65504 to
 * infinity), as a float: what vstore_half_rte stores. */
float
yv7_round_half (float x)
{
  uint32_t u, sign, a;
  memcpy (&u, &x, sizeof u);
  sign = u & 0x80000000u;
  a = u ^ sign;
  if (a >= 0x7f800000u)
    return x;                            /* inf, NaN */
  if (a >= 0x477ff000u)                  /* 65520 and up */
    a = 0x7f800000u;
  else if (a < 0x38800000u) {            /* below 2^-14: fp16 subnormals, step 2^-24 */
    float f;
    memcpy (&f, &a, sizeof f);
    f = rintf (f * 16777216.0f) / 16777216.0f;
    memcpy (&a, &f, sizeof a);
  } else
    a = (a + 0xfffu + ((a >> 13) & 1u)) & ~0x1fffu;   /* 10 mantissa bits */
  u = sign | a;
  memcpy (&x, &u, sizeof x);
  return x;
}
