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

/* Pushes until the storm has gone on for a second and 20 buffers (5 in a
 * state-change storm) went through.  In a property storm every push must
 * succeed.  In a state-change storm a push into an element between states
 * fails: FLUSHING, or NOT_NEGOTIATED while it has no caps yet, NOT_LINKED
 * while the harness relinks its pads, ERROR when the core refuses a sticky
 * event that meets the element's deactivating src pad; after a failure
 * the stream's sticky events go again, as a real upstream would send
 * them. */
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
  return s;
}

GST_CHECK_MAIN (storms);
