import asyncio

from ima2_common.settings import Settings
from ima2_image.server import serve


def main() -> None:
    asyncio.run(serve(Settings()))


if __name__ == "__main__":
    main()
