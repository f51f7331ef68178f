/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reliability.h: helpers shared by the storm, fault and corrupt-input tests
 * (test_storms.c, test_faults.c, test_corrupt.c): frames, a yolov7 element
 * on TEST_MODEL, the detections of a buffer as comparable text, short
 * encoded files, and running a pipeline to its end.
 *
 * TEST_MODEL is the generated 64x64 YOLOv7-tiny with random weights: with a
 * low confidence threshold every frame gets detections.  Detections of the
 * same frame on the same device are the same bit for bit, so "still
 * correct" is checked as "identical to an element that saw no storm or
 * fault". */
#ifndef TESTS_GST_RELIABILITY_H
#define TESTS_GST_RELIABILITY_H

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <string.h>

#define REL_WIDTH 385
#define REL_HEIGHT 289
#define REL_LOW_CONF 0.01f

static inline GstCaps *
rel_caps (const gchar * format, gint width, gint height)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, format,
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
      "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
}

/* A frame of pseudo-random bytes, the same for the same seed. */
static inline GstBuffer *
rel_frame (const gchar * format, gint width, gint height, guint32 seed,
    GstClockTime pts)
{
  GstVideoInfo info;
  GstCaps *caps = rel_caps (format, width, height);
  GRand *rand = g_rand_new_with_seed (seed);
  GstBuffer *buf;
  GstMapInfo map;

  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (gsize i = 0; i < map.size; i += 4) {
    guint32 r = g_rand_int (rand);
    memcpy (map.data + i, &r, MIN (4, map.size - i));
  }
  gst_buffer_unmap (buf, &map);
  g_rand_free (rand);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

/* A yolov7 element on TEST_MODEL that finds something in every frame. */
static inline GstElement *
rel_yolov7 (void)
{
  GstElement *e = gst_element_factory_make ("yolov7", NULL);

  fail_unless (e != NULL, "no yolov7 element: is GST_PLUGIN_PATH set?");
  g_object_set (e, "model", TEST_MODEL, "conf-threshold", REL_LOW_CONF, NULL);
  return e;
}

/* The ROI metas of buf as text, in order: class, confidence and box. */
static inline gchar *
rel_rois (GstBuffer * buf)
{
  GString *s = g_string_new (NULL);
  gpointer state = NULL;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    GstStructure *d = gst_video_region_of_interest_meta_get_param (roi,
        "detection");
    gdouble conf = -1.0;
    gint id = -1;

    fail_unless (d != NULL, "ROI meta without \"detection\" params");
    fail_unless (gst_structure_get_double (d, "confidence", &conf));
    fail_unless (gst_structure_get_int (d, "label_id", &id));
    g_string_append_printf (s, "%d %.7f %u %u %u %u id%d;", id, conf, roi->x,
        roi->y, roi->w, roi->h, roi->id);
  }
  return g_string_free (s, FALSE);
}

/* Two detection texts must be the same (the check message stays short
 * enough for gst-check's pipe). */
#define rel_assert_same(got, want, what) \
  fail_unless (g_str_equal ((got), (want)), "%s: got %.300s... want %.300s...", \
      (what), (got), (want))

/* Element to NULL and back to PLAYING, then a new stream with caps. */
static inline void
rel_restart (GstHarness * h, GstCaps * caps)
{
  static guint n;
  gchar *sid = g_strdup_printf ("restart-%u", n++);

  fail_unless_equals_int (gst_element_set_state (h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (h->element,
          GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_harness_push_event (h, gst_event_new_stream_start (sid)));
  g_free (sid);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
}

/* Pushes a copy of frame through h and returns the output's detections. */
static inline gchar *
rel_push_rois (GstHarness * h, GstBuffer * frame)
{
  GstBuffer *out;
  gchar *rois;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_copy (frame)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  rois = rel_rois (out);
  gst_buffer_unref (out);
  return rois;
}

static inline gboolean
rel_drop_meta (GstBuffer * buf, GstMeta ** meta, gpointer data)
{
  (void) buf;
  (void) data;
  *meta = NULL;
  return TRUE;
}

/* The detections the yolov7 element of h finds on frame at caps (without
 * any metadata frame carries already). */
static inline gchar *
rel_reference_rois_on (GstHarness * h, GstBuffer * frame, GstCaps * caps)
{
  GstBuffer *bare = gst_buffer_copy (frame);
  gchar *rois;

  gst_buffer_foreach_meta (bare, rel_drop_meta, NULL);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  rois = rel_push_rois (h, bare);
  gst_buffer_unref (bare);
  fail_unless (rois[0] != '\0', "the reference element found nothing");
  return rois;
}

/* The detections a fresh yolov7 element finds on frame. */
static inline gchar *
rel_reference_rois (GstBuffer * frame, GstCaps * caps)
{
  GstElement *e = rel_yolov7 ();
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  gchar *rois;

  gst_object_unref (e);
  rois = rel_reference_rois_on (h, frame, caps);
  gst_harness_teardown (h);
  return rois;
}

/* Runs pipeline to EOS or ERROR (or timeout_s) and returns that message;
 * the pipeline is left in NULL. */
static inline GstMessage *
rel_run (GstElement * pipeline, guint timeout_s)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE && !gst_bus_have_pending (bus));
  msg = gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "neither EOS nor an error in %u s", timeout_s);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  return msg;
}

/* Writes n frames of videotestsrc's moving ball, width x height, as MJPEG
 * in AVI (jpegenc and avimux: gst-plugins-good) to dir/name; returns the
 * path. */
static inline gchar *
rel_write_video (const gchar * dir, const gchar * name, guint n, gint width,
    gint height)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball "
      "! video/x-raw,format=I420,width=%d,height=%d,framerate=30/1 "
      "! jpegenc ! avimux ! filesink location=\"%s\"", n, width, height, path);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GstMessage *msg;

  fail_unless (p != NULL, "%s: %s", desc, err ? err->message : "?");
  msg = rel_run (p, 60);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (p);
  g_free (desc);
  return path;
}

/* Removes a directory made by g_dir_make_tmp and the files in it. */
static inline void
rel_remove_dir (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

#endif
