"""The service's one door into the optimizer: check a scenario document, solve it.

Everything else in `service/` handles HTTP, jobs and storage; only this package imports
`optimizer`, and the synchronous route and the job workers both call `run_solve`. One
module a concern:

- `scenarios.py`: one scenario document, its size caps and rules, its solve;
- `members.py`: sweeps and frontiers as jobs (members made and solved in the solver
  process, hot-started), and what a job's plans add up to;
- `hedges.py`: hedged plans (MODEL.md §6), their caps, rules and solve;
- `workspace.py`: what the web workspace reads, draws and writes.
"""

from __future__ import annotations

from optimizer.model.plan_types import (
    TERMS,
    Contract,
    Delivery,
    Plan,
    PlantBuilt,
    Production,
    Terms,
)
from optimizer.options import SolverLimits
from optimizer.report.terms import TERM_LABELS
from optimizer.scenario.parsing import SURROGATE_RULE
from optimizer.scenario.schema import Scenario as ScenarioSchema
from optimizer.spreadsheet_text import inert
from optimizer.whatif.hedge_document import HedgeSpec as HedgeSchema

from .hedges import (
    DASK_SCHEDULER_VARIABLE,
    EVALUATE_RULE,
    MAX_OUTCOMES,
    check_hedge,
    check_hedge_size,
    evaluation_problems,
    hedge_change,
    hedge_checked,
    hedge_executor,
    run_hedge,
)
from .members import (
    BASE_MEMBER,
    FRONTIER_NAME,
    MemberPlan,
    MemberRun,
    frontier_members,
    frontier_of,
    is_hedge_change,
    job_report,
    job_statistics,
    member_document,
    run_member,
    run_members,
    sweep_members,
)
from .scenarios import (
    PlanStatus,
    Problem,
    ScenarioError,
    SizeLimits,
    SolveOptions,
    check,
    check_exclusion,
    check_size,
    pointer,
    run_solve,
    run_why,
    solve_checked,
)
from .workspace import (
    is_hedged_plan,
    job_charts,
    plan_charts,
    plan_insight,
    plan_report,
    plan_workbook,
    read_spec_text,
    read_upload,
    signed_term,
    template_workbook,
    variant_document,
)

__all__ = [
    "BASE_MEMBER",
    "Contract",
    "DASK_SCHEDULER_VARIABLE",
    "Delivery",
    "EVALUATE_RULE",
    "FRONTIER_NAME",
    "HedgeSchema",
    "MAX_OUTCOMES",
    "MemberPlan",
    "MemberRun",
    "Plan",
    "PlanStatus",
    "PlantBuilt",
    "Problem",
    "Production",
    "SURROGATE_RULE",
    "ScenarioError",
    "ScenarioSchema",
    "SizeLimits",
    "SolveOptions",
    "SolverLimits",
    "TERMS",
    "TERM_LABELS",
    "Terms",
    "check",
    "check_exclusion",
    "check_hedge",
    "check_hedge_size",
    "check_size",
    "evaluation_problems",
    "frontier_members",
    "frontier_of",
    "hedge_change",
    "hedge_checked",
    "hedge_executor",
    "inert",
    "is_hedge_change",
    "is_hedged_plan",
    "job_charts",
    "job_report",
    "job_statistics",
    "member_document",
    "plan_charts",
    "plan_insight",
    "plan_report",
    "plan_workbook",
    "pointer",
    "read_spec_text",
    "read_upload",
    "run_hedge",
    "run_member",
    "run_members",
    "run_solve",
    "run_why",
    "signed_term",
    "solve_checked",
    "sweep_members",
    "template_workbook",
    "variant_document",
]
