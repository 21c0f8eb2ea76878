"""Offline checks of scripts/text_order.py's carry-over of code-order names to a rebuilt binary
(see BENCHMARKS.md, "Start-up-ordered code"). No service is needed; these always run.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import text_order  # noqa: E402

H1 = "17h0123456789abcdefE"
H2 = "17hfedcba9876543210E"
H3 = "17h00000000000000aaE"


def test_a_name_that_only_lost_its_llvm_suffix_number_is_carried_over():
    previous = [f"_ZN3api5write{H1}.llvm.111"]
    present = {f"_ZN3api5write{H1}.llvm.222", f"_ZN3api5write{H2}.llvm.333"}
    # Two instances share the stem: the one with the same item hash is the same function.
    assert text_order.carried_over(previous, present) == [f"_ZN3api5write{H1}.llvm.222"]


def test_a_name_whose_hash_changed_is_carried_over_when_one_symbol_has_its_stem():
    previous = [f"_ZN3api4read{H1}", f"_ZN3api4drop{H1}.llvm.9"]
    present = {f"_ZN3api4read{H2}", f"_ZN3api4drop{H2}"}
    assert text_order.carried_over(previous, present) == [
        f"_ZN3api4read{H2}",
        f"_ZN3api4drop{H2}",
    ]


def test_present_names_stay_and_ambiguous_or_gone_ones_are_dropped():
    previous = ["main", f"_ZN3api4gone{H1}", f"_ZN4core3ptr4drop{H1}.llvm.1"]
    present = {"main", f"_ZN4core3ptr4drop{H2}.llvm.2", f"_ZN4core3ptr4drop{H3}.llvm.3"}
    assert text_order.carried_over(previous, present) == ["main"]


def test_what_runs_at_idle_comes_before_what_only_load_runs():
    hot = ["poll", "encode", "send", "gone"]  # hottest first
    idle = ["start", "send", "tick", "poll"]  # in the order seen
    present = {"poll", "encode", "send", "start", "tick"}
    both, idle_only, load_only = text_order.blocks(hot, idle, present)
    # Idle code first (what load also runs keeps its heat order), load-only code last.
    assert both == ["poll", "send"]
    assert idle_only == ["start", "tick"]
    assert load_only == ["encode"]
