"""Berdaya: the KUBE programme, from DTKS registry to evaluation."""

__version__ = "0.1.0"
