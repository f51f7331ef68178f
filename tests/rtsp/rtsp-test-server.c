/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtsp-test-server.c: the camera of the RTSP resilience test, a
 * gst-rtsp-server on 127.0.0.1 serving a live test stream at /test:
 *
 *   videotestsrc is-live=true pattern=ball ! 320x240 ! x264enc ! rtph264pay
 *
 *   rtsp-test-server [--port N]
 *
 * With --port 0 (the default) the system picks a free port.  Once the server
 * listens it prints "port N" on stdout, so that the test can restart it on
 * the same port after killing it.  Each client gets a media of its own, so a
 * reconnecting client starts on a key frame.  SIGINT or SIGTERM stop it
 * cleanly; the test kills it with SIGKILL so that its clients see the
 * connection vanish without a TEARDOWN. */
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#define DEFAULT_PORT 0
#define MOUNT "/test"

/* Constrained baseline so that any H.264 decoder takes it; a key frame every
 * second, 15 frames a second to spare the CPU of a loaded test machine. */
#define LAUNCH "( videotestsrc is-live=true pattern=ball ! " \
  "video/x-raw,width=320,height=240,framerate=15/1 ! " \
  "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! " \
  "video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 )"

static gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gint port = DEFAULT_PORT;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "Port to listen on (default 0: any free one)", "PORT"},
    {NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GstRTSPServer *server;
  GstRTSPMountPoints *mounts;
  GstRTSPMediaFactory *factory;
  GMainLoop *loop;
  gchar *service;
  guint server_id;

  ctx = g_option_context_new ("- serve a live test stream over RTSP");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (port < 0 || port > 65535) {
    g_printerr ("--port must be 0-65535\n");
    return 2;
  }

  server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (server, "127.0.0.1");
  service = g_strdup_printf ("%d", port);
  gst_rtsp_server_set_service (server, service);
  g_free (service);

  factory = gst_rtsp_media_factory_new ();
  gst_rtsp_media_factory_set_launch (factory, LAUNCH);
  mounts = gst_rtsp_server_get_mount_points (server);
  gst_rtsp_mount_points_add_factory (mounts, MOUNT, factory);
  g_object_unref (mounts);

  server_id = gst_rtsp_server_attach (server, NULL);
  if (server_id == 0) {
    g_printerr ("cannot listen on 127.0.0.1 port %d\n", port);
    g_object_unref (server);
    return 1;
  }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  /* the test reads this line to know the server is up, and on which port */
  printf ("port %d\n", gst_rtsp_server_get_bound_port (server));
  fflush (stdout);
  g_main_loop_run (loop);

  g_source_remove (server_id);
  g_main_loop_unref (loop);
  g_object_unref (server);
  gst_rtsp_thread_pool_cleanup ();
  return 0;
}
