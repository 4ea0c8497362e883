"""Storage support: the status summary (`{ok:true, data}`) and opening the generated folder on the
server machine (errors carry `ok:false` beside the nested error)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway
from ima2_gateway.models.library import Ok, StorageStatus
from ima2_gateway.openapi import contract
from ima2_proto.v1 import common_pb2

router = APIRouter(tags=["storage"])


@router.get(
    "/api/storage/status",
    operation_id="storageStatus",
    summary="Where the library lives and whether legacy images can be recovered",
    **contract(StorageStatus, errors="nested"),
)
async def storage_status(request: Request) -> dict[str, Any]:
    try:
        library = gateway(request).services.library
        status = await library.unary(library.stub.GetStorageStatus, common_pb2.Empty(), timeout=60)
    except Ima2Error as err:
        err.extra["ok"] = False
        raise
    return {
        "ok": True,
        "data": {
            "generatedDirLabel": status.generated_dir_label,
            "generatedCount": status.generated_count,
            "legacyCandidatesScanned": status.legacy_candidates_scanned,
            "legacySourcesFound": status.legacy_sources_found,
            "legacyFilesFound": status.legacy_files_found,
            "state": status.state,
            "messageKind": status.message_kind,
            "recoveryDocsPath": status.recovery_docs_path,
            "doctorCommand": status.doctor_command,
            "overrides": {
                "generatedDir": status.override_generated_dir,
                "configDir": status.override_config_dir,
            },
        },
    }


@router.post(
    "/api/storage/open-generated-dir",
    operation_id="openGeneratedDir",
    summary="Open the generated folder on the server machine",
    **contract(Ok, errors="nested", statuses=(500,)),
)
async def open_generated_dir(request: Request) -> dict[str, Any]:
    try:
        library = gateway(request).services.library
        await library.unary(library.stub.OpenGeneratedDir, common_pb2.Empty(), timeout=30)
    except Ima2Error as err:
        err.extra["ok"] = False
        raise
    return {"ok": True}
