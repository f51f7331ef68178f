/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cl_preprocess.c: host side of opencl/kernels/preprocess.cl. */
#include "cl_preprocess.h"

#include <string.h>

/* kinds understood by the kernel */
enum { KIND_PACKED = 0, KIND_NV12 = 1, KIND_I420 = 2 };

/* Copy rows x row_bytes of a strided host plane to a tight region of the
 * staging buffer at offset off, leaving out the stride padding. */
static yv7_status
upload_plane (yv7_cl *cl, const uint8_t *plane, int stride, size_t row_bytes,
    size_t rows, size_t off, yv7_error *err)
{
  size_t buf_origin[3] = { off, 0, 0 };
  size_t host_origin[3] = { 0, 0, 0 };
  size_t region[3] = { row_bytes, rows, 1 };
  cl_int rc;

  rc = clEnqueueWriteBufferRect (cl->queue, cl->staging, CL_TRUE, buf_origin,
      host_origin, region, row_bytes, 0, (size_t) stride, 0, plane, 0, NULL,
      NULL);
  return yv7_cl_check (rc, "uploading a frame plane", err);
}

yv7_status
yv7_cl_preprocess (yv7_cl *cl, const yv7_frame *f, const yv7_letterbox *lb,
    cl_mem dst, size_t dst_off, yv7_error *err)
{
  yv7_packed_layout pl = { 0, 0, 0, 0 };
  yv7_yuv_coeffs c;
  yv7_status s;
  cl_kernel k;
  cl_int rc, kind;
  cl_int4 lay;
  cl_float8 yc;
  cl_int2 src_size;
  cl_int4 geo;
  cl_float2 scale;
  cl_ulong off[3] = { 0, 0, 0 }, dst_off_arg = dst_off;
  cl_int pitch[3] = { 0, 0, 0 };
  size_t w, h, cw, ch, total, global[2], dst_size = 0, need = 0;
  cl_uint a = 0;

  if (!cl || !cl->queue || !dst)
    goto no_device;
  if ((s = yv7_frame_validate (f, err)) != YV7_OK)
    return s;
  if ((s = yv7_letterbox_check (f, lb, err)) != YV7_OK)
    return s;
  need = (size_t) lb->dst_w * (size_t) lb->dst_h * 3;
  rc = clGetMemObjectInfo (dst, CL_MEM_SIZE, sizeof dst_size, &dst_size, NULL);
  if ((s = yv7_cl_check (rc, "querying the input buffer", err)) != YV7_OK)
    return s;
  if (dst_off > dst_size / sizeof (float)
      || need > dst_size / sizeof (float) - dst_off)
    goto dst_too_small;

  w = (size_t) f->width;
  h = (size_t) f->height;
  cw = (w + 1) / 2;
  ch = (h + 1) / 2;
  /* tight plane layout in the staging buffer: only the bytes the kernel reads */
  if (yv7_packed_layout_get (f->format, &pl)) {
    kind = KIND_PACKED;
    pitch[0] = (cl_int) (w * (size_t) pl.bpp);
    total = (size_t) pitch[0] * h;
  } else if (f->format == YV7_PIX_NV12) {
    kind = KIND_NV12;
    pitch[0] = (cl_int) w;
    pitch[1] = (cl_int) (2 * cw);
    off[1] = w * h;
    total = w * h + 2 * cw * ch;
  } else {
    kind = KIND_I420;
    pitch[0] = (cl_int) w;
    pitch[1] = pitch[2] = (cl_int) cw;
    off[1] = w * h;
    off[2] = w * h + cw * ch;
    total = w * h + 2 * cw * ch;
  }
  if ((s = yv7_cl_staging (cl, total, err)) != YV7_OK)
    return s;
  if ((s = upload_plane (cl, f->planes[0], f->strides[0], (size_t) pitch[0], h,
      0, err)) != YV7_OK)
    return s;
  if (kind != KIND_PACKED && (s = upload_plane (cl, f->planes[1],
      f->strides[1], (size_t) pitch[1], ch, (size_t) off[1], err)) != YV7_OK)
    return s;
  if (kind == KIND_I420 && (s = upload_plane (cl, f->planes[2], f->strides[2],
      (size_t) pitch[2], ch, (size_t) off[2], err)) != YV7_OK)
    return s;

  yv7_yuv_coeffs_get (f->matrix, f->full_range, &c);
  memset (&yc, 0, sizeof yc);
  yc.s[0] = c.y_off;
  yc.s[1] = c.y_scale;
  yc.s[2] = c.rv;
  yc.s[3] = c.gu;
  yc.s[4] = c.gv;
  yc.s[5] = c.bu;
  lay.s[0] = pl.bpp;
  lay.s[1] = pl.r;
  lay.s[2] = pl.g;
  lay.s[3] = pl.b;
  src_size.s[0] = f->width;
  src_size.s[1] = f->height;
  geo.s[0] = lb->pad_x;
  geo.s[1] = lb->pad_y;
  geo.s[2] = lb->new_w;
  geo.s[3] = lb->new_h;
  /* the same float expressions as yv7_preprocess_host() */
  scale.s[0] = (float) f->width / (float) lb->new_w;
  scale.s[1] = (float) f->height / (float) lb->new_h;

  k = yv7_cl_kernel (cl, "yv7_preprocess", err);
  if (!k)
    return err ? err->code : YV7_E_DEVICE;
#define ARG(v) \
  if ((rc = clSetKernelArg (k, a++, sizeof (v), &(v))) != CL_SUCCESS) \
    goto arg_failed;
  ARG (cl->staging) ARG (kind) ARG (lay)
  ARG (off[0]) ARG (pitch[0]) ARG (off[1]) ARG (pitch[1]) ARG (off[2]) ARG (pitch[2])
  ARG (yc) ARG (src_size) ARG (geo) ARG (scale) ARG (dst) ARG (dst_off_arg)
#undef ARG
  global[0] = (size_t) lb->dst_w;
  global[1] = (size_t) lb->dst_h;
  rc = clEnqueueNDRangeKernel (cl->queue, k, 2, NULL, global, NULL, 0, NULL,
      NULL);
  return yv7_cl_check (rc, "enqueueing the preprocessing kernel", err);

  /* ERRORS */
no_device:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "preprocessing needs an open OpenCL device and a destination buffer");
dst_too_small:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "input buffer of %zu bytes cannot hold %zu floats at element %zu",
      dst_size, need, dst_off);
arg_failed:
  return yv7_set_error (err, YV7_E_DEVICE,
      "setting argument %u of the preprocessing kernel failed: %s (%d)",
      a - 1, yv7_cl_strerror (rc), rc);
}
