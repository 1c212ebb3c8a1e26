# Regenerates the NumPy test files next to this script (numpy >= 1.17): python3 make_npy.py
# NpyTest reads them and checks every element against the values written here.
import io
import numpy as np
from numpy.lib import format as fmt

def arrays():
    out = {}
    out["bool"] = np.array([[True, False, True], [False, False, True]])
    out["u8"] = np.array([0, 1, 255], dtype=np.uint8)
    out["i8"] = np.array([-128, 0, 127], dtype=np.int8)
    out["i16"] = np.array([-32768, 7, 32767], dtype=np.int16)
    out["u16"] = np.array([0, 7, 65535], dtype=np.uint16)
    out["i32"] = np.array([-2**31, 7, 2**31 - 1], dtype=np.int32)
    out["u32"] = np.array([0, 7, 2**32 - 1], dtype=np.uint32)
    out["i64"] = np.array([-2**63, 7, 2**63 - 1], dtype=np.int64)
    out["u64"] = np.array([0, 7, 2**64 - 1], dtype=np.uint64)
    out["f16"] = np.array([0.5, -2.0, 65504.0, np.inf], dtype=np.float16)
    out["f32"] = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 4
    out["f64"] = np.array([1e-300, -0.0, np.pi], dtype=np.float64)
    out["c64"] = np.array([1 + 2j, -3.5j], dtype=np.complex64)
    out["c128"] = np.array([[1 + 2j], [-3.5j]], dtype=np.complex128)
    out["scalar"] = np.array(3.25, dtype=np.float32)
    out["empty"] = np.zeros((0, 3), dtype=np.float32)
    return out

a = arrays()
np.savez("all_dtypes.npz", **a)
np.savez_compressed("all_dtypes_compressed.npz", **a)
# Fortran order: the same values as f32 / i16 in C order, stored column-major
np.save("fortran_f32.npy", np.asfortranarray(a["f32"]))
np.save("fortran_i16.npy", np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)))
# big endian
np.save("big_f32.npy", a["f32"].astype(">f4"))
np.save("big_i64.npy", a["i64"].astype(">i8"))
np.save("big_c64.npy", a["c64"].astype(">c8"))
# header versions 2.0 and 3.0
for v in (2, 3):
    with open("v%d_f64.npy" % v, "wb") as f:
        fmt.write_array(f, a["f64"], version=(v, 0))
# a dtype NumPy has but Kiln does not read (bf16 arrives as void from ml_dtypes-less numpy)
np.save("void2.npy", np.zeros(3, dtype="V2"))
