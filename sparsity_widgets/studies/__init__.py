"""Experiments: the MNIST-1D studies, the demo, the width-reduction study, the NCC study
(vanilla against SVSL), Table 1 of the paper under both generators, and the sensitivity of
alpha* to changes that add no information.

Training needs the ``[torch]`` extra (torch, mnist1d). Importing this package imports none of
them; the functions that train do. Saved results (``StudyResult``, ``CollapseStudyResult``,
``Table1Result``, ``InvarianceResult``) load with the core install.
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
    "CollapseRun": ".collapse_run",
    "CollapseSetting": ".collapse_settings",
    "CollapseStudyResult": ".collapse_result",
    "CollapseTask": ".collapse_settings",
    "run_collapse_study": ".collapse_study",
    "InvarianceResult": ".invariance_result",
    "run_invariance_study": ".invariance",
    "Table1Result": ".table1",
    "run_table1": ".table1",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
