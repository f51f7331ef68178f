/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_shared.c: yolov7 elements sharing one loaded model.
 *
 * Loads are counted from the "yolov7shared" debug category's "loading"
 * messages and batch sizes from its "a batch of N frames" ones.  Per-stream
 * results of shared, batched elements are checked against an element of
 * the stream's own (its own model instance, batch 1, same properties) on
 * the same frames; a stalled or ended stream must not hold the others. */
#include "reliability.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N_FRAMES 6

static GMutex log_lock;
static guint n_loads, n_unloads, n_batches[65];

static void
count_log (GstDebugCategory * cat, GstDebugLevel level, const gchar * file,
    const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  const gchar *m, *b;
  guint k;

  (void) level, (void) file, (void) function, (void) line, (void) object;
  (void) data;
  if (strcmp (gst_debug_category_get_name (cat), "yolov7shared") != 0)
    return;
  m = gst_debug_message_get (message);
  g_mutex_lock (&log_lock);
  if (g_str_has_prefix (m, "loading "))
    n_loads++;
  else if (g_str_has_prefix (m, "unloading "))
    n_unloads++;
  else if ((b = strstr (m, ": a batch of ")) && sscanf (b, ": a batch of %u",
          &k) == 1 && k <= 64)
    n_batches[k]++;
  g_mutex_unlock (&log_lock);
}

static void
reset_counts (void)
{
  g_mutex_lock (&log_lock);
  n_loads = n_unloads = 0;
  memset (n_batches, 0, sizeof n_batches);
  g_mutex_unlock (&log_lock);
}

static guint
count_of (guint * counter)
{
  guint n;

  g_mutex_lock (&log_lock);
  n = *counter;
  g_mutex_unlock (&log_lock);
  return n;
}

static GstHarness *
shared_harness (const gchar * model, const gchar * instance_id,
    guint batch_size, guint timeout_ms, GstCaps * caps)
{
  GstElement *e = rel_yolov7 ();
  GstHarness *h;

  g_object_set (e, "model", model, "model-instance-id", instance_id,
      "batch-size", batch_size, "batch-timeout-ms", timeout_ms, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  return h;
}

/* Two detection texts of rel_rois() agree as two runs of the same weights
 * at different batch sizes may: same classes in the same order, confidence
 * within 1e-4, box edges within a pixel (a batch-3 graph may run other
 * kernels than a batch-1 one: GPU GEMM plans are chosen per shape). */
static void
assert_close (const gchar * got, const gchar * want, const gchar * what)
{
  gchar **g = g_strsplit (got, ";", -1), **w = g_strsplit (want, ";", -1);

  fail_unless_equals_int (g_strv_length (g), g_strv_length (w));
  for (guint i = 0; g[i] && w[i]; i++) {
    gint gc, wc, gid, wid;
    gdouble gconf, wconf;
    guint gb[4], wb[4];

    if (!*g[i] && !*w[i])
      continue;
    fail_unless (sscanf (g[i], "%d %lf %u %u %u %u id%d", &gc, &gconf, &gb[0],
            &gb[1], &gb[2], &gb[3], &gid) == 7, "%s: bad text %s", what, g[i]);
    fail_unless (sscanf (w[i], "%d %lf %u %u %u %u id%d", &wc, &wconf, &wb[0],
            &wb[1], &wb[2], &wb[3], &wid) == 7, "%s: bad text %s", what, w[i]);
    fail_unless (gc == wc && fabs (gconf - wconf) < 1e-4, "%s, detection "
        "%u: got %s want %s", what, i, g[i], w[i]);
    for (gint k = 0; k < 4; k++)
      fail_unless (abs ((gint) gb[k] - (gint) wb[k]) <= 1, "%s, detection "
          "%u: got %s want %s", what, i, g[i], w[i]);
  }
  g_strfreev (g);
  g_strfreev (w);
}

/* Every detection of a rel_rois() text has a class of `classes` (a
 * classes property value; "" allows all). */
static void
assert_classes (const gchar * rois, const gchar * classes, const gchar * what)
{
  gchar **d = g_strsplit (rois, ";", -1);
  gchar **allowed = g_strsplit (classes, ",", -1);

  for (guint i = 0; *classes && d[i]; i++) {
    gchar *space = strchr (d[i], ' ');

    if (!*d[i])
      continue;
    fail_unless (space != NULL);
    *space = '\0';
    fail_unless (g_strv_contains ((const gchar * const *) allowed, d[i]),
        "%s: class %s outside \"%s\"", what, d[i], classes);
  }
  g_strfreev (d);
  g_strfreev (allowed);
}

/* ---- one load ---- */

GST_START_TEST (test_one_load_for_many)
{
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstBuffer *frame = rel_frame ("RGB", REL_WIDTH, REL_HEIGHT, 3, 0);
  gchar *dir = g_path_get_dirname (TEST_MODEL);
  gchar *base = g_path_get_basename (TEST_MODEL);
  gchar *other_spelling = g_build_filename (dir, ".", ".", base, NULL);
  GstHarness *h[4];
  gchar *seen = NULL;

  reset_counts ();
  for (gint i = 0; i < 4; i++)
    h[i] = shared_harness (i == 3 ? other_spelling : TEST_MODEL, NULL, 1, 50,
        caps);
  fail_unless_equals_int (count_of (&n_loads), 1);
  for (gint i = 0; i < 4; i++) {
    gchar *rois = rel_push_rois (h[i], frame);

    fail_unless (rois[0] != '\0');
    if (seen)
      rel_assert_same (rois, seen, "a sharing element");
    g_free (seen);
    seen = rois;
  }
  for (gint i = 0; i < 4; i++) {
    fail_unless_equals_int (count_of (&n_unloads), 0);
    gst_harness_teardown (h[i]);
  }
  fail_unless_equals_int (count_of (&n_unloads), 1);

  /* ids of their own: one load each */
  reset_counts ();
  for (gint i = 0; i < 4; i++) {
    gchar *id = g_strdup_printf ("own-%d", i);

    h[i] = shared_harness (TEST_MODEL, id, 1, 50, caps);
    g_free (id);
  }
  fail_unless_equals_int (count_of (&n_loads), 4);
  for (gint i = 0; i < 4; i++) {
    gchar *rois = rel_push_rois (h[i], frame);

    rel_assert_same (rois, seen, "an element with an id of its own");
    g_free (rois);
    gst_harness_teardown (h[i]);
  }
  fail_unless_equals_int (count_of (&n_unloads), 4);

  g_free (seen);
  g_free (dir);
  g_free (base);
  g_free (other_spelling);
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* ---- batching ---- */

typedef struct
{
  GstHarness *h;
  GstBuffer *frames[N_FRAMES];
  gchar *rois[N_FRAMES];
} Stream;

static gpointer
push_stream (gpointer data)
{
  Stream *s = data;

  for (gint i = 0; i < N_FRAMES; i++)
    s->rois[i] = rel_push_rois (s->h, s->frames[i]);
  return NULL;
}

static const struct
{
  const gchar *format;
  gint width, height;
  gfloat conf;
  const gchar *classes;
} streams[3] = {
  {"RGB", 385, 289, 0.01f, ""},
  {"NV12", 320, 240, 0.05f, "1"},
  {"BGRx", 640, 360, 0.02f, "0,2"},
};

/* Three streams with different frames, sizes, thresholds and classes,
 * pushed at once from three threads into elements sharing `model` with
 * batch-size 3: each gets what an element of its own gets; `exact`: bit
 * for bit (a fixed-batch model runs the same single runs as the
 * reference), else within assert_close's bounds. */
static void
check_batched_streams (const gchar * model, gboolean exact)
{
  Stream s[3];
  GThread *threads[3];

  for (gint k = 0; k < 3; k++) {
    GstCaps *caps = rel_caps (streams[k].format, streams[k].width,
        streams[k].height);
    gchar *id = g_strdup_printf ("reference-%d", k);
    GstHarness *ref = shared_harness (model, id, 1, 0, caps);

    g_object_set (ref->element, "conf-threshold", streams[k].conf,
        "classes", streams[k].classes, NULL);
    s[k].h = shared_harness (model, NULL, 3, 5000, caps);
    g_object_set (s[k].h->element, "conf-threshold", streams[k].conf,
        "classes", streams[k].classes, NULL);
    for (gint i = 0; i < N_FRAMES; i++)
      s[k].frames[i] = rel_frame (streams[k].format, streams[k].width,
          streams[k].height, 100 * k + i, i * GST_SECOND / 30);
    /* the references' answers, frame by frame, kept in rois until the
     * shared run replaces them */
    for (gint i = 0; i < N_FRAMES; i++)
      s[k].rois[i] = rel_push_rois (ref, s[k].frames[i]);
    gst_harness_teardown (ref);
    gst_caps_unref (caps);
    g_free (id);
  }

  {
    gchar *want[3][N_FRAMES];

    for (gint k = 0; k < 3; k++)
      for (gint i = 0; i < N_FRAMES; i++)
        want[k][i] = s[k].rois[i];
    reset_counts ();
    for (gint k = 0; k < 3; k++)
      threads[k] = g_thread_new ("stream", push_stream, &s[k]);
    for (gint k = 0; k < 3; k++)
      g_thread_join (threads[k]);
    /* with 5 s to fill a batch, all three streams' frames ran together */
    fail_unless (count_of (&n_batches[3]) >= N_FRAMES - 1, "%u batches of 3, "
        "%u of 2, %u of 1", count_of (&n_batches[3]),
        count_of (&n_batches[2]), count_of (&n_batches[1]));
    for (gint k = 0; k < 3; k++) {
      for (gint i = 0; i < N_FRAMES; i++) {
        gchar *what = g_strdup_printf ("stream %d frame %d", k, i);

        if (exact)
          rel_assert_same (s[k].rois[i], want[k][i], what);
        else
          assert_close (s[k].rois[i], want[k][i], what);
        assert_classes (s[k].rois[i], streams[k].classes, what);
        g_free (what);
        g_free (want[k][i]);
        g_free (s[k].rois[i]);
        gst_buffer_unref (s[k].frames[i]);
      }
      gst_harness_teardown (s[k].h);
    }
  }
}

GST_START_TEST (test_batched_dynamic_batch)
{
  check_batched_streams (TEST_DYN_MODEL, FALSE);
}

GST_END_TEST;

/* A model with a fixed batch of 1 runs a batch as consecutive runs. */
GST_START_TEST (test_batched_fixed_batch)
{
  check_batched_streams (TEST_MODEL, TRUE);
}

GST_END_TEST;

/* ---- stalls and ends ---- */

/* A stream that stops sending holds the other one once, for the timeout
 * (2 s here); after that its frames go through without waiting for it, and
 * on after it leaves.  Results stay those of an element of its own. */
GST_START_TEST (test_stalled_stream)
{
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstHarness *ref = shared_harness (TEST_DYN_MODEL, "reference", 1, 0, caps);
  GstHarness *a = shared_harness (TEST_DYN_MODEL, NULL, 2, 2000, caps);
  GstHarness *stalled = shared_harness (TEST_DYN_MODEL, NULL, 2, 2000, caps);

  for (gint i = 0; i < 6; i++) {
    GstBuffer *frame = rel_frame ("RGB", REL_WIDTH, REL_HEIGHT, 50 + i, 0);
    gchar *want = rel_push_rois (ref, frame), *got;
    gint64 t0 = g_get_monotonic_time ();

    got = rel_push_rois (a, frame);
    /* not a speed check: waiting for the stalled stream again takes 2 s */
    fail_unless (i == 0 || g_get_monotonic_time () - t0 < G_USEC_PER_SEC,
        "frame %d waited for the stalled stream again", i);
    rel_assert_same (got, want, "beside a stalled stream");
    g_free (want);
    g_free (got);
    gst_buffer_unref (frame);
    if (i == 3)
      gst_harness_teardown (stalled);
  }
  gst_harness_teardown (a);
  gst_harness_teardown (ref);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* After EOS a stream is not waited for: with the longest timeout (10 s),
 * the other stream's frames still go through at once. */
GST_START_TEST (test_ended_stream_not_waited_for)
{
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstHarness *a = shared_harness (TEST_DYN_MODEL, NULL, 2, 10000, caps);
  GstHarness *ended = shared_harness (TEST_DYN_MODEL, NULL, 2, 10000, caps);

  fail_unless (gst_harness_push_event (ended, gst_event_new_eos ()));
  for (gint i = 0; i < 3; i++) {
    GstBuffer *frame = rel_frame ("RGB", REL_WIDTH, REL_HEIGHT, 70 + i, 0);
    gint64 t0 = g_get_monotonic_time ();
    gchar *got = rel_push_rois (a, frame);

    /* not a speed check: waiting for the ended stream would take 10 s */
    fail_unless (g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC,
        "frame %d waited for the stream at EOS", i);
    fail_unless (got[0] != '\0');
    g_free (got);
    gst_buffer_unref (frame);
  }
  gst_harness_teardown (ended);
  gst_harness_teardown (a);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* ---- explicit ids ---- */

/* An id in use with other settings is refused, naming the id; with
 * matching settings the same element then starts. */
GST_START_TEST (test_instance_id_conflict)
{
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstHarness *holder = shared_harness (TEST_MODEL, "cams", 1, 50, caps);
  GstElement *e = rel_yolov7 ();
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (e, bus);
  g_object_set (e, "model-instance-id", "cams", "batch-size", 2, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), "%s", err->message);
  fail_unless (strstr (err->message, "model-instance-id \"cams\" is in use")
      && strstr (err->message, "batch-size 2"), "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_object_set (e, "batch-size", 1, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  gst_harness_teardown (holder);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* ---- a real pipeline ---- */

typedef struct
{
  guint n;
  guint with_rois;
  GstClockTime last;
  gboolean in_order;
} Sink;

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Sink *s = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gpointer state = NULL;

  (void) pad;
  if (s->n > 0 && GST_BUFFER_PTS (buf) <= s->last)
    s->in_order = FALSE;
  s->last = GST_BUFFER_PTS (buf);
  s->n++;
  if (gst_buffer_iterate_meta_filtered (buf, &state,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    s->with_rois++;
  return GST_PAD_PROBE_OK;
}

/* Three sources of different lengths through three elements sharing one
 * batch-3 model: every frame of every stream comes out analysed, in
 * order, and the pipeline reaches EOS when the last stream ends. */
GST_START_TEST (test_pipeline_three_streams)
{
  static const guint lengths[3] = { 10, 25, 40 };
  GString *desc = g_string_new (NULL);
  GstElement *pipeline;
  GstMessage *msg;
  Sink sinks[3] = { {0} };

  for (gint k = 0; k < 3; k++)
    g_string_append_printf (desc, "videotestsrc num-buffers=%u pattern=%d ! "
        "video/x-raw,format=RGB,width=160,height=120 ! yolov7 model=%s "
        "conf-threshold=%f batch-size=3 ! fakesink name=sink%d ", lengths[k],
        k, TEST_DYN_MODEL, REL_LOW_CONF, k);
  pipeline = gst_parse_launch (desc->str, NULL);
  fail_unless (pipeline != NULL);
  for (gint k = 0; k < 3; k++) {
    gchar *name = g_strdup_printf ("sink%d", k);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
    GstPad *pad = gst_element_get_static_pad (sink, "sink");

    sinks[k].in_order = TRUE;
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer,
        &sinks[k], NULL);
    gst_object_unref (pad);
    gst_object_unref (sink);
    g_free (name);
  }
  reset_counts ();
  msg = rel_run (pipeline, 120);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  for (gint k = 0; k < 3; k++) {
    fail_unless_equals_int (sinks[k].n, lengths[k]);
    fail_unless_equals_int (sinks[k].with_rois, lengths[k]);
    fail_unless (sinks[k].in_order, "stream %d out of order", k);
  }
  fail_unless_equals_int (count_of (&n_loads), 1);
  fail_unless (count_of (&n_batches[3]) > 0, "no batch of 3");
  gst_object_unref (pipeline);
  g_string_free (desc, TRUE);
}

GST_END_TEST;

static Suite *
shared_suite (void)
{
  Suite *s = suite_create ("shared");
  TCase *tc = tcase_create ("general");

  gst_debug_set_active (TRUE);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (count_log, NULL, NULL);
  gst_debug_set_threshold_for_name ("yolov7shared", GST_LEVEL_LOG);

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_one_load_for_many);
  tcase_add_test (tc, test_batched_dynamic_batch);
  tcase_add_test (tc, test_batched_fixed_batch);
  tcase_add_test (tc, test_stalled_stream);
  tcase_add_test (tc, test_ended_stream_not_waited_for);
  tcase_add_test (tc, test_instance_id_conflict);
  tcase_add_test (tc, test_pipeline_three_streams);
  return s;
}

GST_CHECK_MAIN (shared);
