#!/usr/bin/python3
# Writes the .npy fixtures of tests/unit/npy_test.cc with real numpy
# (Debian 12's python3-numpy 1.24.2). Run from this folder:
#   /usr/bin/python3 make_fixtures.py
# The expected values are written out in npy_test.cc, not derived from
# these files, so the test checks our reader against numpy's writer.
import numpy as np

a23 = (np.arange(6, dtype='<f4').reshape(2, 3) / np.float32(3)) - np.float32(0.5)
np.save('f4_2x3.npy', a23)
np.save('f4_1d.npy', np.array([1.5, -2.25, 0.0, 1e-3, 65504.0], dtype='<f4'))
np.save('f4_scalar.npy', np.array(7.5, dtype='<f4'))
np.save('f4_empty.npy', np.zeros((0, 4), dtype='<f4'))
np.save('f4_3d.npy', np.arange(24, dtype='<f4').reshape(2, 3, 4))
np.save('f8_2x2.npy', np.array([[0.1, -1e30], [3.0, 2.0 ** -20]], dtype='<f8'))
np.save('i4_labels.npy', np.array([0, 1, 2, 1, -3], dtype='<i4'))
np.save('i8_labels.npy', np.array([[0, 9], [16777216, -16777216]], dtype='<i8'))
np.save('u1_pixels.npy', np.array([[0, 128, 255]], dtype='|u1'))
for major in (2, 3):
    with open('f4_v%d.npy' % major, 'wb') as f:
        np.lib.format.write_array(f, a23, version=(major, 0))
# Inputs the reader must refuse.
np.save('bad_fortran.npy', np.asfortranarray(a23))
np.save('bad_bigendian.npy', a23.astype('>f4'))
np.save('bad_f2.npy', a23.astype('<f2'))
np.save('bad_bool.npy', np.array([True, False]))
np.save('bad_structured.npy', np.zeros(2, dtype=[('x', '<f4'), ('y', '<i4')]))
np.save('bad_i8_inexact.npy', np.array([16777217], dtype='<i8'))
