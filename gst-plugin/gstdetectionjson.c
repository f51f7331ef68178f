/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-detectionjson
 * @title: detectionjson
 *
 * A pass-through element that writes the detections of each frame as one
 * JSON object per line (JSON Lines) to a file or to stdout, in the shape
 * DL Streamer's gvametaconvert/gvametapublish write, so existing consumers
 * parse it:
 *
 * |[
 * {"timestamp":40000000,"resolution":{"width":640,"height":480},
 *  "objects":[{"x":12,"y":30,"w":100,"h":200,"roi_type":"person","id":3,
 *    "detection":{"bounding_box":{"x_min":0.01875,"y_min":0.0625,
 *                                 "x_max":0.175,"y_max":0.479166},
 *                 "confidence":0.91,"label":"person","label_id":0}}]}
 * ]|
 *
 * (shown folded; each object is on one line in the output). `timestamp` is
 * the buffer PTS in nanoseconds (left out when the buffer has none); x, y, w,
 * h are the box in frame pixels and bounding_box the same box normalised to
 * 0-1; `id` is the track id, present only on objects that objecttracker
 * tracked; `confidence`, `label` and `label_id` come from the detector.
 * Every frame gives a line, an empty `objects` array when nothing was found.
 *
 * Each line is flushed as soon as it is written, so a reader following the
 * file sees every frame and nothing is lost at EOS or on a crash later.
 * The file is opened (and truncated) when the element goes to PAUSED and
 * closed when it goes back to READY.
 *
 * The buffers pass unchanged, so the element can sit anywhere after the
 * detector, or at the end of a tee branch:
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     yolov7 model=yolov7-tiny.onnx ! objecttracker ! \
 *     detectionjson location=detections.jsonl ! fakesink
 * ]|
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! yolov7 model=yolov7-tiny.onnx ! \
 *     tee name=t ! queue ! detectionoverlay ! videoconvert ! autovideosink \
 *     t. ! queue ! detectionjson location=- ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdetectionjson.h"
#include "gstdetectionmeta.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

GST_DEBUG_CATEGORY_STATIC (gst_detection_json_debug);
#define GST_CAT_DEFAULT gst_detection_json_debug

/* "-" (or NULL, or "") writes to stdout */
#define DEFAULT_LOCATION "-"

enum
{
  PROP_0,
  PROP_LOCATION,
};

struct _GstDetectionJson
{
  GstBaseTransform parent;

  /* property, under the object lock */
  gchar *location;

  /* stream state, streaming thread (and start/stop) only */
  FILE *file;
  gboolean is_stdout;
  gchar *path;                  /* the location the file was opened from */
  gint width, height;
  JsonGenerator *generator;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

G_DEFINE_TYPE (GstDetectionJson, gst_detection_json, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (detectionjson, "detectionjson",
    GST_RANK_NONE, GST_TYPE_DETECTION_JSON);

static gboolean
location_is_stdout (const gchar * location)
{
  return !location || !*location || g_strcmp0 (location, "-") == 0;
}

static void
gst_detection_json_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDetectionJson *self = GST_DETECTION_JSON (object);

  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK (self);
      /* the file is opened in start: a new name only takes effect then */
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "location can only be changed in the NULL "
            "or READY state");
        GST_OBJECT_UNLOCK (self);
        break;
      }
      g_free (self->location);
      self->location = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_detection_json_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDetectionJson *self = GST_DETECTION_JSON (object);

  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->location);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_detection_json_finalize (GObject * object)
{
  GstDetectionJson *self = GST_DETECTION_JSON (object);

  g_free (self->location);
  G_OBJECT_CLASS (gst_detection_json_parent_class)->finalize (object);
}

static gboolean
gst_detection_json_start (GstBaseTransform * trans)
{
  GstDetectionJson *self = GST_DETECTION_JSON (trans);
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);

  /* The sink pad takes buffers as soon as it is active, before this runs:
   * hold the streaming thread off until the file and generator exist. */
  GST_PAD_STREAM_LOCK (trans->sinkpad);
  if (location_is_stdout (location)) {
    self->file = stdout;
    self->is_stdout = TRUE;
    self->path = g_strdup ("stdout");
    g_free (location);
  } else {
    self->file = g_fopen (location, "wb");
    if (!self->file)
      goto open_failed;
    self->is_stdout = FALSE;
    self->path = location;
  }
  self->width = self->height = 0;
  self->generator = json_generator_new ();
  GST_PAD_STREAM_UNLOCK (trans->sinkpad);
  GST_DEBUG_OBJECT (self, "writing to %s", self->path);
  return TRUE;

  /* ERRORS */
open_failed:
  {
    GST_PAD_STREAM_UNLOCK (trans->sinkpad);
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open file \"%s\" for writing.", location),
        GST_ERROR_SYSTEM);
    g_free (location);
    return FALSE;
  }
}

static gboolean
gst_detection_json_stop (GstBaseTransform * trans)
{
  GstDetectionJson *self = GST_DETECTION_JSON (trans);
  gboolean ret = TRUE;

  if (self->file && !self->is_stdout && fclose (self->file) != 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, CLOSE,
        ("Could not close file \"%s\".", self->path), GST_ERROR_SYSTEM);
    ret = FALSE;
  } else if (self->file && self->is_stdout) {
    fflush (self->file);
  }
  self->file = NULL;
  self->is_stdout = FALSE;
  g_clear_pointer (&self->path, g_free);
  g_clear_object (&self->generator);
  return ret;
}

static gboolean
gst_detection_json_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstDetectionJson *self = GST_DETECTION_JSON (trans);
  GstStructure *s = gst_caps_get_structure (incaps, 0);
  gint w = 0, h = 0;

  (void) outcaps;
  /* only the size is needed: read it without requiring a known format */
  if (!gst_structure_get_int (s, "width", &w)
      || !gst_structure_get_int (s, "height", &h) || w <= 0 || h <= 0)
    goto no_size;
  self->width = w;
  self->height = h;
  return TRUE;

  /* ERRORS */
no_size:
  {
    GST_WARNING_OBJECT (self, "caps without a frame size: %" GST_PTR_FORMAT,
        incaps);
    return FALSE;
  }
}

static void
add_object (JsonBuilder * b, GstVideoRegionOfInterestMeta * roi, gint fw,
    gint fh)
{
  gdouble confidence = 0;
  gint label_id = -1, track_id;
  const gchar *label = NULL;
  const gchar *roi_type = g_quark_to_string (roi->roi_type);
  gboolean has_det = gst_detection_meta_get (roi, &confidence, &label_id,
      &label);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "x");
  json_builder_add_int_value (b, roi->x);
  json_builder_set_member_name (b, "y");
  json_builder_add_int_value (b, roi->y);
  json_builder_set_member_name (b, "w");
  json_builder_add_int_value (b, roi->w);
  json_builder_set_member_name (b, "h");
  json_builder_add_int_value (b, roi->h);
  if (roi_type) {
    json_builder_set_member_name (b, "roi_type");
    json_builder_add_string_value (b, roi_type);
  }
  track_id = gst_detection_meta_get_track_id (roi);
  if (track_id >= 0) {
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, track_id);
  }

  json_builder_set_member_name (b, "detection");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "bounding_box");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "x_min");
  json_builder_add_double_value (b, (gdouble) roi->x / fw);
  json_builder_set_member_name (b, "y_min");
  json_builder_add_double_value (b, (gdouble) roi->y / fh);
  json_builder_set_member_name (b, "x_max");
  json_builder_add_double_value (b, (gdouble) (roi->x + roi->w) / fw);
  json_builder_set_member_name (b, "y_max");
  json_builder_add_double_value (b, (gdouble) (roi->y + roi->h) / fh);
  json_builder_end_object (b);
  if (has_det) {
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b, confidence);
  }
  if (!label || !*label)
    label = roi_type;
  if (label) {
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, label);
  }
  if (has_det) {
    json_builder_set_member_name (b, "label_id");
    json_builder_add_int_value (b, label_id);
  }
  json_builder_end_object (b);

  json_builder_end_object (b);
}

static gchar *
gst_detection_json_frame_to_string (GstDetectionJson * self, GstBuffer * buf)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  gchar *line;
  gint fw = self->width > 0 ? self->width : 1;
  gint fh = self->height > 0 ? self->height : 1;

  json_builder_begin_object (b);
  if (GST_BUFFER_PTS_IS_VALID (buf)) {
    json_builder_set_member_name (b, "timestamp");
    json_builder_add_int_value (b, (gint64) GST_BUFFER_PTS (buf));
  }
  json_builder_set_member_name (b, "resolution");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, self->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, self->height);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "objects");
  json_builder_begin_array (b);
  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    add_object (b, roi, fw, fh);
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (self->generator, root);
  line = json_generator_to_data (self->generator, NULL);
  json_generator_set_root (self->generator, NULL);
  json_node_unref (root);
  g_object_unref (b);
  return line;
}

static GstFlowReturn
gst_detection_json_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstDetectionJson *self = GST_DETECTION_JSON (trans);
  gchar *line;
  gsize len;

  if (G_UNLIKELY (!self->file)) {
    /* a buffer that raced start() on an activating pad: no line for it */
    GST_DEBUG_OBJECT (self, "not started yet, refusing %" GST_PTR_FORMAT, buf);
    return GST_FLOW_FLUSHING;
  }

  line = gst_detection_json_frame_to_string (self, buf);
  len = strlen (line);
  /* one line per frame, flushed at once: nothing waits for EOS */
  if (fwrite (line, 1, len, self->file) != len
      || fputc ('\n', self->file) == EOF || fflush (self->file) != 0)
    goto write_failed;
  g_free (line);
  return GST_FLOW_OK;

  /* ERRORS */
write_failed:
  {
    g_free (line);
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write to file \"%s\".", self->path), GST_ERROR_SYSTEM);
    return GST_FLOW_ERROR;
  }
}

static void
gst_detection_json_class_init (GstDetectionJsonClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_detection_json_debug, "detectionjson", 0,
      "Writes detections as JSON Lines");

  gobject_class->set_property = gst_detection_json_set_property;
  gobject_class->get_property = gst_detection_json_get_property;
  gobject_class->finalize = gst_detection_json_finalize;

  /**
   * GstDetectionJson:location:
   *
   * The file the JSON Lines go to, truncated when the element starts; "-"
   * (the default), an empty string or NULL write to stdout. It can only be
   * changed in the NULL or READY state.
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "File to write the JSON Lines to (\"-\" for stdout)",
          DEFAULT_LOCATION, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Detection JSON writer", "Filter/Analyzer/Video",
      "Writes the detections of each frame as one JSON object per line "
      "(DL Streamer's gvametaconvert layout); buffers pass unchanged",
      "yolov7-opencl");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_detection_json_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_detection_json_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_detection_json_set_caps);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_detection_json_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
}

static void
gst_detection_json_init (GstDetectionJson * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
