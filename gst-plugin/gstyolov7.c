/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-yolov7
 * @title: yolov7
 * @short_description: YOLOv7 object detection on OpenCL
 *
 * Runs a YOLOv7 model, as the official export.py writes it to ONNX, on an
 * OpenCL device (or on the host with `device=reference`) and attaches what it
 * finds to the frame it ran on. Frames pass through unchanged; each detection
 * becomes a #GstVideoRegionOfInterestMeta in frame pixels whose `roi_type` is
 * the label's quark, with a `detection` parameter structure holding
 * `x_min`, `y_min`, `x_max`, `y_max` (normalised 0-1), `confidence`,
 * `label_id` and `label`: the convention DL Streamer's elements read. With
 * GStreamer 1.24 and its analytics library, each detection is also an
 * object-detection entry of a #GstAnalyticsRelationMeta, whose id is the ROI
 * meta's `id`.
 *
 * The engine letterboxes every frame itself, so any frame size works and
 * caps may change mid-stream. With `inference-interval=N` the model runs on
 * every Nth frame. With `drop-when-busy=true` inference runs on a thread of
 * its own: the analysed frame waits for its detections, and frames arriving
 * meanwhile go on without new detections, queued in order behind it, so a
 * live source keeps its rate and the delay stays one inference. Frames the
 * model ran on also carry the shared "inference done" marker of
 * gstdetectionmeta.h, with or without detections. The LATENCY query adds the
 * expected inference time (measured at start, then tracked). Late frames are
 * not dropped unless the `qos` property is set.
 *
 * The model loads when the element goes to PAUSED; a missing, unreadable or
 * malformed model, an unsupported op or no OpenCL device fails that state
 * change with an error naming the cause.
 *
 * Elements of one process that name the same model file, device and batch
 * settings share one loaded model (one device copy of the weights); set
 * `model-instance-id` to choose the sharing yourself. With `batch-size=N`
 * the frames of up to N sharing elements run in one inference (waiting at
 * most `batch-timeout-ms` for the streams that have not sent one yet, never
 * for a stream at end of stream, and not again for a stream that let a
 * batch time out until it sends a frame), and each element gets its own
 * detections, on its own frame, in order.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! video/x-raw,format=NV12 ! \
 *     yolov7 model=yolov7-tiny.onnx conf-threshold=0.3 ! fakesink
 * ]|
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! video/x-raw,format=BGRx ! \
 *     yolov7 model=yolov7-tiny.onnx drop-when-busy=true classes=0,2 ! \
 *     videoconvert ! autovideosink
 * ]|
 * |[
 * gst-launch-1.0 \
 *   uridecodebin uri=rtsp://cam1/s ! yolov7 model=dyn.onnx batch-size=2 ! \
 *     fakesink \
 *   uridecodebin uri=rtsp://cam2/s ! yolov7 model=dyn.onnx batch-size=2 ! \
 *     fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstyolov7.h"
#include "gstdetectionmeta.h"
#include "sharedengine.h"

#include <string.h>
#include <yolov7/yolov7.h>

GST_DEBUG_CATEGORY_STATIC (gst_yolov7_debug);
#define GST_CAT_DEFAULT gst_yolov7_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_LABELS NULL
#define DEFAULT_CONF_THRESHOLD 0.25f
#define DEFAULT_IOU_THRESHOLD 0.45f
#define DEFAULT_MAX_DETECTIONS 300
#define MAX_MAX_DETECTIONS 30000
#define DEFAULT_CLASSES ""
#define DEFAULT_DEVICE "auto"
#define DEFAULT_FP16_WEIGHTS FALSE
#define DEFAULT_INFERENCE_INTERVAL 1
#define MAX_INFERENCE_INTERVAL 10000
#define DEFAULT_DROP_WHEN_BUSY FALSE
#define DEFAULT_MODEL_INSTANCE_ID NULL
#define DEFAULT_BATCH_SIZE 1
#define MAX_BATCH_SIZE 64
#define DEFAULT_BATCH_TIMEOUT_MS 50
#define MAX_BATCH_TIMEOUT_MS 10000

/* Frames held behind a running inference in drop-when-busy mode; beyond
 * this the streaming thread waits (back-pressure) rather than use memory
 * without bound. */
#define MAX_HELD_FRAMES 32

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_LABELS,
  PROP_CONF_THRESHOLD,
  PROP_IOU_THRESHOLD,
  PROP_MAX_DETECTIONS,
  PROP_CLASSES,
  PROP_DEVICE,
  PROP_FP16_WEIGHTS,
  PROP_INFERENCE_INTERVAL,
  PROP_DROP_WHEN_BUSY,
  PROP_LATENCY_MS,
  PROP_MODEL_INSTANCE_ID,
  PROP_BATCH_SIZE,
  PROP_BATCH_TIMEOUT_MS,
};

/* Detection parameters of one frame, taken from the properties. */
typedef struct
{
  yv7_detect_params p;
  gint *classes;
} GstYolov7Params;

/* A frame waiting in drop-when-busy mode, with what its inference needs. */
typedef struct
{
  GstBuffer *buf;
  gboolean infer;
  GstVideoInfo info;
  GstYolov7Params params;
} GstYolov7Held;

struct _GstYolov7
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  gchar *model;
  gchar *labels_file;
  gfloat conf_threshold;
  gfloat iou_threshold;
  gint max_detections;
  gchar *classes_str;
  gint *classes;
  gint n_classes;
  gboolean classes_valid;
  gchar *device;
  gboolean fp16_weights;
  guint inference_interval;
  gboolean drop_when_busy;
  gchar *model_instance_id;
  guint batch_size;
  guint batch_timeout_ms;
  gdouble latency_ms;
  gboolean settings_changed;    /* what selects the engine, or labels, changed */
  GstClockTime latency;         /* expected inference time */
  GstClockTime latency_reported;        /* what the last LATENCY query got */

  /* taken in start() (or on a settings change) and released in stop(); used
   * by one thread at a time: the streaming thread, or the worker while a
   * frame is queued for it */
  GstSharedEngineUser *engine;
  gchar *loaded_model;
  gchar *loaded_device;
  gboolean loaded_fp16_weights;
  gchar *loaded_instance_id;
  guint loaded_batch_size;
  guint loaded_batch_timeout_ms;
  gchar *loaded_labels;
  GPtrArray *labels;

  /* streaming thread only */
  guint countdown;              /* frames to skip before the next inference */

  /* drop-when-busy worker, under lock */
  GMutex lock;
  GCond cond;
  GThread *worker;
  GQueue held;                  /* of GstYolov7Held, oldest first */
  gboolean worker_active;       /* the worker took a frame and has not pushed it */
  gboolean worker_infer;        /* ... and that frame wants inference */
  gboolean inference_pending;   /* a queued or running frame wants inference */
  gboolean flushing;
  gboolean worker_stop;
  GstFlowReturn worker_flow;    /* first failure of the worker, for the chain */
};

#define gst_yolov7_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstYolov7, gst_yolov7, GST_TYPE_VIDEO_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_yolov7_debug, "yolov7", 0,
        "YOLOv7 object detection"));
GST_ELEMENT_REGISTER_DEFINE (yolov7, "yolov7", GST_RANK_NONE, GST_TYPE_YOLOV7);

#define VIDEO_FORMATS \
  "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, NV12, I420 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static const gchar *const coco_names[80] = {
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train",
  "truck", "boat", "traffic light", "fire hydrant", "stop sign",
  "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
  "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag",
  "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
  "baseball bat", "baseball glove", "skateboard", "surfboard",
  "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon",
  "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot",
  "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
  "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
  "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
  "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
  "hair drier", "toothbrush",
};

/* ---- settings ---- */

/* Parses "1, 3,7" into class ids; "" keeps all classes. */
static gboolean
gst_yolov7_parse_classes (const gchar * str, gint ** ids, gint * n_ids)
{
  GArray *arr = g_array_new (FALSE, FALSE, sizeof (gint));
  gchar **parts = g_strsplit (str ? str : "", ",", -1);
  gboolean ok = TRUE;

  for (gchar ** p = parts; *p && ok; p++) {
    gchar *s = g_strstrip (*p);
    gint64 v;

    if (!*s && !parts[1])
      break;                    /* the empty string */
    ok = g_ascii_string_to_signed (s, 10, 0, G_MAXINT, &v, NULL);
    if (ok) {
      gint id = (gint) v;
      g_array_append_val (arr, id);
    }
  }
  g_strfreev (parts);
  if (ok) {
    *n_ids = (gint) arr->len;
    *ids = (gint *) g_array_free (arr, arr->len == 0);
  } else {
    g_array_free (arr, TRUE);
  }
  return ok;
}

/* Copies the detection parameters; call with the object lock held. */
static void
gst_yolov7_params_snapshot_unlocked (GstYolov7 * self, GstYolov7Params * out)
{
  yv7_detect_params_init (&out->p);
  out->p.conf_threshold = self->conf_threshold;
  out->p.iou_threshold = self->iou_threshold;
  out->p.max_detections = self->max_detections;
  out->classes = self->n_classes > 0 ?
      g_memdup2 (self->classes, sizeof (gint) * self->n_classes) : NULL;
  out->p.classes = out->classes;
  out->p.n_classes = self->n_classes;
}

static void
gst_yolov7_params_clear (GstYolov7Params * params)
{
  g_clear_pointer (&params->classes, g_free);
  params->p.classes = NULL;
  params->p.n_classes = 0;
}

/* ---- engine and labels ---- */

static GPtrArray *
gst_yolov7_default_labels (gint n_classes)
{
  GPtrArray *labels = g_ptr_array_new_with_free_func (g_free);

  /* the built-in names only where the model has COCO's 80 classes (or
   * does not say) */
  if (n_classes == 80 || n_classes <= 0) {
    for (guint i = 0; i < G_N_ELEMENTS (coco_names); i++)
      g_ptr_array_add (labels, g_strdup (coco_names[i]));
  } else {
    for (gint i = 0; i < n_classes; i++)
      g_ptr_array_add (labels, g_strdup_printf ("class%d", i));
  }
  return labels;
}

/* One name per line; blank names become "class<N>", so do missing ones. */
static GPtrArray *
gst_yolov7_read_labels (GstYolov7 * self, const gchar * path, gint n_classes,
    GError ** error)
{
  gchar *contents = NULL;
  gchar **lines;
  guint n;
  GPtrArray *labels;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  g_free (contents);
  n = g_strv_length (lines);
  while (n > 0 && !*g_strstrip (lines[n - 1]))
    n--;                        /* trailing blank lines */

  labels = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n || (gint) i < n_classes; i++) {
    const gchar *name = i < n ? g_strstrip (lines[i]) : "";
    g_ptr_array_add (labels, *name ? g_strdup (name) :
        g_strdup_printf ("class%u", i));
  }
  g_strfreev (lines);
  if (n_classes > 0 && (gint) n != n_classes)
    GST_WARNING_OBJECT (self, "%s holds %u names but the model has %d "
        "classes", path, n, n_classes);
  return labels;
}

/* Loads (or joins the shared instance of) the model, device and labels the
 * properties name, unless those loaded already match.  Posts an element
 * error and returns FALSE on failure, keeping what was loaded before. */
static gboolean
gst_yolov7_load (GstYolov7 * self)
{
  gchar *model, *device, *labels_file, *instance_id;
  GstSharedEngineConfig cfg;
  GstSharedEngineFailure failure = GST_SHARED_ENGINE_LOAD_FAILED;
  yv7_error err = { 0 };
  GstSharedEngineUser *engine = NULL;
  GPtrArray *labels = NULL;
  GError *gerr = NULL;
  gboolean new_engine = FALSE, fp16;
  guint batch_size, batch_timeout_ms;

  GST_OBJECT_LOCK (self);
  model = g_strdup (self->model);
  device = g_strdup (self->device);
  fp16 = self->fp16_weights;
  instance_id = g_strdup (self->model_instance_id);
  batch_size = self->batch_size;
  batch_timeout_ms = self->batch_timeout_ms;
  labels_file = g_strdup (self->labels_file);
  self->settings_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (!model || !*model)
    goto no_model;

  if (!self->engine || g_strcmp0 (model, self->loaded_model) != 0
      || g_strcmp0 (device, self->loaded_device) != 0
      || fp16 != self->loaded_fp16_weights
      || g_strcmp0 (instance_id, self->loaded_instance_id) != 0
      || batch_size != self->loaded_batch_size
      || batch_timeout_ms != self->loaded_batch_timeout_ms) {
    GST_INFO_OBJECT (self, "%s on device '%s'", model, device);
    cfg.model = model;
    cfg.device = device;
    cfg.fp16_weights = fp16;
    cfg.batch_size = batch_size;
    cfg.batch_timeout_ms = batch_timeout_ms;
    cfg.instance_id = instance_id;
    engine = gst_shared_engine_join (&cfg, GST_OBJECT_CAST (self), &failure,
        &err);
    if (!engine)
      goto join_failed;
    GST_INFO_OBJECT (self, "on %s (%u element(s) use it), %d classes, "
        "inference %" GST_TIME_FORMAT, gst_shared_engine_device_name (engine),
        gst_shared_engine_n_users (engine),
        gst_shared_engine_num_classes (engine),
        GST_TIME_ARGS (gst_shared_engine_run_time (engine)));
    gst_shared_engine_leave (self->engine);
    self->engine = engine;
    engine = NULL;
    g_free (self->loaded_model);
    self->loaded_model = g_strdup (model);
    g_free (self->loaded_device);
    self->loaded_device = g_strdup (device);
    self->loaded_fp16_weights = fp16;
    g_free (self->loaded_instance_id);
    self->loaded_instance_id = g_strdup (instance_id);
    self->loaded_batch_size = batch_size;
    self->loaded_batch_timeout_ms = batch_timeout_ms;
    new_engine = TRUE;
    GST_OBJECT_LOCK (self);
    self->latency = gst_shared_engine_run_time (self->engine);
    GST_OBJECT_UNLOCK (self);
  }

  /* the default names depend on the model's class count */
  if (new_engine || !self->labels
      || g_strcmp0 (labels_file, self->loaded_labels) != 0) {
    gint nc = gst_shared_engine_num_classes (self->engine);

    if (labels_file && *labels_file) {
      labels = gst_yolov7_read_labels (self, labels_file, nc, &gerr);
      if (!labels)
        goto labels_failed;
    } else {
      labels = gst_yolov7_default_labels (nc);
    }
    if (self->labels)
      g_ptr_array_unref (self->labels);
    self->labels = labels;
    g_free (self->loaded_labels);
    self->loaded_labels = g_strdup (labels_file);
  }

  g_free (model);
  g_free (device);
  g_free (instance_id);
  g_free (labels_file);
  return TRUE;

  /* ERRORS */
join_failed:
  {
    if (failure == GST_SHARED_ENGINE_NOT_DETECTOR)
      goto not_detector;
    if (failure == GST_SHARED_ENGINE_WARM_UP_FAILED)
      goto warm_up_failed;
    if (failure == GST_SHARED_ENGINE_CONFLICT)
      goto conflict;
    goto load_failed;
  }
conflict:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot share the model: %s.", err.message), (NULL));
    goto failed;
  }
no_model:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model: set the 'model' property to a YOLOv7 ONNX file."),
        ("the model property is empty"));
    goto failed;
  }
load_failed:
  {
    if (err.code == YV7_E_IO && !g_file_test (model, G_FILE_TEST_EXISTS))
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Could not read model \"%s\": %s", model, err.message),
          ("yv7_engine_load: %s", yv7_status_name (err.code)));
    else if (err.code == YV7_E_IO)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read model \"%s\": %s", model, err.message),
          ("yv7_engine_load: %s", yv7_status_name (err.code)));
    else if (err.code == YV7_E_NO_DEVICE)
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("No OpenCL device for \"%s\": %s", device, err.message),
          ("yv7_engine_load: %s", yv7_status_name (err.code)));
    else
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Could not load model \"%s\": %s", model, err.message),
          ("yv7_engine_load: %s", yv7_status_name (err.code)));
    goto failed;
  }
not_detector:
  {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Model \"%s\" is not a YOLOv7 detector: expected one image input "
            "and raw-head, grid or end2end outputs", model), (NULL));
    goto failed;
  }
warm_up_failed:
  {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Model \"%s\" failed a test inference: %s", model, err.message),
        ("yv7_engine_detect: %s", yv7_status_name (err.code)));
    goto failed;
  }
labels_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not read labels \"%s\": %s", labels_file, gerr->message),
        (NULL));
    g_clear_error (&gerr);
    goto failed;
  }
failed:
  {
    g_free (model);
    g_free (device);
    g_free (instance_id);
    g_free (labels_file);
    return FALSE;
  }
}

static void
gst_yolov7_unload (GstYolov7 * self)
{
  g_clear_pointer (&self->engine, gst_shared_engine_leave);
  g_clear_pointer (&self->loaded_instance_id, g_free);
  g_clear_pointer (&self->loaded_model, g_free);
  g_clear_pointer (&self->loaded_device, g_free);
  g_clear_pointer (&self->loaded_labels, g_free);
  g_clear_pointer (&self->labels, g_ptr_array_unref);
}

/* ---- inference ---- */

static gboolean
gst_yolov7_describe (const GstVideoFrame * frame, yv7_frame * f)
{
  const GstVideoColorimetry *cm = &GST_VIDEO_INFO_COLORIMETRY (&frame->info);

  memset (f, 0, sizeof *f);
  switch (GST_VIDEO_FRAME_FORMAT (frame)) {
    case GST_VIDEO_FORMAT_RGB:
      f->format = YV7_PIX_RGB;
      break;
    case GST_VIDEO_FORMAT_BGR:
      f->format = YV7_PIX_BGR;
      break;
    case GST_VIDEO_FORMAT_RGBx:
      f->format = YV7_PIX_RGBX;
      break;
    case GST_VIDEO_FORMAT_BGRx:
      f->format = YV7_PIX_BGRX;
      break;
    case GST_VIDEO_FORMAT_xRGB:
      f->format = YV7_PIX_XRGB;
      break;
    case GST_VIDEO_FORMAT_xBGR:
      f->format = YV7_PIX_XBGR;
      break;
    case GST_VIDEO_FORMAT_RGBA:
      f->format = YV7_PIX_RGBA;
      break;
    case GST_VIDEO_FORMAT_BGRA:
      f->format = YV7_PIX_BGRA;
      break;
    case GST_VIDEO_FORMAT_ARGB:
      f->format = YV7_PIX_ARGB;
      break;
    case GST_VIDEO_FORMAT_ABGR:
      f->format = YV7_PIX_ABGR;
      break;
    case GST_VIDEO_FORMAT_NV12:
      f->format = YV7_PIX_NV12;
      break;
    case GST_VIDEO_FORMAT_I420:
      f->format = YV7_PIX_I420;
      break;
    default:
      return FALSE;
  }
  f->width = GST_VIDEO_FRAME_WIDTH (frame);
  f->height = GST_VIDEO_FRAME_HEIGHT (frame);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame) && i < 3; i++) {
    f->planes[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
    f->strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
  }
  /* BT.2020's coefficients lie nearer BT.709's than BT.601's; everything
   * else (BT.601, SMPTE 240M, unknown SD) takes BT.601 */
  f->matrix = (cm->matrix == GST_VIDEO_COLOR_MATRIX_BT709
      || cm->matrix == GST_VIDEO_COLOR_MATRIX_BT2020) ?
      YV7_YUV_BT709 : YV7_YUV_BT601;
  f->full_range = cm->range == GST_VIDEO_COLOR_RANGE_0_255;
  return TRUE;
}

/* Folds one measured inference time into the expected one and asks the
 * pipeline to query latency again when it moved far from what was
 * reported. */
static void
gst_yolov7_update_latency (GstYolov7 * self, GstClockTime took)
{
  gboolean repost;

  GST_OBJECT_LOCK (self);
  self->latency_ms = (gdouble) took / GST_MSECOND;
  self->latency = self->latency ? (self->latency * 7 + took) / 8 : took;
  repost = GST_CLOCK_TIME_IS_VALID (self->latency_reported)
      && (self->latency > self->latency_reported + self->latency_reported / 4
      || self->latency < self->latency_reported / 2);
  if (repost)
    self->latency_reported = GST_CLOCK_TIME_NONE;       /* once per query */
  GST_OBJECT_UNLOCK (self);

  if (repost) {
    GST_DEBUG_OBJECT (self, "inference time moved to %" GST_TIME_FORMAT,
        GST_TIME_ARGS (took));
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_latency (GST_OBJECT_CAST (self)));
  }
}

/* Runs the model on a writable buffer and attaches its detections. */
static GstFlowReturn
gst_yolov7_infer (GstYolov7 * self, GstBuffer * buf, const GstVideoInfo * info,
    const GstYolov7Params * params)
{
  GstVideoFrame frame;
  yv7_frame f;
  yv7_error err = { 0 };
  yv7_detection *dets = NULL;
  gint n, width, height;
  gint64 t0;
  gboolean changed;

  /* a buffer that raced start() on an activating pad */
  if (G_UNLIKELY (!self->engine))
    goto not_started;
  GST_OBJECT_LOCK (self);
  changed = self->settings_changed;
  GST_OBJECT_UNLOCK (self);
  if (changed && !gst_yolov7_load (self))
    return GST_FLOW_ERROR;

  if (!gst_video_frame_map (&frame, info, buf, GST_MAP_READ))
    goto map_failed;
  if (!gst_yolov7_describe (&frame, &f))
    goto bad_format;
  width = f.width;
  height = f.height;
  t0 = g_get_monotonic_time ();
  /* the device reads the frame until this returns */
  if (gst_shared_engine_infer (self->engine, &f, &params->p, &dets, &n,
          &err) != YV7_OK)
    goto inference_failed;
  gst_video_frame_unmap (&frame);
  gst_yolov7_update_latency (self,
      (GstClockTime) (g_get_monotonic_time () - t0) * GST_USECOND);

  GST_LOG_OBJECT (self, "%d detections on %" GST_TIME_FORMAT, n,
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  for (gint i = 0; i < n; i++) {
    const yv7_detection *d = &dets[i];
    gchar fallback[24];
    const gchar *label;

    if (d->class_id >= 0 && (guint) d->class_id < self->labels->len) {
      label = g_ptr_array_index (self->labels, d->class_id);
    } else {
      g_snprintf (fallback, sizeof fallback, "class%d", d->class_id);
      label = fallback;
    }
    /* with the analytics library, also its ODMtd */
    gst_detection_meta_add (buf, label, d->class_id, d->score,
        d->x0, d->y0, d->x1, d->y1, width, height);
  }
  g_free (dets);
  gst_detection_meta_mark_inferred (buf);
  return GST_FLOW_OK;

  /* ERRORS */
not_started:
  {
    GST_DEBUG_OBJECT (self, "not started yet, refusing %" GST_PTR_FORMAT, buf);
    return GST_FLOW_FLUSHING;
  }
map_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not map the video frame for reading."), (NULL));
    return GST_FLOW_ERROR;
  }
bad_format:
  {
    gst_video_frame_unmap (&frame);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Unsupported video format %s.",
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info))),
        (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
inference_failed:
  {
    gst_video_frame_unmap (&frame);
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Inference failed: %s", err.message),
        ("%s", yv7_status_name (err.code)));
    return GST_FLOW_ERROR;
  }
}

/* Whether this frame is one to run the model on, given inference-interval;
 * a frame that could not run (busy) leaves the turn to the next one. */
static gboolean
gst_yolov7_take_turn (GstYolov7 * self, gboolean can_run)
{
  guint interval;

  GST_OBJECT_LOCK (self);
  interval = self->inference_interval;
  GST_OBJECT_UNLOCK (self);

  if (self->countdown >= interval)
    self->countdown = interval - 1;     /* the interval was shortened */
  if (self->countdown > 0) {
    self->countdown--;
    return FALSE;
  }
  if (!can_run)
    return FALSE;
  self->countdown = interval - 1;
  return TRUE;
}

/* ---- drop-when-busy: the worker ---- */

static void
gst_yolov7_held_free (GstYolov7Held * held)
{
  /* not gst_clear_buffer(): its GstMiniObject** cast breaks strict
   * aliasing, which this project's flags keep on */
  if (held->buf)
    gst_buffer_unref (held->buf);
  gst_yolov7_params_clear (&held->params);
  g_free (held);
}

/* Drops every held frame; call with lock held. */
static void
gst_yolov7_clear_held_unlocked (GstYolov7 * self)
{
  GstYolov7Held *held;

  while ((held = g_queue_pop_head (&self->held)))
    gst_yolov7_held_free (held);
  self->inference_pending = self->worker_active && self->worker_infer;
}

/* Takes held frames in order: runs the model on the one that wants it, then
 * pushes each downstream, so detections stay on the frame they came from
 * and the frames behind it keep their place. */
static gpointer
gst_yolov7_worker (gpointer data)
{
  GstYolov7 *self = data;
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);

  g_mutex_lock (&self->lock);
  for (;;) {
    GstYolov7Held *held;
    GstFlowReturn ret = GST_FLOW_OK;
    gboolean infer;

    while (!self->worker_stop && g_queue_is_empty (&self->held))
      g_cond_wait (&self->cond, &self->lock);
    if (self->worker_stop)
      break;
    held = g_queue_pop_head (&self->held);
    infer = held->infer;
    self->worker_active = TRUE;
    self->worker_infer = infer;
    if (self->flushing)
      ret = GST_FLOW_FLUSHING;
    g_cond_broadcast (&self->cond);     /* room for one more */
    g_mutex_unlock (&self->lock);

    if (ret == GST_FLOW_OK && infer)
      ret = gst_yolov7_infer (self, held->buf, &held->info, &held->params);
    if (ret == GST_FLOW_OK) {
      ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (trans), held->buf);
      held->buf = NULL;
    }
    gst_yolov7_held_free (held);

    g_mutex_lock (&self->lock);
    self->worker_active = FALSE;
    if (infer)
      self->inference_pending = FALSE;
    if (ret != GST_FLOW_OK) {
      GST_DEBUG_OBJECT (self, "worker: %s", gst_flow_get_name (ret));
      if (self->worker_flow == GST_FLOW_OK)
        self->worker_flow = ret;
      /* what was behind the failed frame cannot go out in order */
      gst_yolov7_clear_held_unlocked (self);
    }
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Waits until the worker has pushed every held frame.  Returns the worker's
 * failure, if any: it stays until a flush or a restart, so that a
 * serialized event or query drained in between cannot hide it from the
 * next chain call. */
static GstFlowReturn
gst_yolov7_drain (GstYolov7 * self)
{
  GstFlowReturn ret;

  g_mutex_lock (&self->lock);
  while (!self->flushing && (self->worker_active
          || !g_queue_is_empty (&self->held)))
    g_cond_wait (&self->cond, &self->lock);
  ret = self->flushing ? GST_FLOW_FLUSHING : self->worker_flow;
  g_mutex_unlock (&self->lock);
  return ret;
}

/* drop-when-busy: a frame becomes the inference frame when none is in
 * flight, else goes out without new detections; either way behind what is
 * held already.  Takes buf. */
static GstFlowReturn
gst_yolov7_queue_frame (GstYolov7 * self, GstBuffer * buf)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstYolov7Held *held;
  GstFlowReturn ret;
  gboolean infer;

  g_mutex_lock (&self->lock);
  if (self->flushing)
    goto flushing;
  if ((ret = self->worker_flow) != GST_FLOW_OK)
    goto worker_failed;

  infer = gst_yolov7_take_turn (self, !self->inference_pending);
  if (!infer && !self->worker_active && g_queue_is_empty (&self->held)) {
    /* nothing held: it can go now, from this thread */
    g_mutex_unlock (&self->lock);
    return gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buf);
  }

  if (!self->worker) {
    self->worker = g_thread_try_new ("yolov7-worker", gst_yolov7_worker, self,
        NULL);
    if (!self->worker)
      goto no_thread;
  }
  while (!self->flushing && g_queue_get_length (&self->held) >= MAX_HELD_FRAMES)
    g_cond_wait (&self->cond, &self->lock);
  if (self->flushing)
    goto flushing;

  held = g_new0 (GstYolov7Held, 1);
  held->infer = infer;
  if (infer) {
    /* the detections go onto this very buffer later */
    held->buf = gst_buffer_make_writable (buf);
    held->info = filter->in_info;
    GST_OBJECT_LOCK (self);
    gst_yolov7_params_snapshot_unlocked (self, &held->params);
    GST_OBJECT_UNLOCK (self);
    self->inference_pending = TRUE;
  } else {
    held->buf = buf;
  }
  g_queue_push_tail (&self->held, held);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;

  /* ERRORS */
flushing:
  {
    g_mutex_unlock (&self->lock);
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }
worker_failed:
  {
    g_mutex_unlock (&self->lock);
    gst_buffer_unref (buf);
    return ret;
  }
no_thread:
  {
    g_mutex_unlock (&self->lock);
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the inference thread."), (NULL));
    return GST_FLOW_ERROR;
  }
}

static void
gst_yolov7_stop_worker (GstYolov7 * self)
{
  GThread *worker;

  g_mutex_lock (&self->lock);
  self->worker_stop = TRUE;
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  worker = self->worker;
  self->worker = NULL;
  g_mutex_unlock (&self->lock);

  if (worker)
    g_thread_join (worker);

  g_mutex_lock (&self->lock);
  gst_yolov7_clear_held_unlocked (self);
  self->inference_pending = FALSE;
  g_mutex_unlock (&self->lock);
}

/* ---- GstBaseTransform ---- */

static gboolean
gst_yolov7_start (GstBaseTransform * trans)
{
  GstYolov7 *self = GST_YOLOV7 (trans);
  gboolean classes_valid;
  gchar *classes = NULL;

  GST_OBJECT_LOCK (self);
  classes_valid = self->classes_valid;
  if (!classes_valid)
    classes = g_strdup (self->classes_str);
  self->latency = 0;
  self->latency_reported = GST_CLOCK_TIME_NONE;
  self->latency_ms = 0;
  GST_OBJECT_UNLOCK (self);
  if (!classes_valid)
    goto bad_classes;

  /* The sink pad takes buffers as soon as it is active, before this runs:
   * hold the streaming thread off while the engine loads, so that it never
   * loads one of its own at the same time (see gst_yolov7_infer). */
  GST_PAD_STREAM_LOCK (trans->sinkpad);
  if (!gst_yolov7_load (self)) {
    GST_PAD_STREAM_UNLOCK (trans->sinkpad);
    return FALSE;
  }

  self->countdown = 0;
  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  self->worker_stop = FALSE;
  self->worker_flow = GST_FLOW_OK;
  self->worker_active = FALSE;
  self->inference_pending = FALSE;
  g_mutex_unlock (&self->lock);
  GST_PAD_STREAM_UNLOCK (trans->sinkpad);
  return TRUE;

  /* ERRORS */
bad_classes:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid classes \"%s\": expected comma-separated class ids, "
            "e.g. \"0,2,7\".", classes), (NULL));
    g_free (classes);
    return FALSE;
  }
}

static gboolean
gst_yolov7_stop (GstBaseTransform * trans)
{
  GstYolov7 *self = GST_YOLOV7 (trans);

  gst_yolov7_stop_worker (self);
  gst_yolov7_unload (self);
  self->countdown = 0;
  GST_OBJECT_LOCK (self);
  self->latency = 0;
  self->latency_reported = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_yolov7_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  /* nothing to redo: the engine letterboxes each frame at its own size */
  GST_DEBUG_OBJECT (filter, "%s %dx%d", GST_VIDEO_INFO_NAME (in_info),
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info));
  return TRUE;
}

static GstFlowReturn
gst_yolov7_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstYolov7 *self = GST_YOLOV7 (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  GstYolov7Params params;
  GstFlowReturn ret;

  if (!filter->negotiated)
    goto not_negotiated;
  if (!gst_yolov7_take_turn (self, TRUE))
    return GST_FLOW_OK;

  GST_OBJECT_LOCK (self);
  gst_yolov7_params_snapshot_unlocked (self, &params);
  GST_OBJECT_UNLOCK (self);
  ret = gst_yolov7_infer (self, buf, &filter->in_info, &params);
  gst_yolov7_params_clear (&params);
  return ret;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("no caps set before the first buffer"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
}

static GstFlowReturn
gst_yolov7_generate_output (GstBaseTransform * trans, GstBuffer ** outbuf)
{
  GstYolov7 *self = GST_YOLOV7 (trans);
  GstBuffer *buf;
  GstFlowReturn ret;
  gboolean drop;

  GST_OBJECT_LOCK (self);
  drop = self->drop_when_busy;
  GST_OBJECT_UNLOCK (self);

  if (!drop) {
    /* frames still held from drop-when-busy go first, and the engine must
     * be free for this thread */
    if ((ret = gst_yolov7_drain (self)) != GST_FLOW_OK) {
      if (trans->queued_buf)
        gst_buffer_unref (trans->queued_buf);
      trans->queued_buf = NULL;
      *outbuf = NULL;
      return ret;
    }
    return GST_BASE_TRANSFORM_CLASS (parent_class)->generate_output (trans,
        outbuf);
  }

  *outbuf = NULL;
  buf = trans->queued_buf;
  trans->queued_buf = NULL;
  if (!buf)
    return GST_FLOW_OK;
  if (!GST_VIDEO_FILTER (trans)->negotiated) {
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  return gst_yolov7_queue_frame (self, buf);
}

static gboolean
gst_yolov7_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstYolov7 *self = GST_YOLOV7 (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_FLUSH_STOP:
      /* the src pad still flushes, so a frame the worker finishes now is
       * dropped there */
      g_mutex_lock (&self->lock);
      while (self->worker_active)
        g_cond_wait (&self->cond, &self->lock);
      gst_yolov7_clear_held_unlocked (self);
      self->worker_flow = GST_FLOW_OK;
      self->flushing = FALSE;
      g_mutex_unlock (&self->lock);
      self->countdown = 0;
      break;
    default:
      /* serialized events keep their place behind the held frames */
      if (GST_EVENT_IS_SERIALIZED (event))
        gst_yolov7_drain (self);
      /* batches of a shared engine stop waiting for this stream */
      if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->engine)
        gst_shared_engine_idle (self->engine);
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_yolov7_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstYolov7 *self = GST_YOLOV7 (trans);
  gboolean ret;

  if (direction == GST_PAD_SINK && GST_QUERY_IS_SERIALIZED (query))
    gst_yolov7_drain (self);

  ret = GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
      query);

  if (ret && direction == GST_PAD_SRC
      && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, ours;

    /* an analysed frame leaves once its inference is done */
    GST_OBJECT_LOCK (self);
    ours = self->latency;
    self->latency_reported = ours;
    GST_OBJECT_UNLOCK (self);
    gst_query_parse_latency (query, &live, &min, &max);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
    GST_DEBUG_OBJECT (self, "latency +%" GST_TIME_FORMAT ": min %"
        GST_TIME_FORMAT " max %" GST_TIME_FORMAT, GST_TIME_ARGS (ours),
        GST_TIME_ARGS (min), GST_TIME_ARGS (max));
  }
  return ret;
}

static GstStateChangeReturn
gst_yolov7_change_state (GstElement * element, GstStateChange transition)
{
  GstYolov7 *self = GST_YOLOV7 (element);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    /* wake a streaming thread waiting for the worker before the pads
     * deactivate (which waits for the streaming thread) */
    g_mutex_lock (&self->lock);
    self->flushing = TRUE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* ---- GObject ---- */

static void
gst_yolov7_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstYolov7 *self = GST_YOLOV7 (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      self->settings_changed = TRUE;
      break;
    case PROP_LABELS:
      g_free (self->labels_file);
      self->labels_file = g_value_dup_string (value);
      self->settings_changed = TRUE;
      break;
    case PROP_CONF_THRESHOLD:
      self->conf_threshold = g_value_get_float (value);
      break;
    case PROP_IOU_THRESHOLD:
      self->iou_threshold = g_value_get_float (value);
      break;
    case PROP_MAX_DETECTIONS:
      self->max_detections = g_value_get_int (value);
      break;
    case PROP_CLASSES:{
      gint *ids = NULL, n = 0;

      g_free (self->classes_str);
      self->classes_str = g_value_dup_string (value);
      self->classes_valid = gst_yolov7_parse_classes (self->classes_str, &ids,
          &n);
      if (self->classes_valid) {
        g_free (self->classes);
        self->classes = ids;
        self->n_classes = n;
      } else {
        /* start() refuses it; a running stream keeps the previous list */
        GST_WARNING_OBJECT (self, "invalid classes \"%s\"", self->classes_str);
      }
      break;
    }
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      if (!self->device)
        self->device = g_strdup (DEFAULT_DEVICE);
      self->settings_changed = TRUE;
      break;
    case PROP_FP16_WEIGHTS:
      self->fp16_weights = g_value_get_boolean (value);
      self->settings_changed = TRUE;
      break;
    case PROP_INFERENCE_INTERVAL:
      self->inference_interval = g_value_get_uint (value);
      break;
    case PROP_DROP_WHEN_BUSY:
      self->drop_when_busy = g_value_get_boolean (value);
      break;
    case PROP_MODEL_INSTANCE_ID:
      g_free (self->model_instance_id);
      self->model_instance_id = g_value_dup_string (value);
      self->settings_changed = TRUE;
      break;
    case PROP_BATCH_SIZE:
      self->batch_size = g_value_get_uint (value);
      self->settings_changed = TRUE;
      break;
    case PROP_BATCH_TIMEOUT_MS:
      self->batch_timeout_ms = g_value_get_uint (value);
      self->settings_changed = TRUE;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_yolov7_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstYolov7 *self = GST_YOLOV7 (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_LABELS:
      g_value_set_string (value, self->labels_file);
      break;
    case PROP_CONF_THRESHOLD:
      g_value_set_float (value, self->conf_threshold);
      break;
    case PROP_IOU_THRESHOLD:
      g_value_set_float (value, self->iou_threshold);
      break;
    case PROP_MAX_DETECTIONS:
      g_value_set_int (value, self->max_detections);
      break;
    case PROP_CLASSES:
      g_value_set_string (value, self->classes_str);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_FP16_WEIGHTS:
      g_value_set_boolean (value, self->fp16_weights);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->inference_interval);
      break;
    case PROP_DROP_WHEN_BUSY:
      g_value_set_boolean (value, self->drop_when_busy);
      break;
    case PROP_LATENCY_MS:
      g_value_set_double (value, self->latency_ms);
      break;
    case PROP_MODEL_INSTANCE_ID:
      g_value_set_string (value, self->model_instance_id);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;
    case PROP_BATCH_TIMEOUT_MS:
      g_value_set_uint (value, self->batch_timeout_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_yolov7_finalize (GObject * object)
{
  GstYolov7 *self = GST_YOLOV7 (object);

  gst_yolov7_stop_worker (self);
  gst_yolov7_unload (self);
  g_free (self->model);
  g_free (self->labels_file);
  g_free (self->classes_str);
  g_free (self->classes);
  g_free (self->device);
  g_free (self->model_instance_id);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_yolov7_class_init (GstYolov7Class * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = gst_yolov7_set_property;
  gobject_class->get_property = gst_yolov7_get_property;
  gobject_class->finalize = gst_yolov7_finalize;

  /**
   * GstYolov7:model:
   *
   * The YOLOv7 ONNX file (raw-head, --grid or --grid --end2end --max-wh
   * export). Required. Changing it while playing loads the new model before
   * the next analysed frame.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", "YOLOv7 ONNX model file",
          DEFAULT_MODEL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:labels:
   *
   * A text file with one class name per line. Without one, the 80 COCO
   * names are used when the model has 80 classes, "class<N>" otherwise.
   */
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "File with one class name per line (default: the 80 COCO names)",
          DEFAULT_LABELS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:conf-threshold:
   *
   * Minimum score (objectness x class probability) a detection needs.
   */
  g_object_class_install_property (gobject_class, PROP_CONF_THRESHOLD,
      g_param_spec_float ("conf-threshold", "Confidence threshold",
          "Minimum detection score", 0.0f, 1.0f, DEFAULT_CONF_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:iou-threshold:
   *
   * Non-maximum suppression: a box overlapping a better one of its class by
   * more than this intersection over union is dropped.
   */
  g_object_class_install_property (gobject_class, PROP_IOU_THRESHOLD,
      g_param_spec_float ("iou-threshold", "IoU threshold",
          "NMS intersection-over-union threshold", 0.0f, 1.0f,
          DEFAULT_IOU_THRESHOLD, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:max-detections:
   *
   * Most detections kept per frame, best first.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_DETECTIONS,
      g_param_spec_int ("max-detections", "Maximum detections",
          "Most detections kept per frame", 1, MAX_MAX_DETECTIONS,
          DEFAULT_MAX_DETECTIONS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:classes:
   *
   * Comma-separated class ids to keep, e.g. "0,2,7"; empty keeps all.
   */
  g_object_class_install_property (gobject_class, PROP_CLASSES,
      g_param_spec_string ("classes", "Classes",
          "Comma-separated class ids to keep (empty: all)", DEFAULT_CLASSES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:device:
   *
   * The engine's device: "auto" (first GPU, else first CPU device), a
   * platform or device name substring ("pocl", "nvidia"), "P:D" indices,
   * or "reference" (plain C on the host, no OpenCL).
   */
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device", "OpenCL device to run on",
          DEFAULT_DEVICE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:fp16-weights:
   *
   * Keep the convolution weights on the device as fp16 (half the weight
   * memory and traffic); products and sums stay fp32. Each weight is
   * rounded to fp16 (relative error up to 2^-11); how far that moves the
   * detections depends on the model. Takes effect at the next load (a
   * change while playing reloads, as for `device`).
   *
   * |[
   * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! \
   *     yolov7 model=yolov7.onnx device=nvidia fp16-weights=true ! fakesink
   * ]|
   */
  g_object_class_install_property (gobject_class, PROP_FP16_WEIGHTS,
      g_param_spec_boolean ("fp16-weights", "fp16 weights",
          "Store the convolution weights on the device as fp16 (fp32 math)",
          DEFAULT_FP16_WEIGHTS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:inference-interval:
   *
   * Run the model on every Nth frame; the others pass with no new
   * detections.
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Run inference on every Nth frame", 1, MAX_INFERENCE_INTERVAL,
          DEFAULT_INFERENCE_INTERVAL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:drop-when-busy:
   *
   * Run inference on a thread of its own; frames that arrive while it is
   * busy pass without new detections (in order), so a live source keeps
   * its rate and latency stays bounded by one inference.
   */
  g_object_class_install_property (gobject_class, PROP_DROP_WHEN_BUSY,
      g_param_spec_boolean ("drop-when-busy", "Drop when busy",
          "Let frames pass without detections while inference is busy",
          DEFAULT_DROP_WHEN_BUSY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:latency-ms:
   *
   * How long the last inference took, from submission to detections, in
   * milliseconds.
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY_MS,
      g_param_spec_double ("latency-ms", "Latency",
          "Time of the last inference in milliseconds", 0.0, G_MAXDOUBLE, 0.0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstYolov7:model-instance-id:
   *
   * Which loaded model this element uses. Empty (the default): elements
   * of the process with the same `model` file, `device`, `fp16-weights`,
   * `batch-size` and `batch-timeout-ms` share one loaded model and one
   * device copy of its weights. Elements with the same id share one
   * instance (starting one with other settings than the instance has is
   * an error); give an element an id of its own to keep it apart.
   *
   * |[
   * gst-launch-1.0 uridecodebin uri=rtsp://cam1/stream ! \
   *     yolov7 model=yolov7-tiny.onnx model-instance-id=front ! fakesink \
   *   uridecodebin uri=rtsp://cam2/stream ! \
   *     yolov7 model=yolov7-tiny.onnx model-instance-id=front ! fakesink
   * ]|
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_INSTANCE_ID,
      g_param_spec_string ("model-instance-id", "Model instance id",
          "Elements with the same id share one loaded model (empty: share "
          "by model, device and batch settings)", DEFAULT_MODEL_INSTANCE_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:batch-size:
   *
   * Most frames of the elements sharing this element's model that run in
   * one inference. A model exported with a dynamic batch dimension is
   * loaded for this batch; one with a fixed batch runs a batch in runs of
   * its own batch size. A run costs a whole batch even when fewer frames
   * came, so set it to the number of streams that share the model.
   *
   * |[
   * gst-launch-1.0 \
   *   filesrc location=a.mp4 ! decodebin ! yolov7 model=dyn.onnx \
   *     batch-size=2 ! fakesink \
   *   filesrc location=b.mp4 ! decodebin ! yolov7 model=dyn.onnx \
   *     batch-size=2 ! fakesink
   * ]|
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size",
          "Most frames of the elements sharing the model run at once", 1,
          MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYolov7:batch-timeout-ms:
   *
   * Longest time a frame waits for frames of the other streaming elements
   * that share the model before its batch runs without them. Elements at
   * end of stream are not waited for, nor, until their next frame, those
   * that let a batch time out.
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_TIMEOUT_MS,
      g_param_spec_uint ("batch-timeout-ms", "Batch timeout",
          "Longest wait in ms for frames of other streams to fill a batch",
          0, MAX_BATCH_TIMEOUT_MS, DEFAULT_BATCH_TIMEOUT_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "YOLOv7 object detector", "Filter/Analyzer/Video",
      "Detects objects with a YOLOv7 ONNX model on OpenCL and attaches "
      "them as region-of-interest metadata", "yolov7-opencl");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_yolov7_change_state);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_yolov7_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_yolov7_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_yolov7_transform_ip);
  trans_class->transform = NULL;
  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_yolov7_generate_output);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_yolov7_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_yolov7_query);

  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_yolov7_set_info);
}

static void
gst_yolov7_init (GstYolov7 * self)
{
  self->model = g_strdup (DEFAULT_MODEL);
  self->labels_file = g_strdup (DEFAULT_LABELS);
  self->conf_threshold = DEFAULT_CONF_THRESHOLD;
  self->iou_threshold = DEFAULT_IOU_THRESHOLD;
  self->max_detections = DEFAULT_MAX_DETECTIONS;
  self->classes_str = g_strdup (DEFAULT_CLASSES);
  self->classes_valid = TRUE;
  self->device = g_strdup (DEFAULT_DEVICE);
  self->fp16_weights = DEFAULT_FP16_WEIGHTS;
  self->inference_interval = DEFAULT_INFERENCE_INTERVAL;
  self->drop_when_busy = DEFAULT_DROP_WHEN_BUSY;
  self->model_instance_id = g_strdup (DEFAULT_MODEL_INSTANCE_ID);
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->batch_timeout_ms = DEFAULT_BATCH_TIMEOUT_MS;
  self->latency_reported = GST_CLOCK_TIME_NONE;
  self->worker_flow = GST_FLOW_OK;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->held);

  /* buffers are only read and get metadata */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  /* every frame goes on, late or not: dropping is drop-when-busy's job */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}
