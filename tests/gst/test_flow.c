/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_flow.c: the stream changing under the elements in real pipelines.
 *
 * Flushing seeks back and forth on a decoded file through all four
 * elements, EOS right behind frames whose inference is still running on
 * the drop-when-busy worker, and a resolution change mid-stream: each must
 * keep the output consistent (timestamps, one JSON line per frame, the
 * detections a fresh element finds on each frame at its own size). */
#include "reliability.h"

/* What reached a pad: buffers' PTS (and a copy of each when keep is set),
 * with G_MAXUINT64 where a flush went through. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GArray *pts;
  GPtrArray *bufs;
  GPtrArray *caps;
  guint n_buffers;
  gboolean keep;
} Seen;

static void
seen_init (Seen * seen, gboolean keep)
{
  g_mutex_init (&seen->lock);
  g_cond_init (&seen->cond);
  seen->pts = g_array_new (FALSE, FALSE, sizeof (guint64));
  seen->bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  seen->caps = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_caps_unref);
  seen->n_buffers = 0;
  seen->keep = keep;
}

static void
seen_clear (Seen * seen)
{
  g_array_unref (seen->pts);
  g_ptr_array_unref (seen->bufs);
  g_ptr_array_unref (seen->caps);
  g_mutex_clear (&seen->lock);
  g_cond_clear (&seen->cond);
}

static GstPadProbeReturn
seen_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Seen *seen = data;
  guint64 pts = G_MAXUINT64;

  g_mutex_lock (&seen->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    pts = GST_BUFFER_PTS (buf);
    seen->n_buffers++;
    if (seen->keep) {
      g_ptr_array_add (seen->bufs, gst_buffer_copy_deep (buf));
      g_ptr_array_add (seen->caps, gst_pad_get_current_caps (pad));
    }
    g_array_append_val (seen->pts, pts);
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
      GST_EVENT_FLUSH_STOP) {
    g_array_append_val (seen->pts, pts);
  }
  g_cond_broadcast (&seen->cond);
  g_mutex_unlock (&seen->lock);
  return GST_PAD_PROBE_OK;
}

static void
seen_wait (Seen * seen, guint n_buffers)
{
  gint64 end = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&seen->lock);
  while (seen->n_buffers < n_buffers)
    fail_unless (g_cond_wait_until (&seen->cond, &seen->lock, end),
        "only %u buffers in 60 s", seen->n_buffers);
  g_mutex_unlock (&seen->lock);
}

static void
seen_watch (GstElement * pipeline, const gchar * element, const gchar * pad,
    Seen * seen)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *p = gst_element_get_static_pad (e, pad);

  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_FLUSH, seen_probe, seen, NULL);
  gst_object_unref (p);
  gst_object_unref (e);
}

/* The "timestamp" of each line of a detectionjson file. */
static GArray *
json_timestamps (const gchar * path)
{
  gchar *contents = NULL, **lines;
  GArray *ts = g_array_new (FALSE, FALSE, sizeof (guint64));

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (gchar ** l = lines; *l && **l; l++) {
    const gchar *t = strstr (*l, "\"timestamp\":");
    guint64 v;

    fail_unless (t != NULL, "a line without timestamp: %s", *l);
    v = g_ascii_strtoull (t + strlen ("\"timestamp\":"), NULL, 10);
    g_array_append_val (ts, v);
  }
  g_strfreev (lines);
  g_free (contents);
  return ts;
}

static GstElement *
launch (const gchar * desc)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);

  fail_unless (p != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "?");
  return p;
}

#define SEEK_FRAMES 60
#define FRAME_NS (GST_SECOND / 30)

/* Flushing seeks back and forth while a decoded file plays through the
 * four elements: the pipeline reaches EOS; after each seek the frames
 * start at the seek target and go forward one frame at a time; the last
 * run goes to the file's last frame; the JSON has one line per frame that
 * reached detectionjson, with that frame's timestamp. */
GST_START_TEST (test_flushing_seeks)
{
  static const GstClockTime targets[] = { 1200 * GST_MSECOND,
    300 * GST_MSECOND, 1600 * GST_MSECOND
  };
  gchar *dir = g_dir_make_tmp ("yolov7-seek-XXXXXX", NULL);
  gchar *video = rel_write_video (dir, "in.avi", SEEK_FRAMES, 160, 120);
  gchar *json = g_build_filename (dir, "out.jsonl", NULL);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "videoconvert ! yolov7 model=\"%s\" conf-threshold=0.01 ! "
      "objecttracker ! detectionoverlay ! detectionjson name=json "
      "location=\"%s\" ! fakesink sync=true", video, TEST_MODEL, json);
  GstElement *p = launch (desc);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg;
  GArray *ts;
  Seen seen;
  guint seg = 0, in_seg = 0, waited = 0;
  guint64 prev = 0;

  seen_init (&seen, FALSE);
  seen_watch (p, "json", "sink", &seen);
  fail_if (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++) {
    waited += 8;
    seen_wait (&seen, waited);
    fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
            GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, targets[i]));
    g_mutex_lock (&seen.lock);
    waited = seen.n_buffers;
    g_mutex_unlock (&seen.lock);
  }
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "no EOS: %" GST_PTR_FORMAT, msg);
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  /* each seek's flush, then frames from its target on */
  for (guint i = 0; i < seen.pts->len; i++) {
    guint64 pts = g_array_index (seen.pts, guint64, i);

    GST_INFO ("reached detectionjson: %" GST_TIME_FORMAT, GST_TIME_ARGS (pts));
    if (pts == G_MAXUINT64) {
      if (in_seg > 0 || seg == 0)
        seg++;                  /* the pads flush more than once per seek */
      in_seg = 0;
      continue;
    }
    if (in_seg == 0 && seg > 0)
      fail_unless (pts + FRAME_NS >= targets[seg - 1]
          && pts <= targets[seg - 1] + FRAME_NS, "seek %u to %" GST_TIME_FORMAT
          " started at %" GST_TIME_FORMAT, seg, GST_TIME_ARGS (targets[seg -
                  1]), GST_TIME_ARGS (pts));
    else if (in_seg > 0)
      fail_unless (pts > prev && pts - prev <= FRAME_NS + 1, "%"
          GST_TIME_FORMAT " after %" GST_TIME_FORMAT, GST_TIME_ARGS (pts),
          GST_TIME_ARGS (prev));
    prev = pts;
    in_seg++;
  }
  fail_unless_equals_int (seg, G_N_ELEMENTS (targets));
  fail_unless (prev + FRAME_NS >= (SEEK_FRAMES - 1) * FRAME_NS,
      "the last run ended at %" GST_TIME_FORMAT, GST_TIME_ARGS (prev));

  ts = json_timestamps (json);
  fail_unless_equals_int (ts->len, seen.n_buffers);
  for (guint i = 0, j = 0; i < seen.pts->len; i++) {
    guint64 pts = g_array_index (seen.pts, guint64, i);

    if (pts != G_MAXUINT64)
      fail_unless_equals_uint64 (g_array_index (ts, guint64, j++), pts);
  }

  g_array_unref (ts);
  seen_clear (&seen);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_free (desc);
  g_free (json);
  g_free (video);
  rel_remove_dir (dir);
}

GST_END_TEST;

/* EOS right behind frames whose inference runs on the drop-when-busy
 * worker: EOS waits for it, the analysed frame leaves with its detections
 * (those of a fresh element) and its JSON line, every frame has its line,
 * and nothing comes out after EOS. */
GST_START_TEST (test_eos_while_inferring)
{
  gchar *dir = g_dir_make_tmp ("yolov7-eos-XXXXXX", NULL);
  gchar *json = g_build_filename (dir, "out.jsonl", NULL);
  gchar *desc = g_strdup_printf ("yolov7 model=\"%s\" conf-threshold=0.01 "
      "drop-when-busy=true ! detectionjson location=\"%s\"", TEST_MODEL, json);
  GstHarness *h = gst_harness_new_parse (desc);
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstBuffer *frame = rel_frame ("RGB", REL_WIDTH, REL_HEIGHT, 31, 0), *out;
  gchar *want = rel_reference_rois (frame, caps), *got;
  GArray *ts;

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  for (guint i = 0; i < 4; i++) {
    GstBuffer *in = gst_buffer_copy (frame);

    GST_BUFFER_PTS (in) = i * FRAME_NS;
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), 4);
  out = gst_harness_pull (h);
  got = rel_rois (out);
  rel_assert_same (got, want, "detections");
  gst_buffer_unref (out);
  for (guint i = 1; i < 4; i++) {
    out = gst_harness_pull (h);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * FRAME_NS);
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_copy (frame)),
      GST_FLOW_EOS);
  fail_unless (gst_harness_try_pull (h) == NULL, "a frame after EOS");

  ts = json_timestamps (json);
  fail_unless_equals_int (ts->len, 4);
  for (guint i = 0; i < 4; i++)
    fail_unless_equals_uint64 (g_array_index (ts, guint64, i), i * FRAME_NS);
  g_array_unref (ts);
  gst_harness_teardown (h);
  g_free (got);
  g_free (want);
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
  g_free (desc);
  g_free (json);
  rel_remove_dir (dir);
}

GST_END_TEST;

/* The source switches from 320x240 to 160x120 mid-stream (a capsfilter's
 * caps set while playing): detections go on, and each frame's are those
 * a fresh element finds on that frame at its own size. */
GST_START_TEST (test_renegotiation_mid_stream)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=24 pattern=ball "
      "! capsfilter name=cf caps=video/x-raw,format=RGB,width=320,height=240,"
      "framerate=30/1 ! yolov7 name=det model=\"%s\" conf-threshold=0.01 "
      "! fakesink", TEST_MODEL);
  GstElement *p = launch (desc);
  GstElement *cf = gst_bin_get_by_name (GST_BIN (p), "cf");
  GstMessage *msg;
  GstCaps *small;
  GstHarness *ref;
  GstElement *det;
  Seen seen;
  guint n_small = 0, n_big = 0;

  seen_init (&seen, TRUE);
  seen_watch (p, "det", "src", &seen);
  fail_if (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  seen_wait (&seen, 8);
  small = gst_caps_from_string ("video/x-raw,format=RGB,width=160,"
      "height=120,framerate=30/1");
  g_object_set (cf, "caps", small, NULL);
  gst_caps_unref (small);
  msg = rel_run (p, 60);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);

  fail_unless_equals_int (seen.bufs->len, 24);
  det = rel_yolov7 ();
  ref = gst_harness_new_with_element (det, "sink", "src");
  gst_object_unref (det);
  for (guint i = 0; i < seen.bufs->len; i++) {
    GstBuffer *buf = g_ptr_array_index (seen.bufs, i);
    GstCaps *caps = g_ptr_array_index (seen.caps, i);
    GstStructure *s = gst_caps_get_structure (caps, 0);
    gint w = 0;
    gchar *got = rel_rois (buf), *want;

    fail_unless (gst_structure_get_int (s, "width", &w));
    if (w == 160)
      n_small++;
    else
      n_big++;
    fail_unless (n_small == 0 || w == 160, "back to %d after the switch", w);
    /* a frame of each size before and after the switch, and the last */
    if ((w == 160 && n_small <= 2) || n_big == 1 || i + 1 == seen.bufs->len) {
      want = rel_reference_rois_on (ref, buf, caps);
      rel_assert_same (got, want, w == 160 ? "a 160x120 frame" : "a 320x240 frame");
      g_free (want);
    }
    fail_unless (got[0] != '\0', "frame %u has no detections", i);
    g_free (got);
  }
  fail_unless (n_big >= 8 && n_small > 0, "%u frames at 320x240, %u at "
      "160x120", n_big, n_small);
  gst_harness_teardown (ref);

  seen_clear (&seen);
  gst_object_unref (cf);
  gst_object_unref (p);
  g_free (desc);
}

GST_END_TEST;

static Suite *
flow_suite (void)
{
  Suite *s = suite_create ("flow");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_flushing_seeks);
  tcase_add_test (tc, test_eos_while_inferring);
  tcase_add_test (tc, test_renegotiation_mid_stream);
  return s;
}

GST_CHECK_MAIN (flow);
