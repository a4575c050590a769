"""Writing IDX files, the format MNIST ships in (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS").

Hand-written because no installed library writes IDX (torchvision only reads it): a 4-byte magic
number (two zero bytes, a type code, the number of dimensions), each dimension as a big-endian
uint32, then the data in C order, big-endian.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TYPE_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(">i2"): 0x0B,
    np.dtype(">i4"): 0x0C,
    np.dtype(">f4"): 0x0D,
    np.dtype(">f8"): 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    if array.dtype.itemsize > 1:
        array = array.astype(array.dtype.newbyteorder(">"))
    code = TYPE_CODES.get(array.dtype)
    if code is None:
        raise TypeError(f"IDX has no type code for {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError("IDX arrays have 1 to 255 dimensions")
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(idx_bytes(array))
    return path
