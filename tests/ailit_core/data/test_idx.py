import numpy as np
import pytest
from torchvision.datasets.mnist import read_image_file, read_label_file, read_sn3_pascalvincent_tensor

from ailit_core.data.idx import idx_bytes, write_idx


def test_header_follows_the_format():
    data = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert data[:4] == bytes([0, 0, 0x08, 2])
    assert data[4:12] == (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert data[12:] == bytes(range(6))


def test_torchvision_reads_images_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 5).astype(np.uint8)
    got_images = read_image_file(str(write_idx(tmp_path / "images", images)))
    got_labels = read_label_file(str(write_idx(tmp_path / "labels", labels)))
    assert np.array_equal(got_images.numpy(), images)
    assert np.array_equal(got_labels.numpy(), labels)


def test_multibyte_values_are_big_endian(tmp_path):
    values = np.array([[1, -2, 70000], [3, 4, -5]], dtype=np.int32)
    got = read_sn3_pascalvincent_tensor(str(write_idx(tmp_path / "ints", values)))
    assert np.array_equal(got.numpy(), values)


def test_unsupported_dtype_is_refused():
    with pytest.raises(TypeError):
        idx_bytes(np.zeros(3, dtype=np.uint16))
