"""POST /api/comfy/export-image: one generated image to ComfyUI (reference §1.9, §4.7)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictStr, model_validator

from ima2_common.errors import Ima2Error
from ima2_gateway.models.base import ApiModel, domain_error


class ComfyExportRequest(ApiModel):
    """Exactly `{filename}`: any other field, or a filename that is not a string, is refused."""

    model_config = ConfigDict(extra="forbid")
    filename: StrictStr = Field(description="A generated image's file name (PNG, JPEG or WebP).")

    @model_validator(mode="before")
    @classmethod
    def only_filename(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or set(raw) != {"filename"} or not isinstance(raw.get("filename"), str):
            raise domain_error(
                Ima2Error("COMFY_IMAGE_INVALID", "Request body must contain exactly one filename.")
            )
        return raw


class ComfyExport(ApiModel):
    """Errors are the nested envelope with `ok: false` beside `error`."""

    ok: Literal[True] = True
    sourceFilename: str
    uploadedFilename: str = Field(description="The name ComfyUI stored it under.")
    subfolder: str
    type: str = Field(description='ComfyUI\'s folder type ("input").')
