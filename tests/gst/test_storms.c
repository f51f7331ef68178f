/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_storms.c: the four elements under state-change and property storms.
 *
 * A GstHarness stress thread cycles an element NULL -> PLAYING -> NULL (or
 * sets properties to alternating values) while this thread pushes the same
 * frame again and again.  Every buffer that comes out must be right (the
 * detections or pixels an unstressed element gives for that frame, or for
 * one of the alternating settings), buffers must keep coming, and after
 * the storm the element must give exactly what an unstressed element
 * gives. */
#include "reliability.h"

#include "gstdetectionmeta.h"

/* Pushes until the storm has gone on for a second and 20 buffers (5 in a
 * state-change storm) went through.  In a property storm every push must succeed.  In a state-change
 * storm a push into an element between states fails: FLUSHING, or
 * NOT_NEGOTIATED while it has no caps yet, NOT_LINKED while the harness
 * relinks its pads, ERROR when the core refuses a sticky event that meets
 * the element's deactivating src pad; after a failure the stream's sticky
 * events go again, as a real upstream would send them. */
#define STORM_MIN_US G_USEC_PER_SEC
#define STORM_MIN_OK 20
#define STATECHANGE_MIN_OK 5
#define STORM_MAX_US (40 * G_USEC_PER_SEC)
/* each state lasts this long before the next change */
#define STATECHANGE_SLEEP_US 30000

typedef gchar *(*Describe) (GstBuffer * out);

static gchar *
describe_rois (GstBuffer * out)
{
  return rel_rois (out);
}

/* Pixels and detections: what the overlay drew, and what it passed on. */
static gchar *
describe_pixels (GstBuffer * out)
{
  GstMapInfo map;
  gchar *sum, *rois, *s;

  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA1, map.data, map.size);
  gst_buffer_unmap (out, &map);
  rois = rel_rois (out);
  s = g_strconcat (sum, " ", rois, NULL);
  g_free (sum);
  g_free (rois);
  return s;
}

static void
push_sticky (GstHarness * h, GstCaps * caps)
{
  static guint n;
  gchar *sid = g_strdup_printf ("storm-%u", n++);

  gst_harness_push_event (h, gst_event_new_stream_start (sid));
  g_free (sid);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
}

/* Whether want (a NUL-separated list ending in an empty string) holds s. */
static gboolean
one_of (const gchar * const *want, const gchar * s)
{
  for (; *want; want++)
    if (g_str_equal (*want, s))
      return TRUE;
  return FALSE;
}

/* Pushes copies of frame while the storm t runs, then stops it; each
 * buffer out must be described as one of want (NULL: not checked).
 * Returns how many buffers came out. */
static guint
run_storm (GstHarness * h, GstHarnessThread * t, gboolean statechange,
    GstCaps * caps, GstBuffer * frame, Describe describe,
    const gchar * const *want)
{
  gint64 start = g_get_monotonic_time (), now;
  guint ok = 0, out_n = 0, cycles, failed = 0;
  GstBuffer *out;

  do {
    GstBuffer *in = gst_buffer_copy (frame);
    GstFlowReturn ret;

    GST_BUFFER_PTS (in) = (ok + 1) * GST_SECOND / 30;
    ret = gst_harness_push (h, in);
    if (ret == GST_FLOW_OK) {
      ok++;
    } else {
      fail_unless (statechange && (ret == GST_FLOW_FLUSHING
              || ret == GST_FLOW_NOT_NEGOTIATED || ret == GST_FLOW_NOT_LINKED
              || ret == GST_FLOW_ERROR), "push during the storm: %s",
          gst_flow_get_name (ret));
      failed++;
      GST_LOG ("push: %s", gst_flow_get_name (ret));
      push_sticky (h, caps);
      g_usleep (500);           /* let the storm thread move on */
    }
    while ((out = gst_harness_try_pull (h))) {
      if (want) {
        gchar *got = describe (out);

        fail_unless (one_of (want, got), "a buffer out during the storm is "
            "wrong: %s (want %s)", got, want[0]);
        g_free (got);
      }
      out_n++;
      gst_buffer_unref (out);
    }
    now = g_get_monotonic_time ();
    fail_unless (now - start < STORM_MAX_US, "buffers stopped flowing: %u "
        "in %u s", ok, (guint) (STORM_MAX_US / G_USEC_PER_SEC));
  } while (now - start < STORM_MIN_US
      || ok < (statechange ? STATECHANGE_MIN_OK : STORM_MIN_OK));
  cycles = gst_harness_stress_thread_stop (t);
  GST_INFO ("%u cycles, %u pushes went through, %u failed, %u buffers out",
      cycles, ok, failed, out_n);
  fail_unless (cycles > 0);
  return out_n;
}

/* The core warns when a buffer races the sticky events that the harness
 * resends as it relinks the pads in each cycle (GStreamer's own harness
 * storm tests filter the same messages): expected here, not a fault of
 * the element. */
static void
filter_relink_warnings (void)
{
  gst_check_add_log_filter ("GStreamer", G_LOG_LEVEL_WARNING,
      g_regex_new ("Got data flow before (stream-start|segment) event", 0, 0,
          NULL), NULL, NULL, NULL);
  gst_check_add_log_filter ("GStreamer", G_LOG_LEVEL_WARNING,
      g_regex_new ("Sticky event misordering", 0, 0, NULL), NULL, NULL, NULL);
}

/* The frame with the detections of a fresh yolov7 element attached: the
 * input of the elements behind the detector. */
static GstBuffer *
detected_frame (GstCaps * caps, guint32 seed)
{
  GstElement *e = rel_yolov7 ();
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  GstBuffer *out;

  gst_object_unref (e);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  fail_unless_equals_int (gst_harness_push (h, rel_frame ("RGB", REL_WIDTH,
              REL_HEIGHT, seed, 0)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  gst_harness_teardown (h);
  fail_unless (gst_buffer_get_n_meta (out,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE) > 0);
  return out;
}

/* What element (a fresh one, or the stormed one restarted) gives for n
 * copies of frame, one description per line. */
static gchar *
describe_run (GstHarness * h, GstCaps * caps, GstBuffer * frame, guint n,
    Describe describe)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++) {
    GstBuffer *in = gst_buffer_copy (frame), *out;
    gchar *d;

    GST_BUFFER_PTS (in) = i * GST_SECOND / 30;
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    d = describe (out);
    g_string_append_printf (s, "%s\n", d);
    g_free (d);
    gst_buffer_unref (out);
  }
  return g_string_free (s, FALSE);
}

static GstHarness *
harness_for (const gchar * factory, const gchar * first_prop, ...)
{
  GstElement *e = factory ? gst_element_factory_make (factory, NULL) :
      rel_yolov7 ();
  GstHarness *h;
  va_list args;

  fail_unless (e != NULL, "no %s element", factory);
  va_start (args, first_prop);
  if (first_prop)
    g_object_set_valist (G_OBJECT (e), first_prop, args);
  va_end (args);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

/* The state-change storm for one element: buffers out during the storm
 * are checked when check_during is set; afterwards, restarted, the
 * element gives for n_after frames what a fresh one gives. */
static void
statechange_storm (const gchar * factory, gboolean check_during,
    Describe describe, guint n_after)
{
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstBuffer *frame = factory ? detected_frame (caps, 21) :
      rel_frame ("RGB", REL_WIDTH, REL_HEIGHT, 21, 0);
  GstHarness *fresh = harness_for (factory, NULL);
  GstHarness *h = harness_for (factory, NULL);
  gchar *want, *got;
  const gchar *want_one[2] = { NULL, NULL };

  gst_harness_set_src_caps (fresh, gst_caps_ref (caps));
  want = describe_run (fresh, caps, frame, n_after, describe);
  gst_harness_teardown (fresh);
  *strchr (want, '\n') = '\0';
  want_one[0] = want;

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  filter_relink_warnings ();
  fail_unless (run_storm (h, gst_harness_stress_statechange_start_full (h,
              STATECHANGE_SLEEP_US), TRUE, caps, frame, describe, check_during ? want_one : NULL)
      > 0, "no buffer came out during the storm");
  want[strlen (want)] = '\n';
  gst_check_clear_log_filter ();

  rel_restart (h, caps);
  got = describe_run (h, caps, frame, n_after, describe);
  rel_assert_same (got, want, "detections");
  g_free (got);
  g_free (want);
  gst_harness_teardown (h);
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
}

GST_START_TEST (test_statechange_storm_yolov7)
{
  statechange_storm (NULL, TRUE, describe_rois, 1);
}

GST_END_TEST;

/* Tracks restart with each cycle, so only the run after the storm is
 * compared: the same track ids as a fresh tracker over five frames. */
GST_START_TEST (test_statechange_storm_objecttracker)
{
  statechange_storm ("objecttracker", FALSE, describe_rois, 5);
}

GST_END_TEST;

GST_START_TEST (test_statechange_storm_detectionoverlay)
{
  statechange_storm ("detectionoverlay", TRUE, describe_pixels, 1);
}

GST_END_TEST;

/* detectionjson reopens (truncates) its file on each READY -> PAUSED; the
 * line written after the storm must be the fresh element's line. */
static gchar *json_path;

static gchar *
describe_json (GstBuffer * out)
{
  gchar *contents = NULL, **lines, *last;
  guint n;

  fail_unless (g_file_get_contents (json_path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  n = g_strv_length (lines);
  fail_unless (n >= 2, "no line in %s", json_path);
  last = g_strdup (lines[n - 2]);
  g_strfreev (lines);
  g_free (contents);
  return last;
}

GST_START_TEST (test_statechange_storm_detectionjson)
{
  gchar *dir = g_dir_make_tmp ("yolov7-storm-XXXXXX", NULL);
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstBuffer *frame = detected_frame (caps, 22);
  GstHarness *fresh, *h;
  gchar *want, *got;

  json_path = g_build_filename (dir, "fresh.jsonl", NULL);
  fresh = harness_for ("detectionjson", "location", json_path, NULL);
  gst_harness_set_src_caps (fresh, gst_caps_ref (caps));
  want = describe_run (fresh, caps, frame, 1, describe_json);
  gst_harness_teardown (fresh);
  g_free (json_path);

  json_path = g_build_filename (dir, "stormed.jsonl", NULL);
  h = harness_for ("detectionjson", "location", json_path, NULL);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  filter_relink_warnings ();
  fail_unless (run_storm (h, gst_harness_stress_statechange_start_full (h,
              STATECHANGE_SLEEP_US), TRUE, caps, frame, describe_rois, NULL) > 0);
  gst_check_clear_log_filter ();
  rel_restart (h, caps);
  got = describe_run (h, caps, frame, 1, describe_json);
  rel_assert_same (got, want, "detections");
  gst_harness_teardown (h);

  g_free (got);
  g_free (want);
  g_free (json_path);
  json_path = NULL;
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
  rel_remove_dir (dir);
}

GST_END_TEST;

/* What a fresh element with these two float settings finds on frame. */
static gchar *
yolov7_rois_with (GstCaps * caps, GstBuffer * frame, gfloat conf, gfloat iou)
{
  GstHarness *h = harness_for (NULL, "conf-threshold", conf, "iou-threshold",
      iou, NULL);
  gchar *rois;

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  rois = rel_push_rois (h, frame);
  gst_harness_teardown (h);
  return rois;
}

/* conf-threshold and iou-threshold each flip between two values while
 * frames flow: every frame's detections are those of one of the four
 * combinations, never a mix within a frame. */
GST_START_TEST (test_property_storm_yolov7)
{
  static const gfloat confs[2] = { 0.01f, 0.3f }, ious[2] = { 0.45f, 0.9f };
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstBuffer *frame = rel_frame ("RGB", REL_WIDTH, REL_HEIGHT, 23, 0);
  GstHarness *h = harness_for (NULL, NULL);
  gchar *want[5] = { NULL };
  GValue v = G_VALUE_INIT;
  GstHarnessThread *t[4];
  gchar *got;

  for (guint i = 0; i < 4; i++)
    want[i] = yolov7_rois_with (caps, frame, confs[i / 2], ious[i % 2]);
  fail_if (g_str_equal (want[0], want[2]), "the confidence thresholds give "
      "the same detections: the test could not tell them apart");
  fail_if (g_str_equal (want[0], want[1]), "the IoU thresholds give the "
      "same detections: the test could not tell them apart");

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  g_value_init (&v, G_TYPE_FLOAT);
  for (guint i = 0; i < 4; i++) {
    g_value_set_float (&v, i < 2 ? confs[i] : ious[i - 2]);
    t[i] = gst_harness_stress_property_start_full (h, i < 2 ?
        "conf-threshold" : "iou-threshold", &v, 100);
  }
  fail_unless (run_storm (h, t[0], FALSE, caps, frame, describe_rois,
          (const gchar * const *) want) > 0);
  for (guint i = 1; i < 4; i++)
    fail_unless (gst_harness_stress_thread_stop (t[i]) > 0);
  g_value_unset (&v);

  /* settled on one combination, the element gives its detections */
  g_object_set (h->element, "conf-threshold", confs[1], "iou-threshold",
      ious[1], NULL);
  got = rel_push_rois (h, frame);
  rel_assert_same (got, want[3], "detections");
  g_free (got);
  for (guint i = 0; i < 4; i++)
    g_free (want[i]);
  gst_harness_teardown (h);
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* The tracker's thresholds flip while frames flow; settled back on the
 * defaults and flushed (which clears the tracks), it tracks as a fresh
 * tracker does. */
GST_START_TEST (test_property_storm_objecttracker)
{
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstBuffer *frame = detected_frame (caps, 24);
  GstHarness *fresh = harness_for ("objecttracker", NULL);
  GstHarness *h = harness_for ("objecttracker", NULL);
  GValue v = G_VALUE_INIT;
  gdouble high, low, iou;
  GstHarnessThread *t[3];
  GstSegment segment;
  gchar *want, *got;

  g_object_get (fresh->element, "high-threshold", &high, "low-threshold",
      &low, "match-iou", &iou, NULL);
  gst_harness_set_src_caps (fresh, gst_caps_ref (caps));
  want = describe_run (fresh, caps, frame, 5, describe_rois);
  gst_harness_teardown (fresh);

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  g_value_init (&v, G_TYPE_DOUBLE);
  g_value_set_double (&v, 0.9);
  t[0] = gst_harness_stress_property_start_full (h, "high-threshold", &v, 50);
  g_value_set_double (&v, 0.05);
  t[1] = gst_harness_stress_property_start_full (h, "low-threshold", &v, 50);
  g_value_set_double (&v, 0.95);
  t[2] = gst_harness_stress_property_start_full (h, "match-iou", &v, 50);
  g_value_unset (&v);
  fail_unless (run_storm (h, t[0], FALSE, caps, frame, describe_rois, NULL) > 0);
  fail_unless (gst_harness_stress_thread_stop (t[1]) > 0);
  fail_unless (gst_harness_stress_thread_stop (t[2]) > 0);

  g_object_set (h->element, "high-threshold", high, "low-threshold", low,
      "match-iou", iou, NULL);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  got = describe_run (h, caps, frame, 5, describe_rois);
  /* track ids go on counting across a flush; compare without them */
  {
    GRegex *ids = g_regex_new (" id[-0-9]+;", 0, 0, NULL);
    gchar *w = g_regex_replace_literal (ids, want, -1, 0, ";", 0, NULL);
    gchar *g = g_regex_replace_literal (ids, got, -1, 0, ";", 0, NULL);

    rel_assert_same (g, w, "detections");
    g_free (w);
    g_free (g);
    g_regex_unref (ids);
  }
  g_free (got);
  g_free (want);
  gst_harness_teardown (h);
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* line-width flips between 1 and 6: every frame is drawn with one of the
 * two, as a fresh overlay draws it. */
GST_START_TEST (test_property_storm_detectionoverlay)
{
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstBuffer *frame = detected_frame (caps, 25);
  GstHarness *h = harness_for ("detectionoverlay", "line-width", 1u, NULL);
  gchar *want[3] = { NULL };
  GValue v = G_VALUE_INIT;
  GstHarnessThread *t[2];

  for (guint i = 0; i < 2; i++) {
    GstHarness *fresh = harness_for ("detectionoverlay", "line-width",
        i ? 6u : 1u, NULL);

    gst_harness_set_src_caps (fresh, gst_caps_ref (caps));
    want[i] = describe_run (fresh, caps, frame, 1, describe_pixels);
    *strchr (want[i], '\n') = '\0';
    gst_harness_teardown (fresh);
  }
  fail_if (g_str_equal (want[0], want[1]));

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  g_value_init (&v, G_TYPE_UINT);
  for (guint i = 0; i < 2; i++) {
    g_value_set_uint (&v, i ? 6 : 1);
    t[i] = gst_harness_stress_property_start_full (h, "line-width", &v, 100);
  }
  g_value_unset (&v);
  fail_unless (run_storm (h, t[0], FALSE, caps, frame, describe_pixels,
          (const gchar * const *) want) > 0);
  fail_unless (gst_harness_stress_thread_stop (t[1]) > 0);
  for (guint i = 0; i < 2; i++)
    g_free (want[i]);
  gst_harness_teardown (h);
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* ---- flushing seeks, EOS, renegotiation in pipelines ---- */

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
      want = rel_reference_rois (buf, caps);
      rel_assert_same (got, want, w == 160 ? "a 160x120 frame" : "a 320x240 frame");
      g_free (want);
    }
    fail_unless (got[0] != '\0', "frame %u has no detections", i);
    g_free (got);
  }
  fail_unless (n_big >= 8 && n_small > 0, "%u frames at 320x240, %u at "
      "160x120", n_big, n_small);

  seen_clear (&seen);
  gst_object_unref (cf);
  gst_object_unref (p);
  g_free (desc);
}

GST_END_TEST;

static Suite *
storms_suite (void)
{
  Suite *s = suite_create ("storms");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_statechange_storm_yolov7);
  tcase_add_test (tc, test_statechange_storm_objecttracker);
  tcase_add_test (tc, test_statechange_storm_detectionoverlay);
  tcase_add_test (tc, test_statechange_storm_detectionjson);
  tcase_add_test (tc, test_property_storm_yolov7);
  tcase_add_test (tc, test_property_storm_objecttracker);
  tcase_add_test (tc, test_property_storm_detectionoverlay);
  tcase_add_test (tc, test_flushing_seeks);
  tcase_add_test (tc, test_eos_while_inferring);
  tcase_add_test (tc, test_renegotiation_mid_stream);
  return s;
}

GST_CHECK_MAIN (storms);
