"""Experiments on real networks: the MNIST-1D studies, the demo and the width-reduction study.

Needs the ``[torch]`` extra (torch, torchvision, mnist1d). Importing this package imports
none of them; the functions do.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "SETTINGS": ".mnist1d",
    "STUDIES": ".mnist1d",
    "StudyResult": ".mnist1d",
    "StudySetting": ".mnist1d",
    "Variant": ".mnist1d",
    "format_demo": ".demo",
    "run_demo": ".demo",
    "run_study": ".mnist1d",
    "run_width_study": ".width_reduction",
    "WidthStudyResult": ".width_reduction",
    "run_variants": ".mnist1d",
    "study_variants": ".mnist1d",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
