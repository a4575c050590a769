"""Each a3_resnet_stem hidden test fails on the stub and on at least one realistic mistake.

The short training run (``test_mnist_resnet_learns_digits``) runs only for the mutants it must catch.
"""

from ailit_core.mutate.catalogue import Mutant

ID = "a3_resnet_stem"
RUNNER_OPTIONS = dict(slow_tests=("test_mnist_resnet_learns_digits",))

MNIST_CONV = "net.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)"
SMALL_CONV = "net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)"
FC = "net.fc = nn.Linear(net.fc.in_features, num_classes)"
GRAY_WEIGHT = "gray.weight.copy_(conv.weight.sum(dim=1, keepdim=True))"
GRAY_NEW = ("gray = nn.Conv2d(1, conv.out_channels, conv.kernel_size, stride=conv.stride, padding=conv.padding,\n"
            "                     dilation=conv.dilation, bias=conv.bias is not None, padding_mode=conv.padding_mode,\n"
            "                     device=conv.weight.device, dtype=conv.weight.dtype)")
MNIST_TF = "augment = [transforms.RandomRotation(10)] if train else []"
CIFAR_TF = "augment = [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()] if train else []"
IMPROVES = "if loss < self.best_loss - self.min_delta:"
MOVE = "inputs, labels = inputs.to(device), labels.to(device)"

# Charged once: a mistake in the stem (conv1, max-pool) or the classifier (fc) costs the tests that
# name them, not the structure test of the layers between them nor the training run; a transform
# mistake does not cost the training run (it trains through the contract's transform).
BODY_TESTS = ("test_parameter_counts_and_structure",)
TRAINING_RUN = ("test_mnist_resnet_learns_digits",)

MUTANTS = [
    # build_mnist_resnet18
    Mutant("mnist_conv_3x3", ((MNIST_CONV, "net.conv1 = nn.Conv2d(1, 64, kernel_size=3, stride=1, padding=1, bias=False)"),),
           kills=("test_mnist_stem",), why="CIFAR-style stem for MNIST", spares=BODY_TESTS),
    Mutant("mnist_conv_bias", ((MNIST_CONV, MNIST_CONV.replace("bias=False", "bias=True")),),
           kills=("test_mnist_stem",), why="conv1 with a bias", spares=BODY_TESTS),
    Mutant("mnist_padding_1", ((MNIST_CONV, MNIST_CONV.replace("padding=3", "padding=1")),),
           kills=("test_mnist_stem",), why="wrong padding: same weights, other output size"),
    Mutant("mnist_three_channels", ((MNIST_CONV, "pass"),),
           kills=("test_mnist_stem", "test_output_shapes"), why="conv1 left at 3 input channels",
           spares=BODY_TESTS + TRAINING_RUN),
    Mutant("mnist_maxpool_removed", ((FC, FC + "\n    net.maxpool = nn.Identity()"),),
           kills=("test_mnist_stem",), why="removed the max-pool of the MNIST net too"),
    Mutant("fc_ignores_num_classes", ((FC, "net.fc = nn.Linear(net.fc.in_features, 10)"),),
           kills=("test_output_shapes", "test_classifier_width"), why="10 classes hard-coded", spares=BODY_TESTS),
    Mutant("fc_softmax", ((FC, "net.fc = nn.Sequential(nn.Linear(net.fc.in_features, num_classes), nn.Softmax(dim=1))"),),
           kills=("test_output_shapes", "test_classifier_width"), why="softmax before CrossEntropyLoss"),
    Mutant("resnet34", (("net = models.resnet18(weights=None)", "net = models.resnet34(weights=None)"),),
           kills=("test_parameter_counts_and_structure",), why="another ResNet depth", spares=TRAINING_RUN),
    Mutant("frozen_backbone",
           (("    net.fc = nn.Linear(net.fc.in_features, num_classes)\n    return net\n    # END SOLUTION\n\n\ndef build_cifar",
             "    for p in net.parameters():\n        p.requires_grad = False\n"
             "    net.fc = nn.Linear(net.fc.in_features, num_classes)\n    return net\n    # END SOLUTION\n\n\ndef build_cifar"),),
           kills=("test_mnist_resnet_learns_digits", "test_parameter_counts_and_structure"),
           why="transfer-learning code copied: only fc trains"),
    # build_cifar_resnet18
    Mutant("small_stem_always", (("    if small_stem:\n", "    if True:\n"),),
           kills=("test_cifar_default_stem",), why="small_stem ignored (always small)", spares=BODY_TESTS),
    Mutant("small_stem_keeps_maxpool", (("        net.maxpool = nn.Identity()\n", ""),),
           kills=("test_small_stem",), why="max-pool not removed"),
    Mutant("small_stem_stride_2", ((SMALL_CONV, SMALL_CONV.replace("stride=1", "stride=2")),),
           kills=("test_small_stem",), why="3x3 conv with stride 2", spares=BODY_TESTS),
    # grayscale_conv1
    Mutant("gray_mean", ((GRAY_WEIGHT, "gray.weight.copy_(conv.weight.mean(dim=1, keepdim=True))"),),
           kills=("test_grayscale_conv1_equivalence",), why="mean over channels instead of the sum"),
    Mutant("gray_fixed_settings",
           ((GRAY_NEW, "gray = nn.Conv2d(1, conv.out_channels, conv.kernel_size, stride=2, padding=3,\n"
                       "                     bias=conv.bias is not None, device=conv.weight.device, dtype=conv.weight.dtype)"),),
           kills=("test_grayscale_conv1_equivalence",), why="stride and padding of ResNet's conv1 hard-coded"),
    Mutant("gray_bias_dropped",
           ((GRAY_NEW, GRAY_NEW.replace("bias=conv.bias is not None", "bias=False")),
            ("        if conv.bias is not None:\n            gray.bias.copy_(conv.bias)\n", "")),
           kills=("test_grayscale_conv1_equivalence", "test_grayscale_conv1_is_an_independent_copy"),
           why="bias not carried over"),
    Mutant("gray_shares_bias", (("            gray.bias.copy_(conv.bias)\n", "            gray.bias = conv.bias\n"),),
           kills=("test_grayscale_conv1_is_an_independent_copy",), why="the copy shares the original's bias"),
    Mutant("gray_on_default_device",
           ((GRAY_NEW, GRAY_NEW.replace(",\n                     device=conv.weight.device, dtype=conv.weight.dtype)", ")")),),
           kills=("test_grayscale_conv1_is_an_independent_copy",), why="copy made on the CPU in float32"),
    Mutant("gray_weight_data_assigned",
           ((GRAY_NEW + "\n    with torch.no_grad():\n        gray.weight.copy_(conv.weight.sum(dim=1, keepdim=True))\n"
                        "        if conv.bias is not None:\n            gray.bias.copy_(conv.bias)\n",
             GRAY_NEW.replace(",\n                     device=conv.weight.device, dtype=conv.weight.dtype)", ")")
             + "\n    gray.weight.data = conv.weight.data.sum(dim=1, keepdim=True)\n"
               "    if conv.bias is not None:\n        gray.bias.data = conv.bias.data.clone()\n"),),
           kills=(), why="correct: assigning weight.data moves the copy to the original's device and dtype "
                         "(a probe on the meta device failed it)"),
    Mutant("gray_modifies_original",
           (("    return gray\n", "    conv.in_channels = 1\n    conv.weight = gray.weight\n    return gray\n"),),
           kills=("test_grayscale_conv1_is_an_independent_copy",), why="patched the original conv in place"),
    # transforms
    Mutant("mnist_rotation_in_test", ((MNIST_TF, "augment = [transforms.RandomRotation(10)]"),),
           kills=("test_mnist_test_transform",), why="augmentation in the test transform"),
    Mutant("mnist_wrong_normalize", (('MNIST_MEAN, MNIST_STD = (0.5,), (0.5,)', 'MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)'),),
           kills=("test_mnist_test_transform", "test_mnist_train_transform_rotates_up_to_10_degrees"),
           why="other normalisation than the specified one", spares=TRAINING_RUN),
    Mutant("mnist_rotation_30", ((MNIST_TF, MNIST_TF.replace("RandomRotation(10)", "RandomRotation(30)")),),
           kills=("test_mnist_train_transform_rotates_up_to_10_degrees",), why="rotation range too wide"),
    Mutant("mnist_rotation_one_sided", ((MNIST_TF, MNIST_TF.replace("RandomRotation(10)", "RandomRotation((0, 10))")),),
           kills=("test_mnist_train_transform_rotates_up_to_10_degrees",), why="rotates one way only: angles in [0, 10]"),
    Mutant("mnist_no_augmentation", ((MNIST_TF, "augment = []"),),
           kills=("test_mnist_train_transform_rotates_up_to_10_degrees",), why="no augmentation in training"),
    Mutant("cifar_augment_in_test", ((CIFAR_TF, "augment = [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()]"),),
           kills=("test_cifar_test_transform",), why="augmentation in the test transform"),
    Mutant("cifar_no_normalize",
           (("    return transforms.Compose(augment + [transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN, CIFAR_STD)])",
             "    return transforms.Compose(augment + [transforms.ToTensor()])"),),
           kills=("test_cifar_test_transform",), why="Normalize forgotten"),
    Mutant("cifar_no_flip", ((CIFAR_TF, "augment = [transforms.RandomCrop(32, padding=4)] if train else []"),),
           kills=("test_cifar_train_transform_crops_and_flips",), why="no horizontal flip"),
    Mutant("cifar_no_padding", ((CIFAR_TF, CIFAR_TF.replace("RandomCrop(32, padding=4)", "RandomCrop(32)")),),
           kills=("test_cifar_train_transform_crops_and_flips",), why="RandomCrop(32) without padding crops nothing"),
    Mutant("cifar_course_jitter",
           ((CIFAR_TF, "augment = [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), "
                       "transforms.ColorJitter(0.2, 0.2, 0.2, 0.2)] if train else []"),),
           kills=("test_cifar_train_transform_crops_and_flips",), why="extra colour jitter (not part of the task)"),
    Mutant("cifar_train_normalised_differently",
           (("    return transforms.Compose(augment + [transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN, CIFAR_STD)])",
             "    stats = ((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)) if train else (CIFAR_MEAN, CIFAR_STD)\n"
             "    return transforms.Compose(augment + [transforms.ToTensor(), transforms.Normalize(*stats)])"),),
           kills=("test_cifar_train_transform_crops_and_flips",), why="training and test normalisation differ"),
    # EarlyStopping
    Mutant("stop_one_late", (("return self.counter >= self.patience", "return self.counter > self.patience"),),
           kills=("test_early_stopping_exact_step", "test_early_stopping_min_delta_and_defaults"), why="off by one"),
    Mutant("min_delta_ignored", ((IMPROVES, "if loss < self.best_loss:"),),
           kills=("test_early_stopping_exact_step", "test_early_stopping_min_delta_and_defaults"),
           why="any decrease counts as an improvement"),
    Mutant("less_or_equal", ((IMPROVES, "if loss <= self.best_loss - self.min_delta:"),),
           kills=("test_early_stopping_exact_step",), why="an equal loss counts as an improvement"),
    Mutant("counter_not_reset", (("            self.counter = 0\n            return False", "            return False"),),
           kills=("test_early_stopping_exact_step", "test_early_stopping_min_delta_and_defaults"),
           why="counter keeps growing after an improvement"),
    Mutant("best_always_updated",
           (("        self.counter += 1\n", "        self.counter += 1\n        self.best_loss = min(self.best_loss, loss)\n"),),
           kills=("test_early_stopping_exact_step", "test_early_stopping_min_delta_and_defaults"),
           why="best_loss follows any lower loss"),
    # train_one_epoch
    Mutant("no_zero_grad", (("        optimizer.zero_grad()\n        loss = criterion", "        loss = criterion"),),
           kills=("test_train_one_epoch_updates_and_mean_loss",), why="gradients accumulate across batches"),
    Mutant("sample_weighted_mean",
           (("        total += loss.item()\n        batches += 1\n", "        total += loss.item() * len(labels)\n        batches += len(labels)\n"),),
           kills=("test_train_one_epoch_updates_and_mean_loss",), why="sample-weighted instead of the mean of batch losses"),
    Mutant("loss_tensor_accumulated", (("        total += loss.item()\n", "        total += loss\n"),),
           kills=("test_train_one_epoch_updates_and_mean_loss",),
           why="the loss tensor is summed: every batch's autograd graph stays alive, a tensor is returned"),
    Mutant("returns_last_loss", (("    return total / max(batches, 1)", "    return loss.item()"),),
           kills=("test_train_one_epoch_updates_and_mean_loss",), why="returns the last batch's loss"),
    Mutant("no_train_mode", (("    net.train()\n    total, batches", "    total, batches"),),
           kills=("test_train_one_epoch_train_mode",), why="net.train() forgotten"),
    Mutant("labels_not_moved", ((MOVE, "inputs = inputs.to(device)"),),
           kills=("test_train_one_epoch_moves_batches_to_device",), why="labels stay on the CPU"),
    Mutant("inputs_not_moved", ((MOVE, "labels = labels.to(device)"),),
           kills=("test_train_one_epoch_moves_batches_to_device",), why="inputs stay on the CPU"),
]

# Generated mutants (ailit mutate) that behave like the reference, or are no mistake of the task.
EQUIVALENT = {
    "mnist_transforms/swap_args/1": "Normalize(std, mean) is Normalize(mean, std) when both are 0.5",
    "cifar_transforms/swap_args/1": "Normalize(std, mean) is Normalize(mean, std) when both are 0.5 per channel",
}
