#!/usr/bin/python3
"""Writes the fuzz seed corpus (tests/Fuzz/corpus/<target>/): small valid inputs of every format a target reads.
Run with Debian's python (needs PIL and numpy): /usr/bin/python3 tests/Fuzz/make-corpus.py
Mask and model seeds start with the selector byte the target reads first (see FuzzTargets.cs). Seeds named
refused-* are inputs the product must refuse with a clear error; every other seed must be accepted."""
import io, json, os, shutil
import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
out = os.path.join(here, "corpus")

def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def encode(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()

rng = np.random.default_rng(8)
rgb = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), "RGB")
rgba = Image.fromarray(rng.integers(0, 256, (10, 9, 4), dtype=np.uint8), "RGBA")
gray = Image.fromarray((np.arange(64, dtype=np.uint8).reshape(8, 8) * 4), "L")
gray16 = Image.fromarray((np.arange(48, dtype=np.uint16).reshape(6, 8) * 1000), "I;16")
pal = rgb.convert("P", palette=Image.ADAPTIVE, colors=8)
mask = Image.fromarray(((np.indices((9, 11)).sum(0) % 5) > 1).astype(np.uint8) * 255, "L")

shutil.rmtree(out, ignore_errors=True)

# image: PNG (gray, RGBA, palette, 16-bit), JPEG (baseline, progressive, grey), BMP (24 and 32-bit)
put("image", "gray.png", encode(gray, "PNG"))
put("image", "rgba.png", encode(rgba, "PNG"))
put("image", "palette.png", encode(pal, "PNG"))
put("image", "gray16.png", encode(gray16, "PNG"))
put("image", "rgb.png", encode(rgb, "PNG"))
put("image", "baseline.jpg", encode(rgb, "JPEG", quality=80))
put("image", "progressive.jpg", encode(rgb, "JPEG", quality=70, progressive=True))
put("image", "gray.jpg", encode(gray, "JPEG", quality=90))
put("image", "subsampled.jpg", encode(rgb.resize((17, 13)), "JPEG", quality=60, subsampling=2))
put("image", "rgb24.bmp", encode(rgb, "BMP"))
put("image", "rgba32.bmp", encode(rgba, "BMP"))
put("image", "palette8.bmp", encode(pal, "BMP"))

# mask: selector 0/1/2 = PNG (soft, alpha, grey), 3 = COCO RLE JSON, 4 = .npy logits, 5 = polygon JSON
put("mask", "soft-gray.png", b"\x00" + encode(gray, "PNG"))
put("mask", "alpha-rgba.png", b"\x01" + encode(rgba, "PNG"))
put("mask", "hard-gray.png", b"\x02" + encode(mask, "PNG"))
put("mask", "palette-trns.png", b"\x00" + encode(pal, "PNG", transparency=0))
m = np.array(mask) > 0
def runs(m):
    flat = m.T.reshape(-1)  # column-major
    counts, cur, n = [], False, 0
    for v in flat:
        if v != cur:
            counts.append(n); n = 0; cur = v
        n += 1
    counts.append(n)
    return counts
def compress(counts):
    s = []
    for i, x in enumerate(counts):
        if i > 2: x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1f
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more: c |= 0x20
            s.append(chr(c + 48))
    return "".join(s)
c = runs(m)
put("mask", "counts.rle.json", b"\x03" + json.dumps({"size": [9, 11], "counts": c}).encode())
put("mask", "compressed.rle.json", b"\x03" + json.dumps({"size": [9, 11], "counts": compress(c)}).encode())
def npy(a, version=1):
    b = io.BytesIO()
    np.lib.format.write_array(b, a, version=(version, 0))
    return b.getvalue()
put("mask", "logits-f4.npy", b"\x04" + npy(rng.standard_normal((6, 7)).astype("<f4")))
put("mask", "logits-1x1xhxw.npy", b"\x04" + npy(rng.standard_normal((1, 1, 4, 5)).astype("<f4")))
put("mask", "logits-v2.npy", b"\x04" + npy(rng.standard_normal((3, 3)).astype("<f4"), version=2))
put("mask", "refused-logits-f8.npy", b"\x04" + npy(rng.standard_normal((3, 4)).astype("<f8")))
poly = {"width": 12, "height": 10, "polygons": [
    {"outer": [[1, 1], [10, 1], [10, 8], [1, 8]], "holes": [[[3, 3], [3, 6], [6, 6], [6, 3]]]},
    {"outer": [[0.5, 9], [4.25, 9.5], [2, 7.5]], "holes": []}]}
put("mask", "polygons.json", b"\x05" + json.dumps(poly).encode())

# model: selector 0 = manifest JSON, 1 = ONNX file check
manifest = json.load(open(os.path.join(root, "models", "models.json")))
put("model", "manifest-full.json", b"\x00" + json.dumps(manifest, indent=1).encode())
put("model", "manifest-one.json", b"\x00" + json.dumps({"schema": 1, "default": manifest["models"][0]["id"], "models": manifest["models"][:1]}).encode())
put("model", "manifest-user.json", b"\x00" + json.dumps({"schema": 1, "models": [{"id": "mine", "family": "sam", "source": {"kind": "user"},
    "files": [{"role": "encoder", "file": "enc.onnx", "inputs": [{"name": "image", "shape": [1, 3, "h", "w"], "type": "float32"}]},
              {"role": "decoder", "file": "dec.onnx", "multimask_outputs": {"scores": "s", "masks": "m"}}]}]}).encode())
models = os.path.join(root, "tests", "fixtures", "models")
for f in ["clip_image_tiny.onnx", "clip_text_tiny.onnx", "sam_decoder_single.onnx"]:
    put("model", f, b"\x01" + open(os.path.join(models, f), "rb").read())
# The check reads only headers, so the first bytes of a larger model make a useful (truncated) seed too.
put("model", "refused-encoder-head.onnx", b"\x01" + open(os.path.join(models, "sam_encoder_preprocess.onnx"), "rb").read()[:2048])

# sidecar: the refine-with-points recipe's per-image prompts
put("sidecar", "box-points.points.json", b'{ "box": [2, 2, 10, 8], "points": [[20, 20, 1], [3, 3, 0]] }')
put("sidecar", "box.points.json", b'{"box":[0.5,1e1,30.25,40]}')
put("sidecar", "points.points.json", b'{\n  // clicks only\n  "points": [[1, 2, 1], [3.5, 4, 0], [5, 6, 1]]\n}\n')
put("sidecar", "empty.points.json", b"{}")
