"""Which of our events a Sigma logsource means, and where each Sigma field lives in them.

A Sigma rule names a logsource (`product: aws, service: cloudtrail`) and fields in the vendor's
own spelling (`eventName`, `userIdentity.type`, `Operation`, `properties.message`). Each mapped
logsource below lists the `Event.source` values that carry those records, a few field aliases
(Sigma spellings that differ from where our parsers keep the value), and where a field is
looked up: `attrs:key` (a normalized key, docs/events-cloud.md), `col:name` (a typed column of
`events`) or `raw:dotted.path` (the vendor record). A field without an entry is looked up in the
vendor record by its own path, in its own spelling, camelCase and PascalCase, and under each of
the logsource's `raw_prefixes`. Logsources not listed (GCP, Google Workspace, Entra ID
Protection risk detections, PIM alerts) have no tracehound parser: their rules convert but do
not run, and the runner says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

Locations = tuple[str, ...]


@dataclass(frozen=True)
class Logsource:
    product: str
    service: str
    sources: tuple[str, ...]                  # Event.source values read
    category: str                             # CONTRACT category when tags say nothing
    aliases: Mapping[str, str] = field(default_factory=dict)          # sigma (lower) -> name
    locations: Mapping[str, Locations] = field(default_factory=dict)  # name (lower) -> where
    raw_prefixes: tuple[str, ...] = ("",)

    @property
    def key(self) -> str:
        return f"{self.product}/{self.service}"

    @property
    def table(self) -> str:
        return "th_sigma_" + self.key.replace("/", "_").replace(".", "_")

    def canonical(self, sigma_field: str) -> str:
        """The column a Sigma field reads: an alias target, else the field as spelled."""
        return self.aliases.get(sigma_field.lower(), sigma_field)

    def where(self, name: str) -> Locations:
        """Where a column's value is looked up, most specific first."""
        if name.lower() in self.locations:
            return self.locations[name.lower()]
        found: list[str] = []
        for prefix in self.raw_prefixes:
            for spelling in spellings(name):
                location = "raw:" + prefix + spelling
                if location not in found:
                    found.append(location)
        return tuple(found)


def spellings(path: str) -> tuple[str, ...]:
    """A dotted path as given, in camelCase and in PascalCase (segment by segment)."""
    parts = path.split(".")
    camel = ".".join(p[:1].lower() + p[1:] for p in parts)
    pascal = ".".join(p[:1].upper() + p[1:] for p in parts)
    return tuple(dict.fromkeys((path, camel, pascal)))


AZURE_ACTIVITY = Logsource(
    "azure", "activitylogs", ("azure:activity",), "resource-change",
    aliases={"operationnamevalue": "operationName", "categoryvalue": "category",
             "resourceprovidervalue": "resourceProvider", "activitystatusvalue": "status"},
    locations={"operationname": ("attrs:operation_name",), "category": ("attrs:category",),
               "resourceprovider": ("attrs:resource_provider",),
               "resourceid": ("attrs:resource_id",), "status": ("attrs:status",),
               "caller": ("attrs:caller",), "calleripaddress": ("attrs:caller_ip",)},
    raw_prefixes=("",))

SIGNIN = Logsource(
    "azure", "signinlogs", ("entra:signin",), "anomalous-signin",
    aliases={"resulttype": "errorCode", "resultdescription": "failureReason",
             "clientapp": "clientAppUsed", "username": "userPrincipalName"},
    locations={"errorcode": ("attrs:error_code", "raw:status.errorCode", "raw:resultType"),
               "failurereason": ("attrs:failure_reason", "raw:status.failureReason",
                                 "raw:resultDescription"),
               "status": ("col:outcome",),
               "clientappused": ("attrs:client_app", "raw:clientAppUsed"),
               "userprincipalname": ("attrs:user_id", "raw:userPrincipalName"),
               "useragent": ("attrs:user_agent", "raw:userAgent"),
               "conditionalaccessstatus": ("attrs:conditional_access",
                                           "raw:conditionalAccessStatus"),
               "properties.message": ("col:action",)},
    raw_prefixes=("", "properties."))

AUDIT = Logsource(
    "azure", "auditlogs", ("entra:audit",), "role-assignment",
    aliases={"properties.message": "activityDisplayName", "operationname":
             "activityDisplayName", "activitytype": "activityDisplayName",
             "properties.result": "result", "failure_status_reason": "resultReason",
             "target": "targetResources", "initiatedby": "initiatedBy",
             "consentcontext.isadminconsent": "isAdminConsent"},
    locations={"activitydisplayname": ("col:action", "raw:activityDisplayName"),
               "status": ("col:outcome", "raw:result"), "category": ("attrs:category",
                                                                     "raw:category"),
               "isadminconsent": ("attrs:is_admin_consent",)},
    raw_prefixes=("", "properties."))

UAL_FIELDS = {"operation": ("attrs:operation", "raw:Operation", "raw:operation"),
              "workload": ("attrs:workload", "raw:Workload", "raw:workload"),
              "userid": ("attrs:user_id", "raw:UserId", "raw:userId"),
              "clientip": ("attrs:client_ip", "raw:ClientIP", "raw:clientIp"),
              "resultstatus": ("attrs:result_status", "raw:ResultStatus"),
              "objectid": ("attrs:object_id", "raw:ObjectId")}
M365_AUDIT = Logsource("m365", "audit", ("m365:ual",), "resource-change",
                       locations=UAL_FIELDS)
M365_EXCHANGE = Logsource("m365", "exchange", ("m365:ual",), "mail-forwarding",
                          aliases={"eventsource": "workload", "eventname": "alertName",
                                   "status": "resultstatus"},
                          locations={**UAL_FIELDS, "alertname": (
                              "raw:Name", "attrs:title", "attrs:operation", "col:action")})
ALERT_FIELDS = {**UAL_FIELDS, "workload": ("attrs:workload", "raw:Workload", "raw:Source"),
                "alertname": ("raw:Name", "attrs:title", "col:action"),
                "resultstatus": ("raw:Status", "attrs:result_status", "raw:ResultStatus")}
M365_THREAT = Logsource("m365", "threat_management", ("m365:ual", "mcas:alert"),
                        "defender-alert", aliases=M365_EXCHANGE.aliases,
                        locations=ALERT_FIELDS)
M365_DETECTION = Logsource("m365", "threat_detection", ("m365:ual", "mcas:alert"),
                           "defender-alert", aliases=M365_EXCHANGE.aliases,
                           locations=ALERT_FIELDS)
CLOUDTRAIL = Logsource("aws", "cloudtrail", ("aws:cloudtrail",), "resource-change")

MAPPED: tuple[Logsource, ...] = (CLOUDTRAIL, AZURE_ACTIVITY, SIGNIN, AUDIT, M365_AUDIT,
                                 M365_EXCHANGE, M365_THREAT, M365_DETECTION)
BY_KEY: dict[str, Logsource] = {source.key: source for source in MAPPED}


def find(product: str | None, service: str | None) -> Logsource | None:
    return BY_KEY.get(f"{(product or '').lower()}/{(service or '').lower()}")
