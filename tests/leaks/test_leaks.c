/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_leaks: the whole element chain for many frames, twice in one process,
 * then gst_deinit(), so that LeakSanitizer (the ASan build of .ci/run, with
 * complete stacks and tests/leaks/lsan.supp) sees every allocation the plugin
 * made and never freed:
 *
 *   videotestsrc num-buffers=N ! video/x-raw,160x120 ! yolov7 model=M !
 *   objecttracker ! detectionoverlay ! detectionjson location=OUT ! fakesink
 *
 *   test-leaks MODEL.onnx [FRAMES] [OUT.jsonl]
 *
 * Checks here: each run reaches EOS without an error message and writes one
 * JSON line a frame.  Leaks are the sanitizer's verdict at exit. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#define DEFAULT_FRAMES 1000
#define MAX_FRAMES 1000000
#define RUNS 2

static gboolean
run_pipeline (const char *model, int frames, const char *out)
{
  GstElement *pipeline = NULL;
  GstBus *bus = NULL;
  GstMessage *msg = NULL;
  GError *error = NULL;
  gchar *desc, *text = NULL;
  gsize len = 0, lines = 0;
  gboolean ok = FALSE;

  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=ball motion=sweep ! "
      "video/x-raw,width=160,height=120 ! yolov7 model=\"%s\" ! objecttracker ! "
      "detectionoverlay ! detectionjson location=\"%s\" ! fakesink", frames, model, out);
  pipeline = gst_parse_launch (desc, &error);
  if (pipeline == NULL)
    goto parse_failed;
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    goto play_failed;
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    goto pipeline_error;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (!g_file_get_contents (out, &text, &len, &error))
    goto read_failed;
  for (gsize i = 0; i < len; i++)
    lines += text[i] == '\n';
  ok = lines == (gsize) frames;
  printf ("%s: %" G_GSIZE_FORMAT " JSON lines for %d frames\n", ok ? "ok" : "FAIL",
      lines, frames);

done:
  if (pipeline)
    gst_element_set_state (pipeline, GST_STATE_NULL);
  g_clear_pointer (&msg, gst_message_unref);
  g_clear_object (&bus);
  g_clear_object (&pipeline);
  g_clear_error (&error);
  g_free (text);
  g_free (desc);
  return ok;

parse_failed:
  printf ("FAIL: pipeline did not parse: %s\n", error->message);
  goto done;
play_failed:
  printf ("FAIL: pipeline refused PLAYING\n");
  goto done;
pipeline_error:
  gst_message_parse_error (msg, &error, NULL);
  printf ("FAIL: error from %s: %s\n", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
      error->message);
  goto done;
read_failed:
  printf ("FAIL: cannot read %s: %s\n", out, error->message);
  goto done;
}

int
main (int argc, char **argv)
{
  const char *model, *out;
  char *end = NULL;
  long frames = DEFAULT_FRAMES;
  gboolean ok = TRUE;

  if (argc < 2 || argc > 4) {
    fprintf (stderr, "usage: %s MODEL.onnx [FRAMES] [OUT.jsonl]\n", argv[0]);
    return 2;
  }
  model = argv[1];
  if (argc > 2) {
    frames = strtol (argv[2], &end, 10);
    if (*end != '\0' || frames < 1 || frames > MAX_FRAMES) {
      fprintf (stderr, "%s: FRAMES must be 1..%d\n", argv[0], MAX_FRAMES);
      return 2;
    }
  }
  out = argc > 3 ? argv[3] : "test-leaks.jsonl";

  gst_init (NULL, NULL);
  for (int i = 0; i < RUNS && ok; i++)
    ok = run_pipeline (model, (int) frames, out);
  gst_deinit ();
  return ok ? 0 : 1;
}
