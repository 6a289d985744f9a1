# job-run's, proof-check's and gpu-bench's driver of Blender (kind_render.h),
# run inside the sandbox as
#   blender -b --factory-startup /in/scene.blend --python /in/driver.py -- ARGS
# ARGS is one JSON object: device, seed, samples, threads, width, height and
# renders, a list of {frame, out, border?, samples?, percent?}; border is
# [x0, y0, x1, y1] in pixels, y from the bottom, x1 and y1 exclusive;
# samples, when given, overrides ARGS' for that render, and percent scales
# its width and height (gpu-bench times two counts and two sizes in one
# run; never with a border). It writes each render's PNG and /out/blender.json (version,
# backends, render seconds in all and each render's).
import json
import sys
import time

import bpy

args = json.loads(sys.argv[sys.argv.index("--") + 1])
scene = bpy.context.scene
r = scene.render
c = scene.cycles

# The Cycles device backends this Blender has, with a device present.
prefs = bpy.context.preferences.addons["cycles"].preferences
backends = ["cpu"]
for backend in ("CUDA", "OPTIX", "HIP", "ONEAPI", "METAL"):
    try:
        prefs.compute_device_type = backend
        prefs.get_devices()
        if any(d.type == backend for d in prefs.devices):
            backends.append(backend.lower())
    except TypeError:
        pass

info = {"version": bpy.app.version_string, "backends": backends, "render_seconds": 0.0, "render_times": []}
device = args["device"]
if device not in backends:
    json.dump(info, open("/out/blender.json", "w"))
    print("gridutils: this Blender has no %s device" % device, file=sys.stderr)
    sys.exit(3)
if device == "cpu":
    c.device = "CPU"
else:
    prefs.compute_device_type = device.upper()
    prefs.get_devices()
    for d in prefs.devices:
        d.use = d.type == device.upper()
    c.device = "GPU"

r.engine = "CYCLES"
# Pixels must depend on the seed alone: no per-frame seed, no adaptive
# stopping, no denoiser, no dither (it differs between a crop and the full
# frame), and a fixed thread count (Cycles' pixels do not depend on it,
# but the provider's core count must not leak into a run's parameters).
c.seed = args["seed"]
c.use_animated_seed = False
c.use_adaptive_sampling = False
c.use_denoising = False
r.dither_intensity = 0.0
r.threads_mode = "FIXED"
r.threads = args["threads"]
r.resolution_x, r.resolution_y = args["width"], args["height"]
r.resolution_percentage = 100
r.use_stamp = False
r.use_persistent_data = False
r.use_compositing = False
r.use_sequencer = False
r.image_settings.file_format = "PNG"
r.image_settings.color_mode = "RGBA"
r.image_settings.color_depth = "8"


def edge(p, size):
    # Blender truncates border * size to a pixel; the middle of pixel p
    # lands on p whatever the float rounding.
    return 1.0 if p >= size else (p + 0.5) / size


started = time.monotonic()
for job in args["renders"]:
    began = time.monotonic()
    scene.frame_set(job["frame"])
    border = job.get("border")
    r.use_border = border is not None
    r.use_crop_to_border = border is not None
    if border:
        r.border_min_x = edge(border[0], args["width"])
        r.border_min_y = edge(border[1], args["height"])
        r.border_max_x = edge(border[2], args["width"])
        r.border_max_y = edge(border[3], args["height"])
    r.resolution_percentage = job.get("percent", 100)
    r.filepath = job["out"]
    c.samples = job.get("samples", args["samples"])
    bpy.ops.render.render(write_still=True)
    info["render_times"].append(time.monotonic() - began)
info["render_seconds"] = time.monotonic() - started
json.dump(info, open("/out/blender.json", "w"))
