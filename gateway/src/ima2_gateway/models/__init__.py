"""The HTTP bodies of the gateway as pydantic models, one module per API area.

- `base`: `ApiModel`, parsing a body into a model with the spec's error code per field.
- `errors`: the error envelope families and the SSE error frame.
- `images`, `jobs`, `library`, `sessions`, `prompts`, `keys`, `status`: requests and answers.

Routes declare them through `ima2_gateway.openapi.contract`; `gateway/scripts/api_docs.py` writes
the OpenAPI document and the reference in `docs/` from them.
"""
