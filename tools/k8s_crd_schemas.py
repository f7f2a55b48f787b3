"""JSON schemas for the custom resources in k8s/ (kubernetes-validate ships only the built-in kinds).

Written by us from the operators' API references, covering the fields memgrid uses, strict
(additionalProperties false) so a misspelt field fails. They are a subset: a field valid for the operator
but absent here fails validation until it is added, which is the point (add it deliberately).
- CloudNativePG `Cluster`, `ScheduledBackup` (postgresql.cnpg.io/v1): https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/
- Milvus operator `Milvus` (milvus.io/v1beta1): https://github.com/zilliztech/milvus-operator/blob/main/docs/CRD/milvus.md
"""

from __future__ import annotations

from typing import Any

QUANTITY = {"type": ["string", "integer"], "pattern": r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$"}
NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}


def _strict(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


SECRET_KEY = _strict({"name": NAME, "key": {"type": "string"}}, ("name", "key"))
RESOURCES = _strict(
    {
        "requests": {"type": "object", "additionalProperties": QUANTITY},
        "limits": {"type": "object", "additionalProperties": QUANTITY},
    }
)
METADATA = {
    "type": "object",
    "properties": {"name": NAME, "namespace": NAME, "labels": {"type": "object"}, "annotations": {"type": "object"}},
    "required": ["name"],
}


def _resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return _strict(
        {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": METADATA, "spec": spec},
        ("apiVersion", "kind", "metadata", "spec"),
    )


COMPRESSION = {"enum": ["gzip", "bzip2", "snappy", "lz4", "xz", "zstd"]}
CNPG_CLUSTER = _resource(
    "postgresql.cnpg.io/v1",
    "Cluster",
    _strict(
        {
            "instances": {"type": "integer", "minimum": 1},
            "imageName": {"type": "string"},
            "primaryUpdateStrategy": {"enum": ["unsupervised", "supervised"]},
            "storage": _strict({"size": QUANTITY, "storageClass": {"type": "string"}}, ("size",)),
            "resources": RESOURCES,
            "postgresql": _strict({"parameters": {"type": "object", "additionalProperties": {"type": "string"}}}),
            "bootstrap": _strict(
                {
                    "initdb": _strict(
                        {"database": {"type": "string"}, "owner": {"type": "string"}, "secret": _strict({"name": NAME})}
                    )
                }
            ),
            "backup": _strict(
                {
                    "retentionPolicy": {"type": "string", "pattern": r"^[1-9][0-9]*[dwm]$"},
                    "barmanObjectStore": _strict(
                        {
                            "destinationPath": {"type": "string", "pattern": r"^(s3|gs|https?)://"},
                            "endpointURL": {"type": "string"},
                            "s3Credentials": _strict(
                                {"accessKeyId": SECRET_KEY, "secretAccessKey": SECRET_KEY, "region": SECRET_KEY}
                            ),
                            "wal": _strict({"compression": COMPRESSION, "maxParallel": {"type": "integer"}}),
                            "data": _strict({"compression": COMPRESSION, "jobs": {"type": "integer"}}),
                        },
                        ("destinationPath",),
                    ),
                }
            ),
        },
        ("instances", "storage"),
    ),
)
CNPG_SCHEDULED_BACKUP = _resource(
    "postgresql.cnpg.io/v1",
    "ScheduledBackup",
    _strict(
        {
            # Six fields: seconds first (CNPG uses the Go cron format with seconds).
            "schedule": {"type": "string", "pattern": r"^\S+ \S+ \S+ \S+ \S+ \S+$"},
            "backupOwnerReference": {"enum": ["none", "self", "cluster"]},
            "immediate": {"type": "boolean"},
            "method": {"enum": ["barmanObjectStore", "volumeSnapshot", "plugin"]},
            "cluster": _strict({"name": NAME}, ("name",)),
        },
        ("schedule", "cluster"),
    ),
)
IN_CLUSTER = _strict(
    {
        "deletionPolicy": {"enum": ["Retain", "Delete"]},
        "pvcDeletion": {"type": "boolean"},
        "values": {"type": "object"},
    }
)
REPLICAS = _strict({"replicas": {"type": "integer", "minimum": 0}, "resources": RESOURCES})
MILVUS = _resource(
    "milvus.io/v1beta1",
    "Milvus",
    _strict(
        {
            "mode": {"enum": ["standalone", "cluster"]},
            "components": _strict(
                {
                    "image": {"type": "string"},
                    **{
                        name: REPLICAS
                        for name in ("proxy", "queryNode", "dataNode", "indexNode", "mixCoord", "standalone")
                    },
                }
            ),
            # Free-form milvus.yaml overrides.
            "config": {"type": "object"},
            "dependencies": _strict(
                {
                    "etcd": _strict(
                        {"inCluster": IN_CLUSTER, "external": {"type": "boolean"}, "endpoints": {"type": "array"}}
                    ),
                    "pulsar": _strict(
                        {"inCluster": IN_CLUSTER, "external": {"type": "boolean"}, "endpoint": {"type": "string"}}
                    ),
                    "storage": _strict(
                        {
                            "inCluster": IN_CLUSTER,
                            "external": {"type": "boolean"},
                            "type": {"enum": ["MinIO", "S3", "Azure", "GCP"]},
                            "endpoint": {"type": "string"},
                            "secretRef": NAME,
                        }
                    ),
                }
            ),
        },
        ("mode",),
    ),
)

# (apiVersion, kind) -> schema.
CRD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("postgresql.cnpg.io/v1", "Cluster"): CNPG_CLUSTER,
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): CNPG_SCHEDULED_BACKUP,
    ("milvus.io/v1beta1", "Milvus"): MILVUS,
}
