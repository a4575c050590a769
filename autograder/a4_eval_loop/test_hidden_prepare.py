"""Hidden tests for a4 ``prepare_tiny_imagenet`` (18 points).

Approach: a small generated tree in the exact layout of the unzipped archive (``write_raw_tree``:
``train/<wnid>/images/``, ``<wnid>_boxes.txt``, ``val/images/``, ``val_annotations.txt``, ``test/``),
every image different, written here into the exchange folder the student's process shares
(``remote.exchange_dir()``). The student's code gets its path; afterwards every file's path and
SHA-256 are read HERE, from disk (never from a listing that process returns): each image must end
where ImageFolder needs it with its own content, and none may be lost. Re-runs are checked on a
prepared tree, on half-prepared trees (the course's shell script stopped at various points, built
here) and on trees left by interrupting the submission's own code: a recipe in the student's
process (``a4_file_operations``) makes the k-th file move/delete of ``os``/``shutil`` (``pathlib``
goes through them) raise, for several k spread over the run; the tree is then inspected here and
the run repeated.
"""

import os

import pytest

from a4_support import (annotations, describe_difference, is_image, leftover_dirs, open_to_student,
                        prepared_paths, raw_tree, remote_error_text, shared_folder, snapshot)
from ailit_core.grade import remote


def fresh(name="tiny-imagenet-200", **sizes):
    root = raw_tree(shared_folder(name) / "tiny-imagenet-200", **sizes)
    return root, prepared_paths(snapshot(root), annotations(root))


def prepare(eval_loop, root, as_path=True):
    """Run the student's function on ``root`` (a ``pathlib.Path`` there, as the course passes it)."""
    open_to_student(root)
    eval_loop.prepare_tiny_imagenet(remote.build("a4_path", str(root)) if as_path else str(root))


def check_part(root, expected, part, what):
    got = snapshot(root)
    problem = describe_difference(got, expected, part)
    assert not problem, (
        f"{what}: {problem} (the prepared tree differs from the expected layout / 目录整理结果与预期不符)")


def check_prepared(root, expected, context):
    leftovers = leftover_dirs(root)
    check_part(root, expected, "train/", f"{context}, train/")
    check_part(root, expected, "val/", f"{context}, val/")
    assert not leftovers, (
        f"{context}: the emptied folders {leftovers} must be removed (ImageFolder would see them)"
        f" / {context}：清空后的文件夹 {leftovers} 应删除（否则 ImageFolder 会把它们当作类别）")
    check_part(root, expected, "", context)


@pytest.mark.points(4)
def test_prepare_train_layout(eval_loop):
    """Every training image moves from train/<wnid>/images/ to train/<wnid>/ unchanged; <wnid>_boxes.txt files and the empty images/ folders are gone. / 训练集整理。"""
    root, expected = fresh()
    prepare(eval_loop, root)
    check_part(root, expected, "train/", "train/ after prepare_tiny_imagenet")
    left = [p for p in leftover_dirs(root) if p.startswith("train/")]
    assert not left, f"the emptied folders {left} must be removed / 空的 images/ 文件夹应删除"


@pytest.mark.points(4)
def test_prepare_val_layout(eval_loop):
    """Every validation image moves to val/<wnid>/ as given by val_annotations.txt; val/images/ is gone; wnids.txt, words.txt, val_annotations.txt and test/ are untouched. / 验证集按标注文件分类。"""
    root, expected = fresh(num_classes=4, val_per_class=3)
    prepare(eval_loop, root, as_path=False)  # a str path works as well as a Path
    check_part(root, expected, "val/", "val/ after prepare_tiny_imagenet (wnid from the 2nd column of val_annotations.txt)")
    assert not (root / "val" / "images").exists(), "the emptied val/images/ must be removed / 空的 val/images/ 应删除"
    check_part(root, expected, "", "the rest of the tree (wnids.txt, words.txt, test/ stay as they are)")


@pytest.mark.points(3)
def test_prepare_is_idempotent(eval_loop):
    """Running prepare_tiny_imagenet again on a prepared tree succeeds and changes nothing. / 重复运行不报错、不改变任何文件。"""
    root, expected = fresh()
    prepare(eval_loop, root)
    first = snapshot(root)
    try:
        prepare(eval_loop, root)
    except remote.RemoteError as exc:  # the message is the feedback
        pytest.fail(f"the second run on a prepared tree raised {remote_error_text(exc)} "
                    f"(check whether a folder/file exists before using it) / 第二次运行报错")
    assert snapshot(root) == first, ("the second run changed the prepared tree: "
                                     + describe_difference(snapshot(root), expected, "") + " / 第二次运行改变了文件")


def half_prepare(root, state):
    """Leave ``root`` as the course's tinyimagenet.sh leaves it when stopped at ``state``."""
    classes = sorted(p for p in (root / "train").iterdir())
    val_classes = annotations(root)

    def finish_class(folder, count=None):
        boxes = folder / f"{folder.name}_boxes.txt"
        if boxes.exists():
            boxes.unlink()
        images = sorted((folder / "images").iterdir())
        for image in images[:count]:
            os.replace(image, folder / image.name)
        if count is None:
            (folder / "images").rmdir()

    def move_val(count):
        for name in sorted(val_classes)[:count]:
            (root / "val" / val_classes[name]).mkdir(exist_ok=True)
            os.replace(root / "val" / "images" / name, root / "val" / val_classes[name] / name)

    if state == "train_midway":
        finish_class(classes[0])
        finish_class(classes[1], count=2)  # boxes removed, 2 images moved, images/ still there
    elif state == "val_midway":
        for folder in classes:
            finish_class(folder)
        move_val(len(val_classes) // 2)
    elif state == "folders_left":  # everything moved, only the empty folders remain
        for folder in classes:
            finish_class(folder, count=10 ** 6)
        move_val(len(val_classes))


@pytest.mark.points(3)
@pytest.mark.parametrize("state", ["train_midway", "val_midway", "folders_left"])
def test_prepare_completes_half_prepared_tree(eval_loop, state):
    """A tree left half-done (by an interrupted earlier run or the course's shell script) is completed without losing an image. / 能完成整理了一半的目录。"""
    root, expected = fresh()
    half_prepare(root, state)
    try:
        prepare(eval_loop, root)
    except remote.RemoteError as exc:
        pytest.fail(f"on a half-prepared tree ({state.replace('_', ' ')}) prepare_tiny_imagenet raised "
                    f"{remote_error_text(exc)} / 处理做了一半的目录时报错")
    check_prepared(root, expected, f"after completing a half-prepared tree ({state.replace('_', ' ')})")


def interrupted_run(eval_loop, root, stop_after=None) -> int:
    """Run the student's function with its file operations counted in its own process, stopped at the
    operation after ``stop_after`` (None: never); the number of operations done."""
    operations = remote.build("a4_file_operations", eval_loop, stop_after=stop_after)
    try:
        prepare(eval_loop, root)
    except remote.RemoteError as exc:
        if stop_after is None or exc.remote_type != "Interrupted":
            raise
    finally:
        operations.restore()
    return operations.calls


@pytest.mark.points(4)
def test_prepare_survives_interruption(eval_loop):
    """A run stopped after any number of file operations loses no image, and the next run completes the preparation. / 运行被中断后不丢图片，再次运行可完成整理。"""
    probe_root, _ = fresh("probe")
    try:
        total = interrupted_run(eval_loop, probe_root)
    except remote.RemoteError as exc:
        pytest.fail(f"prepare_tiny_imagenet raised {remote_error_text(exc)} on a fresh tree / 在新的目录上运行时报错")
    assert isinstance(total, int) and total >= 2, (
        "prepare_tiny_imagenet moved no file through os/shutil/pathlib; use os.replace, os.rename, "
        "shutil.move or Path.rename / 请用 os/shutil/pathlib 的函数移动文件")
    for stop_after in sorted({1, total // 4, total // 2, (3 * total) // 4, total - 1} - {0}):
        root, expected = fresh(f"stop{stop_after}")
        images = {v for k, v in snapshot(root).items() if is_image(k)}
        interrupted_run(eval_loop, root, stop_after)
        lost = images - set(snapshot(root).values())
        assert not lost, (f"stopping the run after {stop_after} of {total} file operations lost {len(lost)} image(s): "
                          f"never delete a folder that may still hold images / 中断后有图片丢失")
        try:
            prepare(eval_loop, root)
        except remote.RemoteError as exc:
            pytest.fail(f"after a run stopped at file operation {stop_after + 1} of {total}, the next run raised "
                        f"{remote_error_text(exc)} / 中断后再次运行报错")
        check_prepared(root, expected, f"after a run stopped at file operation {stop_after + 1} of {total} and a re-run")
