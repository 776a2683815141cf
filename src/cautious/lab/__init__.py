"""The built-in lab: seeded reasoning task families with exact solvers.

`FAMILIES` names every family; the task registry (`cautious.tasks`) makes each one a task of
group `lab`, and the lab teacher (`cautious.models.lab`) answers for all of them. A user family
joins with `register_family(MyFamily)`.
"""

from cautious.lab.arithmetic import Arithmetic
from cautious.lab.base import Guess, LabFamily, LabTask, Solution
from cautious.lab.boolean_expressions import BooleanExpressions
from cautious.lab.comparison import Comparison
from cautious.lab.counting import Counting
from cautious.lab.duplicate import Duplicate
from cautious.lab.grammar import Grammar
from cautious.lab.kb_recall import KbRecall
from cautious.lab.kv_lookup import KvLookup
from cautious.lab.majority import Majority
from cautious.lab.shuffled_objects import ShuffledObjects
from cautious.registry import Registry

FAMILIES: Registry[LabFamily] = Registry("lab family")


def register_family(family_cls: type[LabFamily]) -> type[LabFamily]:
    """Make the family a lab task and known to the lab teacher (usable as a class decorator)."""
    family = family_cls()
    FAMILIES.register(family.name, family)
    return family_cls


# The built-in families, in the order users see them.
for _family in (Arithmetic, KvLookup, Counting, KbRecall, ShuffledObjects, BooleanExpressions, Comparison, Majority, Grammar, Duplicate):
    register_family(_family)


def families() -> dict[str, LabFamily]:
    """Every lab family by name, in registration order."""
    return dict(FAMILIES.items())


__all__ = ["FAMILIES", "Guess", "LabFamily", "LabTask", "Solution", "families", "register_family"]
