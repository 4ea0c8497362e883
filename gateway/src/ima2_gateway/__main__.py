"""`python -m ima2_gateway`: serve the gateway on IMA2_HOST:IMA2_PORT."""

import uvicorn

from ima2_common.logging import setup_logging
from ima2_common.settings import Settings
from ima2_gateway.app import create_app


def main() -> None:
    settings = Settings()
    setup_logging("gateway", settings.logs_dir, settings.log_level, settings.log_json_stderr)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=3,
        # Longer than clients keep idle connections (httpx 5 s, browsers more): a server closing an
        # idle connection just as a client reuses it would drop that request unanswered.
        timeout_keep_alive=75,
        ws="none",
    )


if __name__ == "__main__":
    main()
