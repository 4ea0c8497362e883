import asyncio

from ima2_auth.server import serve
from ima2_common.settings import Settings


def main() -> None:
    asyncio.run(serve(Settings()))


if __name__ == "__main__":
    main()
