/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* postprocess.h: letterboxing and frame conversion before the graph, and
 * decoding, NMS and coordinate mapping of its outputs after it.  The rules are
 * those of the official YOLOv7 detect.py / utils/general.py, so detections
 * match what the Python pipeline reports for the same model. */
#ifndef YV7_POSTPROCESS_H
#define YV7_POSTPROCESS_H

#include "tensor.h"

/* ---- Letterbox ---- */

typedef struct {
  float scale_x, scale_y;   /* new_w / src_w, new_h / src_h: the scales applied */
  int pad_x, pad_y;         /* left and top padding in the model input */
  int new_w, new_h;         /* size of the resized frame inside the padding */
  int src_w, src_h;         /* frame size */
  int dst_w, dst_h;         /* model input size */
} yv7_letterbox;

/* YOLOv7's letterbox (auto=False, scaleup=True):
 * r = min(dst_h/src_h, dst_w/src_w); new = (round(src_w*r), round(src_h*r))
 * rounding half to even as Python does; left = round((dst_w-new_w)/2 - 0.1),
 * top likewise.  A side that would round to 0 is kept at 1 pixel.  Sizes that
 * are not positive give an all-zero letterbox. */
void yv7_letterbox_compute (int src_w, int src_h, int dst_w, int dst_h,
    yv7_letterbox *lb);

/* ---- Frames ---- */

/* Check a frame: known format, positive size, non-NULL planes, strides at
 * least as long as a row of each plane.  Chroma planes of NV12 and I420 are
 * ceil(w/2) x ceil(h/2). */
yv7_status yv7_frame_validate (const yv7_frame *f, yv7_error *err);

/* Check that lb was computed for f and is self-consistent. */
yv7_status yv7_letterbox_check (const yv7_frame *f, const yv7_letterbox *lb,
    yv7_error *err);

/* Byte layout of a packed RGB format: pixel size and the byte offsets of R, G
 * and B in a pixel.  False for the YUV formats. */
typedef struct {
  int bpp, r, g, b;
} yv7_packed_layout;
bool yv7_packed_layout_get (yv7_pixel_format fmt, yv7_packed_layout *l);

/* YUV -> RGB in 0..255, shared by the host reference and the OpenCL kernel
 * so both evaluate the same float expression:
 *   y' = (Y - y_off) * y_scale;  u = U - 128;  v = V - 128
 *   R = y' + rv*v;  G = y' + gu*u + gv*v;  B = y' + bu*u;  then clamp. */
typedef struct {
  float y_off, y_scale, rv, gu, gv, bu;
} yv7_yuv_coeffs;
void yv7_yuv_coeffs_get (yv7_yuv_matrix matrix, int full_range,
    yv7_yuv_coeffs *c);

/* Host reference preprocessing: the letterboxed frame as planar RGB floats
 * [3][dst_h][dst_w] in [0,1], padding 114/255.  Bilinear resize with
 * half-pixel centres (cv2 INTER_LINEAR, computed in float); YUV samples are
 * converted to RGB before they are interpolated. */
yv7_status yv7_preprocess_host (const yv7_frame *f, const yv7_letterbox *lb,
    float *dst, yv7_error *err);

/* ---- Detections ---- */

typedef struct {
  yv7_detection *d;
  int n, cap;
} yv7_det_list;

void yv7_det_list_free (yv7_det_list *l);

/* Grid form for one image: n_rows rows of no = 5+nc floats (cx, cy, w, h,
 * objectness, class probabilities) in model-input pixels.  A row is a
 * candidate when obj > conf; its class is the best obj*cls (lowest id on a
 * tie) and it is kept when that score > conf and the class passes
 * p->classes.  Boxes become x0,y0,x1,y1.  Appends to out. */
yv7_status yv7_decode_grid (const float *rows, int64_t n_rows, int no,
    const yv7_detect_params *p, yv7_det_list *out, yv7_error *err);

/* Raw form for image b: heads[i] float [B,3,H,W,5+nc] logits.  Sigmoid, then
 * xy = (2s - 0.5 + grid) * stride, wh = (2s)^2 * anchor with stride =
 * input_h / H (input_w / W must agree) and anchors[i*6 + a*2 + {0,1}] (w, h)
 * in input pixels; then as yv7_decode_grid.  Appends to out. */
yv7_status yv7_decode_raw (const yv7_tensor *heads, int n_heads, int b,
    int input_h, int input_w, const float *anchors,
    const yv7_detect_params *p, yv7_det_list *out, yv7_error *err);

/* Anchors of the official configs: yolov7.yaml for 3 heads (P5; note that
 * yolov7-tiny.yaml uses other ones), yolov7-w6.yaml for 4 heads (P6, shared
 * by e6, d6 and e6e).  NULL for other head counts. */
const float *yv7_default_anchors (int n_heads);

/* End-to-end form: rows (batch, x0, y0, x1, y1, class, score); keeps the
 * rows of batch b whose score > conf and whose class passes p->classes. */
yv7_status yv7_decode_end2end (const float *rows, int64_t n_rows, int b,
    const yv7_detect_params *p, yv7_det_list *out, yv7_error *err);

/* Class-aware greedy NMS in place: stable sort by score, descending; only the
 * best 30000 are considered; a box is dropped when a kept box of its class
 * overlaps it with IoU > iou; at most max_det are kept (max_det <= 0: no
 * limit). */
void yv7_nms (yv7_det_list *l, float iou, int max_det);

/* Model-input coordinates -> frame coordinates, clipped to the frame. */
void yv7_unletterbox (yv7_det_list *l, const yv7_letterbox *lb);

#endif
