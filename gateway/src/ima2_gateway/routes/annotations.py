"""Per-browser canvas annotations of a generated file (`X-Ima2-Browser-Id`), size-capped."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.structs import dict_to_struct, struct_to_dict
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.library import Annotations, AnnotationsUpdate, Ok
from ima2_gateway.openapi import BROWSER_ID, contract, json_body
from ima2_gateway.routes.library_common import browser_id
from ima2_proto.v1 import library_pb2

router = APIRouter(tags=["library"])
# The cap is on the normalized JSON (characters); UTF-8 bodies may be up to 4 bytes a character.
BODY_CAP = limits.ANNOTATION_MAX_CHARS * 4 + 1024


@router.get(
    "/api/annotations/{filename}",
    operation_id="getAnnotations",
    summary="This browser's annotations of a file",
    **contract(Annotations, errors="nested", statuses=(400, 404), headers=(BROWSER_ID,)),
)
async def get_annotations(filename: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.GetAnnotation,
        library_pb2.AnnotationKey(filename=filename, browser_id=browser_id(request)),
    )
    return {"annotations": struct_to_dict(reply.payload) if reply.HasField("payload") else None}


@router.put(
    "/api/annotations/{filename}",
    operation_id="putAnnotations",
    summary="Save this browser's annotations of a file",
    **contract(
        Ok,
        errors="nested",
        statuses=(400, 404, 413),
        body=json_body(AnnotationsUpdate),
        headers=(BROWSER_ID,),
    ),
)
async def put_annotations(filename: str, request: Request) -> dict[str, Any]:
    owner = browser_id(request)
    body = await read_json(request, AnnotationsUpdate, BODY_CAP, "ANNOTATION_TOO_LARGE")
    wrapped = "annotations" in body.model_fields_set
    payload = body.annotations if wrapped else body.model_extra
    if not isinstance(payload, dict):
        raise Ima2Error("INVALID_ANNOTATION", "annotations payload is required")
    annotation = library_pb2.Annotation(filename=filename, browser_id=owner)
    dict_to_struct(payload, annotation.payload)
    library = gateway(request).services.library
    await library.unary(library.stub.PutAnnotation, annotation)
    return {"ok": True}


@router.delete(
    "/api/annotations/{filename}",
    operation_id="deleteAnnotations",
    summary="Delete this browser's annotations of a file",
    **contract(Ok, errors="nested", statuses=(400, 404), headers=(BROWSER_ID,)),
)
async def delete_annotations(filename: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    await library.unary(
        library.stub.DeleteAnnotation,
        library_pb2.AnnotationKey(filename=filename, browser_id=browser_id(request)),
    )
    return {"ok": True}
