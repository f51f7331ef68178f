/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_detectionjson.c: GstHarness tests of the detectionjson element: the
 * JSON Lines it writes are parsed back with json-glib. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

/* The shared ROI conventions, compiled in: the test binary does not link
 * the plugin. */
#include "gstdetectionmeta.c"

#define WIDTH 385
#define HEIGHT 289
#define CAPS "video/x-raw,format=NV12,width=385,height=289,framerate=25/1"
#define FRAME_NS (GST_SECOND / 25)

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("detectionjson-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (tmpdir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* A harness around a detectionjson that writes to @location. */
static GstHarness *
new_harness (const gchar * location)
{
  GstElement *e = gst_element_factory_make ("detectionjson", NULL);
  GstHarness *h;

  fail_unless (e != NULL);
  /* set before the harness starts the element, which opens the file */
  g_object_set (e, "location", location, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, CAPS);
  return h;
}

static GstBuffer *
new_frame (guint n)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, WIDTH * HEIGHT * 3 / 2 + 1024,
      NULL);

  GST_BUFFER_PTS (buf) = n * FRAME_NS;
  GST_BUFFER_DURATION (buf) = FRAME_NS;
  return buf;
}

/* The three frames of the known sequence: frame 0 has a tracked person and
 * an untracked car, frame 1 nothing, frame 2 the person again. */
static void
push_sequence (GstHarness * h)
{
  GstBuffer *b;
  GstVideoRegionOfInterestMeta *m;

  b = new_frame (0);
  m = gst_detection_meta_add (b, "person", 0, 0.875, 10, 20, 110, 220, WIDTH,
      HEIGHT);
  gst_detection_meta_set_track_id (m, 7);
  gst_detection_meta_add (b, "car", 2, 0.5, 200, 100, 300, 150, WIDTH, HEIGHT);
  fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);

  fail_unless_equals_int (gst_harness_push (h, new_frame (1)), GST_FLOW_OK);

  b = new_frame (2);
  m = gst_detection_meta_add (b, "person", 0, 0.75, 14, 20, 114, 220, WIDTH,
      HEIGHT);
  gst_detection_meta_set_track_id (m, 7);
  fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
}

/* The lines of @path, each parsed; fails on a line that is not an object. */
static GPtrArray *
read_lines (const gchar * path)
{
  gchar *text = NULL;
  gchar **lines;
  GPtrArray *nodes = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_node_unref);
  guint i;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL), "%s", path);
  fail_unless (g_str_has_suffix (text, "\n") || text[0] == '\0');
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] && lines[i][0]; i++) {
    JsonParser *p = json_parser_new ();
    GError *err = NULL;

    fail_unless (json_parser_load_from_data (p, lines[i], -1, &err),
        "line %u: %s", i, err ? err->message : "");
    fail_unless (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)));
    g_ptr_array_add (nodes, json_node_copy (json_parser_get_root (p)));
    g_object_unref (p);
  }
  g_strfreev (lines);
  g_free (text);
  return nodes;
}

static JsonObject *
line_object (GPtrArray * lines, guint i)
{
  return json_node_get_object (g_ptr_array_index (lines, i));
}

static void
check_frame_header (JsonObject * o, guint n, guint n_objects)
{
  JsonObject *res = json_object_get_object_member (o, "resolution");

  fail_unless_equals_int64 (json_object_get_int_member (o, "timestamp"),
      (gint64) (n * FRAME_NS));
  fail_unless (res != NULL);
  fail_unless_equals_int (json_object_get_int_member (res, "width"), WIDTH);
  fail_unless_equals_int (json_object_get_int_member (res, "height"), HEIGHT);
  fail_unless_equals_int (json_array_get_length
      (json_object_get_array_member (o, "objects")), n_objects);
}

static void
check_object (JsonObject * o, gint x, gint y, gint w, gint h, gint id,
    gdouble confidence, const gchar * label, gint label_id)
{
  JsonObject *det = json_object_get_object_member (o, "detection");
  JsonObject *bb;

  fail_unless_equals_int (json_object_get_int_member (o, "x"), x);
  fail_unless_equals_int (json_object_get_int_member (o, "y"), y);
  fail_unless_equals_int (json_object_get_int_member (o, "w"), w);
  fail_unless_equals_int (json_object_get_int_member (o, "h"), h);
  if (id >= 0) {
    fail_unless_equals_int (json_object_get_int_member (o, "id"), id);
  } else {
    fail_if (json_object_has_member (o, "id"));
  }
  fail_unless (det != NULL);
  bb = json_object_get_object_member (det, "bounding_box");
  fail_unless (bb != NULL);
  fail_unless_equals_float (json_object_get_double_member (bb, "x_min"),
      (gdouble) x / WIDTH);
  fail_unless_equals_float (json_object_get_double_member (bb, "y_min"),
      (gdouble) y / HEIGHT);
  fail_unless_equals_float (json_object_get_double_member (bb, "x_max"),
      (gdouble) (x + w) / WIDTH);
  fail_unless_equals_float (json_object_get_double_member (bb, "y_max"),
      (gdouble) (y + h) / HEIGHT);
  fail_unless_equals_float (json_object_get_double_member (det, "confidence"),
      confidence);
  fail_unless_equals_string (json_object_get_string_member (det, "label"),
      label);
  fail_unless_equals_int (json_object_get_int_member (det, "label_id"),
      label_id);
}

static void
check_sequence (const gchar * path)
{
  GPtrArray *lines = read_lines (path);
  JsonArray *objs;

  fail_unless_equals_int (lines->len, 3);
  check_frame_header (line_object (lines, 0), 0, 2);
  objs = json_object_get_array_member (line_object (lines, 0), "objects");
  check_object (json_array_get_object_element (objs, 0), 10, 20, 100, 200, 7,
      0.875, "person", 0);
  check_object (json_array_get_object_element (objs, 1), 200, 100, 100, 50,
      -1, 0.5, "car", 2);
  check_frame_header (line_object (lines, 1), 1, 0);
  check_frame_header (line_object (lines, 2), 2, 1);
  objs = json_object_get_array_member (line_object (lines, 2), "objects");
  check_object (json_array_get_object_element (objs, 0), 14, 20, 100, 200, 7,
      0.75, "person", 0);
  g_ptr_array_unref (lines);
}

GST_START_TEST (test_three_frames)
{
  gchar *path = tmp_path ("seq.jsonl");
  GstHarness *h = new_harness (path);

  push_sequence (h);
  gst_harness_teardown (h);
  check_sequence (path);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_passthrough)
{
  gchar *path = tmp_path ("pass.jsonl");
  GstHarness *h = new_harness (path);
  GstBuffer *in = new_frame (5), *out;

  gst_detection_meta_add (in, "dog", 16, 0.9, 1, 2, 3, 4, WIDTH, HEIGHT);
  gst_buffer_ref (in);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  /* the very buffer, metas and all */
  fail_unless (out == in);
  fail_unless (gst_buffer_get_video_region_of_interest_meta (out) != NULL);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_location_stdout)
{
  gchar *path = tmp_path ("stdout.jsonl");
  gint saved, fd;
  GstHarness *h;
  gchar *loc;

  /* NULL, stdout when no mqtt-uri is set, is the default */
  h = gst_harness_new ("detectionjson");
  g_object_get (h->element, "location", &loc, NULL);
  fail_unless (loc == NULL);
  gst_harness_teardown (h);

  fflush (stdout);
  saved = dup (STDOUT_FILENO);
  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  fail_unless (saved >= 0 && fd >= 0);
  fail_unless (dup2 (fd, STDOUT_FILENO) >= 0);
  close (fd);

  h = new_harness ("-");
  push_sequence (h);
  gst_harness_teardown (h);

  fflush (stdout);
  fail_unless (dup2 (saved, STDOUT_FILENO) >= 0);
  close (saved);
  check_sequence (path);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_unwritable_location)
{
  gchar *bad = g_build_filename (tmpdir, "no-such-dir", "out.jsonl", NULL);
  gchar *good = tmp_path ("good.jsonl");
  GstElement *e = gst_element_factory_make ("detectionjson", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  GstHarness *h;

  gst_element_set_bus (e, bus);
  g_object_set (e, "location", bad, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE), "%s", err->message);
  fail_unless (strstr (err->message, bad) != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  /* back to NULL, a good location, and it works */
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  g_object_set (e, "location", good, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (h, CAPS);
  push_sequence (h);
  gst_harness_teardown (h);
  gst_object_unref (e);
  check_sequence (good);
  g_free (bad);
  g_free (good);
}

GST_END_TEST;

GST_START_TEST (test_write_error)
{
  GstElement *e;
  GstHarness *h;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  /* a full disk: every write fails */
  if (!g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    return;
  e = gst_element_factory_make ("detectionjson", NULL);
  bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  g_object_set (e, "location", "/dev/full", NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (h, CAPS);
  fail_unless_equals_int (gst_harness_push (h, new_frame (0)),
      GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_WRITE), "%s", err->message);
  fail_unless (strstr (err->message, "/dev/full") != NULL, "%s",
      err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_eos_flushes_every_line)
{
  gchar *path = tmp_path ("eos.jsonl");
  GstHarness *h = new_harness (path);
  GstEvent *ev;

  push_sequence (h);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* EOS went through, and the file is complete while still open */
  do {
    ev = gst_harness_pull_event (h);
    fail_unless (ev != NULL);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      gst_event_unref (ev);
      break;
    }
    gst_event_unref (ev);
  } while (TRUE);
  check_sequence (path);
  gst_harness_teardown (h);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_location_fixed_while_running)
{
  gchar *path = tmp_path ("fixed.jsonl");
  gchar *other = tmp_path ("other.jsonl");
  GstHarness *h = new_harness (path);
  gchar *loc;

  /* the open file keeps receiving: a new name waits for the next start */
  g_object_set (h->element, "location", other, NULL);
  g_object_get (h->element, "location", &loc, NULL);
  fail_unless_equals_string (loc, path);
  g_free (loc);
  push_sequence (h);
  gst_harness_teardown (h);
  check_sequence (path);
  fail_if (g_file_test (other, G_FILE_TEST_EXISTS));
  g_free (path);
  g_free (other);
}

GST_END_TEST;

GST_START_TEST (test_state_cycles)
{
  gchar *path = tmp_path ("cycles.jsonl");
  GstHarness *h = new_harness (path);
  gint i;

  for (i = 0; i < 5; i++) {
    GPtrArray *lines;

    fail_unless_equals_int (gst_harness_push (h, new_frame (i)), GST_FLOW_OK);
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
    /* closed: one complete line of this run */
    lines = read_lines (path);
    fail_unless_equals_int (lines->len, 1);
    check_frame_header (line_object (lines, 0), i, 0);
    g_ptr_array_unref (lines);
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
    gst_harness_set_src_caps_str (h, CAPS);
  }
  gst_harness_teardown (h);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_no_pts_no_timestamp)
{
  gchar *path = tmp_path ("nopts.jsonl");
  GstHarness *h = new_harness (path);
  GstBuffer *b = new_frame (0);
  GPtrArray *lines;

  GST_BUFFER_PTS (b) = GST_CLOCK_TIME_NONE;
  fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  gst_harness_teardown (h);
  lines = read_lines (path);
  fail_unless_equals_int (lines->len, 1);
  fail_if (json_object_has_member (line_object (lines, 0), "timestamp"));
  fail_unless (json_object_has_member (line_object (lines, 0), "objects"));
  g_ptr_array_unref (lines);
  g_free (path);
}

GST_END_TEST;

static Suite *
detectionjson_suite (void)
{
  Suite *s = suite_create ("detectionjson");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_three_frames);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_location_stdout);
  tcase_add_test (tc, test_unwritable_location);
  tcase_add_test (tc, test_write_error);
  tcase_add_test (tc, test_eos_flushes_every_line);
  tcase_add_test (tc, test_location_fixed_while_running);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_no_pts_no_timestamp);
  return s;
}

GST_CHECK_MAIN (detectionjson);
