"""Dataless model selection with the deep frame potential (Murdock & Lucey, CVPR 2020).

- :mod:`.coherence`: mutual coherence, frame potential, Welch bound, equiangular tight frames.
- :mod:`.induced`: dictionaries induced by chain, residual and dense networks; block-wise Gram.
- :mod:`.bounds`: the lower bound for chain networks (eq. 17-22).
- :mod:`.minimize`: minimum deep frame potential by L-BFGS over the weights (torch).
- :mod:`.conv`: 1-D convolutional dictionaries, Gram from local filter interactions.
- :mod:`.study`: the model-selection study (training, correlations).

Names are loaded lazily, so importing this package pulls in neither torch nor matplotlib.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "Architecture": ".induced",
    "ChainBound": ".bounds",
    "Edge": ".induced",
    "MinimizationResult": ".minimize",
    "averaged_frame_potential": ".coherence",
    "block_gram": ".induced",
    "conv_dense_dictionary": ".conv",
    "conv_frame_potential": ".conv",
    "conv_local_gram": ".conv",
    "chain_lower_bound": ".bounds",
    "deep_frame_potential": ".induced",
    "dense_gram": ".induced",
    "dense_induced_dictionary": ".induced",
    "frame_potential": ".coherence",
    "is_equiangular_tight_frame": ".coherence",
    "make_architecture": ".induced",
    "mercedes_benz_frame": ".coherence",
    "minimize_frame_potential": ".minimize",
    "mutual_coherence": ".coherence",
    "random_weights": ".induced",
    "run_study": ".study",
    "simplex_etf": ".coherence",
    "welch_bound": ".coherence",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
