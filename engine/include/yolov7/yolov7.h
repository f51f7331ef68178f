/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* yolov7.h: public API of the YOLOv7 OpenCL inference engine.
 *
 * Load a model written by the official YOLOv7 export.py (raw heads, --grid,
 * --grid --end2end --max-wh N), run it on an OpenCL device, and either read the
 * graph's raw outputs or get final detections in the caller's frame
 * coordinates.  Every function reports failure through a status code and, when
 * the caller passes one, a yv7_error with a message naming the cause.  The
 * library never exits or aborts the process.  Engines are independent: several
 * may live in one process; one engine must not be used from two threads at once.
 */
#ifndef YOLOV7_H
#define YOLOV7_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  YV7_OK = 0,
  YV7_E_INVALID_ARG,   /* a NULL or out-of-range argument */
  YV7_E_IO,            /* a file could not be read or written */
  YV7_E_PARSE,         /* the model file is malformed */
  YV7_E_UNSUPPORTED,   /* an op, attribute or data type the engine does not run */
  YV7_E_SHAPE,         /* shapes that do not fit together */
  YV7_E_NOMEM,         /* out of host or device memory */
  YV7_E_DEVICE,        /* an OpenCL call failed */
  YV7_E_NO_DEVICE,     /* no OpenCL platform or no device matching the request */
  YV7_E_BUSY,          /* a submitted frame has not been collected yet */
  YV7_E_STATE,         /* the call does not fit the engine's state */
  YV7_E_DYNAMIC        /* internal: a shape depends on data not known yet */
} yv7_status;

#define YV7_ERROR_MESSAGE_SIZE 512

typedef struct {
  yv7_status code;
  char message[YV7_ERROR_MESSAGE_SIZE];
} yv7_error;

/* Element types: the values of ONNX TensorProto.DataType. */
typedef enum {
  YV7_DT_UNDEFINED = 0,
  YV7_DT_FLOAT = 1,
  YV7_DT_UINT8 = 2,
  YV7_DT_INT8 = 3,
  YV7_DT_UINT16 = 4,
  YV7_DT_INT16 = 5,
  YV7_DT_INT32 = 6,
  YV7_DT_INT64 = 7,
  YV7_DT_STRING = 8,
  YV7_DT_BOOL = 9,
  YV7_DT_FLOAT16 = 10,
  YV7_DT_DOUBLE = 11,
  YV7_DT_UINT32 = 12,
  YV7_DT_UINT64 = 13,
  YV7_DT_BFLOAT16 = 16
} yv7_dtype;

#define YV7_MAX_RANK 8

/* A dense, row-major tensor in host memory.  `capacity` is non-zero when the
 * tensor owns `data` (allocated by the engine); callers building a view of
 * their own memory leave it 0. */
typedef struct {
  yv7_dtype dtype;
  int rank;
  int64_t dims[YV7_MAX_RANK];
  void *data;
  size_t capacity;
} yv7_tensor;

typedef struct yv7_engine yv7_engine;

/* How the model's outputs are laid out, detected at load. */
typedef enum {
  YV7_FORM_OTHER = 0,  /* any other graph: raw outputs only */
  YV7_FORM_RAW,        /* one [B,3,H,W,5+nc] logits output per head */
  YV7_FORM_GRID,       /* one [B,rows,5+nc] output: cx,cy,w,h,obj,classes */
  YV7_FORM_END2END     /* one [N,7] output: batch,x0,y0,x1,y1,class,score */
} yv7_model_form;

typedef struct {
  const char *device;  /* "auto" (first GPU, else first CPU device), "gpu", "cpu",
                          a substring of a device's name, its platform's name or
                          either's vendor ("pocl", "nvidia", "intel"), "P:D" indices,
                          or "reference" (plain C on the host, no OpenCL). NULL = "auto" */
  int batch;           /* value for a symbolic batch dim (--dynamic-batch); 0 = 1 */
  int batch_flexible;  /* non-zero: a model whose batch dim is fixed keeps it
                          (see yv7_engine_batch) instead of failing to load
                          when `batch` asks for another */
  int input_height;    /* values for symbolic spatial dims; 0 = 640 */
  int input_width;
  int fp16_weights;    /* non-zero: keep convolution weights on the device as fp16
                          (half the memory and weight traffic; products and sums
                          stay fp32); outputs differ from fp32 by about 1e-3
                          relative. Ignored by "reference" */
} yv7_options;

void yv7_options_init (yv7_options *opt);

/* Load a model file; external data files are read next to it. */
yv7_engine *yv7_engine_load (const char *path, const yv7_options *opt,
    yv7_error *err);
/* Load a model from memory (no external data). */
yv7_engine *yv7_engine_load_memory (const void *data, size_t size,
    const yv7_options *opt, yv7_error *err);
void yv7_engine_free (yv7_engine *engine);

/* Description of the loaded model. */
int yv7_engine_n_inputs (const yv7_engine *engine);
int yv7_engine_n_outputs (const yv7_engine *engine);
/* Name, type and shape of an input or output; data is NULL.  A dim that is
 * only known after a run (the end2end form's N) is -1 until then. */
const char *yv7_engine_input_info (const yv7_engine *engine, int index,
    yv7_tensor *info);
const char *yv7_engine_output_info (const yv7_engine *engine, int index,
    yv7_tensor *info);
yv7_model_form yv7_engine_form (const yv7_engine *engine);
int yv7_engine_num_classes (const yv7_engine *engine);   /* 0 if unknown */
int yv7_engine_batch (const yv7_engine *engine);
void yv7_engine_input_size (const yv7_engine *engine, int *height, int *width);
/* Human-readable name of the device in use, e.g. "pthread-haswell (Portable
 * Computing Language)" or "reference". */
const char *yv7_engine_device_name (const yv7_engine *engine);

/* Raw-head form only: anchors (w,h pairs in input pixels, 3 per head, finest
 * stride first) replacing the defaults, which are the official ones of
 * yolov7-tiny (3 heads reading fewer than 256 channels), yolov7/yolov7x
 * (3 heads) and the P6 models (4 heads). */
yv7_status yv7_engine_set_anchors (yv7_engine *engine, const float *anchors,
    int n_heads, yv7_error *err);

/* Device memory held by the engine, in bytes: the arena holding every
 * run-time tensor, the constants (packed weights included), and for
 * comparison what the run-time tensors would take each in a buffer of its
 * own.  All 0 on the reference path. */
void yv7_engine_memory (const yv7_engine *engine, size_t *arena,
    size_t *constants, size_t *unplanned);

/* Run the graph on caller tensors, one per graph input in order; outputs stay
 * valid until the next run or free. */
yv7_status yv7_engine_run (yv7_engine *engine, const yv7_tensor *inputs,
    int n_inputs, yv7_error *err);
yv7_status yv7_engine_get_output (const yv7_engine *engine, int index,
    yv7_tensor *out);

/* ---- Detections ---- */

typedef enum {
  YV7_PIX_RGB, YV7_PIX_BGR,
  YV7_PIX_RGBX, YV7_PIX_BGRX, YV7_PIX_XRGB, YV7_PIX_XBGR,
  YV7_PIX_RGBA, YV7_PIX_BGRA, YV7_PIX_ARGB, YV7_PIX_ABGR,
  YV7_PIX_NV12, YV7_PIX_I420
} yv7_pixel_format;

typedef enum {
  YV7_YUV_BT601 = 0,
  YV7_YUV_BT709
} yv7_yuv_matrix;

/* A video frame in host memory.  Packed formats use planes[0]/strides[0];
 * NV12 uses Y and interleaved UV; I420 uses Y, U and V. */
typedef struct {
  yv7_pixel_format format;
  int width, height;
  const uint8_t *planes[3];
  int strides[3];
  yv7_yuv_matrix matrix;   /* for YUV formats */
  int full_range;          /* for YUV formats: 0 = 16-235 video range */
} yv7_frame;

typedef struct {
  float x0, y0, x1, y1;    /* in the frame's pixel coordinates */
  float score;
  int class_id;
} yv7_detection;

typedef struct {
  float conf_threshold;    /* default 0.25 */
  float iou_threshold;     /* default 0.45 */
  int max_detections;      /* default 300 */
  const int *classes;      /* keep only these class ids; NULL keeps all */
  int n_classes;
} yv7_detect_params;

void yv7_detect_params_init (yv7_detect_params *p);

/* Letterbox, run and start the device work for up to batch frames, without
 * waiting for it.  Returns YV7_E_BUSY if the previous submission has not been
 * collected. */
yv7_status yv7_engine_submit (yv7_engine *engine, const yv7_frame *frames,
    int n_frames, const yv7_detect_params *params, yv7_error *err);
/* As yv7_engine_submit, with params[i] for frames[i] (n_frames entries; NULL
 * gives every frame the defaults): one run serves frames whose callers want
 * different thresholds or classes. */
yv7_status yv7_engine_submit_each (yv7_engine *engine, const yv7_frame *frames,
    int n_frames, const yv7_detect_params *params, yv7_error *err);
/* Non-zero when the submitted work has finished on the device. */
int yv7_engine_poll (yv7_engine *engine);
/* Wait for the submitted work and decode it.  Afterwards
 * yv7_engine_detections() gives each frame's detections. */
yv7_status yv7_engine_collect (yv7_engine *engine, yv7_error *err);
/* Detections of frame `index` of the last collected submission; valid until
 * the next submit. */
const yv7_detection *yv7_engine_detections (const yv7_engine *engine,
    int index, int *n);
/* submit + collect for one frame. */
yv7_status yv7_engine_detect (yv7_engine *engine, const yv7_frame *frame,
    const yv7_detect_params *params, const yv7_detection **dets, int *n,
    yv7_error *err);

const char *yv7_status_name (yv7_status s);
size_t yv7_dtype_size (yv7_dtype dt);   /* 0 for types without a fixed size */
const char *yv7_dtype_name (yv7_dtype dt);

#ifdef __cplusplus
}
#endif
#endif /* YOLOV7_H */
