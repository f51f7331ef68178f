/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_objecttracker.c: the objecttracker element through GstHarness, fed
 * with ROI metas made by gst_detection_meta_add, one behaviour per test.
 *
 * The meta functions are taken from the loaded plugin itself (dlsym): a
 * second copy of gstdetectionmeta.c in this program would register the
 * inference marker's custom meta a second time. */
#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gstdetectionmeta.h"

#define W 385
#define H 289
#define CAPS "video/x-raw,format=RGB,width=385,height=289,framerate=30/1"

static __typeof__ (gst_detection_meta_add) * meta_add;
static __typeof__ (gst_detection_meta_get) * meta_get;
static __typeof__ (gst_detection_meta_get_track_id) * meta_get_track_id;
static __typeof__ (gst_detection_meta_is_predicted) * meta_is_predicted;
static __typeof__ (gst_detection_meta_mark_inferred) * meta_mark_inferred;

static gpointer
plugin_symbol (void *handle, const gchar * name)
{
  gpointer sym = dlsym (handle, name);

  fail_unless (sym != NULL, "plugin lacks %s", name);
  return sym;
}

static void
load_meta_functions (void)
{
  GstPlugin *plugin;
  void *handle;

  if (meta_add)
    return;
  plugin = gst_plugin_load_by_name ("yolov7");
  fail_unless (plugin != NULL, "plugin yolov7 not found");
  handle = dlopen (gst_plugin_get_filename (plugin), RTLD_NOW | RTLD_NOLOAD);
  fail_unless (handle != NULL, "%s", dlerror ());
  meta_add = plugin_symbol (handle, "gst_detection_meta_add");
  meta_get = plugin_symbol (handle, "gst_detection_meta_get");
  meta_get_track_id = plugin_symbol (handle, "gst_detection_meta_get_track_id");
  meta_is_predicted = plugin_symbol (handle,
      "gst_detection_meta_is_predicted");
  meta_mark_inferred = plugin_symbol (handle,
      "gst_detection_meta_mark_inferred");
  gst_object_unref (plugin);
}

typedef struct
{
  gdouble x, y, w, h, conf;
  gint label;
} Box;

static GstHarness *
tracker_new (gint min_hits)
{
  GstHarness *h;

  load_meta_functions ();
  h = gst_harness_new ("objecttracker");
  gst_harness_set_src_caps_str (h, CAPS);
  g_object_set (h->element, "min-hits", min_hits, NULL);
  return h;
}

static GstBuffer *
frame_new (GstHarness * h, const Box * boxes, guint n, gboolean inferred)
{
  static const gchar *names[] = { "person", "car", "dog" };
  GstBuffer *buf = gst_harness_create_buffer (h, 4);
  guint i;

  for (i = 0; i < n; i++)
    meta_add (buf, names[boxes[i].label % 3], boxes[i].label, boxes[i].conf,
        boxes[i].x, boxes[i].y, boxes[i].x + boxes[i].w,
        boxes[i].y + boxes[i].h, W, H);
  if (inferred)
    meta_mark_inferred (buf);
  return buf;
}

/* The i-th ROI meta of a buffer, in the order they were added. */
static GstVideoRegionOfInterestMeta *
nth_roi (GstBuffer * buf, guint n)
{
  gpointer state = NULL;
  GstMeta *m;
  guint i = 0;

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    if (i++ == n)
      return (GstVideoRegionOfInterestMeta *) m;
  return NULL;
}

static guint
n_rois (GstBuffer * buf)
{
  return gst_buffer_get_n_meta (buf, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
}

/* Push a frame and return the track ids of its n first ROI metas, checking
 * that the meta's id field and the "object_id" param agree. */
static void
push_ids (GstHarness * h, const Box * boxes, guint n, gboolean inferred,
    gint * ids)
{
  GstBuffer *out;
  guint i;

  fail_unless_equals_int (gst_harness_push (h, frame_new (h, boxes, n,
              inferred)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  for (i = 0; i < n; i++) {
    GstVideoRegionOfInterestMeta *roi = nth_roi (out, i);
    fail_unless (roi != NULL);
    ids[i] = meta_get_track_id (roi);
#ifndef HAVE_GST_ANALYTICS
    /* GStreamer 1.22: the ROI meta's id is the track id; with the analytics
     * library it stays the detector's ODMtd id (tests/gst/test_analytics.py) */
    fail_unless_equals_int (roi->id, ids[i]);
#endif
  }
  gst_buffer_unref (out);
}

static gint
push1 (GstHarness * h, gdouble x, gdouble y, gdouble conf, gint label)
{
  Box b = { x, y, 40, 40, conf, label };
  gint id;

  push_ids (h, &b, 1, TRUE, &id);
  return id;
}

/* Push an inferred frame with nothing found; returns the ROI count out. */
static guint
push_empty (GstHarness * h, gboolean inferred)
{
  GstBuffer *out;
  guint n;

  fail_unless_equals_int (gst_harness_push (h, frame_new (h, NULL, 0,
              inferred)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  n = n_rois (out);
  gst_buffer_unref (out);
  return n;
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("objecttracker", NULL);
  GParamSpec *ps;
  gdouble hi, lo, iou;
  gint lost, hits;
  gboolean per_class;

  fail_unless (e != NULL);
  g_object_get (e, "high-threshold", &hi, "low-threshold", &lo, "match-iou",
      &iou, "max-lost-frames", &lost, "min-hits", &hits, "per-class",
      &per_class, NULL);
  fail_unless (hi == 0.5 && lo == 0.1 && iou == 0.2);
  fail_unless (lost == 30 && hits == 3 && per_class);

  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "match-iou");
  fail_unless (G_PARAM_SPEC_DOUBLE (ps)->minimum == 0.0
      && G_PARAM_SPEC_DOUBLE (ps)->maximum == 1.0);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "min-hits");
  fail_unless (G_PARAM_SPEC_INT (ps)->minimum == 1);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
      "max-lost-frames");
  fail_unless (G_PARAM_SPEC_INT (ps)->minimum == 0);

  g_object_set (e, "high-threshold", 0.7, "min-hits", 5, "per-class", FALSE,
      NULL);
  g_object_get (e, "high-threshold", &hi, "min-hits", &hits, "per-class",
      &per_class, NULL);
  fail_unless (hi == 0.7 && hits == 5 && !per_class);
  gst_object_unref (e);
}

GST_END_TEST;

/* Any raw format and size passes, data untouched. */
GST_START_TEST (test_formats_passthrough)
{
  const gchar *formats[] = { "RGB", "BGRx", "NV12", "I420" };
  guint i;

  load_meta_functions ();
  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstHarness *h = gst_harness_new ("objecttracker");
    gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=385,"
        "height=289,framerate=30/1", formats[i]);
    GstBuffer *in, *out;
    GstMapInfo a, b;

    gst_harness_set_src_caps_str (h, caps);
    in = gst_harness_create_buffer (h, 64);
    gst_buffer_memset (in, 0, 0x5a, 64);
    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (out != NULL);
    fail_unless (gst_buffer_map (in, &a, GST_MAP_READ));
    fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
    fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0);
    gst_buffer_unmap (in, &a);
    gst_buffer_unmap (out, &b);
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    g_free (caps);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Matched detections get "object_id" and meta->id; the rest keep -1. */
GST_START_TEST (test_ids_written)
{
  GstHarness *h = tracker_new (1);
  Box b[3] = {
    {10, 10, 50, 80, 0.9, 0}, {200, 100, 60, 60, 0.7, 1},
    {300, 200, 30, 30, 0.05, 0},        /* below low-threshold: untracked */
  };
  gint ids[3];

  push_ids (h, b, 3, TRUE, ids);
  fail_unless_equals_int (ids[0], 1);
  fail_unless_equals_int (ids[1], 2);
  fail_unless_equals_int (ids[2], -1);
  push_ids (h, b, 3, TRUE, ids);
  fail_unless (ids[0] == 1 && ids[1] == 2 && ids[2] == -1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Default min-hits 3: no id on the first two frames, id 1 on the third. */
GST_START_TEST (test_min_hits_delays)
{
  GstHarness *h = tracker_new (3);

  fail_unless_equals_int (push1 (h, 50, 50, 0.9, 0), -1);
  fail_unless_equals_int (push1 (h, 52, 50, 0.9, 0), -1);
  fail_unless_equals_int (push1 (h, 54, 50, 0.9, 0), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A at x = 10 f moving right, B at x = 305 - 10 f moving left (40x40): they
 * pass each other between frames 15 and 16, where matching against the
 * last boxes would swap them (see test_bytetrack.c); ids stay. */
GST_START_TEST (test_crossing_keeps_ids)
{
  GstHarness *h = tracker_new (1);
  gint f, ids[2];

  for (f = 0; f <= 30; f++) {
    Box b[2] = { {10 * f, 100, 40, 40, 0.9, 0},
    {305 - 10 * f, 102, 40, 40, 0.8, 0}
    };
    push_ids (h, b, 2, TRUE, ids);
    fail_unless (ids[0] == 1 && ids[1] == 2, "frame %d: A %d, B %d", f,
        ids[0], ids[1]);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* max-lost-frames 5: gone for 5 inferred frames keeps the id, for 6 not. */
GST_START_TEST (test_occlusion)
{
  GstHarness *h = tracker_new (1);
  gint i;

  g_object_set (h->element, "max-lost-frames", 5, NULL);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 1);
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (push_empty (h, TRUE), 0);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 1);
  for (i = 0; i < 6; i++)
    push_empty (h, TRUE);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ByteTrack's second stage: 0.3-score boxes keep track 1 alive (max-lost
 * 2, four low frames); with low-threshold = high-threshold they do not. */
GST_START_TEST (test_low_score_keeps_track)
{
  GstHarness *h = tracker_new (1);
  gint i;

  g_object_set (h->element, "max-lost-frames", 2, NULL);
  push1 (h, 100, 100, 0.9, 0);
  for (i = 1; i <= 4; i++)
    fail_unless_equals_int (push1 (h, 100 + 2 * i, 100, 0.3, 0), 1);
  fail_unless_equals_int (push1 (h, 110, 100, 0.9, 0), 1);
  gst_harness_teardown (h);

  h = tracker_new (1);
  g_object_set (h->element, "max-lost-frames", 2, "low-threshold", 0.5, NULL);
  push1 (h, 100, 100, 0.9, 0);
  for (i = 1; i <= 4; i++)
    fail_unless_equals_int (push1 (h, 100 + 2 * i, 100, 0.3, 0), -1);
  fail_unless_equals_int (push1 (h, 110, 100, 0.9, 0), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_per_class)
{
  GstHarness *h = tracker_new (1);

  push1 (h, 100, 100, 0.9, 0);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 1), 2);
  gst_harness_teardown (h);

  h = tracker_new (1);
  g_object_set (h->element, "per-class", FALSE, NULL);
  push1 (h, 100, 100, 0.9, 0);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 1), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Skipped frames (no marker, no detections) get one predicted ROI meta per
 * active track, moving on at the track's velocity: after 20 frames at +5
 * px/frame (x = 20 + 5 f), skipped frame k shows x = 20 + 5 (19 + k). */
GST_START_TEST (test_predicted_on_skipped)
{
  GstHarness *h = tracker_new (1);
  gint f, k;

  for (f = 0; f < 20; f++) {
    Box b = { 20 + 5 * f, 60, 40, 80, 0.8, 1 };
    gint id;
    push_ids (h, &b, 1, TRUE, &id);
    fail_unless_equals_int (id, 1);
  }
  for (k = 1; k <= 4; k++) {
    GstBuffer *out = gst_harness_push_and_pull (h, frame_new (h, NULL, 0,
            FALSE));
    GstVideoRegionOfInterestMeta *roi;
    const gchar *label = NULL;
    gdouble conf = 0, ex = 20 + 5 * (19 + k);
    gint label_id = -1;

    fail_unless_equals_int (n_rois (out), 1);
    roi = nth_roi (out, 0);
    fail_unless (meta_is_predicted (roi));
    fail_unless_equals_int (meta_get_track_id (roi), 1);
#ifndef HAVE_GST_ANALYTICS
    fail_unless_equals_int (roi->id, 1);
#endif
    fail_unless (meta_get (roi, &conf, &label_id, &label));
    fail_unless (conf == 0.8 && label_id == 1);
    fail_unless_equals_string (label, "car");
    fail_unless_equals_string (g_quark_to_string (roi->roi_type), "car");
    /* pixel boxes: floor of x0, ceil of x1 */
    fail_unless (fabs (roi->x - ex) <= 1.0, "frame %d: x %u, want %.0f", k,
        roi->x, ex);
    fail_unless (fabs (roi->y - 60.0) <= 1.0 && abs ((gint) roi->w - 40) <= 1
        && abs ((gint) roi->h - 80) <= 1, "%u %u %u", roi->y, roi->w, roi->h);
    gst_buffer_unref (out);
  }
  /* the motion went on during the gap: the detection at frame 24 matches */
  fail_unless_equals_int (push1 (h, 20 + 5 * 24, 60, 0.8, 1), 1);
  /* an inferred frame without detections shows nothing */
  fail_unless_equals_int (push_empty (h, TRUE), 0);
  /* and a track lost on that frame is not predicted afterwards */
  fail_unless_equals_int (push_empty (h, FALSE), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Skipped frames do not age tracks; inferred empty frames do. */
GST_START_TEST (test_skipped_frames_do_not_age)
{
  GstHarness *h = tracker_new (1);
  gint i;

  g_object_set (h->element, "max-lost-frames", 2, NULL);
  push1 (h, 100, 100, 0.9, 0);
  for (i = 0; i < 10; i++)
    fail_unless_equals_int (push_empty (h, FALSE), 1);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 1);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (push_empty (h, TRUE), 0);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Tentative tracks (not yet min-hits) are not predicted. */
GST_START_TEST (test_tentative_not_predicted)
{
  GstHarness *h = tracker_new (3);

  push1 (h, 100, 100, 0.9, 0);
  push1 (h, 100, 100, 0.9, 0);
  fail_unless_equals_int (push_empty (h, FALSE), 0);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 1);
  fail_unless_equals_int (push_empty (h, FALSE), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* FLUSH_STOP clears the tracks but ids count on. */
GST_START_TEST (test_flush_clears_keeps_ids)
{
  GstHarness *h = tracker_new (1);

  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 1);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  fail_unless_equals_int (push_empty (h, FALSE), 0);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* PAUSED->READY forgets everything: ids restart at 1. */
GST_START_TEST (test_ready_resets_ids)
{
  GstHarness *h = tracker_new (1);

  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 1);
  fail_unless_equals_int (push1 (h, 200, 200, 0.9, 1), 2);
  fail_unless_equals_int (gst_element_set_state (h->element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  gst_harness_play (h);
  gst_harness_set_src_caps_str (h, CAPS);
  fail_unless_equals_int (push_empty (h, FALSE), 0);
  fail_unless_equals_int (push1 (h, 200, 200, 0.9, 1), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A new frame size clears the tracks (boxes of the old size would match by
 * accident); ids count on. */
GST_START_TEST (test_resolution_change)
{
  GstHarness *h = tracker_new (1);

  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 1);
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=RGB,width=640,height=480,framerate=30/1");
  fail_unless_equals_int (push_empty (h, FALSE), 0);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A property changed while playing applies from the next frame. */
GST_START_TEST (test_property_mid_stream)
{
  GstHarness *h = tracker_new (3);

  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), -1);
  g_object_set (h->element, "min-hits", 1, NULL);
  fail_unless_equals_int (push1 (h, 100, 100, 0.9, 0), 1);
  g_object_set (h->element, "high-threshold", 0.95, NULL);
  fail_unless_equals_int (push1 (h, 300, 200, 0.9, 0), -1);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_state_cycles)
{
  GstHarness *h = tracker_new (1);
  gint i;

  for (i = 0; i < 20; i++) {
    GstState to = (i % 3 == 0) ? GST_STATE_NULL :
        (i % 3 == 1) ? GST_STATE_READY : GST_STATE_PAUSED;
    fail_unless (gst_element_set_state (h->element, to) !=
        GST_STATE_CHANGE_FAILURE);
    gst_harness_play (h);
    gst_harness_set_src_caps_str (h, CAPS);
    /* NULL and READY restart ids, PAUSED keeps the track: always 1 */
    fail_unless_equals_int (push1 (h, 100 + i, 100, 0.9, 0), 1);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
objecttracker_suite (void)
{
  Suite *s = suite_create ("objecttracker");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_formats_passthrough);
  tcase_add_test (tc, test_ids_written);
  tcase_add_test (tc, test_min_hits_delays);
  tcase_add_test (tc, test_crossing_keeps_ids);
  tcase_add_test (tc, test_occlusion);
  tcase_add_test (tc, test_low_score_keeps_track);
  tcase_add_test (tc, test_per_class);
  tcase_add_test (tc, test_predicted_on_skipped);
  tcase_add_test (tc, test_skipped_frames_do_not_age);
  tcase_add_test (tc, test_tentative_not_predicted);
  tcase_add_test (tc, test_flush_clears_keeps_ids);
  tcase_add_test (tc, test_ready_resets_ids);
  tcase_add_test (tc, test_resolution_change);
  tcase_add_test (tc, test_property_mid_stream);
  tcase_add_test (tc, test_state_cycles);
  return s;
}

int
main (int argc, char **argv)
{
  SRunner *sr;
  int n, failed;

  gst_check_init (&argc, &argv);
  sr = srunner_create (objecttracker_suite ());
  srunner_run_all (sr, CK_NORMAL);
  n = srunner_ntests_run (sr);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  g_print ("%d passed, %d failed\n", n - failed, failed);
  return failed == 0 ? 0 : 1;
}
