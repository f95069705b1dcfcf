"""Evaluation (spec §8): success indicators, empowerment and welfare indices, maturity, strengthening plan, analysis."""
