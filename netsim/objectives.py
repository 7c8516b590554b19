"""Training objectives besides supervised cross-entropy (thesis chapter 3, STUDIES B).

The losses are plain functions of features or logits, so that each can be checked against a
hand computation:

* :func:`sample_episode` and :func:`prototypical_loss`: episodic few-shot training with
  prototypical networks (Snell et al. 2017), logits ``-||phi(x) - c_k||^2`` to the class
  centroids ``c_k`` of the support features;
* :func:`nt_xent_loss`: SimCLR's normalised temperature-scaled cross-entropy on two views;
* :func:`fixmatch_loss`: FixMatch's supervised term plus the confidence-masked
  cross-entropy of strong views against the pseudo-labels of weak views.

:func:`make_step_loss` turns a :class:`netsim.train.TrainConfig` into the function that draws
the next optimiser step's data and returns its loss; :func:`netsim.train.train_trajectory`
calls it once per step. Every random draw comes from the run's generator, so a run is
reproducible from its seed.
"""
from __future__ import annotations

import numpy as np

__all__ = ["sample_episode", "prototypical_loss", "nt_xent_loss", "fixmatch_loss", "make_step_loss"]


def _class_members(labels):
    """Sorted present classes and the indices of each (CPU int64 tensors)."""
    import torch

    labels = torch.as_tensor(np.asarray(labels.cpu() if torch.is_tensor(labels) else labels), dtype=torch.int64)
    classes = torch.unique(labels)
    return classes, [torch.nonzero(labels == c).flatten() for c in classes]


def check_episode(labels, way: int, shot: int, query: int) -> None:
    """Raise ``ValueError`` naming ``episode`` if the labels cannot supply the episodes."""
    classes, members = _class_members(labels)
    if way > len(classes):
        raise ValueError(f"episode asks for way={way} classes but the training data have {len(classes)}")
    smallest = min(len(m) for m in members)
    if shot + query > smallest:
        raise ValueError(f"episode asks for shot + query = {shot + query} samples per class but the smallest "
                         f"class of the training data has {smallest}")


def sample_episode(labels, way: int, shot: int, query: int, generator, members=None):
    """Draw one episode: ``way`` distinct classes, ``shot`` support and ``query`` query samples of each.

    Parameters
    ----------
    labels : (n,) int array or tensor
        Labels of the training samples.
    way, shot, query : int
        Classes per episode and support / query samples per class.
    generator : torch.Generator
        The only source of randomness: first a permutation of the present classes (the
        first ``way`` are taken), then, class by class, a permutation of its samples (the
        first ``shot`` are the support, the next ``query`` the query set).
    members : optional
        ``_class_members(labels)``, to skip recomputing it at every step.

    Returns
    -------
    classes : (way,) int64 tensor, the episode's classes (in drawn order; row ``k`` of the
        two index tensors belongs to ``classes[k]``).
    support : (way, shot) int64 tensor of sample indices.
    query : (way, query) int64 tensor of sample indices, disjoint from ``support``.

    Raises
    ------
    ValueError
        If ``way`` exceeds the number of classes or ``shot + query`` the smallest class.
    """
    import torch

    classes, per_class = members if members is not None else _class_members(labels)
    if members is None:
        check_episode(labels, way, shot, query)
    chosen = torch.randperm(len(classes), generator=generator)[:way]
    picks = [per_class[int(k)][torch.randperm(len(per_class[int(k)]), generator=generator)[:shot + query]]
             for k in chosen]
    stacked = torch.stack(picks)
    return classes[chosen], stacked[:, :shot], stacked[:, shot:]


def prototypical_loss(support, query):
    """Prototypical-network loss of one episode.

    Parameters
    ----------
    support : (way, shot, d) tensor, features of the support samples, row ``k`` of class ``k``.
    query : (way, q, d) tensor, features of the query samples, row ``k`` of class ``k``.

    Returns
    -------
    Scalar tensor: the mean over the ``way * q`` query samples of the cross-entropy of the
    logits ``-||phi(x) - c_k||^2`` (squared Euclidean distance to the centroid ``c_k`` =
    mean support feature of class ``k``) against the query's own class.
    """
    import torch

    if support.dim() != 3 or query.dim() != 3 or support.shape[0] != query.shape[0] \
            or support.shape[2] != query.shape[2]:
        raise ValueError(f"support and query must have shapes (way, shot, d) and (way, q, d), got "
                         f"{tuple(support.shape)} and {tuple(query.shape)}")
    way, q, d = query.shape
    centroids = support.mean(1)
    flat = query.reshape(way * q, d)
    logits = -((flat[:, None, :] - centroids[None, :, :]) ** 2).sum(-1)
    targets = torch.arange(way, device=query.device).repeat_interleave(q)
    return torch.nn.functional.cross_entropy(logits, targets)


def nt_xent_loss(z1, z2, temperature: float = 0.5):
    """SimCLR's NT-Xent loss of two views.

    Parameters
    ----------
    z1, z2 : (n, d) tensors, embeddings of the first and second view of the same n samples.
    temperature : float > 0

    Returns
    -------
    Scalar tensor: with ``u`` the 2n embeddings normalised to unit length and
    ``s_ij = u_i . u_j / temperature``, the mean over all 2n anchors ``i`` of
    ``-log(exp(s_ip) / sum_{k != i} exp(s_ik))`` where ``p`` is the other view of ``i``'s sample.
    """
    import torch

    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"z1 and z2 must have the same shape (n, d), got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    n = z1.shape[0]
    u = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    similarity = (u @ u.T) / temperature
    eye = torch.eye(2 * n, dtype=torch.bool, device=u.device)
    similarity = similarity.masked_fill(eye, float("-inf"))
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(u.device)
    return torch.nn.functional.cross_entropy(similarity, positives)


def fixmatch_loss(logits_labelled, labels, logits_weak, logits_strong, threshold: float = 0.95,
                  weight: float = 1.0):
    """FixMatch's loss of one step.

    Parameters
    ----------
    logits_labelled : (b, C) logits of the (weakly augmented) labelled samples.
    labels : (b,) their labels.
    logits_weak, logits_strong : (m, C) logits of the weak and the strong view of the same
        m unlabelled samples.
    threshold : float, a pseudo-label counts when its probability is at least this.
    weight : float, the weight of the unlabelled term.

    Returns
    -------
    loss : scalar tensor, ``CE(logits_labelled, labels) + weight * (1/m) sum_j mask_j
        CE(logits_strong_j, argmax softmax(logits_weak_j))``; the pseudo-labels and the mask
        carry no gradient (stop-gradient on the weak view, as in FixMatch).
    mask : (m,) bool tensor, ``max softmax(logits_weak_j) >= threshold``.
    """
    import torch

    functional = torch.nn.functional
    supervised = functional.cross_entropy(logits_labelled, labels)
    with torch.no_grad():
        confidence, pseudo = torch.softmax(logits_weak.detach(), dim=1).max(1)
        mask = confidence >= threshold
    unlabelled = (functional.cross_entropy(logits_strong, pseudo, reduction="none") * mask).mean()
    return supervised + weight * unlabelled, mask


def _epoch_batches(n: int, batch_size: int, generator, dev):
    """Minibatch indices, epoch after epoch, each epoch a fresh permutation drawn lazily (the
    permutation of an epoch is drawn only when its first batch is asked for)."""
    import torch

    while True:
        order = torch.randperm(n, generator=generator).to(dev)
        for start in range(0, len(order), batch_size):
            yield order[start:start + batch_size]


def make_step_loss(config, model, train, x_train, y_train, augment, generator, dev, teacher=None):
    """The function ``next_loss() -> scalar tensor`` of one optimiser step of ``config``.

    Each call draws the step's data from ``generator`` (minibatch order, episode,
    augmentations), runs the model in train mode and returns the objective's loss; the
    caller zeroes the gradients before and steps after. For a plain supervised config the
    draws and the loss are those of :func:`netsim.train.train_trajectory` before objectives
    were added (one permutation per epoch, the augmentation per batch, cross-entropy).

    Parameters
    ----------
    config : TrainConfig
    model : Classifier, on ``dev``
    train : ArrayDataset, the training set (after ``train_classes``)
    x_train, y_train : tensors on ``dev`` (``y_train`` may hold soft targets, ``distill_from``)
    augment : callable or None, ``make_augmentation(config.augmentation, ...)``
    generator : torch.Generator, the run's
    dev : torch.device
    teacher : torch.nn.Module in eval mode, optional (``distill_hard``): its most probable class
        on each (augmented) minibatch replaces the labels
    """
    import torch

    from netsim.data import make_augmentation

    objective = config.objective
    batch_size = config.batch_size
    restrict, targets = _class_view(config, train.num_classes, y_train, dev)

    if objective == "supervised":
        criterion = torch.nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        batches = _epoch_batches(len(x_train), batch_size, generator, dev)

        def next_loss():
            idx = next(batches)
            xb = x_train[idx]
            if augment is not None:
                xb = augment(xb, generator)
            if teacher is not None:
                with torch.no_grad():
                    labels = teacher(xb).argmax(1)
            else:
                labels = targets[idx]
            model.train()
            return criterion(restrict(model(xb)), labels)

        return next_loss

    if objective == "prototypical":
        way, shot, query = config.episode
        members = _class_members(train.y)

        def next_loss():
            _, support, queries = sample_episode(None, way, shot, query, generator, members=members)
            idx = torch.cat([support.flatten(), queries.flatten()]).to(dev)
            xb = x_train[idx]
            if augment is not None:
                xb = augment(xb, generator)
            model.train()
            features = model.forward_features(xb)
            return prototypical_loss(features[:way * shot].view(way, shot, -1),
                                     features[way * shot:].view(way, query, -1))

        return next_loss

    if objective == "simclr":
        batches = _epoch_batches(len(x_train), batch_size, generator, dev)

        def next_loss():
            xb = x_train[next(batches)]
            views = torch.cat([augment(xb, generator), augment(xb, generator)])
            model.train()
            features = model.forward_features(views)
            return nt_xent_loss(features[:len(xb)], features[len(xb):], config.temperature)

        return next_loss

    if objective == "fixmatch":
        weak = augment if augment is not None else (lambda x, g: x)
        strong = make_augmentation(config.strong_augmentation, **config.strong_augmentation_options)
        labelled = torch.as_tensor(labelled_indices(config, train.y), device=dev)
        unlabelled_batches = _epoch_batches(len(x_train), batch_size, generator, dev)
        labelled_batches = _epoch_batches(len(labelled), min(batch_size, len(labelled)), generator, dev)

        def next_loss():
            u = next(unlabelled_batches)
            li = labelled[next(labelled_batches)]
            xl, xw, xs = weak(x_train[li], generator), weak(x_train[u], generator), strong(x_train[u], generator)
            model.train()
            logits = restrict(model(torch.cat([xl, xw, xs])))
            ll, lw, ls = logits[:len(li)], logits[len(li):len(li) + len(u)], logits[len(li) + len(u):]
            loss, _ = fixmatch_loss(ll, targets[li], lw, ls, config.threshold, config.unlabelled_weight)
            return loss

        return next_loss

    raise ValueError(f"objective {objective!r} has no step function")  # TrainConfig validates it first


def labelled_indices(config, labels) -> np.ndarray:
    """Sorted indices of the ``config.labelled`` labelled training samples of FixMatch.

    Stratified (classes as balanced as possible) and drawn by a generator seeded by
    ``(config.seed, 2)``, so each seed has its own labelled set.
    """
    from netsim.train import _stratified_indices

    if config.labelled > len(labels):
        raise ValueError(f"labelled={config.labelled} exceeds the {len(labels)} training samples")
    return _stratified_indices(np.asarray(labels), config.labelled, seed=[config.seed, 2])


def _class_view(config, num_classes: int, y_train, dev):
    """``(restrict, targets)``: logits -> the logits the loss sees, and the targets in that space.

    Without ``train_classes`` both are the identity. With it, the loss is a k-way
    cross-entropy over the logits of those classes only, and labels are mapped to their
    position in ``train_classes``.
    """
    import torch

    if config.train_classes is None:
        return (lambda logits: logits), y_train
    classes = torch.as_tensor(config.train_classes, device=dev)
    position = torch.full((num_classes,), -1, dtype=torch.int64, device=dev)
    position[classes] = torch.arange(len(classes), device=dev)
    return (lambda logits: logits[:, classes]), position[y_train]

