"""The charts, for the scripts that check them (scripts/check-charts) and start them
(scripts/cluster-smoke): vendoring and rendering with the Helm v4 SDK, and every chart's
values.schema.json, made from one description (check-charts writes them with
--write-schemas and fails when a committed one differs)."""
import pathlib
import shutil

import helm_python as helm
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent / "helm"
CHARTS = ["gateway", "identity", "catalog", "inventory", "order", "payment", "notification", "analytics"]


def vendor(chart: pathlib.Path, work: pathlib.Path) -> pathlib.Path:
    """Copies a chart with its file:// dependencies unpacked under charts/."""
    dest = work / chart.name
    shutil.copytree(chart, dest)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    for dep in meta.get("dependencies", []):
        repo = dep["repository"]
        assert repo.startswith("file://"), f"{chart.name}: only file:// dependencies: {repo}"
        source = (chart / repo[len("file://"):]).resolve()
        vendored = vendor(source, work / f"{chart.name}-deps")
        (dest / "charts").mkdir(exist_ok=True)
        shutil.copytree(vendored, dest / "charts" / dep.get("alias", dep["name"]))
    return dest


def render(chart_dir: pathlib.Path, release: str, values: dict, namespace: str = "shop") -> list[dict]:
    """The objects a chart renders for an install (offline: `lookup` finds nothing)."""
    manifests = helm.Chart.load(str(chart_dir)).render(values, name=release, namespace=namespace, is_install=True)
    docs = [m for path, m in sorted(manifests.items()) if path.endswith(".yaml") and m.strip()]
    return [d for doc in docs for d in yaml.safe_load_all(doc) if d]


SERVICES = ["identity", "catalog", "inventory", "order", "payment", "notification", "analytics"]
STRING = {"type": "string"}
BOOL = {"type": "boolean"}
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
SETTINGS = {
    "type": "object",
    "propertyNames": {"pattern": "^SHOP_[A-Z0-9_]+$"},
    "additionalProperties": {"type": ["string", "number", "boolean"]},
}
NAME = {"type": "string", "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", "maxLength": 40}
RULES = {"type": "array", "items": {"type": "object"}}


def strict(properties: dict, required: tuple = ()) -> dict:
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


GLOBAL = {
    "type": "object",
    "properties": {
        "prefix": {**NAME, "description": "Resources are named <prefix>-<service>."},
        "backendsSecret": {**STRING, "description": "A Secret with the backend URLs every service reads."},
    },
}


def service(name: str) -> dict:
    """The schema of one service chart's values."""
    ports = ["http"] if name == "gateway" else ["grpc", "metrics"]
    properties = {
        "global": GLOBAL,
        # Helm's own entry for the library chart's values.
        "shop-common": {"type": "object"},
        "image": strict(
            {
                "repository": {"type": "string", "minLength": 1},
                "tag": STRING,
                "digest": {"type": "string", "pattern": "^(sha256:[a-f0-9]{64})?$"},
                "pullPolicy": {"enum": ["", "Always", "IfNotPresent", "Never"]},
            },
            ("repository",),
        ),
        "imagePullSecrets": {"type": "array", "items": strict({"name": STRING}, ("name",))},
        "command": {"type": "string", "minLength": 1},
        "replicaCount": {"type": "integer", "minimum": 0},
        "ports": strict({p: PORT for p in ports}, tuple(ports)),
        "probe": {"enum": ["http", "grpc"]},
        "startupSeconds": {"type": "integer", "minimum": 2, "maximum": 600},
        "preStopSeconds": {"type": "integer", "minimum": 0, "maximum": 120},
        "stateDir": {"type": "string", "pattern": "^(/[^/]+)+$"},
        "upstreams": {
            "type": "object",
            "propertyNames": {"pattern": "^SHOP_[A-Z0-9_]+$"},
            "additionalProperties": {"enum": SERVICES},
        },
        "callers": {"type": "array", "uniqueItems": True, "items": {"enum": ["gateway", *SERVICES]}},
        "env": SETTINGS,
        "existingSecret": STRING,
        "secretEnv": SETTINGS,
        "embedded": BOOL,
        "service": strict({"type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]}, "headless": BOOL}),
        "serviceAccount": strict({"name": STRING}),
        "resources": strict({"requests": {"type": "object"}, "limits": {"type": "object"}}),
        "podAnnotations": {"type": "object", "additionalProperties": STRING},
        "nodeSelector": {"type": "object", "additionalProperties": STRING},
        "tolerations": RULES,
        "affinity": {"type": "object"},
        "podDisruptionBudget": strict(
            {"enabled": BOOL, "maxUnavailable": {"type": ["integer", "string"], "pattern": "^[0-9]+%?$", "minimum": 0}}
        ),
        "autoscaling": strict(
            {
                "enabled": BOOL,
                "minReplicas": {"type": "integer", "minimum": 1},
                "maxReplicas": {"type": "integer", "minimum": 1},
                "targetCPUUtilizationPercentage": {"type": "integer", "minimum": 1, "maximum": 100},
                "behavior": {"type": "object"},
            }
        ),
        "networkPolicy": strict(
            {
                "enabled": BOOL,
                "peerNamespaceSelector": {"type": "object"},
                "metricsFrom": RULES,
                "ingressFrom": RULES,
                "dnsTo": RULES,
                "backends": RULES,
            }
        ),
        "serviceMonitor": strict(
            {
                "enabled": BOOL,
                "port": {"enum": ports},
                "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                "labels": {"type": "object", "additionalProperties": STRING},
            }
        ),
        "fullnameOverride": {"type": "string", "maxLength": 63},
    }
    if name == "identity":
        properties["passwordHashing"] = strict(
            {
                "concurrency": {"type": "integer", "minimum": 1, "maximum": 64},
                "baseMemoryMi": {"type": "integer", "minimum": 32},
            },
            ("concurrency", "baseMemoryMi"),
        )
    if name == "gateway":
        properties["ingress"] = strict(
            {
                "enabled": BOOL,
                "className": STRING,
                "annotations": {"type": "object", "additionalProperties": STRING},
                "hosts": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                "tls": {"type": "array", "items": strict({"secretName": STRING, "hosts": {"type": "array"}})},
                "forwardedHops": {"type": "integer", "minimum": 0, "maximum": 10},
            }
        )
    schema = strict(properties, ("image", "command", "ports", "probe"))
    return {"$schema": "https://json-schema.org/draft-07/schema#", "title": f"shop {name} chart values", **schema}


def umbrella() -> dict:
    labels = {"type": "object", "additionalProperties": STRING}
    monitoring = strict({
        "prometheusRule": strict({"enabled": BOOL, "labels": labels}),
        "dashboards": strict({"enabled": BOOL, "labels": labels, "folder": STRING}),
    })
    properties = {"global": GLOBAL, "monitoring": monitoring,
                  **{name: {"type": "object"} for name in ["gateway", *SERVICES]}}
    return {
        "$schema": "https://json-schema.org/draft-07/schema#",
        "title": "shop umbrella chart values (each service's are checked by its own chart)",
        **strict(properties),
    }
