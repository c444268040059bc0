"""Weight clustering: each layer's weights share a few trained values (centroids), so the
model compresses well and a device could store indices instead of weights."""

from __future__ import annotations

from emu.errors import EmuError
from emu.variants.keras2 import copy_model, seed_everything, tfmot
from emu.variants.messages import tf_first_line
from emu.variants.task import Task
from emu.variants.training import finetune

# Clustered weights only move through their shared centroids: a gentle rate keeps the
# trained model's accuracy while the centroids settle.
CLUSTER_LEARNING_RATE_SCALE = 0.1


def clustered(task: Task, clusters: int):
    seed_everything(task.seed)
    opt = tfmot()
    init = opt.clustering.keras.CentroidInitialization.KMEANS_PLUS_PLUS
    try:
        model = opt.clustering.keras.cluster_weights(copy_model(task.teacher), number_of_clusters=clusters,
                                                     cluster_centroids_init=init)
    except (ValueError, RuntimeError, TypeError) as e:
        raise EmuError(f"tfmot cannot cluster: {tf_first_line(e)}; choose other variants with --variant") from None
    finetune(task, model, learning_rate=task.training.learning_rate * CLUSTER_LEARNING_RATE_SCALE)
    return opt.clustering.keras.strip_clustering(model)
