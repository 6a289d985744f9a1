# Builds the render examples' and tests' scene: a few objects with
# materials, two lights, and a camera that moves across 48 frames, saved
# as a .blend (no binary file lives in the repository).
#   blender -b --factory-startup --python make_scene.py -- OUT.blend
import sys

import bpy

out = sys.argv[sys.argv.index("--") + 1]

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.engine = "CYCLES"
scene.frame_start, scene.frame_end = 1, 48
scene.render.resolution_x, scene.render.resolution_y = 96, 64
scene.render.resolution_percentage = 100
scene.cycles.samples = 8
scene.cycles.use_denoising = False


def material(name, rgb, metallic=0.0, roughness=0.5, emission=None):
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    p = m.node_tree.nodes["Principled BSDF"]
    p.inputs["Base Color"].default_value = (*rgb, 1)
    p.inputs["Metallic"].default_value = metallic
    p.inputs["Roughness"].default_value = roughness
    if emission:
        p.inputs["Emission"].default_value = (*emission, 1)
        p.inputs["Emission Strength"].default_value = 2.0
    return m


def place(obj, mat):
    obj.data.materials.append(mat)
    return obj


bpy.ops.mesh.primitive_plane_add(size=20, location=(0, 0, 0))
place(bpy.context.object, material("floor", (0.6, 0.6, 0.55), roughness=0.8))
bpy.ops.mesh.primitive_uv_sphere_add(radius=1, location=(-1.5, 0, 1))
bpy.ops.object.shade_smooth()
place(bpy.context.object, material("gold", (0.9, 0.6, 0.2), metallic=1.0, roughness=0.25))
bpy.ops.mesh.primitive_cube_add(size=1.4, location=(1.5, 0.5, 0.7), rotation=(0, 0, 0.6))
place(bpy.context.object, material("red", (0.8, 0.1, 0.1), roughness=0.4))
bpy.ops.mesh.primitive_torus_add(location=(0.2, -1.8, 0.4), major_radius=0.7, minor_radius=0.25)
place(bpy.context.object, material("glow", (0.1, 0.3, 0.9), emission=(0.1, 0.4, 1.0)))

bpy.ops.object.light_add(type="SUN", location=(4, -4, 8), rotation=(0.6, 0.2, 0.8))
bpy.context.object.data.energy = 3.0
bpy.ops.object.light_add(type="POINT", location=(-3, -2, 3))
bpy.context.object.data.energy = 300.0

world = bpy.data.worlds.new("sky")
world.use_nodes = True
world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.3, 0.4, 0.6, 1)
world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.6
scene.world = world

# The camera circles the objects: every frame differs from its neighbours.
bpy.ops.object.camera_add(location=(0, -8, 3))
cam = bpy.context.object
scene.camera = cam
target = bpy.data.objects.new("target", None)
target.location = (0, 0, 0.6)
scene.collection.objects.link(target)
track = cam.constraints.new("TRACK_TO")
track.target = target
track.track_axis = "TRACK_NEGATIVE_Z"
track.up_axis = "UP_Y"
for frame, (x, y, z) in ((1, (0, -8, 3)), (24, (7, -4, 2.5)), (48, (6, 4, 3.5))):
    cam.location = (x, y, z)
    cam.keyframe_insert("location", frame=frame)

bpy.ops.wm.save_as_mainfile(filepath=out, compress=False)
