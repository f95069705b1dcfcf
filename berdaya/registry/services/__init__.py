"""Writes of the registry: DTKS imports and eligibility screening runs."""

from berdaya.registry.services.imports import dtks_import
from berdaya.registry.services.screening import eligibility_screen

__all__ = ["dtks_import", "eligibility_screen"]
