/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_faults.c: OpenCL device faults in the yolov7 element.
 *
 * The OpenCL layer's test hook (YV7_CL_FAULT, see opencl/clrt.h) makes a
 * program build, a kernel enqueue or a buffer allocation fail with the code
 * the driver would return.  Each fault must give an ERROR message naming
 * the OpenCL failure and a failed state change (at start) or
 * GST_FLOW_ERROR (while streaming), never an abort; back in NULL with the
 * fault gone, the same element must find exactly what a fresh element
 * finds.  The program cache lives in a directory of the test's own, filled
 * before the faults, so a cached binary cannot hide a build fault. */
#include "reliability.h"

#define FAULT_ENV "YV7_CL_FAULT"

static gchar *cache_dir;

static void
set_fault (const gchar * spec)
{
  if (spec)
    fail_unless (g_setenv (FAULT_ENV, spec, TRUE));
  else
    g_unsetenv (FAULT_ENV);
}

/* Pops the bus's ERROR message (waiting up to 60 s) and checks its domain
 * and that its text names the OpenCL error. */
static void
expect_error (GstBus * bus, GQuark domain, gint code, const gchar * needle)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (msg != NULL, "no ERROR message for the fault");
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("error: %s (%s)", err->message, debug);
  fail_unless (err->domain == domain && err->code == code,
      "error %s %d: %s", g_quark_to_string (err->domain), err->code,
      err->message);
  fail_unless (strstr (err->message, needle) != NULL,
      "error \"%s\" does not name \"%s\"", err->message, needle);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
}

/* The fault cleared, the element back from NULL finds on a frame exactly
 * what a fresh element finds. */
static void
expect_recovery (GstHarness * h, GstCaps * caps)
{
  GstBuffer *frame = rel_frame ("RGB", REL_WIDTH, REL_HEIGHT, 7, 0);
  gchar *want, *got;

  set_fault (NULL);
  want = rel_reference_rois (frame, caps);
  rel_restart (h, caps);
  got = rel_push_rois (h, frame);
  rel_assert_same (got, want, "detections");
  g_free (got);
  g_free (want);
  gst_buffer_unref (frame);
}

/* A fault while the element loads: the change to PAUSED fails. */
static void
check_start_fault (const gchar * spec, const gchar * needle)
{
  GstElement *e = rel_yolov7 ();
  GstBus *bus = gst_bus_new ();
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstHarness *h;

  gst_element_set_bus (e, bus);
  set_fault (spec);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  expect_error (bus, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_INIT, needle);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  set_fault (NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  expect_recovery (h, caps);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  gst_caps_unref (caps);
}

/* With the program in the cache already: the cached binary's build fails
 * as the source's would. */
GST_START_TEST (test_build_fault_at_start)
{
  GstBuffer *frame = rel_frame ("RGB", 64, 64, 1, 0);
  GstCaps *caps = rel_caps ("RGB", 64, 64);
  GDir *d;
  const gchar *name;
  guint cached = 0;

  g_free (rel_reference_rois (frame, caps));
  d = g_dir_open (cache_dir, 0, NULL);
  while (d && (name = g_dir_read_name (d)))
    cached += g_str_has_suffix (name, ".bin");
  if (d)
    g_dir_close (d);
  fail_unless (cached > 0, "no program binary in the cache %s", cache_dir);
  check_start_fault ("build", "CL_BUILD_PROGRAM_FAILURE");
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
}

GST_END_TEST;

GST_START_TEST (test_alloc_fault_at_start)
{
  check_start_fault ("alloc", "CL_MEM_OBJECT_ALLOCATION_FAILURE");
}

GST_END_TEST;

/* The 2nd allocation: after the first buffer, in the middle of the load. */
GST_START_TEST (test_alloc_fault_nth_at_start)
{
  check_start_fault ("alloc:2", "CL_MEM_OBJECT_ALLOCATION_FAILURE");
}

GST_END_TEST;

/* A kernel enqueue failing in the warm-up inference of the load. */
GST_START_TEST (test_enqueue_fault_at_start)
{
  check_start_fault ("enqueue:5", "CL_OUT_OF_RESOURCES");
}

GST_END_TEST;

/* A harness whose element posts on bus, with one frame through it. */
static GstHarness *
streaming_harness (GstBus * bus, GstCaps * caps, gboolean drop_when_busy)
{
  GstElement *e = rel_yolov7 ();
  GstHarness *h;
  GstStructure *st = gst_caps_get_structure (caps, 0);
  gint width = 0, height = 0;
  gchar *rois;
  GstBuffer *frame;

  fail_unless (gst_structure_get_int (st, "width", &width)
      && gst_structure_get_int (st, "height", &height));
  frame = rel_frame ("RGB", width, height, 3, 0);

  g_object_set (e, "drop-when-busy", drop_when_busy, NULL);
  gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  rois = rel_push_rois (h, frame);
  g_free (rois);
  gst_buffer_unref (frame);
  if (drop_when_busy) {
    /* the frame is out, but the worker may not have finished with it: a
     * serialized query waits for it, so that the next frame is analysed
     * rather than passed on as "busy" */
    GstQuery *drain = gst_query_new_drain ();

    gst_pad_peer_query (h->srcpad, drain);
    gst_query_unref (drain);
  }
  return h;
}

static void
teardown_streaming (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
}

/* A kernel enqueue fault in a frame's inference: nothing comes out for
 * that frame and the stream stops with GST_FLOW_ERROR: at once on the
 * streaming thread, or with drop-when-busy, where the worker thread meets
 * the fault, on the next push. */
static void
check_enqueue_fault_streaming (gboolean drop_when_busy, const gchar * spec)
{
  GstBus *bus = gst_bus_new ();
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstHarness *h = streaming_harness (bus, caps, drop_when_busy);
  guint before = gst_harness_buffers_received (h);

  set_fault (spec);
  fail_unless_equals_int (gst_harness_push (h, rel_frame ("RGB", REL_WIDTH,
              REL_HEIGHT, 5, GST_SECOND)),
      drop_when_busy ? GST_FLOW_OK : GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      "CL_OUT_OF_RESOURCES");
  if (drop_when_busy) {
    /* the worker posts the error before it records the failure: a
     * serialized event waits for it (and must not make it forget) */
    fail_unless (gst_harness_push_event (h, gst_event_new_tag
            (gst_tag_list_new_empty ())));
    fail_unless_equals_int (gst_harness_push (h, rel_frame ("RGB", REL_WIDTH,
                REL_HEIGHT, 6, 2 * GST_SECOND)), GST_FLOW_ERROR);
    fail_unless_equals_int (gst_harness_push (h, rel_frame ("RGB", REL_WIDTH,
                REL_HEIGHT, 7, 3 * GST_SECOND)), GST_FLOW_ERROR);
  }
  fail_unless_equals_int (gst_harness_buffers_received (h), before);
  expect_recovery (h, caps);
  gst_caps_unref (caps);
  teardown_streaming (h, bus);
}

/* Every enqueue fails from one frame on. */
GST_START_TEST (test_enqueue_fault_streaming)
{
  check_enqueue_fault_streaming (FALSE, "enqueue");
}

GST_END_TEST;

/* One enqueue, the 3rd of the frame's inference, fails on the worker. */
GST_START_TEST (test_enqueue_fault_worker)
{
  check_enqueue_fault_streaming (TRUE, "enqueue:3");
}

GST_END_TEST;

/* A frame larger than any before needs a larger staging buffer on the
 * device, and that allocation fails. */
GST_START_TEST (test_alloc_fault_streaming)
{
  GstBus *bus = gst_bus_new ();
  GstCaps *small = rel_caps ("RGB", 64, 64);
  GstCaps *big = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstHarness *h = streaming_harness (bus, small, FALSE);

  gst_harness_set_src_caps (h, gst_caps_ref (big));
  set_fault ("alloc");
  fail_unless_equals_int (gst_harness_push (h, rel_frame ("RGB", REL_WIDTH,
              REL_HEIGHT, 5, GST_SECOND)), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      "CL_MEM_OBJECT_ALLOCATION_FAILURE");
  expect_recovery (h, big);
  gst_caps_unref (small);
  gst_caps_unref (big);
  teardown_streaming (h, bus);
}

GST_END_TEST;

/* A fault in one element's load leaves another element, loaded before,
 * untouched once the fault is gone: no shared state is poisoned.  The
 * failing element has a model-instance-id of its own, so that it loads
 * the model itself rather than join the loaded instance. */
GST_START_TEST (test_fault_does_not_leak_to_others)
{
  GstBus *bus = gst_bus_new ();
  GstCaps *caps = rel_caps ("RGB", REL_WIDTH, REL_HEIGHT);
  GstHarness *h = streaming_harness (bus, caps, FALSE);
  GstElement *other = rel_yolov7 ();
  GstBus *other_bus = gst_bus_new ();
  GstBuffer *frame = rel_frame ("RGB", REL_WIDTH, REL_HEIGHT, 7, 0);
  gchar *want = rel_reference_rois (frame, caps), *got;

  g_object_set (other, "model-instance-id", "faulty", NULL);
  gst_element_set_bus (other, other_bus);
  set_fault ("build");
  fail_unless_equals_int (gst_element_set_state (other, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  expect_error (other_bus, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_INIT,
      "CL_BUILD_PROGRAM_FAILURE");
  set_fault (NULL);
  got = rel_push_rois (h, frame);
  rel_assert_same (got, want, "detections");

  fail_unless_equals_int (gst_element_set_state (other, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (other, NULL);
  gst_object_unref (other_bus);
  gst_object_unref (other);
  g_free (got);
  g_free (want);
  gst_buffer_unref (frame);
  gst_caps_unref (caps);
  teardown_streaming (h, bus);
}

GST_END_TEST;

static Suite *
faults_suite (void)
{
  Suite *s = suite_create ("faults");
  TCase *tc = tcase_create ("general");

  /* a program cache of the test's own, filled by the first fresh element */
  cache_dir = g_dir_make_tmp ("yolov7-faults-XXXXXX", NULL);
  g_setenv ("YV7_CACHE_DIR", cache_dir, TRUE);
  g_unsetenv (FAULT_ENV);

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_build_fault_at_start);
  tcase_add_test (tc, test_alloc_fault_at_start);
  tcase_add_test (tc, test_alloc_fault_nth_at_start);
  tcase_add_test (tc, test_enqueue_fault_at_start);
  tcase_add_test (tc, test_enqueue_fault_streaming);
  tcase_add_test (tc, test_alloc_fault_streaming);
  tcase_add_test (tc, test_enqueue_fault_worker);
  tcase_add_test (tc, test_fault_does_not_leak_to_others);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;
  int failed;

  gst_check_init (&argc, &argv);
  s = faults_suite ();
  failed = gst_check_run_suite (s, "faults", __FILE__);
  rel_remove_dir (cache_dir);
  return failed ? 1 : 0;
}
