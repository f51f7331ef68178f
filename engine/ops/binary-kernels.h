/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* binary-kernels.h: row kernels for the same-typed elementwise binary ops.
 * Included by add.c, sub.c, mul.c and div.c, each defining BIN_FLOAT(a, b)
 * and BIN_INT(a, b, U) (U: the unsigned type of the same width, so that
 * signed integer results wrap instead of overflowing). */
#ifndef YV7_BINARY_KERNELS_H
#define YV7_BINARY_KERNELS_H

#define YV7_BIN_ROW(NAME, T, EXPR) \
  static bool \
  NAME (void *ctx, void *o_, const void *a_, const void *b_, int64_t len, \
      int64_t sa, int64_t sb) \
  { \
    const T *pa = a_, *pb = b_; \
    T *po = o_; \
    (void) ctx; \
    if (sa == 1 && sb == 1) { \
      for (int64_t i = 0; i < len; i++) { T a = pa[i], b = pb[i]; po[i] = (EXPR); } \
    } else if (sa == 1) { \
      T b = pb[0]; \
      for (int64_t i = 0; i < len; i++) { T a = pa[i]; po[i] = (EXPR); } \
    } else if (sb == 1) { \
      T a = pa[0]; \
      for (int64_t i = 0; i < len; i++) { T b = pb[i]; po[i] = (EXPR); } \
    } else { \
      T a = pa[0], b = pb[0]; \
      for (int64_t i = 0; i < len; i++) po[i] = (EXPR); \
    } \
    return true; \
  }

#define YV7_BIN_KERNELS(PREFIX) \
  YV7_BIN_ROW (PREFIX##_f32, float, BIN_FLOAT (a, b)) \
  YV7_BIN_ROW (PREFIX##_f64, double, BIN_FLOAT (a, b)) \
  YV7_BIN_ROW (PREFIX##_u8, uint8_t, BIN_INT (a, b, uint8_t)) \
  YV7_BIN_ROW (PREFIX##_i8, int8_t, BIN_INT (a, b, uint8_t)) \
  YV7_BIN_ROW (PREFIX##_u16, uint16_t, BIN_INT (a, b, uint16_t)) \
  YV7_BIN_ROW (PREFIX##_i16, int16_t, BIN_INT (a, b, uint16_t)) \
  YV7_BIN_ROW (PREFIX##_u32, uint32_t, BIN_INT (a, b, uint32_t)) \
  YV7_BIN_ROW (PREFIX##_i32, int32_t, BIN_INT (a, b, uint32_t)) \
  YV7_BIN_ROW (PREFIX##_u64, uint64_t, BIN_INT (a, b, uint64_t)) \
  YV7_BIN_ROW (PREFIX##_i64, int64_t, BIN_INT (a, b, uint64_t)) \
  static const yv7_op_binary_kernel PREFIX##_kernels[] = { \
    { YV7_DT_FLOAT, PREFIX##_f32 }, { YV7_DT_DOUBLE, PREFIX##_f64 }, \
    { YV7_DT_UINT8, PREFIX##_u8 }, { YV7_DT_INT8, PREFIX##_i8 }, \
    { YV7_DT_UINT16, PREFIX##_u16 }, { YV7_DT_INT16, PREFIX##_i16 }, \
    { YV7_DT_UINT32, PREFIX##_u32 }, { YV7_DT_INT32, PREFIX##_i32 }, \
    { YV7_DT_UINT64, PREFIX##_u64 }, { YV7_DT_INT64, PREFIX##_i64 }, \
    { YV7_DT_UNDEFINED, NULL } \
  };

#endif
