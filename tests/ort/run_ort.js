// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Reference runner: node tests/ort/run_ort.js MODEL.onnx INPUT.npy OUTDIR
//
// Runs MODEL with onnxruntime-node on the CPU on the one tensor in INPUT.npy (fed to the
// model's first input) and writes every output as OUTDIR/<name>.npy, '/' and ':' in the
// name replaced by '_' (the same rule as yolov7-infer).  Float outputs are written as
// float32, int64 outputs as int64.  One thread, sequential execution: the reference must
// not change from run to run.
//
// onnxruntime-node is resolved from tests/node_modules; install it with
//   cd tests && npm install --ignore-scripts --no-save onnxruntime-node
// (--ignore-scripts skips the GPU download; the CPU binary ships inside the package).

'use strict';

const fs = require('fs');
const path = require('path');

function loadOrt() {
  // Look next to this script first so the runner works from any working directory.
  const candidates = [path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'),
                      'onnxruntime-node'];
  for (const c of candidates) {
    try {
      return require(c);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  throw new Error('onnxruntime-node not found; run: cd tests && ' +
                  'npm install --ignore-scripts --no-save onnxruntime-node');
}

// ---- .npy (format versions 1, 2 and 3; little-endian, C order) -------------------------

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(NPY_MAGIC))
    throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    hlen = buf.readUInt32LE(8);
    hstart = 12;
  } else {
    throw new Error(`${file}: unsupported .npy version ${major}`);
  }
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) throw new Error(`${file}: bad .npy header ${header}`);
  if (fortran[1] !== 'False') throw new Error(`${file}: Fortran-order arrays are not supported`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length)
    .map((s) => parseInt(s, 10));
  const count = shape.reduce((a, b) => a * b, 1);
  const off = hstart + hlen;
  // Copy into a fresh, aligned buffer: the payload offset need not be a multiple of 8.
  const types = {
    '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
    '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
    '|u1': ['uint8', Uint8Array], '<u1': ['uint8', Uint8Array],
  };
  const t = types[descr[1]];
  if (!t) throw new Error(`${file}: unsupported dtype ${descr[1]}`);
  const bytes = count * t[1].BYTES_PER_ELEMENT;
  if (buf.length < off + bytes) throw new Error(`${file}: truncated`);
  const ab = new ArrayBuffer(bytes);
  new Uint8Array(ab).set(buf.subarray(off, off + bytes));
  return { type: t[0], data: new t[1](ab), shape };
}

function writeNpy(file, descr, shape, bytes) {
  const shp = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shp}, }`;
  // Pad so that the payload starts on a 64-byte boundary, as numpy does.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  NPY_MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
                                        Buffer.from(bytes.buffer, bytes.byteOffset,
                                                    bytes.byteLength)]));
}

function sanitise(name) {
  return name.replace(/[/:]/g, '_');
}

// ---- main ------------------------------------------------------------------------------

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 3) {
    process.stderr.write('usage: node run_ort.js MODEL.onnx INPUT.npy OUTDIR\n');
    process.exit(2);
  }
  const [modelPath, inputPath, outDir] = args;
  const ort = loadOrt();
  const input = readNpy(inputPath);
  let feed = input;
  if (input.type === 'float64') {
    feed = { type: 'float32', data: Float32Array.from(input.data), shape: input.shape };
  }
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Default level ('all'): ORT's fused kernels stay within float rounding of the plain
    // arithmetic for these graphs, and the comparison tolerance absorbs that.
    graphOptimizationLevel: process.env.ORT_OPT_LEVEL || 'all',
    enableCpuMemArena: true,
  });
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor(feed.type, feed.data, feed.shape);
  const t0 = process.hrtime.bigint();
  const results = await session.run(feeds);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of session.outputNames) {
    const t = results[name];
    const file = path.join(outDir, sanitise(name) + '.npy');
    if (t.type === 'float32') {
      writeNpy(file, '<f4', t.dims, t.data);
    } else if (t.type === 'int64') {
      writeNpy(file, '<i8', t.dims, t.data);
    } else if (t.type === 'float64') {
      writeNpy(file, '<f4', t.dims, Float32Array.from(t.data));
    } else if (t.type === 'int32') {
      writeNpy(file, '<i8', t.dims, BigInt64Array.from(t.data, (v) => BigInt(v)));
    } else {
      throw new Error(`output ${name}: unsupported type ${t.type}`);
    }
    process.stdout.write(`${name} ${t.type} [${t.dims.join(',')}]\n`);
  }
  process.stdout.write(`run_ms ${ms.toFixed(1)}\n`);
}

module.exports = { loadOrt };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`run_ort: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
}
