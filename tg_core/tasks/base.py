"""TextGrad's ``tasks.base`` path: the dataset type and the minibatch loader."""

from .dataloader import DataLoader
from .datasets import Dataset

__all__ = ["DataLoader", "Dataset"]
