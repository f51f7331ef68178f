#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run one group of cameras in one gst-launch-1.0 process, publishing each
camera's detections to MQTT, and restart the process when it exits.

  camera-group.py [options] CAMERA_LIST

CAMERA_LIST has one camera a line, its name and its URI, separated by
white space; '#' starts a comment, blank lines are ignored:

  # front of building 2
  door-north   rtsp://10.0.4.21/stream1
  loading-bay  rtsp://user:pw@10.0.4.22/h264
  test-clip    /srv/clips/test.mp4          # a path: played from the file

A name is letters, digits, '-', '_' and '.'; each name once.  Every camera
becomes one branch of the pipeline:

  uridecodebin uri=URI ! videoconvert ! yolov7 model=MODEL [DETECTOR_OPTIONS] !
      objecttracker ! detectionjson mqtt-uri=mqtt://BROKER/SITE/NAME/detections
      mqtt-client-id=SITE-NAME [location=JSON_DIR/NAME.jsonl] ! fakesink

so one process holds one model for the whole group (elements naming the
same model file share it).  When gst-launch-1.0 exits (a camera error ends
the whole group's pipeline, and so does EOS of a file), it is started again
after 1 s, the delay doubling up to --max-restart-delay; a run that lasted
a minute resets it.  SIGTERM or SIGINT sends EOS (gst-launch-1.0 -e), so
queued MQTT messages go out, then stops.

--dry-run checks the list and prints the gst-launch-1.0 command line.
Options default to the environment (for a systemd EnvironmentFile):
YOLOV7_MODEL, MQTT_BROKER (host[:port]), YOLOV7_SITE, YOLOV7_DETECTOR_OPTIONS,
YOLOV7_JSON_DIR.  Exit status: 0 after a signal, 2 for a bad list or option.
"""
import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import time

NAME_RE = re.compile(r'^[A-Za-z0-9._-]+$')
URI_RE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://\S+$')
MIN_DELAY_S = 1.0
STABLE_RUN_S = 60.0
STOP_TIMEOUT_S = 15.0


class ListError(Exception):
    pass


def parse_camera_list(path):
    """[(name, uri)] of the list; ListError('FILE:LINE: why') on a bad line."""
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ListError('%s: cannot read the camera list: %s' % (path, e))
    base = os.path.dirname(os.path.abspath(path))
    cameras, first_line = [], {}
    for n, raw in enumerate(text.splitlines(), 1):
        fields = raw.split('#', 1)[0].split()
        if not fields:
            continue
        where = '%s:%d' % (path, n)
        if len(fields) != 2:
            raise ListError('%s: expected "NAME URI", got %d field(s): %s'
                            % (where, len(fields), raw.strip()))
        name, uri = fields
        if not NAME_RE.match(name):
            raise ListError('%s: bad camera name "%s": use letters, digits, '
                            '"-", "_" and "."' % (where, name))
        if name in first_line:
            raise ListError('%s: camera "%s" is already on line %d'
                            % (where, name, first_line[name]))
        if '://' not in uri:
            file_path = os.path.join(base, uri)
            if not os.path.isfile(file_path):
                raise ListError('%s: "%s" is neither a URI nor an existing '
                                'file' % (where, uri))
            uri = 'file://' + os.path.abspath(file_path)
        elif not URI_RE.match(uri) or '"' in uri:
            raise ListError('%s: bad URI "%s"' % (where, uri))
        first_line[name] = n
        cameras.append((name, uri))
    if not cameras:
        raise ListError('%s: no cameras in the list' % path)
    return cameras


def check_options(args):
    if not args.model:
        raise ListError('no model: give --model or set YOLOV7_MODEL')
    if not args.broker or not re.match(r'^[A-Za-z0-9.:\[\]-]+$', args.broker):
        raise ListError('bad or missing broker "%s": give --broker HOST[:PORT] '
                        'or set MQTT_BROKER' % (args.broker or ''))
    if not args.site or not re.match(r'^[A-Za-z0-9._-]+$', args.site):
        raise ListError('bad or missing site "%s": letters, digits, "-", "_" '
                        'and "."' % (args.site or ''))


def pipeline_args(cameras, args):
    """The gst-launch-1.0 arguments of the group: one branch a camera."""
    out = []
    detector = shlex.split(args.detector_options or '')
    for name, uri in cameras:
        sink = ['detectionjson', 'name=json-%s' % name,
                'mqtt-uri=mqtt://%s/%s/%s/detections' % (args.broker, args.site, name),
                'mqtt-client-id=%s-%s' % (args.site, name)]
        if args.json_dir:
            sink.append('location="%s"' % os.path.join(args.json_dir, name + '.jsonl'))
        out += (['uridecodebin', 'uri="%s"' % uri, '!', 'videoconvert', '!',
                 'yolov7', 'model="%s"' % args.model] + detector
                + ['!', 'objecttracker', '!'] + sink
                + ['!', 'fakesink', 'sync=false'])
    return out


def log(msg):
    print('camera-group: %s' % msg, file=sys.stderr, flush=True)


def run(command, max_delay):
    stopping = []
    child = [None]

    def on_signal(signum, frame):
        stopping.append(signum)
        if child[0] and child[0].poll() is None:
            child[0].send_signal(signal.SIGINT)   # -e: EOS first, then exit

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    delay = MIN_DELAY_S
    while not stopping:
        started = time.monotonic()
        child[0] = subprocess.Popen(command)
        log('started gst-launch-1.0 (pid %d)' % child[0].pid)
        while True:
            try:
                rc = child[0].wait(timeout=STOP_TIMEOUT_S if stopping else None)
                break
            except subprocess.TimeoutExpired:
                log('gst-launch-1.0 did not stop within %d s: killing it'
                    % STOP_TIMEOUT_S)
                child[0].kill()
        if stopping:
            break
        lasted = time.monotonic() - started
        if lasted >= STABLE_RUN_S:
            delay = MIN_DELAY_S
        log('gst-launch-1.0 exited with status %d after %.1f s; restarting in '
            '%.1f s' % (rc, lasted, delay))
        end = time.monotonic() + delay
        while not stopping and time.monotonic() < end:
            time.sleep(0.1)
        delay = min(delay * 2, max_delay)
    log('stopped')
    return 0


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(
        description='One gst-launch-1.0 process for a group of cameras, '
        'detections to MQTT, restarted when it exits.')
    ap.add_argument('camera_list')
    ap.add_argument('--model', default=env('YOLOV7_MODEL'))
    ap.add_argument('--broker', default=env('MQTT_BROKER', '127.0.0.1'),
                    help='HOST[:PORT] of the MQTT broker (1883)')
    ap.add_argument('--site', default=env('YOLOV7_SITE', 'site'),
                    help='first level of the topics: SITE/CAMERA/detections')
    ap.add_argument('--detector-options', default=env('YOLOV7_DETECTOR_OPTIONS', ''),
                    help='more yolov7 properties, e.g. "conf-threshold=0.4 drop-when-busy=true"')
    ap.add_argument('--json-dir', default=env('YOLOV7_JSON_DIR'),
                    help='also write DIR/CAMERA.jsonl')
    ap.add_argument('--max-restart-delay', type=float, default=60.0)
    ap.add_argument('--gst-launch', default='gst-launch-1.0')
    ap.add_argument('--dry-run', action='store_true',
                    help='check the list, print the command line and exit')
    args = ap.parse_args()
    try:
        check_options(args)
        cameras = parse_camera_list(args.camera_list)
    except ListError as e:
        print('camera-group: %s' % e, file=sys.stderr)
        return 2
    command = [args.gst_launch, '-e'] + pipeline_args(cameras, args)
    if args.dry_run:
        print(' '.join(shlex.quote(a) for a in command))
        return 0
    log('%d camera(s) from %s' % (len(cameras), args.camera_list))
    return run(command, max(args.max_restart_delay, MIN_DELAY_S))


if __name__ == '__main__':
    sys.exit(main())
