/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* div.c: Div, c = a / b with numpy broadcasting; integer division truncates
 * toward zero and a zero divisor is an error, never a trap. */
#include "ops-common.h"

#define DIV_ROW(NAME, T, EXPR) \
  static bool \
  NAME (void *ctx, void *o_, const void *a_, const void *b_, int64_t len, \
      int64_t sa, int64_t sb) \
  { \
    const T *pa = a_, *pb = b_; \
    T *po = o_; \
    bool ok = true; \
    (void) ctx; \
    for (int64_t i = 0; i < len; i++) { \
      T a = pa[i * sa], b = pb[i * sb]; \
      po[i] = (EXPR); \
    } \
    return ok; \
  }

#define DIV_FLOAT(a, b) ((a) / (b))
#define DIV_UINT(a, b) ((b) == 0 ? (ok = false, 0) : (a) / (b))
/* b == -1 negates with wrap-around so that MIN / -1 does not trap. */
#define DIV_SINT(a, b, T, U) ((b) == 0 ? (ok = false, 0) \
    : (b) == -1 ? (T) (0 - (U) (a)) : (T) ((a) / (b)))

DIV_ROW (div_f32, float, DIV_FLOAT (a, b))
DIV_ROW (div_f64, double, DIV_FLOAT (a, b))
DIV_ROW (div_u8, uint8_t, DIV_UINT (a, b))
DIV_ROW (div_u16, uint16_t, DIV_UINT (a, b))
DIV_ROW (div_u32, uint32_t, DIV_UINT (a, b))
DIV_ROW (div_u64, uint64_t, DIV_UINT (a, b))
DIV_ROW (div_i8, int8_t, DIV_SINT (a, b, int8_t, uint8_t))
DIV_ROW (div_i16, int16_t, DIV_SINT (a, b, int16_t, uint16_t))
DIV_ROW (div_i32, int32_t, DIV_SINT (a, b, int32_t, uint32_t))
DIV_ROW (div_i64, int64_t, DIV_SINT (a, b, int64_t, uint64_t))

static const yv7_op_binary_kernel div_kernels[] = {
  { YV7_DT_FLOAT, div_f32 }, { YV7_DT_DOUBLE, div_f64 },
  { YV7_DT_UINT8, div_u8 }, { YV7_DT_INT8, div_i8 },
  { YV7_DT_UINT16, div_u16 }, { YV7_DT_INT16, div_i16 },
  { YV7_DT_UINT32, div_u32 }, { YV7_DT_INT32, div_i32 },
  { YV7_DT_UINT64, div_u64 }, { YV7_DT_INT64, div_i64 },
  { YV7_DT_UNDEFINED, NULL }
};

static const char *const div_attrs[] = { NULL };

static yv7_status
div_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  return yv7_op_binary_infer (n, in, out, div_kernels, err);
}

static yv7_status
div_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  return yv7_op_binary_run (n, in, out, div_kernels, err);
}

const yv7_op_def yv7_op_div = {
  .name = "Div",
  .attrs = div_attrs,
  .min_inputs = 2, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .infer = div_infer,
  .run = div_run,
};
