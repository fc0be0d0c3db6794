"""Dataless model selection with the deep frame potential (Murdock & Lucey, CVPR 2020).

- :mod:`.coherence`: mutual coherence, frame potential, Welch bound, equiangular tight frames.
- :mod:`.induced`: dictionaries induced by chain, residual and dense networks; block-wise Gram.
- :mod:`.bounds`: the lower bound for chain networks (eq. 17-22).
- :mod:`.minimize`: minimum deep frame potential by L-BFGS over the weights (torch).
- :mod:`.conv`: one 1-D convolutional layer (Figure 3), Gram from local filter interactions.
- :mod:`.conv_induced`: convolutional chain, residual and dense networks (1-D, 2-D, strides),
  their induced dictionaries and block-wise deep frame potential.
- :mod:`.study`: the model-selection study on fully-connected networks (digits).
- :mod:`.conv_study`: the model-selection study on convolutional networks (MNIST-1D quick,
  CIFAR-10 full).

Names are loaded lazily, so importing this package pulls in neither torch nor matplotlib.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "Architecture": ".induced",
    "ChainBound": ".bounds",
    "ConvArchitecture": ".conv_induced",
    "ConvEdge": ".conv_induced",
    "Edge": ".induced",
    "MinimizationResult": ".minimize",
    "averaged_frame_potential": ".coherence",
    "block_gram": ".induced",
    "conv_deep_frame_potential": ".conv_induced",
    "conv_dense_dictionary": ".conv",
    "conv_dense_gram": ".conv_induced",
    "conv_frame_potential": ".conv",
    "conv_local_gram": ".conv",
    "chain_lower_bound": ".bounds",
    "deep_frame_potential": ".induced",
    "dense_gram": ".induced",
    "dense_induced_dictionary": ".induced",
    "frame_potential": ".coherence",
    "is_equiangular_tight_frame": ".coherence",
    "make_architecture": ".induced",
    "make_conv_architecture": ".conv_induced",
    "mercedes_benz_frame": ".coherence",
    "minimize_frame_potential": ".minimize",
    "mutual_coherence": ".coherence",
    "random_conv_weights": ".conv_induced",
    "random_weights": ".induced",
    "run_conv_study": ".conv_study",
    "run_study": ".study",
    "simplex_etf": ".coherence",
    "welch_bound": ".coherence",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
