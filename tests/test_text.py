"""The bilingual text type crosses processes (split regions, the web worker's state) with
both its wordings."""

import copy
import pickle

from matcher import catalog
from matcher.text import Bi, fold, vi_of


def test_bi_survives_pickle_and_copy_with_both_wordings():
    reason = catalog.bi("issue.row", row="7")
    for clone in (pickle.loads(pickle.dumps(reason)), copy.deepcopy(reason)):
        assert isinstance(clone, Bi)
        assert str(clone) == "row 7" and vi_of(clone) == "dòng 7"


def test_fold_is_for_comparison_only():
    assert fold("  Hàm  Rồng ") == fold("ham rong") == "ham rong"
