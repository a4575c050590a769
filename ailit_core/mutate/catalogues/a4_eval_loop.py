"""Each a4_eval_loop hidden test fails on the stub and on at least one realistic mistake."""

import torch

from ailit_core.mutate.catalogue import Mutant

ID = "a4_eval_loop"
RUNNER_OPTIONS: dict = {}

EVAL_MOVE = "                inputs, labels = inputs.to(device), labels.to(device)\n"
TRAIN_MOVE = "            inputs, labels = inputs.to(device), labels.to(device)\n"
BEST_COPY = "best_weights = copy.deepcopy(model.state_dict())"
EPOCH_STEP = "        if scheduler is not None:\n            scheduler.step()\n"
BOXES = "        boxes = class_dir / f\"{class_dir.name}_boxes.txt\"\n        if boxes.is_file():\n            boxes.unlink()\n"
CLASS_LOOP = "        images = class_dir / \"images\"\n        if images.is_dir():\n"
LOAD = "torch.load(path, map_location=device, weights_only=True)"
# A mistake in evaluate is charged in the evaluate tests only: train_model's tests validate with the
# student's own evaluate (autograder/a4_eval_loop/a4_support.py, Scenario.oracle).
TRAIN_MODEL_TESTS = ("test_train_model_returns_best_weights", "test_train_model_restores_best_buffers",
                     "test_train_model_history", "test_train_model_steps_scheduler_once_per_epoch",
                     "test_train_model_moves_batches_to_device")
# The 0-point GPU test is only collected where CUDA exists (autograder/a4_eval_loop/conftest.py).
GPU_KILLS = ("test_gpu_evaluate_train_and_load",) if torch.cuda.is_available() else ()

MUTANTS = [
    # evaluate
    Mutant("no_eval_mode", (("    model.eval()\n    total_loss", "    total_loss"),),
           kills=("test_evaluate_uses_eval_mode",), why="evaluated in train mode: Dropout on, BatchNorm statistics updated",
           spares=TRAIN_MODEL_TESTS),
    Mutant("mode_forced_to_train", (("        model.train(was_training)\n", "        model.train()\n"),),
           kills=("test_evaluate_restores_previous_mode",), why="always back to train mode",
           spares=TRAIN_MODEL_TESTS),
    Mutant("mode_not_restored", (("        model.train(was_training)\n", "        pass\n"),),
           kills=("test_evaluate_restores_previous_mode",), why="left in eval mode",
           spares=TRAIN_MODEL_TESTS),
    Mutant("no_no_grad", (("        with torch.no_grad():\n", "        with torch.enable_grad():\n"),),
           kills=("test_evaluate_without_autograd",), why="autograd records the evaluation",
           spares=TRAIN_MODEL_TESTS),
    Mutant("mean_of_batch_losses",
           (("total_loss += criterion(outputs, labels).item() * labels.size(0)",
             "total_loss += criterion(outputs, labels).item()"),
            ("\"loss\": total_loss / num_samples if", "\"loss\": total_loss / len(loader) if")),
           kills=("test_evaluate_loss_is_sample_weighted",), why="short last batch over-weighted",
           spares=TRAIN_MODEL_TESTS),
    Mutant("criterion_ignored",
           (("total_loss += criterion(outputs, labels).item()",
             "total_loss += nn.functional.cross_entropy(outputs, labels).item()"),),
           kills=("test_evaluate_loss_is_sample_weighted",), why="cross-entropy hard-coded instead of the criterion",
           spares=TRAIN_MODEL_TESTS),
    Mutant("loss_zero_without_criterion", (("if criterion is not None else None", "if criterion is not None else 0.0"),),
           kills=("test_evaluate_loss_is_none_without_criterion",), why="0.0 instead of None",
           spares=TRAIN_MODEL_TESTS),
    Mutant("absent_class_zero", (("correct / confusion.sum(dim=1).double()", "correct / confusion.sum(dim=1).double().clamp(min=1)"),),
           kills=("test_evaluate_per_class_accuracy",), why="0 instead of NaN for a class without samples",
           spares=TRAIN_MODEL_TESTS),
    Mutant("confusion_transposed",
           (("cells = labels.long().cpu() * num_classes + predictions.cpu()",
             "cells = predictions.cpu() * num_classes + labels.long().cpu()"),),
           kills=("test_evaluate_confusion_matrix", "test_evaluate_per_class_accuracy"), why="rows = predicted class",
           spares=TRAIN_MODEL_TESTS),
    Mutant("confusion_sklearn_without_labels",
           (("    total_loss, num_samples, confusion = 0.0, 0, None\n",
             "    total_loss, num_samples, confusion = 0.0, 0, None\n    seen_labels, seen_predictions = [], []\n"),
            ("                confusion += torch.bincount(cells, minlength=num_classes ** 2).view(num_classes, num_classes)\n",
             "                seen_labels += labels.cpu().tolist()\n                seen_predictions += predictions.cpu().tolist()\n"),
            ("    correct = confusion.diag().double()",
             "    from sklearn.metrics import confusion_matrix\n"
             "    confusion = torch.as_tensor(confusion_matrix(seen_labels, seen_predictions), dtype=torch.int64)\n"
             "    correct = confusion.diag().double()")),
           kills=("test_evaluate_confusion_matrix",),
           why="scikit-learn without labels=: a class that is neither a label nor a prediction loses its row",
           spares=TRAIN_MODEL_TESTS),
    Mutant("confusion_sklearn_with_labels",
           (("    total_loss, num_samples, confusion = 0.0, 0, None\n",
             "    total_loss, num_samples, confusion = 0.0, 0, None\n    seen_labels, seen_predictions = [], []\n"),
            ("                confusion += torch.bincount(cells, minlength=num_classes ** 2).view(num_classes, num_classes)\n",
             "                seen_labels += labels.cpu().tolist()\n                seen_predictions += predictions.cpu().tolist()\n"),
            ("    correct = confusion.diag().double()",
             "    from sklearn.metrics import confusion_matrix\n"
             "    confusion = torch.as_tensor(confusion_matrix(seen_labels, seen_predictions, labels=list(range(num_classes))),\n"
             "                                dtype=torch.int64)\n"
             "    correct = confusion.diag().double()")),
           kills=(), why="correct: scikit-learn's confusion_matrix with labels=range(C)"),
    Mutant("confusion_float", (("dtype=torch.int64)", "dtype=torch.float32)"),),
           kills=("test_evaluate_confusion_matrix",), why="float counts",
           spares=TRAIN_MODEL_TESTS),
    Mutant("num_classes_hard_coded",
           (("                num_classes = outputs.shape[1]\n", "                num_classes = 200\n"),),
           kills=("test_evaluate_confusion_matrix",), why="C = 200 (Tiny ImageNet) instead of the model's output width",
           spares=TRAIN_MODEL_TESTS),
    Mutant("accuracy_tensor", (("\"accuracy\": float(correct.sum().item() / num_samples)", "\"accuracy\": correct.sum() / num_samples"),),
           kills=("test_evaluate_accuracy_num_samples_and_types",), why="a 0-dim tensor instead of a float",
           spares=TRAIN_MODEL_TESTS),
    Mutant("num_samples_is_batches", (("\"num_samples\": int(num_samples)", "\"num_samples\": len(loader)"),),
           kills=("test_evaluate_accuracy_num_samples_and_types",), why="counts batches",
           spares=TRAIN_MODEL_TESTS),
    Mutant("eval_inputs_not_moved", ((EVAL_MOVE, "                labels = labels.to(device)\n"),),
           kills=("test_evaluate_moves_batches_to_device",),
           why="inputs left where the loader put them",
           spares=TRAIN_MODEL_TESTS),
    Mutant("eval_device_hard_coded", ((EVAL_MOVE, "                inputs, labels = inputs.to(\"cpu\"), labels.to(\"cpu\")\n"),),
           kills=("test_evaluate_moves_batches_to_device",) + GPU_KILLS, why="'cpu' instead of the device argument",
           spares=TRAIN_MODEL_TESTS),
    # train_model
    Mutant("best_weights_aliased", ((BEST_COPY, "best_weights = model.state_dict()"),),
           kills=("test_train_model_returns_best_weights", "test_train_model_restores_best_buffers"),
           why="state_dict() shares memory with the parameters"),
    Mutant("best_weights_shallow_copy", ((BEST_COPY, "best_weights = dict(model.state_dict())"),),
           kills=("test_train_model_returns_best_weights", "test_train_model_restores_best_buffers"),
           why="a new dict of the same tensors"),
    Mutant("best_weights_cpu_alias", ((BEST_COPY, "best_weights = {k: v.cpu() for k, v in model.state_dict().items()}"),),
           kills=("test_train_model_returns_best_weights",), why=".cpu() of a CPU tensor is the tensor itself"),
    Mutant("last_weights_kept", (("    model.load_state_dict(best_weights)\n    return model, history", "    return model, history"),),
           kills=("test_train_model_returns_best_weights", "test_train_model_restores_best_buffers"),
           why="best weights saved but never loaded back"),
    Mutant("parameters_only",
           ((BEST_COPY, "best_weights = {k: v.detach().clone() for k, v in model.named_parameters()}"),
            ("    model.load_state_dict(best_weights)\n", "    model.load_state_dict(best_weights, strict=False)\n")),
           kills=("test_train_model_restores_best_buffers",), why="BatchNorm running statistics not part of the copy"),
    Mutant("no_train_mode", (("        model.train()\n        running_loss", "        running_loss"),),
           kills=("test_train_model_history",), why="trains in whatever mode the model came in"),
    Mutant("train_loss_mean_of_batches",
           (("running_loss += loss.item() * labels.size(0)", "running_loss += loss.item()"),
            ("\"train_loss\": running_loss / seen", "\"train_loss\": running_loss / len(dataloaders[\"train\"])")),
           kills=("test_train_model_history",), why="short last training batch over-weighted"),
    Mutant("train_loss_keeps_graph", (("running_loss += loss.item() * labels.size(0)", "running_loss += loss * labels.size(0)"),),
           kills=("test_train_model_history",), why="loss tensor accumulated: every batch's autograd graph stays alive"),
    Mutant("scheduler_per_batch",
           ((EPOCH_STEP, ""), ("            optimizer.step()\n", "            optimizer.step()\n            scheduler.step()\n")),
           kills=("test_train_model_steps_scheduler_once_per_epoch",), why="stepped after every batch"),
    Mutant("scheduler_never_stepped", ((EPOCH_STEP, ""),),
           kills=("test_train_model_steps_scheduler_once_per_epoch",), why="learning rate never decays"),
    Mutant("validates_on_training_data",
           (("val = evaluate(model, dataloaders[\"val\"], device, criterion)",
             "val = evaluate(model, dataloaders[\"train\"], device, criterion)"),),
           kills=("test_train_model_history", "test_train_model_returns_best_weights"),
           why="the best epoch chosen on the training data"),
    Mutant("train_inputs_not_moved", ((TRAIN_MOVE, "            labels = labels.to(device)\n"),),
           kills=("test_train_model_moves_batches_to_device",), why="training inputs left on the CPU"),
    # prepare_tiny_imagenet
    Mutant("boxes_kept", ((BOXES, ""),),
           kills=("test_prepare_train_layout",), why="<wnid>_boxes.txt left in the class folder"),
    Mutant("train_images_dir_kept", (("                images.rmdir()\n", "                pass\n"),),
           kills=("test_prepare_train_layout",), why="empty images/ folders left"),
    Mutant("val_images_dir_kept", (("        images.rmdir()\n    if missing", "        pass\n    if missing"),),
           kills=("test_prepare_val_layout",), why="empty val/images/ left: ImageFolder sees a class 'images'"),
    Mutant("val_nested_images",
           (("source, target = images / name, val / wnid / name", "source, target = images / name, val / wnid / \"images\" / name"),
            ("target.parent.mkdir(exist_ok=True)", "target.parent.mkdir(parents=True, exist_ok=True)")),
           kills=("test_prepare_val_layout",), why="val/<wnid>/images/<file> copied from the train layout"),
    Mutant("val_not_rerunnable", (("            if source.is_file():\n                target.parent", "            if True:\n                target.parent"),),
           kills=("test_prepare_is_idempotent", "test_prepare_completes_half_prepared_tree", "test_prepare_survives_interruption"),
           why="moves every annotated file again on a re-run"),
    Mutant("train_not_rerunnable", ((CLASS_LOOP, "        images = class_dir / \"images\"\n        if True:\n"),),
           kills=("test_prepare_is_idempotent", "test_prepare_completes_half_prepared_tree", "test_prepare_survives_interruption"),
           why="expects images/ to exist"),
    Mutant("deletes_loose_files",
           ((CLASS_LOOP, "        for loose in class_dir.iterdir():\n            if loose.is_file():\n"
                         "                loose.unlink()  # 'rm *.txt', sloppily\n" + CLASS_LOOP),),
           kills=("test_prepare_is_idempotent", "test_prepare_completes_half_prepared_tree", "test_prepare_survives_interruption"),
           why="a re-run deletes the images moved by the first run"),
    Mutant("str_root_unsupported", (("    root = Path(root)\n\n    def move", "\n    def move"),),
           kills=("test_prepare_val_layout",), why="root / \"train\" works on the course's Path but not on a str path"),
    Mutant("done_marker",
           (("    root = Path(root)\n\n    def move", "    root = Path(root)\n    if any((root / \"train\").glob(\"*/*.JPEG\")):\n"
                                                  "        return  # already prepared\n\n    def move"),),
           kills=("test_prepare_completes_half_prepared_tree", "test_prepare_survives_interruption"),
           why="treats a half-prepared tree as done"),
    # load_for_eval
    Mutant("no_map_location", ((LOAD, "torch.load(path, weights_only=True)"),),
           kills=("test_load_for_eval_maps_gpu_checkpoint",), why="GPU checkpoints fail on a CPU machine"),
    Mutant("load_not_eval", (("    model.to(device)\n    model.eval()\n    return model", "    model.to(device)\n    return model"),),
           kills=("test_load_for_eval_returns_eval_model_on_device",), why="returned in train mode"),
    Mutant("load_not_moved", (("    model.to(device)\n    model.eval()\n    return model", "    model.eval()\n    return model"),),
           kills=("test_load_for_eval_moves_model_to_device",), why="the model stays where it was"),
]

# Generated mutants (ailit mutate) that behave like the reference, or are no mistake of the task.
EQUIVALENT = {
    "train_model/drop_method/1": "the first best_weights (before any epoch) is replaced by a deep copy after epoch 1, "
                                 "since every val_acc beats -inf",
    "train_model/drop_method/5": "running_correct as an integer tensor without autograd: train_acc has the same value",
    "train_model/compare/3": "ties in val_acc: the contract names no epoch for them; either copy is accepted",
    "evaluate/drop_method/4": "float(correct.sum() / n) is the same double as correct.sum().item() / n",
    "load_for_eval/bool_arg/1": "weights_only=False loads the same state_dict (it only also allows pickled objects)",
    "prepare_tiny_imagenet/compare/1": "every line of val_annotations.txt has 6 fields; none has exactly 2",
    "prepare_tiny_imagenet.move/compare/1": "the reference's own overwrite guard: no state the contract names (a tree "
                                            "left by a moving run or the course script) holds an image twice",
}
