#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Several camera streams in one process: shared and batched vs one model each.

    /usr/bin/python3 bench/multistream.py [--streams 4] [--frames 150] [--size 416]
                                          [--rounds 3] [--batch-timeout-ms 50] [--mqtt]

Makes a 1280x720 25 fps H.264 clip (FRAMES frames) and runs, with gst-launch-1.0,
one pipeline of STREAMS branches

    filesrc ! decodebin ! queue ! yolov7 model=M ... ! fakesink sync=false

(each branch decoding its own copy of the clip; the queue lets a branch decode its
next frame while its last one is in inference) in three configurations:

  unshared          every element has a model-instance-id of its own: STREAMS loads
  shared            one loaded model, batch-size 1: frames run one at a time
  shared+batched    one loaded model exported with a dynamic batch dim,
                    batch-size STREAMS: the streams' frames run together

Printed per configuration: total frames per second over all streams (the median
over ROUNDS rounds, the configurations taking turns in each round, the order
flipping each round so that drift in the machine's speed hits all alike), from
gst-launch's own PLAYING-to-EOS time (model loading is not counted), and the
process's peak resident set (the largest over the rounds).  With --mqtt, the shared
configuration also runs with `detectionjson location=FILE` after each yolov7, without
and with `mqtt-uri` to a local mosquitto broker (a mosquitto_sub counts what arrives).  The models are
yolov7-tiny at SIZE from tests/models/make_yolov7.py: random weights, for timing
only; they detect nothing meaningful.

Nothing here is a test: timings depend on the machine and on whatever else runs on it.
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, model_path, spawn  # noqa: E402


def dynamic_model(size):
    p = os.path.join(ROOT, 'bench', 'models', 'tiny-%d-dyn.onnx' % size)
    if not os.path.exists(p):
        subprocess.run(['/usr/bin/python3', os.path.join(ROOT, 'tests', 'models', 'make_yolov7.py'),
                        '--variant', 'tiny', '--form', 'grid', '--img', str(size),
                        '--dynamic-batch', '-o', p + '.tmp'], check=True,
                       stdout=subprocess.DEVNULL)
        os.replace(p + '.tmp', p)
    return p


def clip_720p(frames):
    p = os.path.join(ROOT, 'bench', 'models', 'clip-720p-%d.mp4' % frames)
    if not os.path.exists(p):
        subprocess.run(['gst-launch-1.0', '-q', 'videotestsrc', 'pattern=ball', 'motion=sweep',
                        'num-buffers=%d' % frames, '!',
                        'video/x-raw,width=1280,height=720,framerate=25/1', '!', 'videoconvert',
                        '!', 'x264enc', 'speed-preset=veryfast', 'key-int-max=50', '!',
                        'video/x-h264,profile=high', '!', 'mp4mux', '!', 'filesink', 'location=' + p + '.tmp'], check=True)
        os.replace(p + '.tmp', p)
    return p


def run(clip, streams, element_args, tail=lambda k: []):
    """element_args(k) -> yolov7 properties of branch k, tail(k) -> elements after it;
    returns (seconds, peak MiB)."""
    cmd = ['gst-launch-1.0']
    for k in range(streams):
        cmd += ['filesrc', 'location=' + clip, '!', 'decodebin', '!', 'queue', '!', 'yolov7'] + \
            element_args(k) + tail(k) + ['!', 'fakesink', 'sync=false']
    env = dict(os.environ)
    build = os.environ.get('YOLOV7_BUILD', os.path.join(ROOT, 'build'))
    env['GST_PLUGIN_PATH'] = os.path.join(build, 'gst-plugin')
    out, rss = spawn(cmd, env)
    m = re.search(r'Execution ended after (\d+):(\d+):([\d.]+)', out)
    if not m:
        sys.exit('multistream: no execution time in gst-launch output:\n' + out[-2000:])
    secs = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    return secs, rss


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def mqtt_overhead(a, clip, fixed):
    """Shared elements writing JSON to files, without and with MQTT to a local broker;
    every message must reach a subscriber."""
    port = free_port()
    work = tempfile.mkdtemp(prefix='yolov7-ms-')
    conf = os.path.join(work, 'mosquitto.conf')
    with open(conf, 'w') as f:
        f.write('listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n' % port)
    broker = subprocess.Popen(['mosquitto', '-c', conf], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    received = os.path.join(work, 'received.txt')
    time.sleep(0.5)
    sub = subprocess.Popen(['mosquitto_sub', '-h', '127.0.0.1', '-p', str(port), '-q', '1',
                            '-t', 'bench/#', '-v'], stdout=open(received, 'w'))
    time.sleep(0.5)
    yolov7 = lambda k: ['model=' + fixed]  # noqa: E731
    configs = [
        ('JSON to files', lambda k: ['!', 'detectionjson',
                                     'location=%s/cam%d.jsonl' % (work, k)]),
        ('JSON to files + MQTT', lambda k: ['!', 'detectionjson',
                                            'location=%s/cam%d.jsonl' % (work, k),
                                            'mqtt-uri=mqtt://127.0.0.1:%d/bench/cam%d/detections'
                                            % (port, k)]),
    ]
    fps = {name: [] for name, _ in configs}
    sent = 0
    try:
        for r in range(a.rounds):
            order = configs if r % 2 == 0 else configs[::-1]
            for name, tail in order:
                secs, _ = run(clip, a.streams, yolov7, tail)
                fps[name].append(a.streams * a.frames / secs)
                if 'MQTT' in name:
                    sent += a.streams * a.frames
                print('round %d %-22s %6.1f fps' % (r + 1, name, fps[name][-1]), file=sys.stderr)
        time.sleep(1.0)
    finally:
        sub.terminate()
        sub.wait()
        broker.terminate()
        broker.wait()
    with open(received) as f:
        lines = f.read().splitlines()
    got = len(lines)
    shutil.rmtree(work)
    print()
    print('| shared elements, then | total fps (median) | MQTT messages received / sent |')
    print('|---|---|---|')
    for name, _ in configs:
        print('| %s | %.1f | %s |' % (name, statistics.median(fps[name]),
                                      '%d / %d' % (got, sent) if 'MQTT' in name else '-'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--streams', type=int, default=4)
    ap.add_argument('--frames', type=int, default=150)
    ap.add_argument('--size', type=int, default=416)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--batch-timeout-ms', type=int, default=50)
    ap.add_argument('--mqtt', action='store_true',
                    help='also time detectionjson with and without mqtt-uri (needs mosquitto)')
    a = ap.parse_args()

    fixed = model_path('tiny', a.size, 1)
    dyn = dynamic_model(a.size)
    clip = clip_720p(a.frames)
    configs = [
        ('unshared', lambda k: ['model=' + fixed, 'model-instance-id=own%d' % k]),
        ('shared', lambda k: ['model=' + fixed]),
        ('shared+batched', lambda k: ['model=' + dyn, 'batch-size=%d' % a.streams,
                                      'batch-timeout-ms=%d' % a.batch_timeout_ms]),
    ]
    fps = {name: [] for name, _ in configs}
    rss = {name: 0.0 for name, _ in configs}
    for r in range(a.rounds):
        order = configs if r % 2 == 0 else configs[::-1]
        for name, args in order:
            secs, peak = run(clip, a.streams, args)
            fps[name].append(a.streams * a.frames / secs)
            rss[name] = max(rss[name], peak)
            print('round %d %-15s %6.1f fps  %6.1f MiB' % (r + 1, name, fps[name][-1], peak),
                  file=sys.stderr)

    print('%d streams of 1280x720 H.264 (%d frames each), yolov7-tiny %d, %d rounds, '
          '%d cores' % (a.streams, a.frames, a.size, a.rounds, os.cpu_count()))
    print()
    print('| configuration | loads | total fps (median) | per stream | peak RSS MiB |')
    print('|---|---|---|---|---|')
    for name, _ in configs:
        f = statistics.median(fps[name])
        print('| %s | %d | %.1f | %.1f | %.0f |' % (
            name, a.streams if name == 'unshared' else 1, f, f / a.streams, rss[name]))
    if a.mqtt:
        mqtt_overhead(a, clip, fixed)


if __name__ == '__main__':
    main()
