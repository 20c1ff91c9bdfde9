"""The submodules of TextGrad's ``optimizer`` package, served as ``tg_core.optimizer.<name>``.

``tg_core.optimizer`` is a module; ``tg_core/__init__.py`` gives it this folder as its
``__path__`` so ``import tg_core.optimizer.optimizer`` (TextGrad's path) finds the files here.
"""
