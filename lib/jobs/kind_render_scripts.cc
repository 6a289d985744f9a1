// The render kind's Python, linked into the tools whole: Blender's driver
// (kind_render_driver.py) and the reference scene (examples/render/
// make_scene.py), each NUL-terminated. The Makefile names them as this
// object's prerequisites; paths are relative to the repository root.
__asm__(".section .rodata\n"
        ".global grid_render_driver_py\n"
        "grid_render_driver_py:\n"
        ".incbin \"lib/jobs/kind_render_driver.py\"\n"
        ".byte 0\n"
        ".global grid_render_scene_py\n"
        "grid_render_scene_py:\n"
        ".incbin \"examples/render/make_scene.py\"\n"
        ".byte 0\n"
        ".previous\n");
