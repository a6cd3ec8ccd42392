"""Recommendation: interaction data, published evaluation protocols, baselines and a two-tower model."""

from adlens.recommend.baselines import BPRMF, BPRConfig, ItemKNN, Popularity
from adlens.recommend.checkpoint import (
    FORMAT_VERSION,
    Checkpoint,
    CheckpointStore,
    load_checkpoint,
    save_checkpoint,
)
from adlens.recommend.data import (
    AGE_BUCKETS,
    IdMap,
    InteractionDataset,
    interaction_matrix,
    load_movielens_100k,
)
from adlens.recommend.evaluation import RankingTask, Scorer, evaluate, holdout_task, top_k, validation_task
from adlens.recommend.features import ItemContent, item_content, title_embeddings
from adlens.recommend.metrics import (
    average_precision,
    coverage,
    hit_rate_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    summarise,
)
from adlens.recommend.model import TowerShape, TwoTower
from adlens.recommend.splits import (
    PROTOCOLS,
    Split,
    carve_validation,
    make_split,
    msr_stratified_split,
    recbole_ratio_split,
)
from adlens.recommend.stopping import EarlyStopper, seed_everything
from adlens.recommend.train import TrainResult, TwoTowerConfig, train_two_tower
from adlens.recommend.tuning import GridResult, grid_search

__all__ = [
    "AGE_BUCKETS",
    "BPRMF",
    "FORMAT_VERSION",
    "PROTOCOLS",
    "BPRConfig",
    "Checkpoint",
    "CheckpointStore",
    "EarlyStopper",
    "GridResult",
    "IdMap",
    "InteractionDataset",
    "ItemContent",
    "ItemKNN",
    "Popularity",
    "RankingTask",
    "Scorer",
    "Split",
    "TowerShape",
    "TrainResult",
    "TwoTower",
    "TwoTowerConfig",
    "average_precision",
    "carve_validation",
    "coverage",
    "evaluate",
    "grid_search",
    "hit_rate_at_k",
    "holdout_task",
    "interaction_matrix",
    "item_content",
    "load_checkpoint",
    "load_movielens_100k",
    "make_split",
    "mrr_at_k",
    "msr_stratified_split",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "recbole_ratio_split",
    "save_checkpoint",
    "seed_everything",
    "summarise",
    "title_embeddings",
    "top_k",
    "train_two_tower",
    "validation_task",
]
