#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Long-run memory check (a benchmark-style check, not a timed test).

    /usr/bin/python3 bench/soak.py [--frames 10000] [--model M.onnx] [--size 320]

Runs

    videotestsrc pattern=ball num-buffers=FRAMES ! video/x-raw,640x480 ! yolov7 model=M !
    objecttracker ! detectionoverlay ! detectionjson location=OUT ! fakesink

with gst-launch-1.0 and samples the process's resident set (VmRSS in
/proc/PID/status) while counting the JSON Lines that detectionjson writes
(one flushed line a frame).  The model defaults to yolov7-tiny at 320 from
tests/models/make_yolov7.py (full size, random weights: it detects nothing
meaningful, but every frame goes through inference, NMS, the tracker, the
overlay and the JSON writer).  Fails when the resident set at the last frame
(any sample between frame 1000 and the last frame) is more than 5% above the
one at frame 1000 (after warm-up: program build, pools, the tracker's first
tracks), or when the pipeline does not write one line a frame.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, model_path  # noqa: E402

WARM_FRAMES = 1000
TOLERANCE = 0.05
SAMPLE_S = 0.2


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--frames', type=int, default=10000)
    ap.add_argument('--model')
    ap.add_argument('--size', type=int, default=320, help='input size of the default model')
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--out', default='/tmp/yolov7-soak.jsonl')
    args = ap.parse_args()
    if args.frames <= WARM_FRAMES:
        ap.error('--frames must be over %d' % WARM_FRAMES)
    model = args.model or model_path('tiny', args.size, 1)
    env = dict(os.environ)
    env['GST_PLUGIN_PATH'] = os.path.join(args.build, 'gst-plugin')
    if os.path.exists(args.out):
        os.unlink(args.out)
    cmd = ['gst-launch-1.0', '-q', 'videotestsrc', 'pattern=ball', 'motion=sweep',
           'num-buffers=%d' % args.frames, '!', 'video/x-raw,width=640,height=480', '!',
           'yolov7', 'model=' + model, '!', 'objecttracker', '!', 'detectionoverlay', '!',
           'detectionjson', 'location=' + args.out, '!', 'fakesink']
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env)
    lines = 0
    pos = 0
    samples = []          # (frames written, RSS KiB)
    while proc.poll() is None:
        time.sleep(SAMPLE_S)
        if os.path.exists(args.out):
            with open(args.out, 'rb') as f:
                f.seek(pos)
                chunk = f.read()
            pos += len(chunk)
            lines += chunk.count(b'\n')
        try:
            r = rss_kib(proc.pid)
        except OSError:
            break
        if r is not None:
            samples.append((lines, r))
    rc = proc.wait()
    wall = time.monotonic() - t0
    with open(args.out, 'rb') as f:
        lines = f.read().count(b'\n')
    if rc != 0:
        print('soak: gst-launch-1.0 exited with %d' % rc)
        return 1
    if lines != args.frames:
        print('soak: %d JSON lines for %d frames' % (lines, args.frames))
        return 1
    # after warm-up, and before the last frame (then the pipeline tears down)
    warm = [s for s in samples if WARM_FRAMES <= s[0] < args.frames]
    if len(warm) < 2:
        print('soak: too few samples after frame %d' % WARM_FRAMES)
        return 1
    base = warm[0][1]
    last = warm[-1]
    peak = max(warm, key=lambda s: s[1])
    print('soak: %d frames in %.0f s (%.1f fps), model %s' % (
        args.frames, wall, args.frames / wall, os.path.basename(model)))
    print('soak: RSS at frame %d: %.1f MiB; at frame %d (last sample): %.1f MiB (%+.2f%%); '
          'peak after frame %d: %.1f MiB at frame %d (%+.2f%%); %d samples' % (
              warm[0][0], base / 1024, last[0], last[1] / 1024, 100.0 * (last[1] - base) / base,
              WARM_FRAMES, peak[1] / 1024, peak[0], 100.0 * (peak[1] - base) / base, len(samples)))
    if peak[1] > base * (1 + TOLERANCE):
        print('soak: FAIL: resident set grew by more than %d%%' % (TOLERANCE * 100))
        return 1
    print('soak: OK: resident set flat within %d%%' % (TOLERANCE * 100))
    return 0


if __name__ == '__main__':
    sys.exit(main())
