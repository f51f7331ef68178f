/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sharedengine.h: one loaded YOLOv7 engine shared by the yolov7 elements of
 * a process, with a thread of its own that runs their frames in batches.
 *
 * Elements that ask for the same model file, device, weight precision and
 * batch settings (or the same model-instance-id) get the same instance:
 * one load, one device copy of the weights.  Each element joins as a user;
 * gst_shared_engine_infer() queues its frame and waits; the instance's
 * thread takes up to batch-size queued frames (waiting at most
 * batch-timeout-ms for the users that have not queued one yet; a user that
 * let a batch time out is not waited for again until its next frame), runs them
 * in one submission, or as consecutive ones on a model whose batch dim is
 * fixed, and hands each user its own detections.  The instance goes when
 * its last user leaves. */
#ifndef GST_SHARED_ENGINE_H
#define GST_SHARED_ENGINE_H

#include <gst/gst.h>
#include <yolov7/yolov7.h>

G_BEGIN_DECLS

typedef struct _GstSharedEngine GstSharedEngine;
typedef struct _GstSharedEngineUser GstSharedEngineUser;

typedef struct
{
  const gchar *model;           /* file path */
  const gchar *device;
  gboolean fp16_weights;
  guint batch_size;             /* 1-64 frames a run */
  guint batch_timeout_ms;       /* longest wait for stragglers */
  const gchar *instance_id;     /* NULL or "": shared by the settings above */
} GstSharedEngineConfig;

/* Why gst_shared_engine_join failed. */
typedef enum
{
  GST_SHARED_ENGINE_LOAD_FAILED,        /* err: yv7_engine_load's */
  GST_SHARED_ENGINE_NOT_DETECTOR,       /* not a YOLOv7 detector export */
  GST_SHARED_ENGINE_WARM_UP_FAILED,     /* err: the test inference's */
  GST_SHARED_ENGINE_CONFLICT,   /* instance id in use with other settings */
} GstSharedEngineFailure;

GstSharedEngineUser *gst_shared_engine_join (const GstSharedEngineConfig * cfg,
    GstObject * owner, GstSharedEngineFailure * failure, yv7_error * err);
void gst_shared_engine_leave (GstSharedEngineUser * user);

/* Runs the model on one frame among the frames of the other users; the
 * frame's memory must stay readable until this returns.  *dets (free with
 * g_free) holds *n detections in the frame's pixels. */
yv7_status gst_shared_engine_infer (GstSharedEngineUser * user,
    const yv7_frame * frame, const yv7_detect_params * params,
    yv7_detection ** dets, gint * n, yv7_error * err);

/* The user expects no frames for now (end of stream): batches stop waiting
 * for it until its next frame. */
void gst_shared_engine_idle (GstSharedEngineUser * user);

gint gst_shared_engine_num_classes (GstSharedEngineUser * user);
const gchar *gst_shared_engine_device_name (GstSharedEngineUser * user);
/* Time of one run at load (the warm-up's second run). */
GstClockTime gst_shared_engine_run_time (GstSharedEngineUser * user);
/* Elements using the same instance as this one, itself included. */
guint gst_shared_engine_n_users (GstSharedEngineUser * user);

G_END_DECLS
#endif /* GST_SHARED_ENGINE_H */
