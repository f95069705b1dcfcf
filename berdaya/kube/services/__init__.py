"""Writes of the kube app. Views, the CLI, imports and the demo all come through here."""

from berdaya.kube.services.lifecycle import (
    KubeError,
    aid_record,
    kube_activate,
    kube_create,
    kube_dissolve,
    kube_establish,
    kube_graduate,
    kube_verify,
    member_add,
    member_remove,
    officers_set,
    plan_record,
)

__all__ = [
    "KubeError",
    "aid_record",
    "kube_activate",
    "kube_create",
    "kube_dissolve",
    "kube_establish",
    "kube_graduate",
    "kube_verify",
    "member_add",
    "member_remove",
    "officers_set",
    "plan_record",
]
