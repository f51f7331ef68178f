/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-objecttracker
 * @title: objecttracker
 *
 * Multi-object tracker in the manner of ByteTrack over the detections that an
 * upstream detector (`yolov7`, or any element writing the same metadata)
 * attaches as #GstVideoRegionOfInterestMeta with a `"detection"` param, and,
 * with GStreamer 1.24+ and its analytics library, as object-detection entries
 * (#GstAnalyticsODMtd) of a #GstAnalyticsRelationMeta, such as GStreamer's own
 * tensor decoders write.
 *
 * Every track has a constant-velocity Kalman filter (box centre, aspect
 * ratio, height and their velocities).  On each frame the detector ran on,
 * detections scoring at least #GstObjectTracker:high-threshold are matched
 * with all tracks by IoU with an optimal assignment (cost 1 - IoU, pairs
 * below #GstObjectTracker:match-iou never match); the tracks left over that
 * were tracked on the previous frame are then matched the same way with the
 * detections scoring from #GstObjectTracker:low-threshold up to the high
 * threshold, so an object whose score drops while it is partly hidden keeps
 * its track.  Only high-score detections left unmatched start tracks.
 *
 * A track gets its id once it has been matched on
 * #GstObjectTracker:min-hits consecutive inferred frames; a new track that
 * misses a frame before that is dropped.  A track with an id survives
 * #GstObjectTracker:max-lost-frames inferred frames without a match and
 * keeps its id when it is found again.
 *
 * Each detection matched to a track with an id gets an `"object_id"` param
 * `{ id: int }` and, without the analytics library, the id in the ROI meta's
 * `id` field; detections not matched to such a track are left as they are
 * (untracked, id -1 as the detector writes them).  With the analytics
 * library nothing the detector wrote is changed: each tracked object gets a
 * #GstAnalyticsTrackingMtd (track id, PTS first and last seen) related to its
 * ODMtd (%GST_ANALYTICS_REL_TYPE_RELATE_TO, ODMtd first; an ODMtd is added
 * for a detection that came as an ROI meta only), and every track that is
 * lost but not yet dropped gets a tracking entry with its lost flag set and
 * no ODMtd.
 *
 * Frames the detector did not look at (`inference-interval` > 1 or
 * `drop-when-busy` on `yolov7`) carry neither detections nor the inference
 * marker of gstdetectionmeta.h.  On those the tracks move on by their
 * velocity and every track with an id that was matched on the last inferred
 * frame is added as an ROI meta with the predicted box, its last detection's
 * label and confidence, its `"object_id"`, and a `"tracking"` param
 * `{ predicted: true }`; with the analytics library also as an ODMtd whose
 * tracking entry's last-seen time is earlier than the frame's PTS: that is
 * how a reader tells a predicted box from a detected one.  A frame with the
 * marker and no detections is a frame where nothing was found: it ages the
 * tracks.  A frame without the
 * marker but with detections (a detector that does not write the marker)
 * counts as inferred.
 *
 * Tracks are cleared on FLUSH_STOP and on a change of resolution, with ids
 * counting on; on PAUSED->READY they are cleared and ids restart at 1.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     yolov7 model=yolov7-tiny.onnx inference-interval=2 ! \
 *     objecttracker min-hits=2 max-lost-frames=60 ! detectionoverlay ! \
 *     videoconvert ! autovideosink
 * ]| tracks the detections, drawn with their track ids; every other frame
 * shows the predicted boxes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstobjecttracker.h"

#include <gst/video/video.h>

#include "bytetrack.h"
#include "gstdetectionmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_object_tracker_debug);
#define GST_CAT_DEFAULT gst_object_tracker_debug

#define DEFAULT_HIGH_THRESHOLD 0.5
#define DEFAULT_LOW_THRESHOLD 0.1
#define DEFAULT_MATCH_IOU 0.2
#define DEFAULT_MAX_LOST_FRAMES 30
#define DEFAULT_MIN_HITS 3
#define DEFAULT_PER_CLASS TRUE

#define MAX_LOST_FRAMES_MAX 100000
#define MIN_HITS_MAX 1000

enum
{
  PROP_0,
  PROP_HIGH_THRESHOLD,
  PROP_LOW_THRESHOLD,
  PROP_MATCH_IOU,
  PROP_MAX_LOST_FRAMES,
  PROP_MIN_HITS,
  PROP_PER_CLASS,
};

struct _GstObjectTracker
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  gdouble high_threshold;
  gdouble low_threshold;
  gdouble match_iou;
  gint max_lost_frames;
  gint min_hits;
  gboolean per_class;

  /* stream state, under track_lock: taken in start, dropped in stop */
  GMutex track_lock;
  BtTracker *tracker;
  GHashTable *labels;           /* label_id -> interned label name */
  GHashTable *seen;             /* track id -> TrackSeen */
  gint width, height;
};

/* PTS of the first and last frames a reported track was detected on. */
typedef struct
{
  GstClockTime first, last;
} TrackSeen;

G_DEFINE_TYPE (GstObjectTracker, gst_object_tracker, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (objecttracker, "objecttracker", GST_RANK_NONE,
    GST_TYPE_OBJECT_TRACKER);

/* Only metadata is read and written: any raw video, any memory. */
static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

static void
gst_object_tracker_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstObjectTracker *self = GST_OBJECT_TRACKER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HIGH_THRESHOLD:
      self->high_threshold = g_value_get_double (value);
      break;
    case PROP_LOW_THRESHOLD:
      self->low_threshold = g_value_get_double (value);
      break;
    case PROP_MATCH_IOU:
      self->match_iou = g_value_get_double (value);
      break;
    case PROP_MAX_LOST_FRAMES:
      self->max_lost_frames = g_value_get_int (value);
      break;
    case PROP_MIN_HITS:
      self->min_hits = g_value_get_int (value);
      break;
    case PROP_PER_CLASS:
      self->per_class = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_object_tracker_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstObjectTracker *self = GST_OBJECT_TRACKER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HIGH_THRESHOLD:
      g_value_set_double (value, self->high_threshold);
      break;
    case PROP_LOW_THRESHOLD:
      g_value_set_double (value, self->low_threshold);
      break;
    case PROP_MATCH_IOU:
      g_value_set_double (value, self->match_iou);
      break;
    case PROP_MAX_LOST_FRAMES:
      g_value_set_int (value, self->max_lost_frames);
      break;
    case PROP_MIN_HITS:
      g_value_set_int (value, self->min_hits);
      break;
    case PROP_PER_CLASS:
      g_value_set_boolean (value, self->per_class);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_object_tracker_start (GstBaseTransform * trans)
{
  GstObjectTracker *self = GST_OBJECT_TRACKER (trans);
  BtTracker *tracker = bt_tracker_new ();

  if (!tracker)
    goto no_memory;
  g_mutex_lock (&self->track_lock);
  bt_tracker_free (self->tracker);
  self->tracker = tracker;
  if (self->labels)
    g_hash_table_unref (self->labels);
  self->labels = g_hash_table_new (g_direct_hash, g_direct_equal);
  if (self->seen)
    g_hash_table_unref (self->seen);
  self->seen = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->width = self->height = 0;
  g_mutex_unlock (&self->track_lock);
  return TRUE;

  /* ERRORS */
no_memory:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not allocate the tracker."), ("out of memory"));
    return FALSE;
  }
}

/* PAUSED->READY: forget the stream; a new tracker restarts ids at 1. */
static gboolean
gst_object_tracker_stop (GstBaseTransform * trans)
{
  GstObjectTracker *self = GST_OBJECT_TRACKER (trans);

  g_mutex_lock (&self->track_lock);
  g_clear_pointer (&self->tracker, bt_tracker_free);
  g_clear_pointer (&self->labels, g_hash_table_unref);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  self->width = self->height = 0;
  g_mutex_unlock (&self->track_lock);
  return TRUE;
}

static gboolean
gst_object_tracker_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstObjectTracker *self = GST_OBJECT_TRACKER (trans);
  GstStructure *s = gst_caps_get_structure (incaps, 0);
  gint width = 0, height = 0;

  if (!gst_structure_get_int (s, "width", &width)
      || !gst_structure_get_int (s, "height", &height)
      || width <= 0 || height <= 0)
    goto invalid_caps;

  g_mutex_lock (&self->track_lock);
  /* boxes of another resolution would be matched by accident */
  if ((self->width && self->width != width)
      || (self->height && self->height != height)) {
    GST_DEBUG_OBJECT (self, "resolution %dx%d -> %dx%d: clearing tracks",
        self->width, self->height, width, height);
    if (self->tracker)
      bt_tracker_clear (self->tracker);
  }
  self->width = width;
  self->height = height;
  g_mutex_unlock (&self->track_lock);
  return TRUE;

  /* ERRORS */
invalid_caps:
  {
    GST_ERROR_OBJECT (self, "caps without a frame size: %" GST_PTR_FORMAT,
        incaps);
    return FALSE;
  }
}

static gboolean
gst_object_tracker_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstObjectTracker *self = GST_OBJECT_TRACKER (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    g_mutex_lock (&self->track_lock);
    GST_DEBUG_OBJECT (self, "flush: clearing tracks, ids count on");
    if (self->tracker)
      bt_tracker_clear (self->tracker);
    g_mutex_unlock (&self->track_lock);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_object_tracker_parent_class)->sink_event
      (trans, event);
}

/* The first and last PTS a track was detected on, kept from frame to frame. */
static TrackSeen *
gst_object_tracker_seen (GstObjectTracker * self, gint id)
{
  TrackSeen *ts = g_hash_table_lookup (self->seen, GINT_TO_POINTER (id));

  if (!ts) {
    ts = g_new (TrackSeen, 1);
    ts->first = ts->last = GST_CLOCK_TIME_NONE;
    g_hash_table_insert (self->seen, GINT_TO_POINTER (id), ts);
  }
  return ts;
}

static gboolean
track_gone (gpointer key, gpointer value, gpointer user_data)
{
  BtTracker *tracker = user_data;
  size_t n = bt_tracker_n_tracks (tracker);

  for (size_t i = 0; i < n; i++)
    if (bt_tracker_track (tracker, i)->id == GPOINTER_TO_INT (key))
      return FALSE;
  return TRUE;
}

/* A skipped frame: one detection per active track at its predicted box. */
static void
gst_object_tracker_add_predictions (GstObjectTracker * self, GstBuffer * buf)
{
  size_t i, n = bt_tracker_n_tracks (self->tracker);

  for (i = 0; i < n; i++) {
    const BtTrack *t = bt_tracker_track (self->tracker, i);
    GstVideoRegionOfInterestMeta *meta;
    GstDetectionEntry e = { 0 };
    const TrackSeen *ts;
    const gchar *label;
    BtBox b;

    if (!bt_track_is_active (t))
      continue;
    b = bt_track_box (t);
    if (b.x1 <= 0 || b.y1 <= 0 || b.x0 >= self->width
        || b.y0 >= self->height)
      continue;                 /* moved out of the frame */
    label = g_hash_table_lookup (self->labels, GINT_TO_POINTER (t->label));
    meta = gst_detection_meta_add (buf, label, t->label >= 0 ? t->label : -1,
        t->score, b.x0, b.y0, b.x1, b.y1, self->width, self->height);
    /* with the analytics library, the id of the meta's ODMtd (else -1) */
    e.od_id = meta->id;
    gst_detection_meta_set_track_id (meta, t->id);
    gst_video_region_of_interest_meta_add_param (meta,
        gst_structure_new (GST_TRACKING_PARAM, "predicted", G_TYPE_BOOLEAN,
            TRUE, NULL));
    ts = gst_object_tracker_seen (self, t->id);
    gst_detection_meta_add_tracking (buf, &e, t->id, ts->first, ts->last, FALSE);
  }
}

/* Tracks that are lost but not dropped: a tracking entry each, lost set. */
static void
gst_object_tracker_add_lost (GstObjectTracker * self, GstBuffer * buf)
{
  size_t i, n = bt_tracker_n_tracks (self->tracker);

  for (i = 0; i < n; i++) {
    const BtTrack *t = bt_tracker_track (self->tracker, i);
    const TrackSeen *ts;

    if (t->id <= 0 || t->state != BT_LOST)
      continue;
    ts = gst_object_tracker_seen (self, t->id);
    gst_detection_meta_add_tracking (buf, NULL, t->id, ts->first, ts->last, TRUE);
  }
}

static GstFlowReturn
gst_object_tracker_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstObjectTracker *self = GST_OBJECT_TRACKER (trans);
  GArray *dets = g_array_new (FALSE, FALSE, sizeof (BtDetection));
  GPtrArray *used = g_ptr_array_new ();
  GArray *entries = gst_detection_meta_collect (buf);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  BtParams params;
  gboolean inferred;
  guint i;

  GST_OBJECT_LOCK (self);
  params.high_thresh = self->high_threshold;
  params.low_thresh = self->low_threshold;
  params.match_iou = self->match_iou;
  params.max_lost = self->max_lost_frames;
  params.min_hits = self->min_hits;
  params.per_class = self->per_class;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->track_lock);
  if (!self->tracker)
    goto not_started;

  for (i = 0; i < entries->len; i++) {
    GstDetectionEntry *e = &g_array_index (entries, GstDetectionEntry, i);
    BtDetection d;

    /* boxes an upstream tracker predicted are not detections */
    if (e->predicted || !e->has_detection)
      continue;
    /* an ODMtd alone has a type but no label id: classes apart by type */
    d.label = e->label_id >= 0 ? e->label_id
        : -1 - (gint) MIN (g_quark_from_string (e->label), (GQuark) G_MAXINT - 1);
    if (e->label)
      g_hash_table_insert (self->labels, GINT_TO_POINTER (d.label),
          (gpointer) g_intern_string (e->label));
    d.box.x0 = e->x;
    d.box.y0 = e->y;
    d.box.x1 = (gdouble) e->x + e->w;
    d.box.y1 = (gdouble) e->y + e->h;
    d.score = e->confidence;
    d.track_id = -1;
    g_array_append_val (dets, d);
    g_ptr_array_add (used, e);
  }

  inferred = dets->len > 0 || gst_detection_meta_was_inferred (buf);
  if (inferred) {
    if (bt_tracker_update (self->tracker, &params,
            (BtDetection *) dets->data, dets->len) < 0)
      goto no_memory;
    g_hash_table_foreach_remove (self->seen, track_gone, self->tracker);
    for (i = 0; i < dets->len; i++) {
      gint id = g_array_index (dets, BtDetection, i).track_id;
      GstDetectionEntry *e = g_ptr_array_index (used, i);
      TrackSeen *ts;

      if (id <= 0)
        continue;
      if (e->roi)
        gst_detection_meta_set_track_id (e->roi, id);
      ts = gst_object_tracker_seen (self, id);
      if (!GST_CLOCK_TIME_IS_VALID (ts->first))
        ts->first = pts;
      ts->last = pts;
      gst_detection_meta_add_tracking (buf, e, id, ts->first, ts->last, FALSE);
    }
  } else {
    bt_tracker_predict (self->tracker);
    gst_object_tracker_add_predictions (self, buf);
  }
  gst_object_tracker_add_lost (self, buf);
  GST_LOG_OBJECT (self, "%s frame, %u detections, %zu tracks",
      inferred ? "inferred" : "skipped", dets->len,
      bt_tracker_n_tracks (self->tracker));
  g_mutex_unlock (&self->track_lock);

  g_array_free (dets, TRUE);
  g_ptr_array_free (used, TRUE);
  g_array_unref (entries);
  return GST_FLOW_OK;

  /* ERRORS */
not_started:
  {
    g_mutex_unlock (&self->track_lock);
    g_array_free (dets, TRUE);
    g_ptr_array_free (used, TRUE);
    g_array_unref (entries);
    GST_ELEMENT_ERROR (self, CORE, STATE_CHANGE,
        ("Buffer received before the element was started."), (NULL));
    return GST_FLOW_ERROR;
  }
no_memory:
  {
    g_mutex_unlock (&self->track_lock);
    g_array_free (dets, TRUE);
    g_ptr_array_free (used, TRUE);
    g_array_unref (entries);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not track the detections."), ("out of memory"));
    return GST_FLOW_ERROR;
  }
}

static void
gst_object_tracker_finalize (GObject * object)
{
  GstObjectTracker *self = GST_OBJECT_TRACKER (object);

  g_clear_pointer (&self->tracker, bt_tracker_free);
  g_clear_pointer (&self->labels, g_hash_table_unref);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_mutex_clear (&self->track_lock);
  G_OBJECT_CLASS (gst_object_tracker_parent_class)->finalize (object);
}

static void
gst_object_tracker_class_init (GstObjectTrackerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_object_tracker_debug, "objecttracker", 0,
      "ByteTrack multi-object tracker");

  gobject_class->set_property = gst_object_tracker_set_property;
  gobject_class->get_property = gst_object_tracker_get_property;
  gobject_class->finalize = gst_object_tracker_finalize;

  /**
   * GstObjectTracker:high-threshold:
   *
   * Detections scoring at least this take part in the first association
   * and may start new tracks.
   */
  g_object_class_install_property (gobject_class, PROP_HIGH_THRESHOLD,
      g_param_spec_double ("high-threshold", "High threshold",
          "Minimum confidence of the detections matched first and of those "
          "that start tracks", 0.0, 1.0, DEFAULT_HIGH_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstObjectTracker:low-threshold:
   *
   * Detections scoring from this up to #GstObjectTracker:high-threshold
   * are matched in the second association only, with the tracks tracked on
   * the previous frame; they never start tracks.  Lower scores are ignored.
   * A value at or above the high threshold turns the second stage off.
   */
  g_object_class_install_property (gobject_class, PROP_LOW_THRESHOLD,
      g_param_spec_double ("low-threshold", "Low threshold",
          "Minimum confidence of the detections matched in the second "
          "association (at or above high-threshold: no second association)",
          0.0, 1.0, DEFAULT_LOW_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstObjectTracker:match-iou:
   *
   * Minimum IoU between a track's predicted box and a detection for the
   * two to be associated, in both stages; boxes that do not overlap never
   * are.
   */
  g_object_class_install_property (gobject_class, PROP_MATCH_IOU,
      g_param_spec_double ("match-iou", "Match IoU",
          "Minimum IoU of a track's predicted box and a detection to "
          "associate them", 0.0, 1.0, DEFAULT_MATCH_IOU,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstObjectTracker:max-lost-frames:
   *
   * Inferred frames a track with an id is kept without a match before it
   * is removed; frames the detector skipped do not count.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_LOST_FRAMES,
      g_param_spec_int ("max-lost-frames", "Max lost frames",
          "Inferred frames an unmatched track is kept before it is removed",
          0, MAX_LOST_FRAMES_MAX, DEFAULT_MAX_LOST_FRAMES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstObjectTracker:min-hits:
   *
   * Consecutive inferred frames a new track must be matched on before it
   * gets an id and is reported.  The default, 3, is SORT's: one- and
   * two-frame false detections never get an id.  1 reports every
   * high-score detection at once.
   */
  g_object_class_install_property (gobject_class, PROP_MIN_HITS,
      g_param_spec_int ("min-hits", "Min hits",
          "Consecutive matched frames before a track gets an id",
          1, MIN_HITS_MAX, DEFAULT_MIN_HITS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstObjectTracker:per-class:
   *
   * Associate detections only with tracks of the same label_id.  When
   * FALSE, a track takes the label of the detection it last matched.
   */
  g_object_class_install_property (gobject_class, PROP_PER_CLASS,
      g_param_spec_boolean ("per-class", "Per class",
          "Associate detections only with tracks of the same class",
          DEFAULT_PER_CLASS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Object tracker",
      "Filter/Analyzer/Video",
      "Tracks detections across frames (ByteTrack) and writes track ids "
      "into their region-of-interest metadata", "yolov7-opencl");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_object_tracker_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_object_tracker_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_object_tracker_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_object_tracker_sink_event);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_object_tracker_transform_ip);
}

static void
gst_object_tracker_init (GstObjectTracker * self)
{
  self->high_threshold = DEFAULT_HIGH_THRESHOLD;
  self->low_threshold = DEFAULT_LOW_THRESHOLD;
  self->match_iou = DEFAULT_MATCH_IOU;
  self->max_lost_frames = DEFAULT_MAX_LOST_FRAMES;
  self->min_hits = DEFAULT_MIN_HITS;
  self->per_class = DEFAULT_PER_CLASS;
  g_mutex_init (&self->track_lock);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
