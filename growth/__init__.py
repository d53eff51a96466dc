"""Child growth for Tumbuh: WHO z-scores, Permenkes 2/2020 categories, posyandu weight gain.

- ``growth.zscores``: vectorised WHO Child Growth Standards 2006 (equal to WHO's ``anthro``);
- ``growth.categories``: Permenkes 2/2020 categories (stunting = PB/U or TB/U < -2 SD);
- ``growth.weight_gain``: N/T/O/B, 2T and BGM as recorded by kader at the posyandu;
- ``growth.assessment``: one child's assessment for the bot (pure);
- ``growth.chart``: KMS-style PNG growth chart (matplotlib imported only when drawing);
- ``growth.csvio``: the ``tumbuh zscore`` command.
"""

from growth.age import age_in_days, completed_months
from growth.assessment import Assessment, IndexResult, ReferralReason, assess_child
from growth.categories import Category, categorize
from growth.chart import render_growth_chart
from growth.weight_gain import GainStatus, Weighing, WeightGain, assess_weight_gain
from growth.zscores import OUTPUT_COLUMNS, compute_zscores

__all__ = [
    "OUTPUT_COLUMNS",
    "Assessment",
    "Category",
    "GainStatus",
    "IndexResult",
    "ReferralReason",
    "Weighing",
    "WeightGain",
    "age_in_days",
    "assess_child",
    "assess_weight_gain",
    "categorize",
    "completed_months",
    "compute_zscores",
    "render_growth_chart",
]
