"""Writes of the evaluation app: rounds, responses (web and ODK/Kobo files), scoring, the plan."""

from berdaya.evaluation.services.responses import response_record, submissions_import
from berdaya.evaluation.services.rounds import EvaluationError, evaluation_wipe, round_create
from berdaya.evaluation.services.scoring import kube_score, plan_action_done, round_score

__all__ = [
    "EvaluationError",
    "evaluation_wipe",
    "kube_score",
    "plan_action_done",
    "response_record",
    "round_create",
    "round_score",
    "submissions_import",
]
