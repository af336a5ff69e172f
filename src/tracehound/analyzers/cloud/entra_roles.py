"""Privileged Entra ID directory roles: template id -> (display name, severity of an add).

Template ids are the same in every tenant. Critical: roles that own the tenant or can grant
any role or reset any admin's credentials. High: roles that administer a workload, identities,
applications or security policy. Medium: roles that reset non-admin passwords. Roles not
listed here (readers, billing, reports...) are not privileged and yield no finding.
"""

from __future__ import annotations

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"

PRIVILEGED_ROLES: dict[str, tuple[str, str]] = {
    GLOBAL_ADMINISTRATOR: ("Global Administrator", "critical"),
    "e8611ab8-c189-46e8-94e1-60213ab1f814": ("Privileged Role Administrator", "critical"),
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": ("Privileged Authentication Administrator", "critical"),
    "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8": ("Partner Tier2 Support", "critical"),
    "194ae4cb-b126-40b2-bd5b-6091b380977d": ("Security Administrator", "high"),
    "29232cdf-9323-42fd-ade2-1d097af3e4de": ("Exchange Administrator", "high"),
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": ("SharePoint Administrator", "high"),
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": ("Application Administrator", "high"),
    "158c047a-c907-4556-b7ef-446551a6b5f7": ("Cloud Application Administrator", "high"),
    "fe930be7-5e62-47db-91af-98c3a49a38b1": ("User Administrator", "high"),
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": ("Authentication Administrator", "high"),
    "0526716b-113d-4c15-b2c8-68e3c22b9f80": ("Authentication Policy Administrator", "high"),
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": ("Hybrid Identity Administrator", "high"),
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": ("Conditional Access Administrator", "high"),
    "3a2c62db-5318-420d-8d74-23affee5d9d5": ("Intune Administrator", "high"),
    "17315797-102d-40b4-93e0-432062caca18": ("Compliance Administrator", "high"),
    "9360feb5-f418-4baa-8175-e2a00bac4301": ("Directory Writers", "high"),
    "4ba39ca4-527c-499a-b93d-d9b492c50246": ("Partner Tier1 Support", "high"),
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": ("Helpdesk Administrator", "medium"),
    "966707d0-3269-4727-9be2-8c3a10f19b9d": ("Password Administrator", "medium"),
}
